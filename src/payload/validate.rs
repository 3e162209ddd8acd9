//! Validation of a webhook body: one pass over the bytes, checking the whole envelope of
//! docs/domain.md ("The webhook") and every member, collecting problems as data.
//!
//! The same walk serves `validate_payload` (nothing materialised) and `parse_payload`
//! (members built as they are read), so the two can never disagree.

use super::ids::{chars_over, id_problem, IdKind};
use super::model::*;
use crate::json::pointer::push_token;
use crate::json::position::locate;
use crate::json::{JsonStr, Kind, Reader, SyntaxError};
use crate::problem::{Problem, ProblemCode, ProblemList};
use crate::repeats::find_repeats;
use crate::text::cut as ascii_cut;
use std::borrow::Cow;

/// Distinct ids longer than this (in characters) draw a `long_id` warning: Mixpanel
/// caps distinct ids at 255 characters, so a longer one is probably not an id.
pub const LONG_ID_CHARS: usize = 255;

/// A member's typed fields; the distinct id first (slot 0), then the optional text ones.
const MEMBER_FIELDS: [&str; 5] = ["mixpanel_distinct_id", "email", "first_name", "last_name", "phone_number"];
/// Mixpanel's reserved property for the distinct id, which stands in when
/// `mixpanel_distinct_id` is absent. Looked for among the other keys only: a sixth name in
/// the list above cost every key of every member a comparison (12% of a page in wasm).
const RESERVED_DISTINCT_ID: &[u8] = b"$distinct_id";
/// The keys of [`RESERVED_FIELDS`], in its order.
const RESERVED_KEYS: [&str; 4] = [
    RESERVED_FIELDS[0].reserved_key(),
    RESERVED_FIELDS[1].reserved_key(),
    RESERVED_FIELDS[2].reserved_key(),
    RESERVED_FIELDS[3].reserved_key(),
];

/// Validates one webhook body. Never fails: every problem is in the report.
pub fn validate_payload(body: &[u8], options: &ValidateOptions) -> ValidationReport {
    Walk::run(body, options, Build::Nothing).report
}

/// What a valid page lists besides its report, read in the same pass: its distinct ids
/// (in page order, repeats kept) and, when asked for, where each member object is in the
/// body (`[start, end)` byte offsets), so a host can keep members as they were sent
/// without reading the body again. Both are empty for a body that is not valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageListing<'a> {
    pub ids: Vec<Cow<'a, [u8]>>,
    pub member_spans: Vec<(usize, usize)>,
}

/// Validates one webhook body and, when it is valid, lists its ids, and with `spans` its
/// members' places too (noting them costs 3% of a page's walk, so only when asked).
pub fn validate_payload_with_ids<'a>(
    body: &'a [u8],
    options: &ValidateOptions,
    spans: bool,
) -> (ValidationReport, PageListing<'a>) {
    let walked = Walk::run(body, options, if spans { Build::Spans } else { Build::Nothing });
    if !walked.report.valid {
        return (walked.report, PageListing::default());
    }
    let ids = walked.ids.into_iter().map(|seen| seen.id).collect();
    (walked.report, PageListing { ids, member_spans: walked.spans })
}

/// A valid page as the membership engine needs it: the call and its distinct ids,
/// borrowed from the body where they had no escapes. No member objects are built.
#[derive(Debug, Clone)]
pub struct PageIds<'a> {
    pub action: Action,
    pub session_id: String,
    pub page: Option<PageInfo>,
    pub ids: Vec<Cow<'a, [u8]>>,
}

/// Validates one webhook body and returns its ids; `Err` holds the report when it is
/// not valid. The fast path of `CohortState::apply` on raw bytes.
pub fn read_page_ids<'a>(body: &'a [u8], options: &ValidateOptions) -> Result<PageIds<'a>, ValidationReport> {
    let walked = Walk::run(body, options, Build::Nothing);
    let report = walked.report;
    match (report.valid, Action::parse(report.action.as_deref().unwrap_or("")), &report.session_id, report.page) {
        (true, Some(action), Some(session_id), page) => Ok(PageIds {
            action,
            session_id: session_id.clone(),
            page,
            ids: walked.ids.into_iter().map(|seen| seen.id).collect(),
        }),
        _ => Err(report),
    }
}

/// What one walk found.
struct Walked<'a> {
    report: ValidationReport,
    members: Vec<Member>,
    fills: Vec<Fill>,
    ids: Vec<SeenId<'a>>,
    spans: Vec<(usize, usize)>,
}

/// Validates and reads one webhook body; `Err` holds the report when it is not valid.
pub fn parse_payload(body: &[u8], options: &ValidateOptions) -> Result<CohortPage, ValidationReport> {
    let Walked { report, members, .. } = Walk::run(body, options, Build::Members);
    page_of(report, members)
}

