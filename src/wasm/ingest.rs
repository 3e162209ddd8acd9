//! Exports for "Mixpanel ingestion" (docs/api.md): events and profile updates arrive as
//! UTF-8 bytes of a JSON array or NDJSON (api.js).

use super::convert::{invalid, json, options, type_name, whole_number, BindingError, Exported};
use super::identity::non_empty;
use crate::ingest::{self, ProfileKind};
use wasm_bindgen::prelude::*;

/// `text`: the events as a JSON array or NDJSON (bytes).
#[wasm_bindgen(js_name = validateEvents)]
pub fn validate_events(text: &[u8], options_value: JsValue) -> Exported {
    let [now] = options(&options_value, "options", ["now"])?;
    let now = now.number("options.now")?;
    let now = whole_number(now, "options.now", 0.0, 2f64.powi(53))?.unwrap_or_else(js_sys::Date::now) as u64;
    json(&ingest::validate_events(text, now))
}

/// `options.token`: the project token the caller will put into updates without one.
#[wasm_bindgen(js_name = validateProfiles)]
pub fn validate_profiles(text: &[u8], kind: JsValue, options_value: JsValue) -> Exported {
    let kind = match kind.as_string().as_deref() {
        Some("user") => ProfileKind::User,
        Some("group") => ProfileKind::Group,
        _ => return Err(invalid("kind must be \"user\" or \"group\"")),
    };
    let [token] = options(&options_value, "options", ["token"])?;
    let token = non_empty(token.string("options.token")?, "options.token")?;
    json(&ingest::validate_profiles(text, kind, token.as_deref()))
}

#[wasm_bindgen(js_name = importBatches)]
pub fn import_batches(text: &[u8]) -> Exported {
    let bodies = ingest::import_batches(text).map_err(|p| BindingError {
        code: "invalid_argument",
        message: format!("events: {}", p.message),
        problems: Vec::new(),
    })?;
    json(&bodies)
}

#[wasm_bindgen(js_name = isMtuExempt)]
pub fn is_mtu_exempt(name: JsValue) -> Result<bool, JsValue> {
    let name =
        name.as_string().ok_or_else(|| invalid(format!("eventName must be a string, got {}", type_name(&name))))?;
    Ok(ingest::is_mtu_exempt(&name))
}
