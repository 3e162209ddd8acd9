//! Exports for "Destinations" (docs/api.md): CleverTap uploads and answers, Braze cohort
//! changes. Pages arrive as a body or a `parsePayload` page.

use super::convert::{argument_problem, body_bytes, invalid, json, whole_number, Exported, Fields};
use super::identity::non_empty;
use super::payload::read_page;
use crate::destinations;
use crate::identity::IdentityRule;
use crate::json::args::read_upload_records;
use crate::json::ToJson;
use wasm_bindgen::prelude::*;

/// `format: "objects"` (default) gives `{ d }` objects; `"json"` gives each upload's
/// request body as text, ready to send (no parse on the way out, none on the way in).
#[wasm_bindgen(js_name = cleverTapUploads)]
pub fn clevertap_uploads(page: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let fields = Fields::read(&options, "options", &["ts", "format"])?;
    let as_text = match fields.string("format")?.as_deref() {
        None | Some("objects") => false,
        Some("json") => true,
        Some(other) => return Err(invalid(format!("options.format must be \"objects\" or \"json\", got \"{other}\""))),
    };
    let ts = clevertap_ts(&fields, "options")?;
    let page = read_page(&page)?;
    let bodies = destinations::clevertap_uploads(&page, ts);
    if as_text {
        return Ok(bodies.into_iter().map(JsValue::from).collect::<js_sys::Array>().into());
    }
    let mut w = crate::json::JsonWriter::new();
    w.begin_array();
    for body in &bodies {
        w.raw(body);
    }
    w.end_array();
    js_sys::JSON::parse(&w.finish())
}

/// `upload`: JSON bytes of the `{ d }` object sent; `body`: CleverTap's answer.
#[wasm_bindgen(js_name = readCleverTapResponse)]
pub fn read_clevertap_response(upload: &[u8], status: JsValue, body: JsValue) -> Exported {
    let records = read_upload_records(upload).map_err(|p| argument_problem("upload", p))?;
    let status = whole_number(status.as_f64(), "status", 100.0, 599.0)?
        .ok_or_else(|| invalid("status must be an HTTP status number"))?;
    let body = if body.is_undefined() || body.is_null() {
        Vec::new()
    } else {
        body_bytes(&body).ok_or_else(|| invalid("body must be a string or bytes"))?
    };
    json(&destinations::read_clevertap_response(&records, status as u16, &body))
}

/// The upload time, `ts` in `what`, in unix seconds (default: now).
fn clevertap_ts(fields: &Fields, what: &str) -> Result<u64, JsValue> {
    let now = (js_sys::Date::now() / 1000.0).floor();
    // Past 10^11 a "seconds" value is the year 5138: it is milliseconds by mistake.
    let ts = whole_number(fields.number("ts")?, &format!("{what}.ts (unix seconds)"), 0.0, 1e11)?;
    Ok(ts.unwrap_or(now) as u64)
}

const BRAZE_OPTIONS: [&str; 2] = ["userIdProperty", "simplifiedIdMerge"];

fn braze_rule(fields: &Fields) -> Result<IdentityRule, JsValue> {
    Ok(IdentityRule::Braze {
        user_id_property: non_empty(fields.string("userIdProperty")?, "userIdProperty")?,
        simplified_id_merge: fields.boolean("simplifiedIdMerge")?.unwrap_or(false),
    })
}

/// Braze needs the cohort's id in every request.
fn braze_page(page: &JsValue) -> Result<crate::payload::CohortPage, JsValue> {
    let page = read_page(page)?;
    if page.cohort_id.is_empty() {
        return Err(invalid("the page has no cohortId"));
    }
    Ok(page)
}

#[wasm_bindgen(js_name = brazeCohortChanges)]
pub fn braze_cohort_changes(page: JsValue, options: JsValue) -> Exported {
    let rule = braze_rule(&Fields::read(&options, "options", &BRAZE_OPTIONS)?)?;
    json(&destinations::braze_cohort_changes(&braze_page(&page)?, &rule))
}

/// Every destination's requests for one page from one read of it, what a forwarding
/// receiver needs a page: `{ clevertap, braze }`, each built only when its options are
/// given (an object, `{}` for the defaults). `clevertap`: the upload bodies as JSON text;
/// `braze`: `{ requests, skipped }`, request bodies as JSON text.
#[wasm_bindgen(js_name = forwardingRequests)]
pub fn forwarding_requests(page: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let fields = Fields::read(&options, "options", &["clevertap", "braze"])?;
    let given = |value: &JsValue| !value.is_undefined() && !value.is_null();
    let clevertap = fields.value("clevertap")?;
    let ts = match given(&clevertap) {
        true => Some(clevertap_ts(&Fields::read(&clevertap, "options.clevertap", &["ts"])?, "options.clevertap")?),
        false => None,
    };
    let braze = fields.value("braze")?;
    let rule = match given(&braze) {
        true => Some(braze_rule(&Fields::read(&braze, "options.braze", &BRAZE_OPTIONS)?)?),
        false => None,
    };
    let page = if rule.is_some() { braze_page(&page)? } else { read_page(&page)? };
    let texts = |bodies: Vec<String>| bodies.into_iter().map(JsValue::from).collect::<js_sys::Array>();
    let out = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&out, &JsValue::from_str(key), value).map(|_| ());
    set("clevertap", &ts.map_or(JsValue::NULL, |ts| texts(destinations::clevertap_uploads(&page, ts)).into()))?;
    let braze = match rule {
        Some(rule) => {
            let changes = destinations::braze_cohort_changes(&page, &rule);
            let requests = texts(changes.requests);
            let skipped = js_sys::JSON::parse(&changes.skipped.to_json())?;
            let both = js_sys::Object::new();
            js_sys::Reflect::set(&both, &JsValue::from_str("requests"), &requests)?;
            js_sys::Reflect::set(&both, &JsValue::from_str("skipped"), &skipped)?;
            both.into()
        }
        None => JsValue::NULL,
    };
    set("braze", &braze)?;
    Ok(out.into())
}
