//! What a Mixpanel Cohort Sync webhook call carries, as typed values.

use crate::problem::Problem;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

/// What a call asks the receiver to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The full membership ("replace the users you have"), possibly over several pages of
    /// one session; removals are known only when every page has arrived.
    Members,
    /// Users who entered the cohort since the last successful sync.
    AddMembers,
    /// Users who left the cohort since the last successful sync.
    RemoveMembers,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "members" => Some(Action::Members),
            "add_members" => Some(Action::AddMembers),
            "remove_members" => Some(Action::RemoveMembers),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Members => "members",
            Action::AddMembers => "add_members",
            Action::RemoveMembers => "remove_members",
        }
    }
}

/// `page_info`: this call is page `count` of `total` (both from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    pub count: u64,
    pub total: u64,
}

/// Limits applied while validating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Most members a page may hold; Mixpanel sends at most 1000.
    pub max_members: usize,
    /// Largest body accepted, in bytes; checked before anything is read.
    pub max_bytes: usize,
}

pub const DEFAULT_MAX_MEMBERS: usize = 1000;
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions { max_members: DEFAULT_MAX_MEMBERS, max_bytes: DEFAULT_MAX_BYTES }
    }
}

/// The verdict on one webhook body. Fields that could not be read are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationReport {
    pub valid: bool,
    /// The `action` text as sent (even an unknown one), so a reply can echo it.
    pub action: Option<String>,
    pub project_id: Option<String>,
    pub cohort_id: Option<String>,
    pub cohort_name: Option<String>,
    pub cohort_description: Option<String>,
    pub session_id: Option<String>,
    pub page: Option<PageInfo>,
    pub member_count: Option<usize>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// One valid webhook call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CohortPage {
    pub action: Action,
    pub project_id: String,
    pub cohort_id: String,
    pub cohort_name: Option<String>,
    pub cohort_description: Option<String>,
    pub session_id: String,
    pub page: PageInfo,
    pub members: Vec<Member>,
}

/// One user of a page. The default fields are typed; every other key of the member
/// object (the "Properties to Export", such as `$CleverTap_user_id`) is kept, as sent, in
/// `properties`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub distinct_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub properties: Properties,
}

/// A member's other keys with their JSON values, in the order sent. A key sent twice
/// keeps its last value, as `JSON.parse` does.
#[derive(Debug, Clone, Default)]
pub struct Properties(Vec<(String, Box<RawValue>)>);

impl Properties {
    pub fn new() -> Self {
        Properties(Vec::new())
    }

    /// Properties from `(key, value)` pairs in the order sent; where a key repeats, its
    /// last value stays, at its first position. Sorting, not a scan per key, so that a
    /// hostile member with 100k keys costs O(n log n), not O(n²).
    pub fn from_pairs(pairs: Vec<(String, Box<RawValue>)>) -> Self {
        if pairs.len() < 2 {
            return Properties(pairs);
        }
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&a, &b| pairs[a].0.cmp(&pairs[b].0).then(a.cmp(&b)));
        // For each run of equal keys: the first index keeps the place, the last the value.
        let mut keep: Vec<Option<usize>> = vec![None; pairs.len()];
        let mut run = 0;
        while run < order.len() {
            let mut end = run + 1;
            while end < order.len() && pairs[order[end]].0 == pairs[order[run]].0 {
                end += 1;
            }
            keep[order[run]] = Some(order[end - 1]);
            run = end;
        }
        let mut slots: Vec<Option<(String, Box<RawValue>)>> = pairs.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(slots.len());
        for place in 0..slots.len() {
            if let Some(source) = keep[place] {
                let key = slots[place].as_ref().map(|(k, _)| k.clone()).unwrap_or_default();
                if let Some((_, value)) = slots[source].take() {
                    out.push((key, value));
                }
            }
        }
        Properties(out)
    }

    /// The JSON text of `key`'s value.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| &**v)
    }

    /// `key`'s value when it is a JSON string.
    pub fn get_str(&self, key: &str) -> Option<String> {
        serde_json::from_str::<String>(self.get(key)?.get()).ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), &**v))
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|((ka, va), (kb, vb))| ka == kb && va.get() == vb.get())
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
