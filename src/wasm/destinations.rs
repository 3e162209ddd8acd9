//! Exports for "Identity and destinations", "Audience encoding" and "Mixpanel
//! ingestion" (docs/api.md). Lists and objects arrive as UTF-8 JSON bytes (api.js), pages as
//! a raw body or a `parsePayload` page.

use super::convert::{
    argument_problem, array_items, body_bytes, exact_string, is_array, json, type_name, whole_number, BindingError,
    Exported, Fields,
};
use super::payload::PageArgument;
use crate::audience;
use crate::destinations;
use crate::identity::{self, IdentityIndex, IdentityRule};
use crate::ingest::{self, ProfileKind};
use crate::json::args::{
    read_audiences, read_member_list, read_profile_updates, read_string_list, read_text_list, read_upload_records,
};
use crate::payload::CohortPage;
use wasm_bindgen::prelude::*;

fn invalid(message: impl Into<String>) -> JsValue {
    BindingError::invalid_argument(message).into()
}

/// A page: a webhook body (validated) or a `parsePayload` page object.
fn page_argument(page: &JsValue) -> Result<CohortPage, JsValue> {
    match super::payload::page_argument(page)? {
        PageArgument::Body(body) => super::payload::read_page_body(&body),
        PageArgument::Page(page) => Ok(page),
    }
}

/// An optional name that, when given, must not be empty (an empty one would silently
/// mean the default).
fn non_empty(value: Option<String>, name: &str) -> Result<Option<String>, JsValue> {
    match value {
        Some(text) if text.is_empty() => Err(invalid(format!("{name} must not be empty"))),
        other => Ok(other),
    }
}

/// `"clevertap"`, `"braze"`, `{ braze: { userIdProperty?, simplifiedIdMerge? } }` or
/// `{ properties: [...], fallbackToDistinctId? }`.
fn rule_argument(rule: &JsValue) -> Result<IdentityRule, JsValue> {
    match rule.as_string().as_deref() {
        Some("clevertap") => return Ok(IdentityRule::CleverTap),
        Some("braze") => return Ok(IdentityRule::Braze { user_id_property: None, simplified_id_merge: false }),
        Some(other) => {
            return Err(invalid(format!(
                "unknown identity rule \"{other}\": expected \"clevertap\", \"braze\" or an object"
            )))
        }
        None => {}
    }
    let outer = Fields::read(rule, "rule", &["braze", "properties", "fallbackToDistinctId"])?;
    let braze = outer.value("braze")?;
    if !braze.is_undefined() {
        let fields = Fields::read(&braze, "rule.braze", &["userIdProperty", "simplifiedIdMerge"])?;
        return Ok(IdentityRule::Braze {
            user_id_property: non_empty(fields.string("userIdProperty")?, "userIdProperty")?,
            simplified_id_merge: fields.boolean("simplifiedIdMerge")?.unwrap_or(false),
        });
    }
    let properties = outer.value("properties")?;
    if !is_array(&properties) {
        return Err(invalid("rule must be \"clevertap\", \"braze\", { braze: {…} } or { properties: [...] }"));
    }
    let mut names = Vec::new();
    for (i, name) in array_items(&properties, "rule.properties")?.iter().enumerate() {
        match name.as_string().filter(|n| !n.is_empty()) {
            Some(name) => names.push(name),
            None => return Err(invalid(format!("rule.properties[{i}] must be a non-empty string"))),
        }
    }
    Ok(IdentityRule::Custom {
        properties: names,
        fallback_to_distinct_id: outer.boolean("fallbackToDistinctId")?.unwrap_or(true),
    })
}

/// `member`: the JSON bytes of `[member]` (api.js wraps it).
#[wasm_bindgen(js_name = resolveIdentity)]
pub fn resolve_identity(member: &[u8], rule: JsValue) -> Exported {
    let rule = rule_argument(&rule)?;
    let members = read_member_list(member).map_err(|p| argument_problem("member", p))?;
    let member = members.first().ok_or_else(|| invalid("member is missing"))?;
    json(&identity::resolve_identity(member, &rule))
}

#[wasm_bindgen]
pub struct IdentityIndexHandle {
    inner: IdentityIndex,
}