/// Validates one webhook body and reads everything but its members: the page with no
/// members, and the typed fields that Mixpanel's reserved properties give members (the
/// rest of each member is its object as sent, with the documented keys as typed fields).
/// For a host that builds the member objects from the body itself, faster than any
/// member crossing out of the wasm. `Err` holds the report when the body is not valid.
pub fn parse_page_head(body: &[u8], options: &ValidateOptions) -> Result<(CohortPage, Vec<Fill>), ValidationReport> {
    let Walked { report, fills, .. } = Walk::run(body, options, Build::Fills);
    Ok((page_of(report, Vec::new())?, fills))
}

/// A valid report's page, with `members`.
pub(super) fn page_of(report: ValidationReport, members: Vec<Member>) -> Result<CohortPage, ValidationReport> {
    if !report.valid {
        return Err(report);
    }
    match (&report, Action::parse(report.action.as_deref().unwrap_or(""))) {
        (
            ValidationReport {
                project_id: Some(project_id),
                cohort_id: Some(cohort_id),
                session_id: Some(session_id),
                page,
                ..
            },
            Some(action),
        ) => Ok(CohortPage {
            action,
            project_id: project_id.clone(),
            cohort_id: cohort_id.clone(),
            cohort_name: report.cohort_name.clone(),
            cohort_description: report.cohort_description.clone(),
            session_id: session_id.clone(),
            integration_id: report.integration_id.clone(),
            page: *page,
            members,
        }),
        // A valid report always has these; refuse rather than invent them if not.
        _ => Err(report),
    }
}

/// Where a member's distinct id was seen, for the duplicate check.
struct SeenId<'a> {
    id: Cow<'a, [u8]>,
    index: usize,
    offset: usize,
}

/// What a walk builds besides its report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    Nothing,
    /// Where each member object is (`validate_payload_with_ids` with spans).
    Spans,
    /// Member objects (`parse_payload`).
    Members,
    /// Only the typed fields reserved properties give members (`parse_page_head`, whose
    /// caller gets no warnings, so repeated ids, only ever a warning, are not looked for).
    Fills,
    /// Member objects one at a time, built (`read_members`).
    Member,
}

/// One pass over a body. `collect` is whether members are built (parse) or only
/// checked (validate); `note_fills` whether reserved properties' stand-ins are noted,
/// `note_spans` where each member object is. Runtime
/// flags, not const generics: two copies of the walk cost ~10 KB of gzipped wasm and
/// saved no measurable time.
struct Walk<'a> {
    reader: Reader<'a>,
    options: ValidateOptions,
    collect: bool,
    note_fills: bool,
    note_spans: bool,
    errors: ProblemList,
    warnings: ProblemList,
    report: ValidationReport,
    seen_ids: Vec<SeenId<'a>>,
    /// Where each member object is in the body: `[start, end)` byte offsets.
    member_spans: Vec<(usize, usize)>,
    members: Vec<Member>,
    fills: Vec<Fill>,
}

/// Which keys of one object were seen (by their index in a fixed list of names), to
/// report the missing ones and the repeated ones. A bit set: no allocation per member.
#[derive(Default, Clone, Copy)]
struct Seen(u32);

impl Seen {
    /// Records key number `slot`; false when it was already there.
    #[inline]
    fn first(&mut self, slot: usize) -> bool {
        let bit = 1u32 << slot;
        let fresh = self.0 & bit == 0;
        self.0 |= bit;
        fresh
    }
    #[inline]
    fn has(&self, slot: usize) -> bool {
        self.0 & (1u32 << slot) != 0
    }
    fn forget(&mut self, slot: usize) {
        self.0 &= !(1u32 << slot);
    }
}

/// The index of `key` in `names`, comparing raw bytes when the key has no escapes.
#[inline]
fn slot_of(key: &JsonStr, names: &[&str]) -> Option<usize> {
    if key.escaped {
        let decoded = key.decode();
        names.iter().position(|name| *name == decoded)
    } else {
        // Length first: the names of one object differ in length, so at most one byte
        // comparison happens, and most unknown keys need none.
        let raw = key.raw;
        names.iter().position(|name| name.len() == raw.len() && name.as_bytes() == raw)
    }
}

fn path(tokens: &[&str]) -> String {
    crate::json::pointer::pointer(tokens)
}

fn member_path(index: usize, field: Option<&str>) -> String {
    let mut p = String::from("/parameters/members/");
    p.push_str(&index.to_string());
    if let Some(field) = field {
        push_token(&mut p, field);
    }
    p
}

