//! Exports for "Webhook payloads" (docs/api.md).

use super::convert::{
    invalid, json, options, type_name, value, whole_number, BindingError, Exported, Raw, WebhookBody,
};
use crate::payload::{self, ValidateOptions, ValidationReport, WebhookError, DEFAULT_FAILURE_STATUS};
use crate::problem::{Problem, ProblemCode};
use wasm_bindgen::prelude::*;

/// The limits as the core takes them.
fn limits(max_members: &Raw, max_bytes: &Raw) -> Result<ValidateOptions, BindingError> {
    let defaults = ValidateOptions::default();
    let max = usize::MAX as f64;
    let max_members = max_members.number("options.maxMembers")?;
    let max_bytes = max_bytes.number("options.maxBytes")?;
    Ok(ValidateOptions {
        max_members: whole_number(max_members, "options.maxMembers", 0.0, max)?
            .map_or(defaults.max_members, |v| v as usize),
        max_bytes: whole_number(max_bytes, "options.maxBytes", 0.0, 2f64.powi(53))?
            .map_or(defaults.max_bytes, |v| v.min(max) as usize),
    })
}

/// The options of `parsePayload` and `CohortState.apply`: `{ maxMembers, maxBytes }`
/// (docs/api.md).
pub(super) fn validate_options(value: &JsValue) -> Result<ValidateOptions, BindingError> {
    let [max_members, max_bytes] = options(value, "options", ["maxMembers", "maxBytes"])?;
    limits(&max_members, &max_bytes)
}

/// A body of the wrong type is a problem with the input, reported like any other.
fn not_a_body(body: &JsValue) -> Problem {
    Problem::new(
        ProblemCode::InvalidArgument,
        "",
        format!(
            "the body must be a string, a Uint8Array, an ArrayBuffer or the parsed webhook object, got {}",
            type_name(body)
        ),
    )
}

/// The body's bytes, or the problem that makes it no body at all.
pub(super) fn read_body(body: &JsValue) -> Result<WebhookBody, Problem> {
    match WebhookBody::read(body) {
        Ok(Some(body)) => Ok(body),
        Ok(None) => Err(not_a_body(body)),
        Err(why) => Err(Problem::new(ProblemCode::InvalidArgument, "", why)),
    }
}

/// With `ids: true` a valid page's report also lists its distinct ids (`ids`), read in
/// the same pass: what a receiver that stores ids needs, without `parsePayload`'s objects.
/// With `memberSpans: true`, where each member object is in the body's text
/// (`memberSpans`: flat `start, end` UTF-16 offsets), so a receiver can keep members as
/// sent without reading the body again.
#[wasm_bindgen(js_name = validatePayload)]
pub fn validate_payload(body: JsValue, options_value: JsValue) -> Exported {
    let [max_members, max_bytes, ids, spans] =
        options(&options_value, "options", ["maxMembers", "maxBytes", "ids", "memberSpans"])?;
    let options = limits(&max_members, &max_bytes)?;
    let ids = ids.boolean("options.ids")? == Some(true);
    let spans = spans.boolean("options.memberSpans")? == Some(true);
    let body = match read_body(&body) {
        Ok(body) => body,
        Err(problem) => return json(&rejected_body(problem)),
    };
    let (mut report, listing) = payload::validate_payload_with_ids(&body.bytes, &options, spans);
    body.place(report.errors.iter_mut().chain(report.warnings.iter_mut()));
    // One object: the report's fields, then what was asked for.
    let mut w = crate::json::JsonWriter::new();
    w.begin_object();
    report.write_fields(&mut w);
    if ids {
        write_ids(&mut w, &report, &listing.ids);
    }
    if spans {
        write_member_spans(&mut w, &body, &listing.member_spans);
    }
    w.end_object();
    Ok(w.finish())
}

