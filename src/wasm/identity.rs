//! Exports for "Identity" (docs/api.md): resolveIdentity, the IdentityIndex class and
//! matchMembers. Members and lists arrive as UTF-8 JSON bytes (api.js), pages as a body
//! or a `parsePayload` page.

use super::convert::{
    argument_problem, array_items, exact_string, invalid, is_array, json, options, snapshot_bytes, type_name, value,
    BindingError, Exported,
};
use super::payload::read_page;
use crate::args::{read_member_list, read_string_list};
use crate::identity::{self, IdentityIndex, IdentityRule};
use wasm_bindgen::prelude::*;

/// An optional name that, when given, must not be empty (an empty one would silently
/// mean the default).
pub(super) fn non_empty(value: Option<String>, name: &str) -> Result<Option<String>, JsValue> {
    match value {
        Some(text) if text.is_empty() => Err(invalid(format!("{name} must not be empty"))),
        other => Ok(other),
    }
}

/// The Braze rule that the options object `value` (`{ userIdProperty?,
/// simplifiedIdMerge? }`) describes: `rule.braze` (`in_rule`) or `brazeCohortChanges`'s
/// options.
pub(super) fn braze_rule(value: &JsValue, in_rule: bool) -> Result<IdentityRule, JsValue> {
    let (what, user_id_name, merge_name) = match in_rule {
        true => ("rule.braze", "rule.braze.userIdProperty", "rule.braze.simplifiedIdMerge"),
        false => ("options", "options.userIdProperty", "options.simplifiedIdMerge"),
    };
    let [user_id_property, simplified_id_merge] = options(value, what, ["userIdProperty", "simplifiedIdMerge"])?;
    Ok(IdentityRule::Braze {
        user_id_property: non_empty(user_id_property.string(user_id_name)?, "userIdProperty")?,
        simplified_id_merge: simplified_id_merge.boolean(merge_name)?.unwrap_or(false),
    })
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
    let [braze, properties, fallback] = options(rule, "rule", ["braze", "properties", "fallbackToDistinctId"])?;
    if !braze.value().is_undefined() {
        return braze_rule(braze.value(), true);
    }
    let properties = properties.value();
    if !is_array(properties) {
        return Err(invalid("rule must be \"clevertap\", \"braze\", { braze: {…} } or { properties: [...] }"));
    }
    let mut names = Vec::new();
    for (i, name) in array_items(properties, "rule.properties")?.iter().enumerate() {
        match name.as_string().filter(|n| !n.is_empty()) {
            Some(name) => names.push(name),
            None => return Err(invalid(format!("rule.properties[{i}] must be a non-empty string"))),
        }
    }
    Ok(IdentityRule::Custom {
        properties: names,
        fallback_to_distinct_id: fallback.boolean("rule.fallbackToDistinctId")?.unwrap_or(true),
    })
}

/// `member`: the JSON bytes of `[member]` (api.js wraps it).
#[wasm_bindgen(js_name = resolveIdentity)]
pub fn resolve_identity(member: &[u8], rule: JsValue) -> Result<JsValue, JsValue> {
    let rule = rule_argument(&rule)?;
    let members = read_member_list(member).map_err(|p| argument_problem("member", p))?;
    let member = members.first().ok_or_else(|| invalid("member is missing"))?;
    value(&identity::resolve_identity(member, &rule))
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
        let bytes = snapshot_bytes(&bytes, "bytes")?;
        let inner = IdentityIndex::from_bytes(&bytes, (seed_hi as u64) << 32 | seed_lo as u64)
            .map_err(|e| BindingError { code: e.code(), message: e.to_string(), problems: Vec::new() })?;
        Ok(IdentityIndexHandle { inner })
    }

    #[wasm_bindgen(js_name = matchMembers)]
    pub fn match_members(&self, page: JsValue, rule: JsValue) -> Exported {
        let page = read_page(&page)?;
        let rule = rule_argument(&rule)?;
        json(&identity::match_members(&page, &self.inner, &rule))
    }
}
