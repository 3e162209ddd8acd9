//! Audience membership as Mixpanel profile properties (mParticle's scheme;
//! docs/domain.md, "SegmentMembership").
//!
//! One property `SegmentMembership` always: the audience ids, each in single quotes,
//! joined by commas, no spaces (`'11036','11034'`); targeting uses Mixpanel's
//! `contains`, so membership of 11034 means the whole quoted token `'11034'` occurs.
//! Optionally one property per audience, `In <External Name>` = true / false.

use crate::json::JsonWriter;
use serde::ser::{Serialize, SerializeMap, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudienceError {
    #[error("audience id \"{0}\" cannot be encoded: ids must be non-empty and contain neither ' nor ,")]
    InvalidAudienceId(String),
    #[error("not a SegmentMembership value ({0}): expected 'id','id',…")]
    InvalidSegmentMembership(&'static str),
    #[error("{0}")]
    InvalidArgument(String),
}

impl AudienceError {
    pub fn code(&self) -> &'static str {
        match self {
            AudienceError::InvalidAudienceId(_) => "invalid_audience_id",
            AudienceError::InvalidSegmentMembership(_) => "invalid_segment_membership",
            AudienceError::InvalidArgument(_) => "invalid_argument",
        }
    }
}

fn check_id(id: &str) -> Result<(), AudienceError> {
    if id.is_empty() || id.contains('\'') || id.contains(',') {
        return Err(AudienceError::InvalidAudienceId(id.to_string()));
    }
    Ok(())
}

/// `["11036","11034"]` → `'11036','11034'`; order kept, repeats dropped.
pub fn encode_segment_membership<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<String, AudienceError> {
    let ids: Vec<&str> = ids.into_iter().collect();
    for id in &ids {
        check_id(id)?;
    }
    // Repeats found in O(n log n) at worst, not by a scan per id.
    let mut repeated = vec![false; ids.len()];
    for (later, _) in crate::repeats::find_repeats(&ids.iter().map(|id| id.as_bytes()).collect::<Vec<_>>()) {
        repeated[later] = true;
    }
    let mut out = String::new();
    for (id, _) in ids.iter().zip(&repeated).filter(|(_, r)| !**r) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push('\'');
        out.push_str(id);
        out.push('\'');
    }
    Ok(out)
}

/// The inverse of [`encode_segment_membership`]; `""` is no audience.
pub fn decode_segment_membership(value: &str) -> Result<Vec<String>, AudienceError> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    crate::text::split(value, b',')
        .map(|token| {
            let inner = token
                .strip_prefix('\'')
                .and_then(|t| t.strip_suffix('\''))
                .ok_or(AudienceError::InvalidSegmentMembership("each id must be wrapped in single quotes"))?;
            if inner.is_empty() || inner.contains('\'') {
                return Err(AudienceError::InvalidSegmentMembership("an id is empty or holds a quote"));
            }
            Ok(inner.to_string())
        })
        .collect()
}

/// Whether `value` lists `id` as a whole token: `1103` is not in `'11036','11034'`.
pub fn segment_membership_contains(value: &str, id: &str) -> bool {
    check_id(id).is_ok()
        && crate::text::split(value, b',')
            .any(|token| token.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) == Some(id))
}

/// One audience and whether the user is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub id: String,
    /// The audience's external name, for the per-audience property `In <name>`.
    pub name: Option<String>,
    pub member: bool,
}

