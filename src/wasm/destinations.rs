//! Exports for "Destinations" (docs/api.md): CleverTap uploads and answers, Braze cohort
//! changes. Pages arrive as a body or a `parsePayload` page.

use super::convert::{argument_problem, body_bytes, invalid, json, options, whole_number, Exported, Raw};
use super::identity::braze_rule;
use super::payload::read_page;
use crate::args::read_upload_records;
use crate::destinations;
use crate::identity::IdentityRule;
use crate::json::ToJson;
use crate::payload::CohortPage;
use wasm_bindgen::prelude::*;

/// `format: "objects"` (default) gives `{ d }` objects; `"json"` gives each upload's
/// request body as text, ready to send (no parse on the way out, none on the way in).
#[wasm_bindgen(js_name = cleverTapUploads)]
pub fn clevertap_uploads(page: JsValue, options_value: JsValue) -> Result<JsValue, JsValue> {
    let [ts, format] = options(&options_value, "options", ["ts", "format"])?;
    let as_text = match format.string("options.format")?.as_deref() {
        None | Some("objects") => false,
        Some("json") => true,
        Some(other) => return Err(invalid(format!("options.format must be \"objects\" or \"json\", got \"{other}\""))),
    };
    let ts = clevertap_ts(&ts, "options.ts")?;
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

/// The upload time in unix seconds, the option `name` (default: now).
fn clevertap_ts(ts: &Raw, name: &str) -> Result<u64, JsValue> {
    let now = (js_sys::Date::now() / 1000.0).floor();
    // Past 10^11 a "seconds" value is the year 5138: it is milliseconds by mistake.
    Ok(whole_number(ts.number(name)?, name, 0.0, 1e11)?.unwrap_or(now) as u64)
}

/// Braze needs the cohort's id in every request.
fn braze_page(page: &JsValue) -> Result<CohortPage, JsValue> {
    let page = read_page(page)?;
    if page.cohort_id.is_empty() {
        return Err(invalid("the page has no cohortId"));
    }
    Ok(page)
}

#[wasm_bindgen(js_name = brazeCohortChanges)]
pub fn braze_cohort_changes(page: JsValue, options: JsValue) -> Exported {
    let rule = braze_rule(&options, false)?;
    json(&destinations::braze_cohort_changes(&braze_page(&page)?, &rule))
}

/// Every destination's requests for one page from one read of it, what a forwarding
/// receiver needs a page: `{ clevertap, braze }`, each built only when its options are
/// given (an object, `{}` for the defaults). `clevertap`: the upload bodies as JSON text;
/// `braze`: `{ requests, skipped }`, request bodies as JSON text.
#[wasm_bindgen(js_name = forwardingRequests)]
pub fn forwarding_requests(page: JsValue, options_value: JsValue) -> Result<JsValue, JsValue> {
    let (ts, rule) = forwarding_options(&options_value)?;
    let page = if rule.is_some() { braze_page(&page)? } else { read_page(&page)? };
    requests_of(&page, ts, rule)
}

/// `forwardingRequests`' options: CleverTap's upload time and Braze's rule, each when
/// its destination is wanted.
pub(super) fn forwarding_options(options_value: &JsValue) -> Result<(Option<u64>, Option<IdentityRule>), JsValue> {
    let [clevertap, braze] = options(options_value, "options", ["clevertap", "braze"])?;
    let wanted = |raw: &Raw| !raw.value().is_undefined() && !raw.value().is_null();
    let ts = match wanted(&clevertap) {
        true => {
            let [ts] = options(clevertap.value(), "options.clevertap", ["ts"])?;
            Some(clevertap_ts(&ts, "options.clevertap.ts")?)
        }
        false => None,
    };
    let rule = if wanted(&braze) { Some(braze_rule(braze.value(), false)?) } else { None };
    Ok((ts, rule))
}

/// `forwardingRequests`' result for `page`.
pub(super) fn requests_of(page: &CohortPage, ts: Option<u64>, rule: Option<IdentityRule>) -> Result<JsValue, JsValue> {
    let texts = |bodies: Vec<String>| bodies.into_iter().map(JsValue::from).collect::<js_sys::Array>();
    let out = js_sys::Object::new();
    let set =
        |on: &js_sys::Object, key: &str, value: &JsValue| js_sys::Reflect::set(on, &JsValue::from_str(key), value);
    set(&out, "clevertap", &ts.map_or(JsValue::NULL, |ts| texts(destinations::clevertap_uploads(page, ts)).into()))?;
    let braze = match rule {
        Some(rule) => {
            let changes = destinations::braze_cohort_changes(page, &rule);
            let both = js_sys::Object::new();
            set(&both, "requests", &texts(changes.requests))?;
            set(&both, "skipped", &js_sys::JSON::parse(&changes.skipped.to_json())?)?;
            both.into()
        }
        None => JsValue::NULL,
    };
    set(&out, "braze", &braze)?;
    Ok(out.into())
}
