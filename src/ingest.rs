//! Mixpanel's ingestion rules (docs/domain.md, "Mixpanel's ingestion limits" and
//! "MTU-exempt CleverTap events"): checking events and profile updates
//! before they are sent, cutting them into requests Mixpanel accepts, and the CleverTap
//! event names that do not count towards MTU.

use crate::json::{JsonStr, JsonWriter, Kind, Reader, ToJson};

pub const MAX_EVENTS_PER_REQUEST: usize = 2000;
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
pub const MAX_PROPERTIES: usize = 255;
pub const MAX_STRING_CHARS: usize = 255;
pub const MAX_INSERT_ID_BYTES: usize = 36;
pub const MAX_USER_PROFILES_PER_REQUEST: usize = 2000;
pub const MAX_GROUP_PROFILES_PER_REQUEST: usize = 200;
/// 1971-01-01T00:00:00Z in milliseconds: Mixpanel refuses earlier event times.
pub const EARLIEST_TIME_MS: u64 = 31_536_000_000;
/// Event times may be at most this far in the future.
pub const FUTURE_SLACK_MS: u64 = 3_600_000;
/// Array property values must have fewer elements than this, at any depth.
pub const MAX_ARRAY_ELEMENTS: usize = 255;
/// Object property values must have fewer keys than this, at any depth.
pub const MAX_OBJECT_KEYS: usize = 255;

/// Values Mixpanel refuses as a distinct id or an `$insert_id` (compared ignoring case
/// and surrounding spaces). The empty string is not one: an event with an empty
/// distinct id is tied to no user, which Mixpanel accepts.
pub const PLACEHOLDER_IDS: [&str; 17] = [
    "00000000-0000-0000-0000-000000000000",
    "anon",
    "anonymous",
    "nil",
    "none",
    "null",
    "n/a",
    "na",
    "undefined",
    "unknown",
    "<nil>",
    "0",
    "-1",
    "true",
    "false",
    "[]",
    "{}",
];

/// CleverTap event names that do not count towards Mixpanel MTU (exact names).
pub const MTU_EXEMPT_EVENTS: [&str; 20] = [
    "Notification Sent",
    "Notification Viewed",
    "Notification Clicked",
    "Push Impressions",
    "Notification Replied",
    "Push Unregistered",
    "Control Group",
    "Channel Unsubscribed",
    "Reachable By",
    "Notification Delivered",
    "AB Experiment Rendered",
    "AB Experiment Stopped",
    "AB Experiment Rolled Out",
    "Geocluster Entered",
    "Geocluster Exited",
    "Reply Sent",
    "App Uninstalled",
    "Webhook Delivered",
    "State Transitioned",
    "UTM Visited",
];

pub fn is_mtu_exempt(event_name: &str) -> bool {
    MTU_EXEMPT_EVENTS.contains(&event_name)
}

pub fn is_placeholder_id(id: &str) -> bool {
    let trimmed = id.trim();
    // Only the exact empty string means "no user"; spaces alone are a mistake like the
    // listed values.
    if trimmed.is_empty() {
        return !id.is_empty();
    }
    PLACEHOLDER_IDS.iter().any(|p| p.eq_ignore_ascii_case(trimmed))
}

/// One problem with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// The record's position; `None` for a problem with the whole list.
    pub index: Option<usize>,
    pub field: String,
    pub code: &'static str,
    pub message: String,
    /// Warnings (a string Mixpanel will truncate) do not make a record invalid.
    pub warning: bool,
}

impl ToJson for RecordProblem {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object()
            .field("index", &self.index)
            .field("field", &self.field)
            .field("code", self.code)
            .field("message", &self.message)
            .field("severity", if self.warning { "warning" } else { "error" })
            .end_object();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordReport {
    /// How many records passed, and how many did not.
    pub valid: usize,
    pub invalid: usize,
    /// Positions of the records that did not pass.
    pub invalid_indexes: Vec<usize>,
    pub problems: Vec<RecordProblem>,
}

impl ToJson for RecordReport {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object()
            .field("valid", &self.valid)
            .field("invalid", &self.invalid)
            .field("invalidIndexes", &self.invalid_indexes)
            .field("problems", &self.problems)
            .end_object();
    }
}

