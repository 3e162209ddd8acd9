//! Exports for "Audience encoding (SegmentMembership)" (docs/api.md). Lists arrive as
//! UTF-8 JSON bytes (api.js).

use super::convert::{
    argument_problem, exact_string, invalid, json, options, type_name, value, whole_number, BindingError, Exported,
};
use crate::args::{read_audiences, read_profile_updates, read_text_list, read_user_audiences};
use crate::audience;
use wasm_bindgen::prelude::*;

fn audience_error(error: audience::AudienceError) -> JsValue {
    BindingError { code: error.code(), message: error.to_string(), problems: Vec::new() }.into()
}

#[wasm_bindgen(js_name = encodeSegmentMembership)]
pub fn encode_segment_membership(ids: &[u8]) -> Exported {
    let ids = read_text_list(ids).map_err(|p| argument_problem("ids", p))?;
    json(&audience::encode_segment_membership(ids.iter().map(String::as_str)).map_err(audience_error)?)
}

#[wasm_bindgen(js_name = decodeSegmentMembership)]
pub fn decode_segment_membership(value: JsValue) -> Exported {
    let value = exact_string(&value, "value")?
        .ok_or_else(|| invalid(format!("value must be a string, got {}", type_name(&value))))?;
    json(&audience::decode_segment_membership(&value).map_err(audience_error)?)
}

#[wasm_bindgen(js_name = segmentMembershipContains)]
pub fn segment_membership_contains(value: JsValue, id: JsValue) -> Result<bool, JsValue> {
    let value = exact_string(&value, "value")?
        .ok_or_else(|| invalid(format!("value must be a string, got {}", type_name(&value))))?;
    let id = match (exact_string(&id, "id")?, id.as_f64()) {
        (Some(text), _) => text,
        (None, Some(n)) if n.fract() == 0.0 && n.is_finite() => (n as i64).to_string(),
        _ => return Err(invalid(format!("id must be a string or a whole number, got {}", type_name(&id)))),
    };
    Ok(audience::segment_membership_contains(&value, &id))
}

#[wasm_bindgen(js_name = audienceProperties)]
pub fn audience_properties(audiences: &[u8], options_value: JsValue) -> Result<JsValue, JsValue> {
    let [per_audience] = options(&options_value, "options", ["perAudience"])?;
    let per_audience = per_audience.boolean("options.perAudience")?.unwrap_or(false);
    let audiences = read_audiences(audiences).map_err(|p| argument_problem("audiences", p))?;
    value(&audience::audience_properties(&audiences, per_audience).map_err(audience_error)?)
}

#[wasm_bindgen(js_name = engageBatches)]
pub fn engage_batches(updates: &[u8], options_value: JsValue) -> Exported {
    let [token, max] = options(&options_value, "options", ["token", "maxPerRequest"])?;
    let token = token.string("options.token")?.unwrap_or_default();
    let max = max.number("options.maxPerRequest")?;
    let max = whole_number(max, "options.maxPerRequest", 1.0, 2000.0)?.unwrap_or(2000.0) as usize;
    let updates = read_profile_updates(updates).map_err(|p| argument_problem("updates", p))?;
    json(&audience::engage_batches(&updates, &token, max).map_err(audience_error)?)
}

/// `audienceProperties` for every user and `engageBatches` of the lot, in one call.
#[wasm_bindgen(js_name = segmentMembershipUpdates)]
pub fn segment_membership_updates(users: &[u8], options_value: JsValue) -> Exported {
    // The token and the batch size of `engageBatches`, and `perAudience`.
    let [token, max, per_audience] = options(&options_value, "options", ["token", "maxPerRequest", "perAudience"])?;
    let token = token.string("options.token")?.unwrap_or_default();
    let max = max.number("options.maxPerRequest")?;
    let max = whole_number(max, "options.maxPerRequest", 1.0, 2000.0)?.unwrap_or(2000.0) as usize;
    let per_audience = per_audience.boolean("options.perAudience")?.unwrap_or(false);
    let users = read_user_audiences(users).map_err(|p| argument_problem("users", p))?;
    json(&audience::segment_membership_updates(&users, per_audience, &token, max).map_err(audience_error)?)
}

#[wasm_bindgen(js_name = engageUrl)]
pub fn engage_url(region: JsValue) -> Exported {
    match region.as_string().as_deref() {
        None if region.is_undefined() || region.is_null() => json(audience::engage_url(false)),
        Some("us" | "standard") => json(audience::engage_url(false)),
        Some("eu") => json(audience::engage_url(true)),
        _ => Err(invalid("region must be \"us\" or \"eu\"")),
    }
}
