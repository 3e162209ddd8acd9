//! Exports for "Webhook payloads" (API.md).

use super::convert::{body_bytes, json, type_name, whole_number, BindingError, Exported, Fields};
use crate::json::ToJson;
use crate::payload::{self, ValidateOptions, ValidationReport, WebhookError, DEFAULT_FAILURE_STATUS};
use crate::problem::{Problem, ProblemCode};
use wasm_bindgen::prelude::*;

/// `{ maxMembers, maxBytes }` (API.md), also taken by `CohortState.apply`.
pub(super) fn validate_options(value: &JsValue) -> Result<ValidateOptions, BindingError> {
    Ok(validate_options_with(value, &[])?.0)
}

/// [`validate_options`] plus the `extra` keys a call takes besides, read from the same object.
fn validate_options_with(value: &JsValue, extra: &[&str]) -> Result<(ValidateOptions, Fields), BindingError> {
    let keys: Vec<&str> = ["maxMembers", "maxBytes"].iter().chain(extra).copied().collect();
    let fields = Fields::read(value, "options", &keys)?;
    let defaults = ValidateOptions::default();
    let max = usize::MAX as f64;
    let options = ValidateOptions {
        max_members: whole_number(fields.number("maxMembers")?, "options.maxMembers", 0.0, max)?
            .map_or(defaults.max_members, |v| v as usize),
        max_bytes: whole_number(fields.number("maxBytes")?, "options.maxBytes", 0.0, 2f64.powi(53))?
            .map_or(defaults.max_bytes, |v| v.min(max) as usize),
    };
    Ok((options, fields))
}

/// A body of the wrong type is a problem with the input, reported like any other.
fn not_a_body(body: &JsValue) -> Problem {
    Problem::new(
        ProblemCode::InvalidArgument,
        "",
        format!("the body must be a string, a Uint8Array or an ArrayBuffer, got {}", type_name(body)),
    )
}

/// With `ids: true` a valid page's report also lists its distinct ids (`ids`), read in
/// the same pass: what a receiver that stores ids needs, without `parsePayload`'s objects.
#[wasm_bindgen(js_name = validatePayload)]
pub fn validate_payload(body: JsValue, options: JsValue) -> Exported {
    let (options, fields) = validate_options_with(&options, &["ids"])?;
    let Some(bytes) = body_bytes(&body) else { return json(&rejected_body(not_a_body(&body))) };
    if fields.boolean("ids")? != Some(true) {
        return json(&payload::validate_payload(&bytes, &options));
    }
    let (report, ids) = payload::validate_payload_with_ids(&bytes, &options);
    let mut text = report.to_json();
    // The report is one JSON object: its closing brace makes way for the ids.
    text.pop();
    let mut w = crate::json::JsonWriter::new();
    w.begin_array();
    for id in &ids {
        w.string(&String::from_utf8_lossy(id));
    }
    w.end_array();
    text.push_str(",\"ids\":");
    text.push_str(&w.finish());
    text.push('}');
    Ok(text)
}

#[wasm_bindgen(js_name = parsePayload)]
pub fn parse_payload(body: JsValue, options: JsValue) -> Exported {
    let options = validate_options(&options)?;
    let Some(bytes) = body_bytes(&body) else {
        let problem = not_a_body(&body);
        return Err(BindingError {
            code: "invalid_argument",
            message: problem.message.clone(),
            problems: vec![problem],
        }
        .into());
    };
    let page = payload::read_page(&bytes, &options).map_err(BindingError::from)?;
    json(&page)
}

fn rejected_body(problem: Problem) -> ValidationReport {
    ValidationReport {
        valid: false,
        action: None,
        project_id: None,
        cohort_id: None,
        cohort_name: None,
        cohort_description: None,
        session_id: None,
        page: None,
        member_count: None,
        errors: vec![problem],
        warnings: Vec::new(),
    }
}

#[wasm_bindgen(js_name = webhookResponse)]
pub fn webhook_response(action: JsValue, error: JsValue) -> Exported {
    let action = match action.as_string() {
        Some(text) => Some(text),
        None if action.is_null() || action.is_undefined() => None,
        None => {
            return Err(
                BindingError::invalid_argument(format!("action must be a string, got {}", type_name(&action))).into()
            )
        }
    };
    let error = if error.is_null() || error.is_undefined() {
        None
    } else {
        let fields = Fields::read(&error, "error", &["message", "code"])?;
        let Some(message) = fields.string("message")? else {
            return Err(BindingError::invalid_argument("error.message must be a string").into());
        };
        let code = whole_number(fields.number("code")?, "error.code", 0.0, 65535.0)?
            .map_or(DEFAULT_FAILURE_STATUS, |c| c as u16);
        Some(WebhookError::new(message, code).map_err(BindingError::invalid_argument)?)
    };
    json(&payload::webhook_response(action.as_deref(), error.as_ref()))
}

#[wasm_bindgen(js_name = classifyStatus)]
pub fn classify_status(status: JsValue) -> Exported {
    let Some(number) = status.as_f64() else {
        return Err(
            BindingError::invalid_argument(format!("status must be a number, got {}", type_name(&status))).into()
        );
    };
    let status = whole_number(Some(number), "status", 100.0, 599.0)?.unwrap_or(0.0) as u16;
    json(&payload::classify_status(status))
}

#[wasm_bindgen(js_name = retryDelays)]
pub fn retry_delays() -> Exported {
    json(&payload::retry_delays())
}