impl<'a> Walk<'a> {
    fn run(body: &'a [u8], options: &ValidateOptions, build: Build) -> Walked<'a> {
        let mut walk = Walk::new(body, options, build);
        if body.len() > options.max_bytes {
            walk.error(Problem::new(
                ProblemCode::BodyTooLarge,
                "",
                format!("the body is {} bytes; the limit is {} bytes", body.len(), options.max_bytes),
            ));
        } else if let Err(fatal) = walk.document() {
            // Problems found before the text stopped being JSON describe a half-read
            // document; the one that matters is where it broke.
            walk.errors = ProblemList::default();
            walk.warnings = ProblemList::default();
            walk.report.warnings.clear();
            walk.seen_ids.clear();
            walk.error(Problem::new(fatal.code, "", fatal.message).at(fatal.offset));
        }
        walk.finish(body)
    }

    fn new(body: &'a [u8], options: &ValidateOptions, build: Build) -> Walk<'a> {
        Walk {
            reader: Reader::new(body, 0),
            options: *options,
            collect: build == Build::Members || build == Build::Member,
            note_fills: build == Build::Fills,
            note_spans: build == Build::Spans,
            errors: ProblemList::default(),
            warnings: ProblemList::default(),
            report: ValidationReport::unread(Vec::new()),
            seen_ids: Vec::with_capacity(1024),
            member_spans: Vec::new(),
            members: Vec::new(),
            fills: Vec::new(),
        }
    }

    fn error(&mut self, problem: Problem) {
        self.errors.push(problem);
    }

    fn warn(&mut self, problem: Problem) {
        self.warnings.push(problem);
    }

    fn finish(mut self, body: &[u8]) -> Walked<'a> {
        self.report_duplicate_ids();
        self.report.valid = self.errors.is_empty();
        let mut errors = self.errors.finish();
        let mut warnings = self.warnings.finish();
        // The notes (`is_note`), kept in the report while walking: after the warnings, and
        // never cut with them.
        warnings.append(&mut self.report.warnings);
        locate(body, errors.iter_mut().chain(warnings.iter_mut()));
        self.report.errors = errors;
        self.report.warnings = warnings;
        Walked {
            report: self.report,
            members: self.members,
            fills: self.fills,
            ids: self.seen_ids,
            spans: self.member_spans,
        }
    }

    fn document(&mut self) -> Result<(), SyntaxError> {
        let body = self.reader.bytes();
        if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.warn(
                Problem::new(
                    ProblemCode::ByteOrderMark,
                    "",
                    "the body starts with a UTF-8 byte order mark; it was skipped",
                )
                .at(0),
            );
            self.reader = Reader::new(body, 3);
        }
        if self.reader.at_end() {
            self.error(Problem::new(ProblemCode::EmptyBody, "", "the body is empty; expected a JSON object"));
            return Ok(());
        }
        let start = self.reader.pos();
        let kind = self.reader.peek_kind()?;
        if kind == Kind::Object {
            self.envelope()?;
        } else {
            self.reader.skip_value()?;
            self.error(
                Problem::new(
                    ProblemCode::NotAnObject,
                    "",
                    format!("expected a JSON object, found {}", kind.describe()),
                )
                .at(start),
            );
        }
        if !self.reader.at_end() {
            return Err(SyntaxError {
                code: ProblemCode::InvalidJson,
                message: "unexpected data after the JSON document".into(),
                offset: self.reader.pos(),
            });
        }
        Ok(())
    }

    fn envelope(&mut self) -> Result<(), SyntaxError> {
        const NAMES: [&str; 2] = ["action", "parameters"];
        let start = self.reader.pos();
        let mut seen = Seen::default();
        self.reader.begin_object()?;
        let mut first = true;
        while let Some(key) = self.reader.next_key(first)? {
            first = false;
            let Some(slot) = slot_of(&key, &NAMES) else {
                self.unknown_field(&key, "")?;
                continue;
            };
            if !self.check_repeat(&mut seen, slot, &NAMES, &key, String::new) {
                self.reader.skip_value()?;
            } else if slot == 0 {
                self.action()?;
            } else {
                self.parameters()?;
            }
        }
        for (slot, name) in NAMES.iter().enumerate() {
            if !seen.has(slot) {
                self.error(
                    Problem::new(ProblemCode::MissingField, path(&[name]), format!("\"{name}\" is missing")).at(start),
                );
            }
        }
        Ok(())
    }

    /// False (after reporting it; the caller skips the value) when key `names[slot]` was
    /// seen before in this object: a repeated key is ambiguous, so it is an error, not
    /// last-one-wins.
    fn check_repeat(
        &mut self,
        seen: &mut Seen,
        slot: usize,
        names: &[&str],
        key: &JsonStr,
        parent: impl FnOnce() -> String,
    ) -> bool {
        if seen.first(slot) {
            return true;
        }
        let name = names[slot];
        let mut p = parent();
        push_token(&mut p, name);
        self.error(
            Problem::new(ProblemCode::DuplicateKey, p, format!("\"{name}\" appears more than once")).at(key.start),
        );
        false
    }

    fn unknown_field(&mut self, key: &JsonStr, parent: &str) -> Result<(), SyntaxError> {
        let mut p = parent.to_string();
        let name = key.decode();
        push_token(&mut p, &name);
        self.warn(
            Problem::new(ProblemCode::UnknownField, p, format!("unknown field \"{name}\" was ignored")).at(key.start),
        );
        self.reader.skip_value()?;
        Ok(())
    }