/// The records of a list: a JSON array, or NDJSON (one JSON value a line). Returns each
/// record's byte range, or a problem with the text itself.
pub fn split_records(text: &[u8]) -> Result<Vec<(usize, usize)>, RecordProblem> {
    let list_problem =
        |code, message: String| RecordProblem { index: None, field: String::new(), code, message, warning: false };
    let mut r = Reader::new(text, 0);
    let mut spans = Vec::new();
    let kind = match r.peek_kind() {
        Ok(kind) => kind,
        Err(_) if r.at_end() => return Ok(spans),
        Err(e) => return Err(list_problem("invalid_json", e.message)),
    };
    if kind == Kind::Array {
        r.begin_array().map_err(|e| list_problem("invalid_json", e.message))?;
        let mut first = true;
        while r
            .next_element(first)
            .map_err(|e| list_problem("invalid_json", format!("{} (byte {})", e.message, e.offset)))?
        {
            first = false;
            spans.push(
                r.skip_value()
                    .map_err(|e| list_problem("invalid_json", format!("{} (byte {})", e.message, e.offset)))?,
            );
        }
        if !r.at_end() {
            return Err(list_problem("invalid_json", "unexpected data after the array".into()));
        }
        return Ok(spans);
    }
    // NDJSON: values separated by newlines.
    let mut line = 0;
    while !r.at_end() {
        line += 1;
        let span = r.skip_value().map_err(|e| list_problem("invalid_json", format!("line {line}: {}", e.message)))?;
        spans.push(span);
        // Only spaces and tabs may follow a value on its line.
        let rest = &text[span.1..];
        let gap = rest.iter().take_while(|&&b| b == b' ' || b == b'\t' || b == b'\r').count();
        if rest.get(gap).is_some_and(|&b| b != b'\n') {
            return Err(list_problem("invalid_json", format!("line {line}: one JSON value per line expected")));
        }
    }
    Ok(spans)
}

struct Checker<'a> {
    index: usize,
    problems: &'a mut Vec<RecordProblem>,
    failed: bool,
}

impl Checker<'_> {
    fn error(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.failed = true;
        self.problems.push(RecordProblem {
            index: Some(self.index),
            field: field.into(),
            code,
            message: message.into(),
            warning: false,
        });
    }
    fn placeholder(&mut self, field: &str, code: &'static str, id: &str) {
        self.error(field, code, format!("\"{id}\" is a placeholder Mixpanel refuses as {field}"));
    }
    fn warn(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.problems.push(RecordProblem {
            index: Some(self.index),
            field: field.into(),
            code,
            message: message.into(),
            warning: true,
        });
    }
}

/// The top-level keys of an object record with their raw values (keys borrowed, not
/// decoded: most are compared against a few names); `None` for anything but an object.
fn object_fields<'a>(raw: &'a [u8]) -> Option<Vec<(JsonStr<'a>, &'a [u8])>> {
    let mut r = Reader::new(raw, 0);
    if r.peek_kind().ok()? != Kind::Object {
        return None;
    }
    r.begin_object().ok()?;
    let mut out = Vec::with_capacity(8);
    let mut first = true;
    while let Some(key) = r.next_key(first).ok()? {
        first = false;
        let (from, to) = r.skip_value().ok()?;
        out.push((key, &raw[from..to]));
    }
    Some(out)
}

fn kind_of(raw: &[u8]) -> Option<Kind> {
    Reader::new(raw, 0).peek_kind().ok()
}

fn string_of(raw: &[u8]) -> Option<String> {
    let mut r = Reader::new(raw, 0);
    (r.peek_kind().ok()? == Kind::String).then(|| r.read_string().ok().map(|s| s.decode().into_owned())).flatten()
}

/// Whole milliseconds of an event time given in seconds or milliseconds (values past
/// 10^11 are milliseconds: that is year 5138 in seconds, 1973 in milliseconds).
fn time_ms(raw: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(raw).ok()?;
    if text.starts_with('-') || text.contains(['e', 'E']) {
        return None;
    }
    let (whole, fraction) = crate::text::split_once(text, b'.').unwrap_or((text, ""));
    let whole: u64 = whole.parse().ok()?;
    if whole >= 100_000_000_000 {
        return Some(whole);
    }
    let digits = fraction.as_bytes();
    let mut millis = 0u64;
    for k in 0..3 {
        let d = digits.get(k).copied().unwrap_or(b'0');
        if !d.is_ascii_digit() {
            return None;
        }
        millis = millis * 10 + (d - b'0') as u64;
    }
    whole.checked_mul(1000)?.checked_add(millis)
}

