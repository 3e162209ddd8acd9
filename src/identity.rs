//! Which destination user a cohort member is (docs/domain.md, "Identity matching").
//!
//! CleverTap: `$CleverTap_user_id` when present and non-empty, else the distinct id
//! (CleverTap's documented Scenario 1 and 2). Braze: a chosen user-ID property, `$braze_external_id` by
//! default, `$user_id` for projects on Simplified ID Merge; no fallback (a member without
//! it cannot be matched, and guessing would target the wrong person). Custom: a chain of
//! properties, optionally falling back to the distinct id. Empty strings never count.

use crate::json::{JsonWriter, ToJson};
use crate::payload::{CohortPage, Member};
use crate::state::IdSet;
use serde::Serialize;
use std::borrow::Cow;

pub const CLEVERTAP_ID: &str = "$CleverTap_user_id";
pub const BRAZE_EXTERNAL_ID: &str = "$braze_external_id";
pub const SIMPLIFIED_ID_MERGE_ID: &str = "$user_id";
pub const DISTINCT_ID: &str = "mixpanel_distinct_id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityRule {
    CleverTap,
    Braze { user_id_property: Option<String>, simplified_id_merge: bool },
    Custom { properties: Vec<String>, fallback_to_distinct_id: bool },
}

impl IdentityRule {
    /// The properties tried, in order, and whether the distinct id comes last. (Built
    /// per member: an iterator, not a `Vec`, so nothing is allocated.)
    fn chain(&self) -> (impl Iterator<Item = &str>, bool) {
        let (single, list, fallback): (Option<&str>, &[String], bool) = match self {
            IdentityRule::CleverTap => (Some(CLEVERTAP_ID), &[], true),
            IdentityRule::Braze { simplified_id_merge: true, .. } => (Some(SIMPLIFIED_ID_MERGE_ID), &[], false),
            IdentityRule::Braze { user_id_property, .. } => {
                (Some(user_id_property.as_deref().filter(|p| !p.is_empty()).unwrap_or(BRAZE_EXTERNAL_ID)), &[], false)
            }
            IdentityRule::Custom { properties, fallback_to_distinct_id } => {
                (None, properties, *fallback_to_distinct_id)
            }
        };
        (single.into_iter().chain(list.iter().map(String::as_str)), fallback)
    }
}

/// A member's identity at a destination and the property it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedIdentity {
    pub identity: String,
    pub source: String,
}

pub fn resolve_identity(member: &Member, rule: &IdentityRule) -> Option<ResolvedIdentity> {
    let (identity, source) = identity_of(member, rule)?;
    Some(ResolvedIdentity { identity: identity.into_owned(), source: source.to_string() })
}

/// [`resolve_identity`] without copying: the identity (borrowed unless it had escapes)
/// and the property it came from. What the page-wide builders use.
pub fn identity_of<'m>(member: &'m Member, rule: &'m IdentityRule) -> Option<(Cow<'m, str>, &'m str)> {
    let (chain, fallback) = rule.chain();
    for property in chain {
        if let Some(value) = member.properties.get_text(property).filter(|v| !v.is_empty()) {
            return Some((value, property));
        }
    }
    (fallback && !member.distinct_id.is_empty()).then_some((Cow::Borrowed(member.distinct_id.as_str()), DISTINCT_ID))
}

/// The identities a destination already knows, held like cohort members (compact, exact).
#[derive(Clone)]
pub struct IdentityIndex {
    set: IdSet,
}

impl IdentityIndex {
    pub fn with_seed(seed: u64) -> Self {
        IdentityIndex { set: IdSet::with_seed(seed) }
    }

    /// Adds an identity; true when it was new. An empty string is no identity and is
    /// not added.
    pub fn add(&mut self, identity: &str) -> bool {
        !identity.is_empty() && self.set.insert(identity.as_bytes()).1
    }

    pub fn has(&self, identity: &str) -> bool {
        self.set.contains(identity.as_bytes())
    }

    pub fn size(&self) -> usize {
        self.set.len()
    }

    pub fn memory_bytes(&self) -> usize {
        self.set.memory_bytes()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        crate::state::snapshot_ids(b"CSII", &self.set)
    }

    pub fn from_bytes(bytes: &[u8], seed: u64) -> Result<Self, crate::state::SnapshotError> {
        let set = crate::state::read_snapshot_ids(b"CSII", bytes, seed)?;
        // `add` never takes the empty string: an index holding it is not one we wrote.
        if set.contains(b"") {
            return Err(crate::state::SnapshotError::Corrupt("an identity is empty"));
        }
        Ok(IdentityIndex { set })
    }
}

/// One member's outcome in [`match_members`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchEntry {
    pub distinct_id: String,
    /// The identity, or why there is none.
    pub identity: Result<String, &'static str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchResult {
    /// Members whose identity the destination knows: they join the segment.
    pub matched: Vec<MatchEntry>,
    /// Members whose identity is new there: the destination creates the profile.
    pub created: Vec<MatchEntry>,
    /// Members with no usable identity under the rule: reported, never sent.
    pub skipped: Vec<MatchEntry>,
}

impl ToJson for MatchEntry {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object().field("distinctId", &self.distinct_id);
        match &self.identity {
            Ok(identity) => w.field("identity", identity),
            Err(reason) => w.field("reason", *reason),
        };
        w.end_object();
    }
}

impl ToJson for MatchResult {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object()
            .field("matched", &self.matched)
            .field("created", &self.created)
            .field("skipped", &self.skipped);
        w.end_object();
    }
}

/// Why a member has no identity under a rule (the `reason` of a skipped entry).
pub const NO_IDENTITY: &str = "no_identity";

