//! What a Mixpanel Cohort Sync webhook call carries, as typed values.

use crate::json::{JsonWriter, ToJson};
use crate::problem::{Problem, ProblemCode};
use serde::Serialize;

/// What a call asks the receiver to do: `"members"`, `"add_members"` or `"remove_members"`.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    pub valid: bool,
    /// The `action` text as sent (even an unknown one), so a reply can echo it.
    pub action: Option<String>,
    pub project_id: Option<String>,
    pub cohort_id: Option<String>,
    pub cohort_name: Option<String>,
    pub cohort_description: Option<String>,
    pub session_id: Option<String>,
    /// `mixpanel_integration_id`: sent by the real sender, not in its docs.
    pub integration_id: Option<String>,
    pub page: Option<PageInfo>,
    pub member_count: Option<usize>,
    pub errors: Vec<Problem>,
    /// What leaves the page valid: the warnings, then the notes ([`is_note`]), which the
    /// JSON report lists apart, as `info`.
    pub warnings: Vec<Problem>,
}

/// Whether a problem that leaves a page valid is a note rather than a warning: it says the
/// body is as Mixpanel's real sender always sends it (no `page_info`, no description),
/// which its docs do not say, so a body Mixpanel really sends reads as fine.
pub fn is_note(problem: &Problem) -> bool {
    match problem.code {
        ProblemCode::NoPageInfo => true,
        ProblemCode::MissingField => problem.path == "/parameters/mixpanel_cohort_description",
        _ => false,
    }
}

/// One valid webhook call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortPage {
    pub action: Action,
    pub project_id: String,
    pub cohort_id: String,
    pub cohort_name: Option<String>,
    pub cohort_description: Option<String>,
    pub session_id: String,
    pub integration_id: Option<String>,
    /// `None` when the body had no `page_info` (as the real sender sends it).
    pub page: Option<PageInfo>,
    pub members: Vec<Member>,
}

/// One user of a page. The default fields are typed; every other key of the member
/// object (the "Properties to Export", such as `$CleverTap_user_id`) is kept, as sent, in
/// `properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub distinct_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub properties: Properties,
}

/// A member's typed fields, numbered as the validator's key list numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberField {
    DistinctId = 0,
    Email = 1,
    FirstName = 2,
    LastName = 3,
    PhoneNumber = 4,
}

impl MemberField {
    /// The field's name in results (`Member` as JavaScript sees it).
    pub fn name(self) -> &'static str {
        match self {
            MemberField::DistinctId => "distinctId",
            MemberField::Email => "email",
            MemberField::FirstName => "firstName",
            MemberField::LastName => "lastName",
            MemberField::PhoneNumber => "phoneNumber",
        }
    }

    /// Mixpanel's reserved property that stands in for the field.
    pub const fn reserved_key(self) -> &'static str {
        match self {
            MemberField::DistinctId => "$distinct_id",
            MemberField::Email => "$email",
            MemberField::FirstName => "$first_name",
            MemberField::LastName => "$last_name",
            MemberField::PhoneNumber => "$phone",
        }
    }

    pub const ALL: [MemberField; 5] = [
        MemberField::DistinctId,
        MemberField::Email,
        MemberField::FirstName,
        MemberField::LastName,
        MemberField::PhoneNumber,
    ];
}

/// Mixpanel's reserved properties, which the real sender puts on members beside or
/// instead of the documented keys, and the typed field each stands in for when that
/// field is absent or null.
pub const RESERVED_FIELDS: [MemberField; 4] =
    [MemberField::Email, MemberField::PhoneNumber, MemberField::FirstName, MemberField::LastName];

/// What a reserved property sent as `raw` JSON text gives its typed field: a non-empty
/// string, or a whole number sent as digits (a phone number), as sent.
pub fn reserved_text(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    Properties::text_of(raw).filter(|text| !text.is_empty())
}

/// A typed field of member number `member` that its reserved property gave it, for a
/// reader that builds members from the body itself (`parse_page_head`). `text` is `None`
/// when the property was a string, which is the value as any JSON reader reads it; a
/// number sent as digits gives the digits as sent, which only this says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub member: usize,
    pub field: MemberField,
    pub text: Option<String>,
}

impl Member {
    /// Fills the typed fields the member lacks from [`RESERVED_FIELDS`]. The documented
    /// key wins when both are there; the reserved ones stay in `properties` as sent.
    pub fn fill_from_reserved(&mut self) {
        for field in RESERVED_FIELDS {
            let slot = match field {
                MemberField::Email => &mut self.email,
                MemberField::PhoneNumber => &mut self.phone_number,
                MemberField::FirstName => &mut self.first_name,
                MemberField::LastName => &mut self.last_name,
                MemberField::DistinctId => continue,
            };
            if slot.is_none() {
                *slot = self.properties.get(field.reserved_key()).and_then(reserved_text).map(|text| text.into_owned());
            }
        }
    }
}