/// Checks the arrays (fewer than 255 elements) and objects (fewer than 255 keys) in one
/// value the reader has already validated, at any depth (`inner_only`: not the outermost
/// one); reports the first too large of each kind under `field`. A plain byte scan with a
/// stack of its own (the reader's nesting limit bounds it), no recursion: a container's
/// entries are its commas plus one (an empty one counts 1, far from any limit).
#[inline(never)]
fn check_entries(raw: &[u8], inner_only: bool, field: &str, c: &mut Checker) {
    // For each open container: its commas so far, times two, plus one for an object.
    let mut open = [0usize; crate::json::MAX_DEPTH + 1];
    let mut depth = 0usize;
    let mut reported = [false; 2];
    let (mut in_string, mut escaped) = (false, false);
    for &b in raw {
        if in_string {
            (in_string, escaped) = (escaped || b != b'"', !escaped && b == b'\\');
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => {
                if let Some(top) = depth.checked_sub(1).and_then(|d| open.get_mut(d)) {
                    *top += 2;
                }
            }
            b'[' | b'{' => {
                if let Some(slot) = open.get_mut(depth) {
                    *slot = (b == b'{') as usize;
                }
                depth += 1;
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                let top = open.get(depth).copied().unwrap_or(0);
                let (is_object, entries) = (top & 1 == 1, top / 2 + 1);
                let (limit, code, what) = if is_object {
                    (MAX_OBJECT_KEYS, "too_many_keys", "keys")
                } else {
                    (MAX_ARRAY_ELEMENTS, "too_many_elements", "elements")
                };
                if entries >= limit && !reported[is_object as usize] && !(inner_only && depth == 0) {
                    reported[is_object as usize] = true;
                    c.error(field, code, format!("{entries} {what}; Mixpanel takes fewer than {limit}"));
                }
            }
            _ => {}
        }
    }
}

/// What one pass over an event's `properties` found.
#[derive(Default)]
struct EventFields<'a> {
    count: usize,
    time: Option<&'a [u8]>,
    distinct_id: Option<&'a [u8]>,
    insert_id: Option<&'a [u8]>,
}

/// Reads `properties` in one pass: the three fields Mixpanel requires kept as raw
/// values, long strings flagged and arrays and objects counted on the way. `None` when
/// it is not an object.
fn event_properties<'a>(r: &mut Reader<'a>, c: &mut Checker) -> Option<EventFields<'a>> {
    if r.peek_kind().ok()? != Kind::Object {
        return None;
    }
    let bytes = r.bytes();
    let mut found = EventFields::default();
    r.begin_object().ok()?;
    let mut first = true;
    while let Some(key) = r.next_key(first).ok()? {
        first = false;
        found.count += 1;
        let kind = r.peek_kind().ok()?;
        let (from, to) = r.skip_value().ok()?;
        let raw = &bytes[from..to];
        if key.is("time") {
            found.time = Some(raw);
        } else if key.is("distinct_id") {
            found.distinct_id = Some(raw);
        } else if key.is("$insert_id") {
            found.insert_id = Some(raw);
        } else if matches!(kind, Kind::Array | Kind::Object) {
            check_entries(raw, false, &key.decode(), c);
        } else if kind == Kind::String && raw.len() > MAX_STRING_CHARS + 2 {
            let chars = raw.iter().filter(|&&b| b & 0xC0 != 0x80).count() - 2;
            // Escapes make the raw text longer than the string: decode to be sure.
            let chars = if raw.contains(&b'\\') { string_of(raw).map_or(chars, |t| t.chars().count()) } else { chars };
            if chars > MAX_STRING_CHARS {
                c.warn(
                    &key.decode(),
                    "string_truncated",
                    format!("{chars} characters; Mixpanel keeps the first {MAX_STRING_CHARS}"),
                );
            }
        }
    }
    Some(found)
}