#[wasm_bindgen]
impl IdentityIndexHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(seed_hi: u32, seed_lo: u32) -> IdentityIndexHandle {
        IdentityIndexHandle { inner: IdentityIndex::with_seed((seed_hi as u64) << 32 | seed_lo as u64) }
    }

    /// Adds every id of a JSON list; returns how many were new.
    #[wasm_bindgen(js_name = addAll)]
    pub fn add_all(&mut self, ids: &[u8]) -> Result<f64, JsValue> {
        let ids = read_string_list(ids).map_err(|p| argument_problem("ids", p))?;
        Ok(ids.iter().filter(|id| self.inner.add(id)).count() as f64)
    }

    pub fn add(&mut self, id: JsValue) -> Result<bool, JsValue> {
        let id =
            exact_string(&id, "id")?.ok_or_else(|| invalid(format!("id must be a string, got {}", type_name(&id))))?;
        Ok(self.inner.add(&id))
    }

    pub fn has(&self, id: JsValue) -> Result<bool, JsValue> {
        let id =
            exact_string(&id, "id")?.ok_or_else(|| invalid(format!("id must be a string, got {}", type_name(&id))))?;
        Ok(self.inner.has(&id))
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.inner.size() as f64
    }

    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        self.inner.memory_bytes() as f64
    }

    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: JsValue, seed_hi: u32, seed_lo: u32) -> Result<IdentityIndexHandle, JsValue> {
        let Some(bytes) = bytes.as_string().is_none().then(|| body_bytes(&bytes)).flatten() else {
            return Err(invalid(format!("bytes must be a Uint8Array, got {}", type_name(&bytes))));
        };
        let inner = IdentityIndex::from_bytes(&bytes, (seed_hi as u64) << 32 | seed_lo as u64)
            .map_err(|e| BindingError { code: e.code(), message: e.to_string(), problems: Vec::new() })?;
        Ok(IdentityIndexHandle { inner })
    }

    #[wasm_bindgen(js_name = matchMembers)]
    pub fn match_members(&self, page: JsValue, rule: JsValue) -> Exported {
        let page = page_argument(&page)?;
        let rule = rule_argument(&rule)?;
        json(&identity::match_members(&page, &self.inner, &rule))
    }
}

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
    let page = page_argument(&page)?;
    let now = (js_sys::Date::now() / 1000.0).floor();
    // Past 10^11 a "seconds" value is the year 5138: it is milliseconds by mistake.
    let ts = whole_number(fields.number("ts")?, "options.ts (unix seconds)", 0.0, 1e11)?.unwrap_or(now) as u64;
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

#[wasm_bindgen(js_name = brazeCohortChanges)]
pub fn braze_cohort_changes(page: JsValue, options: JsValue) -> Exported {
    let fields = Fields::read(&options, "options", &["userIdProperty", "simplifiedIdMerge"])?;
    let rule = IdentityRule::Braze {
        user_id_property: non_empty(fields.string("userIdProperty")?, "userIdProperty")?,
        simplified_id_merge: fields.boolean("simplifiedIdMerge")?.unwrap_or(false),
    };
    let page = page_argument(&page)?;
    if page.cohort_id.is_empty() {
        return Err(invalid("the page has no cohortId"));
    }
    json(&destinations::braze_cohort_changes(&page, &rule))
}

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
pub fn audience_properties(audiences: &[u8], options: JsValue) -> Exported {
    let fields = Fields::read(&options, "options", &["perAudience"])?;
    let audiences = read_audiences(audiences).map_err(|p| argument_problem("audiences", p))?;
    json(
        &audience::audience_properties(&audiences, fields.boolean("perAudience")?.unwrap_or(false))
            .map_err(audience_error)?,
    )
}

#[wasm_bindgen(js_name = engageBatches)]
pub fn engage_batches(updates: &[u8], options: JsValue) -> Exported {
    let fields = Fields::read(&options, "options", &["token", "maxPerRequest"])?;
    let token = fields.string("token")?.unwrap_or_default();
    let max =
        whole_number(fields.number("maxPerRequest")?, "options.maxPerRequest", 1.0, 2000.0)?.unwrap_or(2000.0) as usize;
    let updates = read_profile_updates(updates).map_err(|p| argument_problem("updates", p))?;
    json(&audience::engage_batches(&updates, &token, max).map_err(audience_error)?)
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

/// `text`: the events as a JSON array or NDJSON (bytes).
#[wasm_bindgen(js_name = validateEvents)]
pub fn validate_events(text: &[u8], options: JsValue) -> Exported {
    let fields = Fields::read(&options, "options", &["now"])?;
    let now = whole_number(fields.number("now")?, "options.now", 0.0, 2f64.powi(53))?.unwrap_or_else(js_sys::Date::now)
        as u64;
    json(&ingest::validate_events(text, now))
}

/// `options.token`: the project token the caller will put into updates without one.
#[wasm_bindgen(js_name = validateProfiles)]
pub fn validate_profiles(text: &[u8], kind: JsValue, options: JsValue) -> Exported {
    let kind = match kind.as_string().as_deref() {
        Some("user") => ProfileKind::User,
        Some("group") => ProfileKind::Group,
        _ => return Err(invalid("kind must be \"user\" or \"group\"")),
    };
    let fields = Fields::read(&options, "options", &["token"])?;
    let token = non_empty(fields.string("token")?, "options.token")?;
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