/// A member's other keys with their values as the JSON text they were sent as, in the
/// order sent. A key sent twice keeps its last value (at its first place), as
/// `JSON.parse` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties(Vec<(String, String)>);

impl Properties {
    pub fn new() -> Self {
        Properties(Vec::new())
    }

    /// Properties from `(key, JSON text)` pairs in the order sent.
    pub fn from_pairs(mut pairs: Vec<(String, String)>) -> Self {
        // A member has a handful of exported properties: comparing each pair directly is
        // cheaper than sorting until there are more than a few.
        let small = pairs.len() <= 8;
        if small && !pairs.iter().enumerate().any(|(i, (key, _))| pairs[..i].iter().any(|(k, _)| k == key)) {
            return Properties(pairs);
        }
        let repeats = crate::repeats::find_repeats(&pairs.iter().map(|(k, _)| k.as_bytes()).collect::<Vec<_>>());
        if repeats.is_empty() {
            return Properties(pairs);
        }
        // Later values move to the first place of their key; then the later places go.
        let mut dropped = vec![false; pairs.len()];
        for &(later, first) in &repeats {
            let value = std::mem::take(&mut pairs[later].1);
            pairs[first].1 = value;
            dropped[later] = true;
        }
        let mut keep = dropped.iter().map(|d| !d);
        pairs.retain(|_| keep.next().unwrap_or(true));
        Properties(pairs)
    }

    /// The JSON text of `key`'s value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// `key`'s value as text, where it is a JSON string or an integer (an id exported as
    /// a number is still an id: `123456` reads as `"123456"`); `None` otherwise.
    pub fn get_text(&self, key: &str) -> Option<std::borrow::Cow<'_, str>> {
        Self::text_of(self.get(key)?)
    }

    /// The text of a value sent as `raw` JSON: a string, or a whole number written as
    /// digits (`-` allowed), as sent.
    pub fn text_of(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
        let mut reader = crate::json::Reader::new(raw.as_bytes(), 0);
        match reader.peek_kind().ok()? {
            crate::json::Kind::String => Some(reader.read_string().ok()?.decode()),
            crate::json::Kind::Number if raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') => Some(raw.into()),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(key, JSON text)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl ToJson for Properties {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        for (key, value) in &self.0 {
            w.key(key).raw(value);
        }
        w.end_object();
    }
}

impl ToJson for Action {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(self.as_str());
    }
}

impl ToJson for PageInfo {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object().field("count", &self.count).field("total", &self.total).end_object();
    }
}

impl ValidationReport {
    /// A report of nothing read yet: not valid, no field, with `errors` (the one place a
    /// report starts: the walk fills it in, a body refused before it is read is told so).
    pub fn unread(errors: Vec<Problem>) -> ValidationReport {
        ValidationReport {
            valid: false,
            action: None,
            project_id: None,
            cohort_id: None,
            cohort_name: None,
            cohort_description: None,
            session_id: None,
            integration_id: None,
            page: None,
            member_count: None,
            errors,
            warnings: Vec::new(),
        }
    }

    /// The report's fields, into an object the caller has begun and may add fields to
    /// (`validatePayload` adds the ids and member spans asked for).
    pub fn write_fields(&self, w: &mut JsonWriter) {
        w.field("valid", &self.valid)
            .field("action", &self.action)
            .field("projectId", &self.project_id)
            .field("cohortId", &self.cohort_id)
            .field("cohortName", &self.cohort_name)
            .field("cohortDescription", &self.cohort_description)
            .field("sessionId", &self.session_id)
            .field("integrationId", &self.integration_id)
            .field("page", &self.page)
            .field("memberCount", &self.member_count)
            .field("errors", &self.errors);
        // The notes come last: the walk adds them after the warnings.
        let notes = self.warnings.iter().position(is_note).unwrap_or(self.warnings.len());
        w.field("warnings", &self.warnings[..notes]).field("info", &self.warnings[notes..]);
    }
}

impl ToJson for ValidationReport {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        self.write_fields(w);
        w.end_object();
    }
}

impl ToJson for Member {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object()
            .field("distinctId", &self.distinct_id)
            .field("email", &self.email)
            .field("firstName", &self.first_name)
            .field("lastName", &self.last_name)
            .field("phoneNumber", &self.phone_number)
            .field("properties", &self.properties)
            .end_object();
    }
}

impl ToJson for CohortPage {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object()
            .field("action", &self.action)
            .field("projectId", &self.project_id)
            .field("cohortId", &self.cohort_id)
            .field("cohortName", &self.cohort_name)
            .field("cohortDescription", &self.cohort_description)
            .field("sessionId", &self.session_id)
            .field("integrationId", &self.integration_id)
            .field("page", &self.page)
            .field("members", &self.members)
            .end_object();
    }
}