/// `ids`, and the page's content key (what tells pageless pages apart:
/// `SyncTracker.observe` takes it).
fn write_ids(w: &mut crate::json::JsonWriter, report: &ValidationReport, ids: &[std::borrow::Cow<'_, [u8]>]) {
    w.key("ids").begin_array();
    for id in ids {
        w.string(&String::from_utf8_lossy(id));
    }
    w.end_array();
    if let (true, Some(action)) = (report.valid, report.action.as_deref().and_then(crate::payload::Action::parse)) {
        let key = payload::fingerprint(action, ids);
        w.key("fingerprint").string(&crate::state::fingerprint_hex(key));
    }
}

/// `memberSpans` in UTF-16 units of the text as `TextDecoder` decodes the body (which
/// drops a leading byte order mark); `null` for an object body, whose text was made here.
fn write_member_spans(w: &mut crate::json::JsonWriter, body: &WebhookBody, spans: &[(usize, usize)]) {
    w.key("memberSpans");
    if !body.as_sent {
        w.null();
        return;
    }
    w.begin_array();
    for unit in utf16_spans(&body.bytes, spans) {
        w.uint(unit as u64);
    }
    w.end_array();
}

/// Byte spans of `body` as flat `start, end` offsets into its text as `TextDecoder`
/// decodes it (UTF-16 units, a leading byte order mark dropped).
fn utf16_spans(body: &[u8], spans: &[(usize, usize)]) -> Vec<usize> {
    let bytes: Vec<usize> = spans.iter().flat_map(|&(start, end)| [start, end]).collect();
    let bom = usize::from(body.starts_with(&[0xEF, 0xBB, 0xBF]));
    crate::text::utf16_offsets(body, &bytes).into_iter().map(|unit| unit - bom).collect()
}

/// A body a receiver logged when it answered it, read once to apply it (the receiver's
/// `pkg/receiver/page.js`; not part of the package's API): what the tracker, the store
/// and the destinations take, each in its own form, and the page's members for the
/// destinations, read from the body held here rather than from text handed back.
#[wasm_bindgen]
pub struct LoggedPage {
    inner: payload::LoggedPage,
}

#[wasm_bindgen]
impl LoggedPage {
    /// Reads `bytes`, the body as sent (`part_bytes`: the most bytes of ids in one part).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>, part_bytes: usize) -> Result<LoggedPage, JsValue> {
        let inner =
            payload::LoggedPage::read(bytes, part_bytes).map_err(|_| invalid("the body is not a valid page"))?;
        Ok(LoggedPage { inner })
    }

    /// What the receiver takes, in one crossing: `[head, fingerprint, spans, part, count,
    /// part, count, …]`. `head`: the page without its members, as `parsePayload` gives it
    /// (JSON text); `fingerprint`: a pageless page's content key, else null; `spans`: where
    /// each member object is in the body's text, flat `start, end` UTF-16 offsets (a
    /// Uint32Array); then the distinct ids in page order as JSON array texts, each with how
    /// many ids it holds.
    pub fn parts(&self) -> js_sys::Array {
        let logged = &self.inner;
        let spans: Vec<u32> =
            utf16_spans(&logged.body, &logged.member_spans).into_iter().map(|unit| unit as u32).collect();
        let out = js_sys::Array::of3(
            &JsValue::from(crate::json::ToJson::to_json(&logged.page)),
            &logged.fingerprint.map_or(JsValue::NULL, |key| JsValue::from(crate::state::fingerprint_hex(key))),
            &js_sys::Uint32Array::from(&spans[..]),
        );
        for (text, count) in &logged.id_parts {
            out.push(&JsValue::from_str(text));
            out.push(&JsValue::from(*count as u32));
        }
        out
    }

    /// `forwardingRequests`' result for a change of this page's cohort (`remove`: members
    /// who left), in the order `places` gives: a member's place in this page, or one of
    /// the members the store kept, in turn: -1 for one kept as its JSON text, -2 for one
    /// kept as its id alone, each the next `start, end` span of the UTF-8 `kept`.
    pub fn requests(
        &mut self,
        remove: bool,
        places: &[i32],
        kept: &[u8],
        spans: &[u32],
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (ts, rule) = super::destinations::forwarding_options(&options)?;
        let logged = &mut self.inner;
        // The kept texts go after the body for the one read, each read where it starts
        // (an id's bytes read as no member); they go again after.
        let length = logged.body.len();
        logged.body.extend_from_slice(kept);
        let (mut starts, mut k) = (Vec::new(), 0);
        for &at in places {
            starts.push(match at {
                0.. => logged.member_spans.get(at as usize).map_or(usize::MAX, |span| span.0),
                _ => {
                    k += 2;
                    length + spans.get(k - 2).copied().unwrap_or(u32::MAX) as usize
                }
            });
        }
        let mut read = Vec::new();
        k = 0;
        for (member, &at) in payload::read_members(&logged.body, &starts).into_iter().zip(places) {
            k += if at < 0 { 2 } else { 0 };
            read.extend(match at {
                -2 => spans
                    .get(k - 2..k)
                    .and_then(|span| logged.body.get(length + span[0] as usize..length + span[1] as usize))
                    .map(|id| payload::Member::with_id(String::from_utf8_lossy(id).into_owned())),
                _ => member,
            });
        }
        logged.body.truncate(length);
        // The page's head with these members, for the builders (put back after).
        let page = &mut logged.page;
        let action = page.action;
        page.action = if remove { payload::Action::RemoveMembers } else { payload::Action::AddMembers };
        page.members = read;
        let built = super::destinations::requests_of(page, ts, rule);
        page.action = action;
        page.members = Vec::new();
        built
    }
}