/// Checks one `/import` event in one pass over its bytes.
fn check_event(raw: &[u8], now_ms: u64, c: &mut Checker) {
    if raw.len() >= MAX_RECORD_BYTES {
        c.error("", "event_too_large", format!("the event is {} bytes; Mixpanel takes events under 1 MB", raw.len()));
    }
    let mut r = Reader::new(raw, 0);
    if r.peek_kind().ok() != Some(Kind::Object) || r.begin_object().is_err() {
        return c.error("", "not_an_object", "an event must be a JSON object");
    }
    let (mut name, mut props) = (None, None);
    let mut first = true;
    while let Ok(Some(key)) = r.next_key(first) {
        first = false;
        if key.is("properties") {
            props = Some(event_properties(&mut r, c));
            if matches!(props, Some(None)) && r.skip_value().is_err() {
                break;
            }
        } else {
            let Ok((from, to)) = r.skip_value() else { break };
            if key.is("event") {
                name = Some(string_of(&raw[from..to]));
            }
        }
    }
    match name {
        None => c.error("event", "missing_field", "\"event\" (the event's name) is missing"),
        Some(None) => c.error("event", "wrong_type", "\"event\" must be a string"),
        Some(Some(name)) if name.trim().is_empty() => c.error("event", "empty_string", "\"event\" is empty"),
        Some(Some(_)) => {}
    }
    let props = match props {
        None => {
            return c.error(
                "properties",
                "missing_field",
                "\"properties\" (with time, distinct_id and $insert_id) is missing",
            )
        }
        Some(None) => return c.error("properties", "wrong_type", "\"properties\" must be an object"),
        Some(Some(props)) => props,
    };
    if props.count >= MAX_PROPERTIES {
        c.error(
            "properties",
            "too_many_properties",
            format!("{} properties; Mixpanel takes fewer than {MAX_PROPERTIES}", props.count),
        );
    }
    match props.time {
        None => c.error("time", "missing_field", "\"time\" is missing"),
        Some(raw) if kind_of(raw) != Some(Kind::Number) => {
            c.error("time", "wrong_type", "\"time\" must be a number (seconds or milliseconds)")
        }
        Some(raw) => match time_ms(raw) {
            Some(ms) if ms < EARLIEST_TIME_MS => c.error("time", "time_out_of_range", "the time is before 1971-01-01"),
            Some(ms) if ms > now_ms.saturating_add(FUTURE_SLACK_MS) => {
                c.error("time", "time_out_of_range", "the time is more than 1 hour in the future")
            }
            Some(_) => {}
            None => {
                c.error("time", "time_out_of_range", "the time must be a positive number of seconds or milliseconds")
            }
        },
    }
    match props.distinct_id {
        None => c.error("distinct_id", "missing_field", "\"distinct_id\" is missing"),
        Some(raw) => {
            let text = match kind_of(raw) {
                Some(Kind::String) => string_of(raw),
                Some(Kind::Number) => std::str::from_utf8(raw).ok().map(String::from),
                _ => None,
            };
            match text {
                None => c.error("distinct_id", "wrong_type", "\"distinct_id\" must be a string"),
                Some(id) if is_placeholder_id(&id) => c.placeholder("distinct_id", "placeholder_distinct_id", &id),
                Some(_) => {}
            }
        }
    }
    match props.insert_id {
        None => c.error("$insert_id", "missing_field", "\"$insert_id\" is missing"),
        Some(raw) => match string_of(raw) {
            None => c.error("$insert_id", "wrong_type", "\"$insert_id\" must be a string"),
            Some(id) if is_placeholder_id(&id) => c.placeholder("$insert_id", "placeholder_insert_id", &id),
            Some(id)
                if id.is_empty()
                    || id.len() > MAX_INSERT_ID_BYTES
                    || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                c.error(
                    "$insert_id",
                    "invalid_insert_id",
                    format!("\"$insert_id\" must be 1 to {MAX_INSERT_ID_BYTES} characters of A-Z, a-z, 0-9 and -"),
                )
            }
            Some(_) => {}
        },
    }
}

fn report(text: &[u8], mut check: impl FnMut(&[u8], &mut Checker)) -> RecordReport {
    let mut report = RecordReport::default();
    let spans = match split_records(text) {
        Ok(spans) => spans,
        Err(problem) => {
            report.problems.push(problem);
            return report;
        }
    };
    for (index, (from, to)) in spans.into_iter().enumerate() {
        let mut checker = Checker { index, problems: &mut report.problems, failed: false };
        check(&text[from..to], &mut checker);
        if checker.failed {
            report.invalid += 1;
            report.invalid_indexes.push(index);
        } else {
            report.valid += 1;
        }
    }
    report
}

/// Checks events for `/import` (`text`: a JSON array or NDJSON); `now_ms` bounds times.
pub fn validate_events(text: &[u8], now_ms: u64) -> RecordReport {
    report(text, |raw, c| check_event(raw, now_ms, c))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    User,
    Group,
}