    #[cold]
    fn wrong_type(&mut self, path: String, expected: &str, found: Kind) -> Result<(), SyntaxError> {
        let at = self.reader.pos();
        self.error(
            Problem::new(ProblemCode::WrongType, path, format!("expected {expected}, found {}", found.describe()))
                .at(at),
        );
        self.reader.skip_value()?;
        Ok(())
    }

    fn action(&mut self) -> Result<(), SyntaxError> {
        let kind = self.reader.peek_kind()?;
        if kind != Kind::String {
            return self.wrong_type(path(&["action"]), "a string", kind);
        }
        let token = self.reader.read_string()?;
        let text = token.decode().into_owned();
        if Action::parse(&text).is_none() {
            self.error(
                Problem::new(
                    ProblemCode::UnknownAction,
                    "/action",
                    format!("unknown action \"{text}\"; expected \"members\", \"add_members\" or \"remove_members\""),
                )
                .at(token.start),
            );
        }
        self.report.action = Some(text);
        Ok(())
    }

    fn parameters(&mut self) -> Result<(), SyntaxError> {
        let kind = self.reader.peek_kind()?;
        if kind != Kind::Object {
            return self.wrong_type(path(&["parameters"]), "an object", kind);
        }
        let start = self.reader.pos();
        let mut seen = Seen::default();
        self.reader.begin_object()?;
        let mut first = true;
        while let Some(key) = self.reader.next_key(first)? {
            first = false;
            let Some(slot) = slot_of(&key, &PARAMETERS) else {
                self.unknown_field(&key, "/parameters")?;
                continue;
            };
            if !self.check_repeat(&mut seen, slot, &PARAMETERS, &key, || "/parameters".into()) {
                self.reader.skip_value()?;
                continue;
            }
            let name = PARAMETERS[slot];
            match name {
                "page_info" => self.page_info(&mut seen, slot)?,
                "members" => self.member_list()?,
                _ => {
                    let required = REQUIRED_IDS.contains(&name);
                    let kind = match name {
                        "mixpanel_cohort_name" => Some(IdKind::CohortName),
                        // Shown in Mixpanel's UI and never stored here: no bound needed.
                        "mixpanel_cohort_description" => None,
                        _ => Some(IdKind::Key),
                    };
                    if name == "mixpanel_integration_id"
                        && !matches!(self.reader.peek_kind()?, Kind::String | Kind::Null)
                    {
                        // Undocumented and unused here: an odd value is worth a warning, not a
                        // refusal that would pause the sync.
                        let (from, _) = self.reader.skip_value()?;
                        let message = "\"mixpanel_integration_id\" is not a string; it was ignored";
                        self.warn(Problem::new(ProblemCode::WrongType, path(&["parameters", name]), message).at(from));
                        continue;
                    }
                    let value = self.text_parameter(name, required, kind)?;
                    let slot = match name {
                        "mixpanel_project_id" => &mut self.report.project_id,
                        "mixpanel_cohort_id" => &mut self.report.cohort_id,
                        "mixpanel_session_id" => &mut self.report.session_id,
                        "mixpanel_cohort_name" => &mut self.report.cohort_name,
                        "mixpanel_integration_id" => &mut self.report.integration_id,
                        _ => &mut self.report.cohort_description,
                    };
                    *slot = value;
                }
            }
        }
        for (slot, name) in PARAMETERS.iter().enumerate() {
            if seen.has(slot) || *name == "mixpanel_integration_id" {
                continue;
            }
            let p = path(&["parameters", name]);
            // What the real sender always leaves out is a note (`is_note`), not a warning: no
            // page_info (the body is a pageless page: docs/rules.md, "Pages without
            // page_info"), no description (it is null).
            if *name == "page_info" {
                let message = "no \"page_info\", as Mixpanel sends it: a pageless page (docs/rules.md, \"Pages without page_info\")";
                self.report.warnings.push(Problem::new(ProblemCode::NoPageInfo, p, message).at(start));
                continue;
            }
            if *name == "mixpanel_cohort_description" {
                let message = "no \"mixpanel_cohort_description\", as Mixpanel sends it: the description is null";
                self.report.warnings.push(Problem::new(ProblemCode::MissingField, p, message).at(start));
                continue;
            }
            let problem = Problem::new(ProblemCode::MissingField, p, format!("\"{name}\" is missing")).at(start);
            if REQUIRED_IDS.contains(name) || *name == "members" {
                self.error(problem);
            } else {
                self.warn(problem);
            }
        }
        Ok(())
    }

    /// A string parameter. Ids must be non-empty strings (a number is reported: Mixpanel
    /// sends ids as strings); the cohort's name and description may also be null.
    /// A stored one (`kind`) follows the rule for ids (ids.rs).
    fn text_parameter(
        &mut self,
        name: &str,
        required: bool,
        id_kind: Option<IdKind>,
    ) -> Result<Option<String>, SyntaxError> {
        let p = path(&["parameters", name]);
        let kind = self.reader.peek_kind()?;
        if kind == Kind::Null && !required {
            self.reader.read_null()?;
            return Ok(None);
        }
        if kind != Kind::String {
            self.wrong_type(p, "a string", kind)?;
            return Ok(None);
        }
        let token = self.reader.read_string()?;
        if let Some((code, why)) = id_kind.and_then(|id_kind| id_problem(&token.decode_bytes(), id_kind)) {
            self.error(Problem::new(code, p, format!("\"{name}\" {why}")).at(token.start));
            return Ok(None);
        }
        let text = token.decode().into_owned();
        if required && text.is_empty() {
            self.error(Problem::new(ProblemCode::EmptyString, p, format!("\"{name}\" is empty")).at(token.start));
        }
        Ok(Some(text))
    }