/// A body that must be one: anything else throws `invalid_argument` with its problem.
fn body_argument(body: &JsValue) -> Result<WebhookBody, BindingError> {
    read_body(body).map_err(|problem| BindingError {
        code: "invalid_argument",
        message: problem.message.clone(),
        problems: vec![problem],
    })
}

#[wasm_bindgen(js_name = parsePayload)]
pub fn parse_payload(body: JsValue, options: JsValue) -> Exported {
    let options = validate_options(&options)?;
    let body = body_argument(&body)?;
    let page = payload::read_page(&body.bytes, &options).map_err(|error| {
        let mut error = BindingError::from(error);
        body.place(error.problems.iter_mut());
        error
    })?;
    json(&page)
}

/// `parsePayload`'s first half for `api.js`, which builds the members from the body as
/// sent (V8's `JSON.parse` makes objects faster than any copy out of the wasm):
/// `{ page, sources, fills, texts }`: the page without members; the typed fields and the
/// reserved property each may come from (`[field, key]`); `fills` flat as `member,
/// source, …` for each field that takes its reserved property's string; `texts` as
/// `[member, field, text]` for one that takes digits as sent. A body that was an object
/// (not what was sent) has its members built here, and `fills: null`.
#[wasm_bindgen(js_name = parsePayloadHead)]
pub fn parse_payload_head(body: JsValue, options: JsValue) -> Exported {
    let options = validate_options(&options)?;
    let body = body_argument(&body)?;
    let refused = |report: ValidationReport| {
        let mut error = BindingError::from(payload::PayloadError::InvalidPayload(report.errors));
        body.place(error.problems.iter_mut());
        error
    };
    let mut w = crate::json::JsonWriter::new();
    w.begin_object().key("page");
    if !body.as_sent {
        let page = payload::parse_payload(&body.bytes, &options).map_err(refused)?;
        w.value(&page).key("fills").null().end_object();
        return Ok(w.finish());
    }
    let (page, fills) = payload::parse_page_head(&body.bytes, &options).map_err(refused)?;
    w.value(&page).key("sources").begin_array();
    for field in payload::MemberField::ALL {
        w.begin_array().string(field.name()).string(field.reserved_key()).end_array();
    }
    w.end_array().key("fills").begin_array();
    for fill in fills.iter().filter(|fill| fill.text.is_none()) {
        w.uint(fill.member as u64).uint(fill.field as u64);
    }
    w.end_array().key("texts").begin_array();
    for fill in &fills {
        if let Some(text) = &fill.text {
            w.begin_array().uint(fill.member as u64).string(fill.field.name()).string(text).end_array();
        }
    }
    w.end_array().end_object();
    Ok(w.finish())
}

/// A page argument: a webhook body (bytes, text, or the parsed webhook object, known by
/// its `parameters`), or a page object as `parsePayload` returns it.
pub(super) enum PageArgument {
    Body(WebhookBody),
    Page(crate::payload::CohortPage),
}

pub(super) fn page_argument(value: &JsValue) -> Result<PageArgument, JsValue> {
    let webhook_object =
        value.is_object() && js_sys::Reflect::has(value, &JsValue::from_str("parameters")).unwrap_or(false);
    if webhook_object || value.is_string() || !value.is_object() {
        return match read_body(value) {
            Ok(body) => Ok(PageArgument::Body(body)),
            Err(problem) => Err(BindingError::invalid_argument(format!(
                "expected a webhook body or a page object, got {}",
                type_name(value)
            ))
            .with_problem(problem)
            .into()),
        };
    }
    if let Some(bytes) = super::convert::body_bytes(value) {
        return Ok(PageArgument::Body(WebhookBody { bytes, as_sent: true }));
    }
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| BindingError::invalid_argument("the page object cannot be turned into JSON"))?;
    crate::args::read_page_argument(text.as_bytes())
        .map(PageArgument::Page)
        .map_err(|p| super::convert::argument_problem("page", p))
}