const PROFILE_OPERATIONS: [&str; 8] =
    ["$set", "$set_once", "$add", "$union", "$append", "$remove", "$unset", "$delete"];

fn check_profile(raw: &[u8], kind: ProfileKind, token: Option<&str>, c: &mut Checker) {
    if raw.len() > MAX_RECORD_BYTES {
        c.error("", "update_too_large", format!("the update is {} bytes; Mixpanel takes at most 1 MB", raw.len()));
    }
    let Some(fields) = object_fields(raw) else {
        return c.error("", "not_an_object", "a profile update must be a JSON object");
    };
    let get = |name: &str| fields.iter().find(|(k, _)| k.is(name)).map(|(_, v)| *v);
    // `/engage` and `/groups` need the project token in every update, unless the caller
    // will put its own into those without one (or with an empty one) before sending.
    let token_filled = token.is_some_and(|t| !t.trim().is_empty());
    let required: &[&str] = match kind {
        ProfileKind::User => &["$token", "$distinct_id"],
        ProfileKind::Group => &["$token", "$group_key", "$group_id"],
    };
    for &name in required {
        let value = get(name).map(|raw| (kind_of(raw), string_of(raw)));
        let empty = value.is_none() || matches!(&value, Some((_, Some(text))) if text.trim().is_empty());
        if name == "$token" && empty {
            if !token_filled {
                c.error(name, "missing_token", format!("\"{name}\" is missing"));
            }
            continue;
        }
        match value {
            None => c.error(name, "missing_field", format!("\"{name}\" is missing")),
            Some((Some(Kind::String), Some(text))) if text.trim().is_empty() => {
                c.error(name, "empty_string", format!("\"{name}\" is empty"))
            }
            Some((Some(Kind::String), Some(text))) if name == "$distinct_id" && is_placeholder_id(&text) => {
                c.placeholder(name, "placeholder_distinct_id", &text)
            }
            Some((Some(Kind::String | Kind::Number), _)) => {}
            Some(_) => c.error(name, "wrong_type", format!("\"{name}\" must be a string")),
        }
    }
    if !fields.iter().any(|(k, _)| PROFILE_OPERATIONS.iter().any(|op| k.is(op))) {
        c.error("", "missing_operation", format!("an update needs one of {}", PROFILE_OPERATIONS.join(", ")));
    }
    for (key, value) in &fields {
        let expected = match () {
            _ if key.is("$unset") => Some((Kind::Array, "an array of property names")),
            _ if key.is("$delete") => None,
            _ if PROFILE_OPERATIONS.iter().any(|op| key.is(op)) => Some((Kind::Object, "an object of properties")),
            _ => None,
        };
        if let Some((kind, what)) = expected {
            if kind_of(value) != Some(kind) {
                let name = key.decode();
                c.error(&name, "wrong_type", format!("\"{name}\" must be {what}"));
            } else if kind == Kind::Object {
                // The arrays and objects among the values it sets (`$set`, `$union`…).
                check_entries(value, true, &key.decode(), c);
            }
        }
    }
}

/// Checks user or group profile updates (`text`: a JSON array or NDJSON). `token`: the
/// project token the caller will put into updates without one (then a missing `$token`
/// is not a problem). A list longer than one request takes (2000 user / 200 group
/// updates) adds a list-level warning.
pub fn validate_profiles(text: &[u8], kind: ProfileKind, token: Option<&str>) -> RecordReport {
    let mut out = report(text, |raw, c| check_profile(raw, kind, token, c));
    let limit = if kind == ProfileKind::User { MAX_USER_PROFILES_PER_REQUEST } else { MAX_GROUP_PROFILES_PER_REQUEST };
    let total = out.valid + out.invalid;
    if total > limit {
        out.problems.push(RecordProblem {
            index: None,
            field: String::new(),
            code: "batch_too_large",
            message: format!("{total} updates; one request takes at most {limit}: send them in batches"),
            warning: true,
        });
    }
    out
}