/// The profile properties for a user's audiences: `SegmentMembership` (the audiences the
/// user is in) always, and `In <name>` true/false per audience when `per_audience`.
pub fn audience_properties(audiences: &[Audience], per_audience: bool) -> Result<AudienceProperties, AudienceError> {
    let membership = encode_segment_membership(audiences.iter().filter(|a| a.member).map(|a| a.id.as_str()))?;
    let mut flags: Vec<(String, bool)> = Vec::new();
    if per_audience {
        for audience in audiences {
            let name = audience.name.as_deref().filter(|n| !n.is_empty()).ok_or_else(|| {
                AudienceError::InvalidArgument(format!(
                    "audience {} needs a name for its \"In <name>\" property",
                    audience.id
                ))
            })?;
            let key = format!("In {name}");
            match flags.iter_mut().find(|(k, _): &&mut (String, bool)| *k == key) {
                Some(slot) => slot.1 |= audience.member,
                None => flags.push((key, audience.member)),
            }
        }
    }
    Ok(AudienceProperties { segment_membership: membership, flags })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceProperties {
    pub segment_membership: String,
    pub flags: Vec<(String, bool)>,
}

/// `{ SegmentMembership, "In <name>": bool… }`, in audience order. Written out rather
/// than derived: the flags' keys are the audiences' names, not field names.
impl Serialize for AudienceProperties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1 + self.flags.len()))?;
        map.serialize_entry("SegmentMembership", &self.segment_membership)?;
        for (key, value) in &self.flags {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl AudienceProperties {
    /// The properties as the JSON object text of a `$set`.
    pub fn set_json(&self) -> String {
        let mut w = JsonWriter::with_capacity(32 + self.segment_membership.len() + 24 * self.flags.len());
        w.begin_object().field("SegmentMembership", &self.segment_membership);
        for (key, value) in &self.flags {
            w.field(key, value);
        }
        w.end_object();
        w.finish()
    }
}

/// One user and every audience whose membership their profile must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAudiences {
    pub distinct_id: String,
    pub audiences: Vec<Audience>,
}

/// The `$set` request bodies that give each user their audience properties:
/// [`audience_properties`] for each, then [`engage_batches`], in one pass. What a
/// receiver keeping `SegmentMembership` for many users at once needs.
pub fn segment_membership_updates(
    users: &[UserAudiences],
    per_audience: bool,
    token: &str,
    max_per_request: usize,
) -> Result<Vec<String>, AudienceError> {
    let updates = users
        .iter()
        .map(|user| Ok((user.distinct_id.clone(), audience_properties(&user.audiences, per_audience)?.set_json())))
        .collect::<Result<Vec<_>, AudienceError>>()?;
    engage_batches(&updates, token, max_per_request)
}

/// Mixpanel's profile endpoints: the standard server and the EU one.
pub fn engage_url(eu: bool) -> &'static str {
    if eu {
        "https://api-eu.mixpanel.com/engage"
    } else {
        "https://api.mixpanel.com/engage"
    }
}

/// Profile updates per request Mixpanel takes.
pub const MAX_PROFILES_PER_REQUEST: usize = 2000;
/// Largest profile update Mixpanel takes, in bytes.
pub const MAX_PROFILE_BYTES: usize = 1024 * 1024;