/// A page argument read into a page: a body validated (`invalid_payload` with its
/// problems when it is not one), or a `parsePayload` page object.
pub(super) fn read_page(value: &JsValue) -> Result<crate::payload::CohortPage, JsValue> {
    match page_argument(value)? {
        PageArgument::Page(page) => Ok(page),
        PageArgument::Body(body) => payload::read_page(&body.bytes, &ValidateOptions::default()).map_err(|error| {
            let mut error = BindingError::from(error);
            body.place(error.problems.iter_mut());
            error.into()
        }),
    }
}

fn rejected_body(problem: Problem) -> ValidationReport {
    ValidationReport::unread(vec![problem])
}

#[wasm_bindgen(js_name = webhookResponse)]
pub fn webhook_response(action: JsValue, error: JsValue) -> Result<JsValue, JsValue> {
    let action = match action.as_string() {
        Some(text) => Some(text),
        None if action.is_null() || action.is_undefined() => None,
        None => {
            return Err(
                BindingError::invalid_argument(format!("action must be a string, got {}", type_name(&action))).into()
            )
        }
    };
    // `error`: `{ message, code? }`.
    let error = if error.is_null() || error.is_undefined() {
        None
    } else {
        let [message, code] = options(&error, "error", ["message", "code"])?;
        let Some(message) = message.string("error.message")? else {
            return Err(BindingError::invalid_argument("error.message must be a string").into());
        };
        let code = whole_number(code.number("error.code")?, "error.code", 0.0, 65535.0)?
            .map_or(DEFAULT_FAILURE_STATUS, |c| c as u16);
        Some(WebhookError::new(message, code).map_err(BindingError::invalid_argument)?)
    };
    value(&payload::webhook_response(action.as_deref(), error.as_ref()))
}

#[wasm_bindgen(js_name = classifyStatus)]
pub fn classify_status(status: JsValue) -> Result<JsValue, JsValue> {
    let Some(number) = status.as_f64() else {
        return Err(
            BindingError::invalid_argument(format!("status must be a number, got {}", type_name(&status))).into()
        );
    };
    let status = whole_number(Some(number), "status", 100.0, 599.0)?.unwrap_or(0.0) as u16;
    value(&payload::classify_status(status))
}

#[wasm_bindgen(js_name = retryDelays)]
pub fn retry_delays() -> Result<JsValue, JsValue> {
    value(&payload::retry_delays())
}

/// `checkId(text, kind)`: `null` when `text` may be an id of `kind` ("member", "cohort",
/// "session", "project"), else `{ code, message }`: the webhook's rule, for ids that come
/// by another way (a path, a cursor) so they get the same answer.
#[wasm_bindgen(js_name = checkId)]
pub fn check_id(text: JsValue, kind: JsValue) -> Result<JsValue, JsValue> {
    let Some(kind_name) = kind.as_string() else {
        return Err(BindingError::invalid_argument(format!("kind must be a string, got {}", type_name(&kind))).into());
    };
    let Some(kind) = payload::IdKind::parse(&kind_name) else {
        let message = format!("kind must be \"member\", \"cohort\", \"session\" or \"project\", got \"{kind_name}\"");
        return Err(BindingError::invalid_argument(message).into());
    };
    let Some(text) = text.as_string() else {
        return Err(BindingError::invalid_argument(format!("the id must be a string, got {}", type_name(&text))).into());
    };
    let problem = if text.is_empty() {
        Some((ProblemCode::EmptyString, "is empty".to_string()))
    } else {
        payload::id_problem(text.as_bytes(), kind)
    };
    match problem {
        None => Ok(JsValue::NULL),
        Some((code, why)) => value(&IdProblem { code: code.as_str(), message: format!("the {kind_name} id {why}") }),
    }
}

#[derive(serde::Serialize)]
struct IdProblem {
    code: &'static str,
    message: String,
}