/// `/import` bodies: JSON arrays of at most 2000 events and 10 MB, events kept exactly as
/// given and in order (an event too large for any request gets a body of its own, to be
/// refused there rather than lost here).
pub fn import_batches(text: &[u8]) -> Result<Vec<String>, RecordProblem> {
    let spans = split_records(text)?;
    let mut bodies = Vec::new();
    let mut current = String::from("[");
    let mut count = 0;
    for (index, (from, to)) in spans.into_iter().enumerate() {
        let event = String::from_utf8_lossy(&text[from..to]);
        if event.len() + 2 > MAX_REQUEST_BYTES {
            return Err(RecordProblem {
                index: Some(index),
                field: String::new(),
                code: "event_too_large",
                message: format!("an event of {} bytes fits no request (at most {MAX_REQUEST_BYTES})", event.len()),
                warning: false,
            });
        }
        let extra = event.len() + 1;
        if count > 0 && (count == MAX_EVENTS_PER_REQUEST || current.len() + extra + 1 > MAX_REQUEST_BYTES) {
            current.push(']');
            bodies.push(std::mem::replace(&mut current, String::from("[")));
            count = 0;
        }
        if count > 0 {
            current.push(',');
        }
        current.push_str(&event);
        count += 1;
    }
    if count > 0 {
        current.push(']');
        bodies.push(current);
    }
    Ok(bodies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_763_800_000_000;

    fn event(props: &str) -> String {
        format!(r#"{{"event":"Signed up","properties":{props}}}"#)
    }

    fn codes(report: &RecordReport) -> Vec<&'static str> {
        report.problems.iter().map(|p| p.code).collect()
    }

    #[test]
    fn a_good_event_in_every_list_form() {
        let good = event(r#"{"time":1763790000,"distinct_id":"u-1","$insert_id":"abc-123"}"#);
        for text in [format!("[{good}]"), format!("{good}\n"), format!("\n{good}\n\n{good}")] {
            let report = validate_events(text.as_bytes(), NOW);
            assert!(report.invalid == 0 && report.valid >= 1, "{text}: {:?}", report.problems);
        }
        assert_eq!(validate_events(b"", NOW).valid, 0);
        let ms = event(r#"{"time":1763790000123,"distinct_id":"u-1","$insert_id":"a"}"#);
        assert_eq!(validate_events(ms.as_bytes(), NOW).valid, 1);
    }

    #[test]
    fn each_rule() {
        let cases = [
            (event(r#"{"distinct_id":"u","$insert_id":"a"}"#), "missing_field"),
            (event(r#"{"time":1,"distinct_id":"u","$insert_id":"a"}"#), "time_out_of_range"),
            (
                event(&format!(r#"{{"time":{},"distinct_id":"u","$insert_id":"a"}}"#, NOW + 3_700_000)),
                "time_out_of_range",
            ),
            (event(r#"{"time":"1763790000","distinct_id":"u","$insert_id":"a"}"#), "wrong_type"),
            (event(r#"{"time":1763790000,"distinct_id":"Undefined","$insert_id":"a"}"#), "placeholder_distinct_id"),
            (
                event(r#"{"time":1763790000,"distinct_id":"00000000-0000-0000-0000-000000000000","$insert_id":"a"}"#),
                "placeholder_distinct_id",
            ),
            (event(r#"{"time":1763790000,"distinct_id":"u","$insert_id":"has space"}"#), "invalid_insert_id"),
            (
                event(&format!(r#"{{"time":1763790000,"distinct_id":"u","$insert_id":"{}"}}"#, "a".repeat(37))),
                "invalid_insert_id",
            ),
            (r#"{"properties":{"time":1763790000,"distinct_id":"u","$insert_id":"a"}}"#.to_string(), "missing_field"),
            ("[1,2]".to_string(), "not_an_object"),
        ];
        for (text, code) in cases {
            let report = validate_events(text.as_bytes(), NOW);
            assert_eq!(report.invalid, if text.starts_with('[') { 2 } else { 1 }, "{text}");
            assert!(codes(&report).contains(&code), "{text}: {:?}", report.problems);
        }
        let many: String = (0..255).map(|i| format!(r#","p{i}":1"#)).collect();
        let wide = event(&format!(r#"{{"time":1763790000,"distinct_id":"u","$insert_id":"a"{many}}}"#));
        assert!(codes(&validate_events(wide.as_bytes(), NOW)).contains(&"too_many_properties"));
        let long =
            event(&format!(r#"{{"time":1763790000,"distinct_id":"u","$insert_id":"a","bio":"{}"}}"#, "é".repeat(256)));
        let report = validate_events(long.as_bytes(), NOW);
        assert_eq!((report.valid, codes(&report)), (1, vec!["string_truncated"]), "a warning, not an error");
        assert_eq!(validate_events(b"[1,", NOW).problems[0].code, "invalid_json");
    }

    #[test]
    fn profiles() {
        let users = br#"[{"$token":"t","$distinct_id":"u","$set":{"a":1}},{"$distinct_id":"null","$set":{}},{"$token":"t","$distinct_id":"u"}]"#;
        let report = validate_profiles(users, ProfileKind::User, Some("t"));
        assert_eq!((report.valid, report.invalid), (1, 2));
        assert_eq!(codes(&report), ["placeholder_distinct_id", "missing_operation"]);
        let groups = br#"[{"$group_key":"company","$group_id":"42","$set":{}},{"$group_key":"company","$set":{}}]"#;
        let report = validate_profiles(groups, ProfileKind::Group, Some("t"));
        assert_eq!((report.valid, report.invalid), (1, 1));
    }

    fn ids(distinct_id: &str, insert_id: &str) -> String {
        event(&format!(r#"{{"time":1763790000,"distinct_id":"{distinct_id}","$insert_id":"{insert_id}"}}"#))
    }

    #[test]
    fn an_empty_distinct_id_is_an_event_of_no_user() {
        assert_eq!(validate_events(ids("", "a").as_bytes(), NOW).problems, []);
        for spaces in [" ", "  \\t"] {
            assert_eq!(
                codes(&validate_events(ids(spaces, "a").as_bytes(), NOW)),
                ["placeholder_distinct_id"],
                "{spaces:?}"
            );
        }
        assert_eq!(codes(&validate_events(ids(" NULL ", "a").as_bytes(), NOW)), ["placeholder_distinct_id"]);
    }

    #[test]
    fn placeholder_insert_ids_are_refused() {
        for id in PLACEHOLDER_IDS.iter().chain(&["NULL", "Undefined", "NaN-not"]) {
            let report = validate_events(ids("u", id).as_bytes(), NOW);
            let expected: &[&str] = if *id == "NaN-not" { &[] } else { &["placeholder_insert_id"] };
            assert_eq!(codes(&report), expected, "{id}");
        }
        assert_eq!(codes(&validate_events(ids("u", "").as_bytes(), NOW)), ["invalid_insert_id"]);
        assert_eq!(codes(&validate_events(ids("u", "anon-1").as_bytes(), NOW)), [] as [&str; 0]);
    }

    fn list(n: usize) -> String {
        format!("[{}]", vec!["1"; n].join(","))
    }

    fn object(n: usize) -> String {
        format!("{{{}}}", (0..n).map(|i| format!(r#""k{i}":1"#)).collect::<Vec<_>>().join(","))
    }

    fn with_property(value: &str) -> String {
        event(&format!(r#"{{"time":1763790000,"distinct_id":"u","$insert_id":"a","p":{value}}}"#))
    }

    #[test]
    fn arrays_and_objects_have_fewer_than_255_entries() {
        let found = |value: &str| {
            let report = validate_events(with_property(value).as_bytes(), NOW);
            report.problems.iter().map(|p| (p.field.clone(), p.code)).collect::<Vec<_>>()
        };
        let p = |code| vec![("p".to_string(), code)];
        assert_eq!(found(&list(254)), []);
        assert_eq!(found(&object(254)), []);
        assert_eq!(found(&list(255)), p("too_many_elements"));
        assert_eq!(found(&object(255)), p("too_many_keys"));
        assert_eq!(found(&format!(r#"{{"a":[{{"b":{}}}]}}"#, list(300))), p("too_many_elements"), "at any depth");
        assert_eq!(
            found(&format!("[{},{}]", object(255), list(255))),
            [p("too_many_keys"), p("too_many_elements")].concat()
        );
        assert_eq!(found(&format!("[{},{}]", list(255), list(400))), p("too_many_elements"), "one problem of a kind");
        assert_eq!(found("[[],{},[[]],{\"a\":{}}]"), []);
        let report = validate_events(with_property(&list(300)).as_bytes(), NOW);
        assert_eq!(report.invalid, 1);
        assert!(report.problems[0].message.contains("300") && report.problems[0].message.contains("255"));
        let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
        assert_eq!(found(&deep), []);
    }

    #[test]
    fn profile_values_have_fewer_than_255_entries() {
        let update = |op: &str, value: &str| format!(r#"{{"$token":"t","$distinct_id":"u","{op}":{value}}}"#);
        let found = |text: String| {
            let report = validate_profiles(text.as_bytes(), ProfileKind::User, None);
            report.problems.iter().map(|p| (p.field.clone(), p.code)).collect::<Vec<_>>()
        };
        let tags = format!(r#"{{"tags":{}}}"#, list(255));
        assert_eq!(found(update("$set", &tags)), [("$set".to_string(), "too_many_elements")]);
        assert_eq!(found(update("$union", &tags)), [("$union".to_string(), "too_many_elements")]);
        let nested = format!(r#"{{"address":{}}}"#, object(255));
        assert_eq!(found(update("$set_once", &nested)), [("$set_once".to_string(), "too_many_keys")]);
        assert_eq!(found(update("$set", &format!(r#"{{"tags":{}}}"#, list(254)))), []);
        let names = format!("[{}]", (0..300).map(|i| format!(r#""p{i}""#)).collect::<Vec<_>>().join(","));
        assert_eq!(found(update("$unset", &names)), [], "$unset lists names, not a property value");
        let group = format!(r#"{{"$token":"t","$group_key":"k","$group_id":"1","$set":{tags}}}"#);
        let report = validate_profiles(group.as_bytes(), ProfileKind::Group, None);
        assert_eq!(codes(&report), ["too_many_elements"]);
    }

    #[test]
    fn profiles_need_a_token_unless_the_caller_fills_it() {
        let user = |token: &str| format!(r#"{{{token}"$distinct_id":"u","$set":{{"a":1}}}}"#);
        let check =
            |text: String, token: Option<&str>| codes(&validate_profiles(text.as_bytes(), ProfileKind::User, token));
        assert_eq!(check(user(""), None), ["missing_token"]);
        assert_eq!(check(user(r#""$token":"","#), None), ["missing_token"]);
        assert_eq!(check(user(r#""$token":"  ","#), None), ["missing_token"]);
        assert_eq!(check(user(r#""$token":true,"#), None), ["wrong_type"]);
        assert_eq!(check(user(r#""$token":null,"#), None), ["wrong_type"]);
        assert_eq!(check(user(r#""$token":"t","#), None), [] as [&str; 0]);
        for token in [user(""), user(r#""$token":"","#), user(r#""$token":"t","#)] {
            assert_eq!(check(token.clone(), Some("tok")), [] as [&str; 0], "{token}");
        }
        assert_eq!(check(user(r#""$token":true,"#), Some("tok")), ["wrong_type"], "a wrong type is not filled");
        assert_eq!(check(user(""), Some(" ")), ["missing_token"], "an empty option fills nothing");
        let group = br#"{"$group_key":"k","$group_id":"1","$set":{}}"#;
        let report = validate_profiles(group, ProfileKind::Group, None);
        assert_eq!((report.invalid, codes(&report)), (1, vec!["missing_token"]));
        assert_eq!(validate_profiles(group, ProfileKind::Group, Some("tok")).valid, 1);
    }

    #[test]
    fn mtu_names_are_exact() {
        assert_eq!(MTU_EXEMPT_EVENTS.len(), 20);
        assert!(is_mtu_exempt("Notification Sent") && is_mtu_exempt("UTM Visited"));
        assert!(!is_mtu_exempt("notification sent") && !is_mtu_exempt("Notification Sent "));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn import_batches_keep_every_event_once_within_limits(sizes in proptest::collection::vec(0usize..3000, 0..4500)) {
            let events: Vec<String> = sizes.iter().enumerate().map(|(i, n)| format!(r#"{{"i":{i},"pad":"{}"}}"#, "x".repeat(*n))).collect();
            let text = format!("[{}]", events.join(","));
            let bodies = import_batches(text.as_bytes()).unwrap();
            let mut seen = Vec::new();
            for body in &bodies {
                prop_assert!(body.len() <= MAX_REQUEST_BYTES);
                let arr: Vec<serde_json::Value> = serde_json::from_str(body).unwrap();
                prop_assert!(!arr.is_empty() && arr.len() <= MAX_EVENTS_PER_REQUEST);
                seen.extend(arr.into_iter().map(|v| v["i"].as_u64().unwrap() as usize));
            }
            prop_assert_eq!(seen, (0..events.len()).collect::<Vec<_>>());
        }

        #[test]
        fn any_bytes_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = validate_events(&bytes, NOW);
            let _ = validate_profiles(&bytes, ProfileKind::User, None);
            let _ = validate_profiles(&bytes, ProfileKind::Group, Some("t"));
            let _ = import_batches(&bytes);
        }
    }
}