/// Sorts a page's members by what the destination will do with them. Pure: the index is
/// not changed (add `created` identities to it once the destination has them).
pub fn match_members(page: &CohortPage, index: &IdentityIndex, rule: &IdentityRule) -> MatchResult {
    let mut result = MatchResult::default();
    for member in &page.members {
        let distinct_id = member.distinct_id.clone();
        match identity_of(member, rule) {
            None => result.skipped.push(MatchEntry { distinct_id, identity: Err(NO_IDENTITY) }),
            Some((identity, _)) if index.has(&identity) => {
                result.matched.push(MatchEntry { distinct_id, identity: Ok(identity.into_owned()) })
            }
            Some((identity, _)) => result.created.push(MatchEntry { distinct_id, identity: Ok(identity.into_owned()) }),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Properties;

    fn member(distinct_id: &str, props: &[(&str, &str)]) -> Member {
        let mut m = Member::with_id(distinct_id.to_string());
        m.properties = Properties::from_pairs(props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        m
    }

    #[test]
    fn clevertap_scenarios_from_the_seed() {
        // Scenario 1: no $CleverTap_user_id, distinct id 123456 → identity 123456.
        let one = resolve_identity(&member("123456", &[]), &IdentityRule::CleverTap).unwrap();
        assert_eq!((one.identity.as_str(), one.source.as_str()), ("123456", "mixpanel_distinct_id"));
        // Scenario 2: $CleverTap_user_id 123456, distinct id 986791 → identity 123456.
        let two =
            resolve_identity(&member("986791", &[(CLEVERTAP_ID, "\"123456\"")]), &IdentityRule::CleverTap).unwrap();
        assert_eq!((two.identity.as_str(), two.source.as_str()), ("123456", "$CleverTap_user_id"));
        // Exported as a number, it is still the id; empty does not count.
        assert_eq!(
            resolve_identity(&member("9", &[(CLEVERTAP_ID, "123456")]), &IdentityRule::CleverTap).unwrap().identity,
            "123456"
        );
        assert_eq!(
            resolve_identity(&member("9", &[(CLEVERTAP_ID, "\"\"")]), &IdentityRule::CleverTap).unwrap().identity,
            "9"
        );
        assert_eq!(
            resolve_identity(&member("9", &[(CLEVERTAP_ID, "null")]), &IdentityRule::CleverTap).unwrap().identity,
            "9"
        );
    }

    #[test]
    fn braze_never_falls_back() {
        let braze = IdentityRule::Braze { user_id_property: None, simplified_id_merge: false };
        assert_eq!(resolve_identity(&member("d", &[]), &braze), None);
        let found = resolve_identity(&member("d", &[(BRAZE_EXTERNAL_ID, "\"b-1\"")]), &braze).unwrap();
        assert_eq!((found.identity.as_str(), found.source.as_str()), ("b-1", BRAZE_EXTERNAL_ID));
        let merged = IdentityRule::Braze { user_id_property: None, simplified_id_merge: true };
        let m = member("d", &[(BRAZE_EXTERNAL_ID, "\"b-1\""), (SIMPLIFIED_ID_MERGE_ID, "\"u-1\"")]);
        assert_eq!(resolve_identity(&m, &merged).unwrap().identity, "u-1");
        let custom = IdentityRule::Braze { user_id_property: Some("crm_id".into()), simplified_id_merge: false };
        assert_eq!(resolve_identity(&member("d", &[("crm_id", "\"c-9\"")]), &custom).unwrap().identity, "c-9");
    }

    #[test]
    fn custom_chains() {
        let rule = IdentityRule::Custom { properties: vec!["a".into(), "b".into()], fallback_to_distinct_id: false };
        assert_eq!(resolve_identity(&member("d", &[("a", "\"\""), ("b", "\"B\"")]), &rule).unwrap().source, "b");
        assert_eq!(resolve_identity(&member("d", &[("a", "{}")]), &rule), None);
        let with_fallback = IdentityRule::Custom { properties: vec!["a".into()], fallback_to_distinct_id: true };
        assert_eq!(resolve_identity(&member("d", &[]), &with_fallback).unwrap().identity, "d");
    }

    #[test]
    fn matching_sorts_members_and_the_index_round_trips() {
        let mut index = IdentityIndex::with_seed(1);
        index.add("known");
        let page = CohortPage {
            action: crate::payload::Action::AddMembers,
            project_id: "p".into(),
            cohort_id: "c".into(),
            cohort_name: None,
            cohort_description: None,
            session_id: "s".into(),
            integration_id: None,
            page: Some(crate::payload::PageInfo { count: 1, total: 1 }),
            members: vec![member("known", &[]), member("new", &[]), member("x", &[(BRAZE_EXTERNAL_ID, "\"known\"")])],
        };
        let ct = match_members(&page, &index, &IdentityRule::CleverTap);
        assert_eq!((ct.matched.len(), ct.created.len(), ct.skipped.len()), (1, 2, 0));
        let braze =
            match_members(&page, &index, &IdentityRule::Braze { user_id_property: None, simplified_id_merge: false });
        assert_eq!((braze.matched.len(), braze.created.len(), braze.skipped.len()), (1, 0, 2));
        assert_eq!(braze.skipped[0].identity, Err(NO_IDENTITY));
        let restored = IdentityIndex::from_bytes(&index.to_bytes(), 7).unwrap();
        assert!(restored.has("known") && restored.size() == 1);
        assert!(IdentityIndex::from_bytes(&CohortStateBytes::empty(), 1).is_err(), "a cohort snapshot is not an index");
    }

    struct CohortStateBytes;
    impl CohortStateBytes {
        fn empty() -> Vec<u8> {
            crate::state::CohortState::with_seed(1).to_bytes()
        }
    }
}