    /// `page_info`; `null` counts as absent (`seen` forgets it, so it is reported as
    /// missing: a warning).
    fn page_info(&mut self, seen_parameters: &mut Seen, slot: usize) -> Result<(), SyntaxError> {
        const NAMES: [&str; 2] = ["page_count", "total_pages"];
        let kind = self.reader.peek_kind()?;
        if kind == Kind::Null {
            self.reader.read_null()?;
            seen_parameters.forget(slot);
            return Ok(());
        }
        if kind != Kind::Object {
            return self.wrong_type(path(&["parameters", "page_info"]), "an object", kind);
        }
        let start = self.reader.pos();
        let mut seen = Seen::default();
        let mut values = [None, None];
        self.reader.begin_object()?;
        let mut first = true;
        while let Some(key) = self.reader.next_key(first)? {
            first = false;
            let Some(slot) = slot_of(&key, &NAMES) else {
                self.unknown_field(&key, "/parameters/page_info")?;
                continue;
            };
            if !self.check_repeat(&mut seen, slot, &NAMES, &key, || "/parameters/page_info".into()) {
                self.reader.skip_value()?;
                continue;
            }
            values[slot] = self.page_number(NAMES[slot])?;
        }
        for (slot, name) in NAMES.iter().enumerate() {
            if !seen.has(slot) {
                let p = path(&["parameters", "page_info", name]);
                self.error(Problem::new(ProblemCode::MissingField, p, format!("\"{name}\" is missing")).at(start));
            }
        }
        if let [Some((count, count_at)), Some((total, _))] = values {
            if count > total {
                self.error(
                    Problem::new(
                        ProblemCode::PageOutOfRange,
                        "/parameters/page_info/page_count",
                        format!("page_count {count} is past total_pages {total}"),
                    )
                    .at(count_at),
                );
            } else {
                self.report.page = Some(PageInfo { count, total });
            }
        }
        Ok(())
    }

    /// A page number: an integer from 1 to 2^53 (JSON allows `6.0` or `6e0`; they count).
    fn page_number(&mut self, name: &str) -> Result<Option<(u64, usize)>, SyntaxError> {
        let p = path(&["parameters", "page_info", name]);
        let kind = self.reader.peek_kind()?;
        if kind != Kind::Number {
            self.wrong_type(p, "an integer", kind)?;
            return Ok(None);
        }
        let at = self.reader.pos();
        let text = self.reader.read_number()?;
        match json_integer(text) {
            None => {
                let message = format!("\"{name}\" is {text}, not an integer");
                self.error(Problem::new(ProblemCode::NotAnInteger, p, message).at(at));
                Ok(None)
            }
            Some(value) if !(1..=MAX_SAFE_INTEGER).contains(&value) => {
                let message = format!("\"{name}\" is {text}; pages count from 1");
                self.error(Problem::new(ProblemCode::PageOutOfRange, p, message).at(at));
                Ok(None)
            }
            Some(value) => Ok(Some((value as u64, at))),
        }
    }

    fn member_list(&mut self) -> Result<(), SyntaxError> {
        let kind = self.reader.peek_kind()?;
        if kind != Kind::Array {
            return self.wrong_type(path(&["parameters", "members"]), "an array", kind);
        }
        let start = self.reader.pos();
        self.reader.begin_array()?;
        let mut index = 0;
        while self.reader.next_element(index == 0)? {
            let kind = self.reader.peek_kind()?;
            if kind == Kind::Object {
                // Noted here, not in `member`: the walk's hottest function stays as small.
                let opened = self.reader.pos();
                self.member(index)?;
                if self.note_spans {
                    self.member_spans.push((opened, self.reader.pos()));
                }
            } else {
                self.wrong_type(member_path(index, None), "a member object", kind)?;
            }
            index += 1;
        }
        self.report.member_count = Some(index);
        if index > self.options.max_members {
            self.error(
                Problem::new(
                    ProblemCode::TooManyMembers,
                    "/parameters/members",
                    format!("{index} members in one page; at most {} are allowed", self.options.max_members),
                )
                .at(start),
            );
        }
        Ok(())
    }