/// `$set` bodies (JSON arrays of `{"$token","$distinct_id","$set"}`) of at most
/// `max_per_request` updates. `updates`: `(distinct id, JSON object text of the
/// properties)`. An update that would exceed 1 MB is refused with its index.
pub fn engage_batches(
    updates: &[(String, String)],
    token: &str,
    max_per_request: usize,
) -> Result<Vec<String>, AudienceError> {
    if token.is_empty() {
        return Err(AudienceError::InvalidArgument("token must be a non-empty string".into()));
    }
    if max_per_request == 0 || max_per_request > MAX_PROFILES_PER_REQUEST {
        return Err(AudienceError::InvalidArgument(format!(
            "maxPerRequest must be from 1 to {MAX_PROFILES_PER_REQUEST}"
        )));
    }
    let mut records = Vec::with_capacity(updates.len());
    for (index, (distinct_id, set)) in updates.iter().enumerate() {
        if distinct_id.is_empty() {
            return Err(AudienceError::InvalidArgument(format!("updates[{index}].distinctId is empty")));
        }
        let mut w = JsonWriter::with_capacity(set.len() + 96);
        w.begin_object().field("$token", token).field("$distinct_id", distinct_id).key("$set").raw(set).end_object();
        let record = w.finish();
        if record.len() > MAX_PROFILE_BYTES {
            return Err(AudienceError::InvalidArgument(format!(
                "updates[{index}] is {} bytes; Mixpanel takes at most {MAX_PROFILE_BYTES} per update",
                record.len()
            )));
        }
        records.push(record);
    }
    Ok(records
        .chunks(max_per_request)
        .map(|batch| {
            let mut w = JsonWriter::with_capacity(batch.iter().map(|r| r.len() + 1).sum::<usize>() + 2);
            w.begin_array();
            for record in batch {
                w.raw(record);
            }
            w.end_array();
            w.finish()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seed_examples() {
        assert_eq!(encode_segment_membership(["11036", "11034"]).unwrap(), "'11036','11034'");
        assert!(segment_membership_contains("'11036','11034'", "11034"));
        assert!(!segment_membership_contains("'11036','11034'", "1103"));
        assert!(!segment_membership_contains("'11036','11034'", "'11034'"));
        let props = audience_properties(
            &[
                Audience { id: "11036".into(), name: Some("Aspiring Athenians".into()), member: true },
                Audience { id: "11034".into(), name: Some("Ibiza Dreamers".into()), member: true },
                Audience { id: "11040".into(), name: Some("Possible Parisians".into()), member: false },
            ],
            true,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&props).unwrap(),
            r#"{"SegmentMembership":"'11036','11034'","In Aspiring Athenians":true,"In Ibiza Dreamers":true,"In Possible Parisians":false}"#
        );
        assert_eq!(
            serde_json::to_string(&audience_properties(&[], false).unwrap()).unwrap(),
            r#"{"SegmentMembership":""}"#
        );
        assert_eq!(props.set_json(), serde_json::to_string(&props).unwrap());
        let users = [
            UserAudiences {
                distinct_id: "u1".into(),
                audiences: vec![Audience { id: "11036".into(), name: None, member: true }],
            },
            UserAudiences {
                distinct_id: "u2".into(),
                audiences: vec![Audience { id: "11036".into(), name: None, member: false }],
            },
        ];
        assert_eq!(
            segment_membership_updates(&users, false, "t", 2000).unwrap(),
            [
                r#"[{"$token":"t","$distinct_id":"u1","$set":{"SegmentMembership":"'11036'"}},{"$token":"t","$distinct_id":"u2","$set":{"SegmentMembership":""}}]"#
            ]
        );
        assert_eq!(segment_membership_updates(&users, true, "t", 2000).unwrap_err().code(), "invalid_argument");
    }

    #[test]
    fn bad_ids_and_values_are_refused() {
        for bad in ["", "a'b", "a,b"] {
            assert_eq!(encode_segment_membership([bad]).unwrap_err().code(), "invalid_audience_id");
        }
        assert_eq!(encode_segment_membership(["1", "1", "2"]).unwrap(), "'1','2'");
        for bad in ["1", "'1',", "'1' ,'2'", "''", "'1''", "'1','2"] {
            assert!(decode_segment_membership(bad).is_err(), "{bad}");
        }
        assert_eq!(decode_segment_membership("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn engage_bodies() {
        let updates: Vec<(String, String)> =
            (0..4500).map(|i| (format!("u{i}"), r#"{"SegmentMembership":"'1'"}"#.into())).collect();
        let bodies = engage_batches(&updates, "tok", 2000).unwrap();
        let counts: Vec<usize> = bodies
            .iter()
            .map(|b| serde_json::from_str::<serde_json::Value>(b).unwrap().as_array().unwrap().len())
            .collect();
        assert_eq!(counts, [2000, 2000, 500]);
        let first: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
        assert_eq!(
            first[0],
            serde_json::json!({ "$token": "tok", "$distinct_id": "u0", "$set": { "SegmentMembership": "'1'" } })
        );
        assert!(engage_batches(&updates, "", 2000).is_err());
        assert!(engage_batches(&updates, "t", 2001).is_err());
        assert!(engage_url(true).contains("api-eu.") && !engage_url(false).contains("-eu"));
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(ids in proptest::collection::vec("[^',]{1,8}", 0..12)) {
            let encoded = encode_segment_membership(ids.iter().map(String::as_str)).unwrap();
            let mut unique: Vec<String> = Vec::new();
            for id in &ids {
                if !unique.contains(id) { unique.push(id.clone()); }
            }
            prop_assert_eq!(decode_segment_membership(&encoded).unwrap(), unique.clone());
            for id in &unique {
                prop_assert!(segment_membership_contains(&encoded, id));
            }
        }

        #[test]
        fn engage_batches_never_lose_or_repeat(n in 0usize..3000, per in 1usize..2001) {
            let updates: Vec<(String, String)> = (0..n).map(|i| (format!("u{i}"), "{}".into())).collect();
            let bodies = engage_batches(&updates, "t", per).unwrap();
            let mut seen = Vec::new();
            for body in &bodies {
                let arr: Vec<serde_json::Value> = serde_json::from_str(body).unwrap();
                prop_assert!(arr.len() <= per && !arr.is_empty());
                seen.extend(arr.into_iter().map(|v| v["$distinct_id"].as_str().unwrap().to_string()));
            }
            prop_assert_eq!(seen, updates.into_iter().map(|u| u.0).collect::<Vec<_>>());
        }
    }
}