    fn member(&mut self, index: usize) -> Result<(), SyntaxError> {
        let start = self.reader.pos();
        let mut seen = Seen::default();
        let mut distinct_id: Option<String> = None;
        let mut reserved_id: Option<JsonStr<'a>> = None;
        let mut fields: [Option<String>; 4] = Default::default();
        let mut properties: Vec<(String, String)> = Vec::new();
        // For fills: the typed fields sent as strings, and where each reserved key's
        // (last) value is.
        let mut texts = Seen::default();
        let mut reserved_values: [Option<(usize, usize)>; 4] = [None; 4];
        self.reader.begin_object()?;
        let mut first = true;
        while let Some((slot, key)) = self.reader.next_key_among(first, &MEMBER_FIELDS)? {
            first = false;
            match slot {
                Some(slot)
                    if !self.check_repeat(&mut seen, slot, &MEMBER_FIELDS, &key, || member_path(index, None)) =>
                {
                    self.reader.skip_value()?;
                }
                Some(0) => distinct_id = self.distinct_id(index)?,
                Some(slot) => {
                    if self.note_fills && self.reader.peek_kind()? == Kind::String {
                        texts.first(slot);
                    }
                    fields[slot - 1] = self.optional_text(index, MEMBER_FIELDS[slot])?;
                }
                // Other keys (`$distinct_id` among them) are the member's properties.
                None => {
                    let reserved = key.raw == RESERVED_DISTINCT_ID
                        || (key.escaped && key.decode().as_bytes() == RESERVED_DISTINCT_ID);
                    let (from, to) = if reserved && self.reader.peek_kind()? == Kind::String {
                        // Read once, as the id that may stand in (last one wins, as in JSON.parse).
                        let token = self.reader.read_string()?;
                        reserved_id = Some(token);
                        (token.start, self.reader.pos())
                    } else {
                        if reserved {
                            reserved_id = None; // only a string can stand in for the id
                        }
                        self.reader.skip_value()?
                    };
                    if self.note_fills {
                        if let Some(at) = slot_of(&key, &RESERVED_KEYS) {
                            reserved_values[at] = Some((from, to));
                        }
                    }
                    if self.collect {
                        // The reader checked these bytes: valid JSON, valid UTF-8.
                        let raw = String::from_utf8_lossy(&self.reader.bytes()[from..to]).into_owned();
                        properties.push((key.decode().into_owned(), raw));
                    }
                }
            }
        }
        if !seen.has(0) {
            match reserved_id {
                Some(token) if !token.decode_bytes().is_empty() => {
                    distinct_id = self.reserved_distinct_id(index, token);
                    if self.note_fills {
                        self.fills.push(Fill { member: index, field: MemberField::DistinctId, text: None });
                    }
                }
                _ => self.error(
                    Problem::new(
                        ProblemCode::MissingField,
                        member_path(index, Some("mixpanel_distinct_id")),
                        "the member has no \"mixpanel_distinct_id\" (nor a \"$distinct_id\" to stand in for it)",
                    )
                    .at(start),
                ),
            }
        }
        if let (true, Some(distinct_id)) = (self.collect, distinct_id) {
            let [email, first_name, last_name, phone_number] = fields;
            let mut member = Member {
                distinct_id,
                email,
                first_name,
                last_name,
                phone_number,
                properties: Properties::from_pairs(properties),
            };
            member.fill_from_reserved();
            self.members.push(member);
        }
        if self.note_fills {
            self.note_reserved_fills(index, texts, &reserved_values);
        }
        Ok(())
    }

    /// The fills [`Member::fill_from_reserved`] would make on member `index`: from each
    /// reserved value (`at` in the body) whose typed field was not sent as a string.
    fn note_reserved_fills(&mut self, index: usize, texts: Seen, reserved_values: &[Option<(usize, usize)>; 4]) {
        for (field, at) in RESERVED_FIELDS.iter().zip(reserved_values) {
            let Some((from, to)) = *at else { continue };
            if texts.has(*field as usize) {
                continue;
            }
            // The reader checked these bytes: valid JSON, valid UTF-8.
            let raw = String::from_utf8_lossy(&self.reader.bytes()[from..to]);
            if let Some(text) = reserved_text(&raw) {
                let text = (!raw.starts_with('"')).then(|| text.into_owned());
                self.fills.push(Fill { member: index, field: *field, text });
            }
        }
    }

    /// A member without `mixpanel_distinct_id` whose `$distinct_id` (Mixpanel's reserved
    /// property for the same id; the real sender sends both) stands in for it, with a
    /// warning. Checked like the distinct id itself.
    fn reserved_distinct_id(&mut self, index: usize, token: JsonStr<'a>) -> Option<String> {
        let path = member_path(index, Some("$distinct_id"));
        let message = "no \"mixpanel_distinct_id\": the member's \"$distinct_id\" was taken as its distinct id";
        self.warn(Problem::new(ProblemCode::ReservedDistinctId, path, message).at(token.start));
        self.checked_id(index, "$distinct_id", token)
    }

    /// The member's distinct id: a non-empty string. Returned (owned) only when
    /// collecting members; always remembered for the duplicate check.
    fn distinct_id(&mut self, index: usize) -> Result<Option<String>, SyntaxError> {
        let kind = self.reader.peek_kind()?;
        if kind != Kind::String {
            let found = kind.describe();
            self.error(
                Problem::new(
                    ProblemCode::WrongType,
                    member_path(index, Some("mixpanel_distinct_id")),
                    format!("expected a string, found {found} (Mixpanel sends distinct ids as strings)"),
                )
                .at(self.reader.pos()),
            );
            self.reader.skip_value()?;
            return Ok(None);
        }
        let token = self.reader.read_string()?;
        if token.decode_bytes().is_empty() {
            self.error(
                Problem::new(
                    ProblemCode::EmptyString,
                    member_path(index, Some("mixpanel_distinct_id")),
                    "\"mixpanel_distinct_id\" is empty",
                )
                .at(token.start),
            );
            return Ok(None);
        }
        Ok(self.checked_id(index, "mixpanel_distinct_id", token))
    }

    /// A non-empty distinct id read from member `index`'s `field`: refused past
    /// the rule for ids (ids.rs), a warning past [`LONG_ID_CHARS`]. Returned (owned) only when
    /// collecting members; always remembered for the duplicate check. (The problem's path
    /// is built only when there is a problem: this runs for every member.)
    fn checked_id(&mut self, index: usize, field: &str, token: JsonStr<'a>) -> Option<String> {
        let id = token.decode_bytes();
        if let Some((code, why)) = id_problem(&id, IdKind::DistinctId) {
            self.error(
                Problem::new(code, member_path(index, Some(field)), format!("the distinct id {why}")).at(token.start),
            );
            return None;
        }
        if let Some(chars) = chars_over(&id, LONG_ID_CHARS) {
            let message = format!("the distinct id is {chars} characters long; Mixpanel's are at most {LONG_ID_CHARS}");
            self.warn(Problem::new(ProblemCode::LongId, member_path(index, Some(field)), message).at(token.start));
        }
        let owned = if self.collect { Some(token.decode().into_owned()) } else { None };
        // The head's reader returns no warnings: ids are remembered only to find repeats
        // (a warning) and for the id lists of the other builds.
        if !self.note_fills {
            self.seen_ids.push(SeenId { id, index, offset: token.start });
        }
        owned
    }

    /// A known member field: a string or null.
    fn optional_text(&mut self, index: usize, name: &str) -> Result<Option<String>, SyntaxError> {
        match self.reader.peek_kind()? {
            Kind::String => {
                let token = self.reader.read_string()?;
                Ok(self.collect.then(|| token.decode().into_owned()))
            }
            Kind::Null => {
                self.reader.read_null()?;
                Ok(None)
            }
            kind => {
                self.wrong_type(member_path(index, Some(name)), "a string or null", kind)?;
                Ok(None)
            }
        }
    }

    /// A distinct id repeated within a page is a warning (the member is simply listed
    /// twice), reported at each repeat with the index of the first.
    fn report_duplicate_ids(&mut self) {
        let repeats = find_repeats(&self.seen_ids.iter().map(|seen| &*seen.id).collect::<Vec<_>>());
        for (later, first) in repeats {
            let ids = &self.seen_ids;
            let (index, offset, first_index) = (ids[later].index, ids[later].offset, ids[first].index);
            self.warn(
                Problem::new(
                    ProblemCode::DuplicateMember,
                    member_path(index, Some("mixpanel_distinct_id")),
                    format!("this distinct id was already listed at /parameters/members/{first_index}"),
                )
                .at(offset),
            );
        }
    }
}

/// Member objects of `text` at the byte offsets `starts` (each where one begins: a
/// member of a page, or one kept as the JSON text it was sent as), read by the page's
/// rules into [`Member`]s, in one walk; `None` for a place that holds no member object
/// with a distinct id.
pub fn read_members(text: &[u8], starts: &[usize]) -> Vec<Option<Member>> {
    let mut walk = Walk::new(text, &ValidateOptions::default(), Build::Member);
    let mut read = |start| {
        walk.reader = Reader::new(text, start);
        walk.member(0).ok()?;
        walk.members.pop()
    };
    starts.iter().map(|&start| read(start)).collect()
}

/// The largest integer a JavaScript number holds exactly (2^53).
const MAX_SAFE_INTEGER: i128 = 1 << 53;

/// The value of a JSON number token when it is a whole number (`6`, `6.0`, `6e0`,
/// `600e-2`), saturated far past 2^53; `None` when it has a fractional part. Exact
/// decimal arithmetic, so `1.0000000000000000001` is not taken for 1 (as f64 would), and
/// no float parsing code lands in the wasm.
fn json_integer(text: &str) -> Option<i128> {
    const CAP: i128 = 1 << 100;
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => {
            // `at` is an ASCII 'e': both cuts are char boundaries.
            let digits = ascii_cut(text, at + 1, text.len());
            let saturated = if digits.starts_with('-') { i64::MIN } else { i64::MAX };
            (ascii_cut(text, 0, at), digits.parse::<i64>().unwrap_or(saturated))
        }
        None => (text, 0),
    };
    let (int_part, frac_part) = crate::text::split_once(mantissa, b'.').unwrap_or((mantissa, ""));
    let frac_part =
        ascii_cut(frac_part, 0, frac_part.len() - frac_part.bytes().rev().take_while(|&b| b == b'0').count());
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).map(|b| b.wrapping_sub(b'0')).collect();
    // value = digits × 10^scale
    let mut scale = exponent.saturating_sub(frac_part.len() as i64);
    while scale < 0 && digits.last() == Some(&0) {
        digits.pop();
        scale += 1;
    }
    let Some(first) = digits.iter().position(|&d| d != 0) else { return Some(0) };
    if scale < 0 {
        return None;
    }
    let mut value: i128 = 0;
    for &d in &digits[first..] {
        value = (value * 10 + d as i128).min(CAP);
    }
    for _ in 0..scale.min(40) {
        value = (value * 10).min(CAP);
    }
    Some(if negative { -value } else { value })
}

const PARAMETERS: [&str; 8] = [
    "mixpanel_project_id",
    "mixpanel_cohort_id",
    "mixpanel_cohort_name",
    "mixpanel_cohort_description",
    "mixpanel_session_id",
    "page_info",
    "members",
    "mixpanel_integration_id",
];

const REQUIRED_IDS: [&str; 3] = ["mixpanel_project_id", "mixpanel_cohort_id", "mixpanel_session_id"];

#[cfg(test)]
mod tests {
    use super::json_integer;

    #[test]
    fn ids_come_with_the_report_only_when_valid_in_page_order() {
        let body = br#"{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_cohort_name":"n","mixpanel_cohort_description":"d","mixpanel_session_id":"s","page_info":{"page_count":1,"total_pages":1},"members":[{"mixpanel_distinct_id":"b"},{"mixpanel_distinct_id":"a\u00e9"},{"mixpanel_distinct_id":"b"}]}}"#;
        let options = super::ValidateOptions::default();
        let (report, listing) = super::validate_payload_with_ids(body, &options, true);
        assert!(report.valid);
        let ids: Vec<String> = listing.ids.iter().map(|id| String::from_utf8(id.to_vec()).unwrap()).collect();
        assert_eq!(ids, ["b", "a\u{e9}", "b"]);
        let members: Vec<&[u8]> = listing.member_spans.iter().map(|&(a, b)| &body[a..b]).collect();
        assert_eq!(
            members,
            [
                &br#"{"mixpanel_distinct_id":"b"}"#[..],
                br#"{"mixpanel_distinct_id":"a\u00e9"}"#,
                br#"{"mixpanel_distinct_id":"b"}"#
            ]
        );
        let (report, listing) = super::validate_payload_with_ids(b"{", &options, true);
        assert!(!report.valid && listing.ids.is_empty() && listing.member_spans.is_empty());
    }

    #[test]
    fn what_the_real_sender_leaves_out_is_noted_after_every_warning_and_never_cut() {
        // 150 repeated ids (a warning each, cut at 100), an unknown key after
        // "parameters", no page_info and no description.
        let members: Vec<String> = (0..151).map(|_| r#"{"mixpanel_distinct_id":"x"}"#.to_string()).collect();
        let body = format!(
            r#"{{"action":"members","parameters":{{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_cohort_name":"n","mixpanel_session_id":"s","members":[{}]}},"extra":1}}"#,
            members.join(",")
        );
        let report = super::validate_payload(body.as_bytes(), &super::ValidateOptions::default());
        assert!(report.valid);
        let codes: Vec<(&str, bool)> = report.warnings.iter().map(|p| (p.code.as_str(), super::is_note(p))).collect();
        assert_eq!(codes.len(), 103, "{codes:?}");
        assert!(codes[..101].iter().all(|&(_, note)| !note), "{codes:?}");
        assert_eq!(codes[101..], [("missing_field", true), ("no_page_info", true)]);
        let json = crate::json::ToJson::to_json(&report);
        assert!(json.contains(r#""info":[{"code":"missing_field""#), "{json}");
        assert!(report.warnings[101].line.is_some(), "notes are located like the rest");
    }

    #[test]
    fn json_integers_are_read_exactly() {
        for (text, want) in [
            ("0", Some(0)),
            ("-0", Some(0)),
            ("6", Some(6)),
            ("6.0", Some(6)),
            ("6.000", Some(6)),
            ("6e0", Some(6)),
            ("600e-2", Some(6)),
            ("0.6e1", Some(6)),
            ("1E3", Some(1000)),
            ("-3", Some(-3)),
            ("1.5", None),
            ("0.5", None),
            ("1.0000000000000000001", None),
            ("61e-1", None),
            ("0e-5", Some(0)),
            ("9007199254740993", Some(9007199254740993)),
        ] {
            assert_eq!(json_integer(text), want, "{text}");
        }
        assert!(json_integer("1e999999999999").unwrap() > 1 << 53);
        assert!(json_integer("1e-999999999999").is_none());
    }
}
