//! Reading the JSON forms of arguments: lists of ids, lists of members, a parsed page.
//!
//! JavaScript hands large arguments over as one JSON string (`JSON.stringify` is the
//! fastest way out of a JS array, and one crossing beats a million), and these read
//! them with the same validating reader as webhook bodies. A problem names the spot
//! with a JSON Pointer into the argument. Plain Rust, so that the tests and the fuzz
//! checks read arguments as the binding layer (`wasm`) does.

use crate::json::pointer::push_token;
use crate::json::{Kind, Reader, SyntaxError};
use crate::payload::{Action, CohortPage, Member, PageInfo, Properties};
use crate::problem::{Problem, ProblemCode};
use std::borrow::Cow;

fn syntax(error: SyntaxError) -> Problem {
    Problem::new(error.code, "", error.message).at(error.offset)
}

/// A problem inside one string (a lone surrogate, bad UTF-8) names that string.
fn at_path(error: SyntaxError, path: String) -> Problem {
    Problem::new(error.code, path, error.message).at(error.offset)
}

fn wrong(path: String, expected: &str, found: Kind, at: usize) -> Problem {
    Problem::new(ProblemCode::WrongType, path, format!("expected {expected}, found {}", found.describe())).at(at)
}

fn index_path(base: &str, index: usize) -> String {
    format!("{base}/{index}")
}

/// A JSON array of strings, borrowed from `text` where they have no escapes.
pub fn read_string_list(text: &[u8]) -> Result<Vec<Cow<'_, str>>, Problem> {
    let mut r = Reader::new(text, 0);
    let list = string_list(&mut r, "")?;
    end(&mut r)?;
    Ok(list)
}

fn string_list<'a>(r: &mut Reader<'a>, path: &str) -> Result<Vec<Cow<'a, str>>, Problem> {
    id_list(r, path, false)
}

/// A list of ids: strings, and whole numbers too when `numbers` (audience ids).
fn id_list<'a>(r: &mut Reader<'a>, path: &str, numbers: bool) -> Result<Vec<Cow<'a, str>>, Problem> {
    let at = r.pos();
    let kind = r.peek_kind().map_err(syntax)?;
    if kind != Kind::Array {
        return Err(wrong(path.to_string(), "an array of strings", kind, at));
    }
    r.begin_array().map_err(syntax)?;
    let mut out = Vec::new();
    while r.next_element(out.is_empty()).map_err(syntax)? {
        let at = r.pos();
        match r.peek_kind().map_err(syntax)? {
            Kind::String => out.push(r.read_string().map_err(|e| at_path(e, index_path(path, out.len())))?.decode()),
            Kind::Number if numbers => {
                let number = r.read_number().map_err(syntax)?;
                if !number.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    let message = "an id must be a string or a whole number";
                    return Err(Problem::new(ProblemCode::NotAnInteger, index_path(path, out.len()), message).at(at));
                }
                out.push(Cow::Borrowed(number));
            }
            kind => return Err(wrong(index_path(path, out.len()), "a string", kind, at)),
        }
    }
    Ok(out)
}

fn end(r: &mut Reader) -> Result<(), Problem> {
    if r.at_end() {
        Ok(())
    } else {
        Err(Problem::new(ProblemCode::InvalidJson, "", "unexpected data after the JSON document").at(r.pos()))
    }
}

/// A JSON array of members: distinct id strings, `Member`-shaped objects
/// (`{distinctId, email, firstName, lastName, phoneNumber, properties}`), or member
/// objects as Mixpanel sends them (`{mixpanel_distinct_id, email, first_name, …}`, other
/// keys being exported properties).
pub fn read_member_list(text: &[u8]) -> Result<Vec<Member>, Problem> {
    let mut r = Reader::new(text, 0);
    let list = member_list(&mut r, "")?;
    end(&mut r)?;
    Ok(list)
}

fn member_list(r: &mut Reader, path: &str) -> Result<Vec<Member>, Problem> {
    let at = r.pos();
    let kind = r.peek_kind().map_err(syntax)?;
    if kind != Kind::Array {
        return Err(wrong(path.to_string(), "an array of members or ids", kind, at));
    }
    r.begin_array().map_err(syntax)?;
    let mut out = Vec::new();
    while r.next_element(out.is_empty()).map_err(syntax)? {
        let at = r.pos();
        let item_path = index_path(path, out.len());
        let member = match r.peek_kind().map_err(syntax)? {
            Kind::String => {
                Member::with_id(r.read_string().map_err(|e| at_path(e, item_path.clone()))?.decode().into_owned())
            }
            Kind::Object => member_object(r, &item_path)?,
            kind => return Err(wrong(item_path, "a member object or a distinct id", kind, at)),
        };
        if member.distinct_id.is_empty() {
            return Err(Problem::new(ProblemCode::EmptyString, item_path, "the distinct id is empty").at(at));
        }
        out.push(member);
    }
    Ok(out)
}

fn optional_string(r: &mut Reader, path: String) -> Result<Option<String>, Problem> {
    let at = r.pos();
    match r.peek_kind().map_err(syntax)? {
        Kind::String => Ok(Some(r.read_string().map_err(syntax)?.decode().into_owned())),
        Kind::Null => {
            r.read_null().map_err(syntax)?;
            Ok(None)
        }
        kind => Err(wrong(path, "a string or null", kind, at)),
    }
}

fn member_object(r: &mut Reader, path: &str) -> Result<Member, Problem> {
    let start = r.pos();
    r.begin_object().map_err(syntax)?;
    let mut member = Member::with_id(String::new());
    let mut has_id = false;
    let mut properties = Vec::new();
    let mut first = true;
    while let Some(key) = r.next_key(first).map_err(syntax)? {
        first = false;
        let name = key.decode().into_owned();
        let mut field_path = path.to_string();
        push_token(&mut field_path, &name);
        match name.as_str() {
            "distinctId" | "mixpanel_distinct_id" => {
                let at = r.pos();
                match r.peek_kind().map_err(syntax)? {
                    Kind::String => member.distinct_id = r.read_string().map_err(syntax)?.decode().into_owned(),
                    kind => return Err(wrong(field_path, "a string", kind, at)),
                }
                has_id = true;
            }
            "email" => member.email = optional_string(r, field_path)?,
            "firstName" | "first_name" => member.first_name = optional_string(r, field_path)?,
            "lastName" | "last_name" => member.last_name = optional_string(r, field_path)?,
            "phoneNumber" | "phone_number" => member.phone_number = optional_string(r, field_path)?,
            "properties" if r.peek_kind().map_err(syntax)? == Kind::Object => {
                r.begin_object().map_err(syntax)?;
                let mut first = true;
                while let Some(key) = r.next_key(first).map_err(syntax)? {
                    first = false;
                    let (from, to) = r.skip_value().map_err(syntax)?;
                    let raw = String::from_utf8_lossy(&r.bytes()[from..to]).into_owned();
                    properties.push((key.decode().into_owned(), raw));
                }
            }
            _ => {
                let (from, to) = r.skip_value().map_err(syntax)?;
                properties.push((name, String::from_utf8_lossy(&r.bytes()[from..to]).into_owned()));
            }
        }
    }
    member.properties = Properties::from_pairs(properties);
    if !has_id {
        // Mixpanel's reserved `$distinct_id` stands in, as in a webhook body.
        match member.properties.get_text("$distinct_id") {
            Some(id) if !id.is_empty() => member.distinct_id = id.into_owned(),
            _ => {
                let mut p = path.to_string();
                push_token(&mut p, "distinctId");
                return Err(Problem::new(ProblemCode::MissingField, p, "the member has no distinctId").at(start));
            }
        }
    }
    member.fill_from_reserved();
    Ok(member)
}

/// A page as `parsePayload` returns it (camelCase), read back: for `CohortState.apply`
/// and the destination builders. Ids the page lacks are empty strings (the builders that
/// need the cohort id check for it).
pub fn read_page_argument(text: &[u8]) -> Result<CohortPage, Problem> {
    let mut r = Reader::new(text, 0);
    let at = r.pos();
    let kind = r.peek_kind().map_err(syntax)?;
    if kind != Kind::Object {
        return Err(wrong(String::new(), "a page object", kind, at));
    }
    let fields = raw_fields(&mut r)?;
    end(&mut r)?;
    let missing =
        |name: &str| Problem::new(ProblemCode::MissingField, format!("/{name}"), format!("\"{name}\" is missing"));
    // A text field: absent or null is None; anything but a string or an integer is wrong.
    let text_field = |name: &str| match fields.get(name) {
        None | Some("null") => Ok(None),
        Some(_) => fields.text(name).map(Some).ok_or_else(|| field_problem("", name, "a string", at)),
    };
    let action_text = text_field("action")?.ok_or_else(|| missing("action"))?;
    let action = Action::parse(&action_text).ok_or_else(|| {
        Problem::new(ProblemCode::UnknownAction, "/action", format!("unknown action \"{action_text}\""))
    })?;
    // A page without page numbers (`null`) is a pageless page, as parsePayload returns it.
    let page = match fields.get("page") {
        None => return Err(missing("page")),
        Some("null") => None,
        Some(raw) => Some(page_info(&mut Reader::new(raw.as_bytes(), 0))?),
    };
    let members = match fields.get("members") {
        None => return Err(missing("members")),
        Some(raw) => member_list(&mut Reader::new(raw.as_bytes(), 0), "/members")?,
    };
    Ok(CohortPage {
        action,
        project_id: text_field("projectId")?.unwrap_or_default(),
        cohort_id: text_field("cohortId")?.unwrap_or_default(),
        cohort_name: text_field("cohortName")?,
        cohort_description: text_field("cohortDescription")?,
        session_id: text_field("sessionId")?.filter(|s| !s.is_empty()).ok_or_else(|| missing("sessionId"))?,
        integration_id: text_field("integrationId")?,
        page,
        members,
    })
}

/// A JSON array of ids given as strings or integers (audience ids are often numbers).
pub fn read_text_list(text: &[u8]) -> Result<Vec<String>, Problem> {
    let mut r = Reader::new(text, 0);
    let list = id_list(&mut r, "", true)?;
    end(&mut r)?;
    Ok(list.into_iter().map(Cow::into_owned).collect())
}

/// `[{ id, name?, member }]` for `audienceProperties`.
pub fn read_audiences(text: &[u8]) -> Result<Vec<crate::audience::Audience>, Problem> {
    read_objects(text, |fields, path, at| {
        let id = fields.text("id").ok_or_else(|| field_problem(path, "id", "a string or a whole number", at))?;
        let name = match fields.get("name") {
            None | Some("null") => None,
            Some(_) => Some(fields.text("name").ok_or_else(|| field_problem(path, "name", "a string", at))?),
        };
        let member = match fields.get("member") {
            Some("true") => true,
            Some("false") => false,
            _ => return Err(field_problem(path, "member", "true or false", at)),
        };
        Ok(crate::audience::Audience { id, name, member })
    })
}

/// `[{ distinctId, audiences }]` for `segmentMembershipUpdates`; a problem in a user's
/// audiences points into them (`/0/audiences/1/member`).
pub fn read_user_audiences(text: &[u8]) -> Result<Vec<crate::audience::UserAudiences>, Problem> {
    read_objects(text, |fields, path, at| {
        let distinct_id = fields
            .get("distinctId")
            .filter(|raw| raw.starts_with('"'))
            .and_then(|_| fields.text("distinctId"))
            .ok_or_else(|| field_problem(path, "distinctId", "a string", at))?;
        let raw = fields.get("audiences").ok_or_else(|| field_problem(path, "audiences", "an array", at))?;
        let audiences = read_audiences(raw.as_bytes()).map_err(|mut problem| {
            problem.path = format!("{path}/audiences{}", problem.path);
            problem.at(at)
        })?;
        Ok(crate::audience::UserAudiences { distinct_id, audiences })
    })
}

/// `[{ distinctId, properties }]` for `engageBatches`: ids and the JSON of each object.
pub fn read_profile_updates(text: &[u8]) -> Result<Vec<(String, String)>, Problem> {
    read_objects(text, |fields, path, at| {
        let id = fields
            .get("distinctId")
            .filter(|raw| raw.starts_with('"'))
            .and_then(|_| fields.text("distinctId"))
            .ok_or_else(|| field_problem(path, "distinctId", "a string", at))?;
        let properties = fields
            .get("properties")
            .filter(|raw| raw.starts_with('{'))
            .ok_or_else(|| field_problem(path, "properties", "an object", at))?;
        Ok((id, properties.to_string()))
    })
}

/// The records of a CleverTap upload object `{ d: [...] }`, as JSON text each.
pub fn read_upload_records(text: &[u8]) -> Result<Vec<String>, Problem> {
    let mut r = Reader::new(text, 0);
    let at = r.pos();
    let kind = r.peek_kind().map_err(syntax)?;
    if kind != Kind::Object {
        return Err(wrong(String::new(), "an upload { d: [...] }", kind, at));
    }
    r.begin_object().map_err(syntax)?;
    let mut records = None;
    let mut first = true;
    while let Some(key) = r.next_key(first).map_err(syntax)? {
        first = false;
        let at = r.pos();
        if key.is("d") {
            let kind = r.peek_kind().map_err(syntax)?;
            if kind != Kind::Array {
                return Err(wrong("/d".into(), "an array of records", kind, at));
            }
            r.begin_array().map_err(syntax)?;
            let mut list = Vec::new();
            while r.next_element(list.is_empty()).map_err(syntax)? {
                let (from, to) = r.skip_value().map_err(syntax)?;
                list.push(String::from_utf8_lossy(&r.bytes()[from..to]).into_owned());
            }
            records = Some(list);
        } else {
            r.skip_value().map_err(syntax)?;
        }
    }
    end(&mut r)?;
    records.ok_or_else(|| Problem::new(ProblemCode::MissingField, "/d", "the upload has no \"d\" records"))
}

/// An object's top-level keys with their raw JSON values.
pub struct RawFields(Vec<(String, String)>);

impl RawFields {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A string value, or an integer's digits.
    pub fn text(&self, key: &str) -> Option<String> {
        let raw = self.get(key)?;
        let mut r = Reader::new(raw.as_bytes(), 0);
        match r.peek_kind().ok()? {
            Kind::String => Some(r.read_string().ok()?.decode().into_owned()),
            Kind::Number if raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') => Some(raw.to_string()),
            _ => None,
        }
    }
}

fn field_problem(path: &str, field: &str, expected: &str, at: usize) -> Problem {
    let mut p = path.to_string();
    push_token(&mut p, field);
    Problem::new(ProblemCode::WrongType, p, format!("\"{field}\" must be {expected}")).at(at)
}

/// The keys of the object at the reader with their raw JSON values.
fn raw_fields(r: &mut Reader) -> Result<RawFields, Problem> {
    r.begin_object().map_err(syntax)?;
    let mut fields = Vec::new();
    let mut first = true;
    while let Some(key) = r.next_key(first).map_err(syntax)? {
        first = false;
        let (from, to) = r.skip_value().map_err(syntax)?;
        fields.push((key.decode().into_owned(), String::from_utf8_lossy(&r.bytes()[from..to]).into_owned()));
    }
    Ok(RawFields(fields))
}

fn read_objects<T>(
    text: &[u8],
    mut each: impl FnMut(&RawFields, &str, usize) -> Result<T, Problem>,
) -> Result<Vec<T>, Problem> {
    let mut r = Reader::new(text, 0);
    let at = r.pos();
    let kind = r.peek_kind().map_err(syntax)?;
    if kind != Kind::Array {
        return Err(wrong(String::new(), "an array of objects", kind, at));
    }
    r.begin_array().map_err(syntax)?;
    let mut out = Vec::new();
    while r.next_element(out.is_empty()).map_err(syntax)? {
        let at = r.pos();
        let path = index_path("", out.len());
        let kind = r.peek_kind().map_err(syntax)?;
        if kind != Kind::Object {
            return Err(wrong(path, "an object", kind, at));
        }
        let fields = raw_fields(&mut r)?;
        out.push(each(&fields, &path, at)?);
    }
    end(&mut r)?;
    Ok(out)
}

fn page_info(r: &mut Reader) -> Result<PageInfo, Problem> {
    let at = r.pos();
    let kind = r.peek_kind().map_err(syntax)?;
    if kind != Kind::Object {
        return Err(wrong("/page".into(), "{ count, total }", kind, at));
    }
    r.begin_object().map_err(syntax)?;
    let (mut count, mut total) = (None, None);
    let mut first = true;
    while let Some(key) = r.next_key(first).map_err(syntax)? {
        first = false;
        let name = key.decode().into_owned();
        let at = r.pos();
        let kind = r.peek_kind().map_err(syntax)?;
        let value = if kind == Kind::Number { r.read_number().map_err(syntax)?.parse::<u64>().ok() } else { None };
        if kind != Kind::Number {
            r.skip_value().map_err(syntax)?;
        }
        match (name.as_str(), value) {
            ("count", Some(v)) if v >= 1 => count = Some(v),
            ("total", Some(v)) if v >= 1 => total = Some(v),
            ("count" | "total", _) => {
                return Err(Problem::new(
                    ProblemCode::NotAnInteger,
                    format!("/page/{name}"),
                    "expected a whole number from 1",
                )
                .at(at))
            }
            _ => {}
        }
    }
    match (count, total) {
        (Some(count), Some(total)) if count <= total => Ok(PageInfo { count, total }),
        _ => {
            Err(Problem::new(ProblemCode::PageOutOfRange, "/page", "expected { count, total } with 1 ≤ count ≤ total")
                .at(at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_of_ids() {
        assert_eq!(read_string_list(br#"["a","\u00e9",""]"#).unwrap(), ["a", "é", ""]);
        let err = read_string_list(br#"["a",1]"#).unwrap_err();
        assert_eq!((err.code, err.path.as_str()), (ProblemCode::WrongType, "/1"));
        assert_eq!(read_string_list(b"{}").unwrap_err().code, ProblemCode::WrongType);
        assert_eq!(read_string_list(b"[").unwrap_err().code, ProblemCode::InvalidJson);
    }

    #[test]
    fn members_in_every_shape() {
        let list = read_member_list(
            br#"["id-1", {"distinctId":"id-2","email":"a@b.c","properties":{"plan":"pro","__proto__":1}},
                {"mixpanel_distinct_id":"id-3","first_name":"Zoe","$braze_external_id":"b-3"}]"#,
        )
        .unwrap();
        assert_eq!(list.iter().map(|m| m.distinct_id.as_str()).collect::<Vec<_>>(), ["id-1", "id-2", "id-3"]);
        assert_eq!(list[1].email.as_deref(), Some("a@b.c"));
        assert_eq!(list[1].properties.get("plan"), Some("\"pro\""));
        assert_eq!(list[1].properties.get("__proto__"), Some("1"));
        assert_eq!(list[2].first_name.as_deref(), Some("Zoe"));
        assert_eq!(list[2].properties.get("$braze_external_id"), Some("\"b-3\""));
        let err = read_member_list(br#"[{"email":"x"}]"#).unwrap_err();
        assert_eq!((err.code, err.path.as_str()), (ProblemCode::MissingField, "/0/distinctId"));
        assert_eq!(read_member_list(br#"[""]"#).unwrap_err().code, ProblemCode::EmptyString);
        assert_eq!(read_member_list(br#"[{"distinctId":5}]"#).unwrap_err().path, "/0/distinctId");
    }

    #[test]
    fn a_page_argument() {
        let page = read_page_argument(
            br#"{"action":"members","projectId":"p","sessionId":"s","page":{"count":2,"total":3},"members":[{"distinctId":"a"}]}"#,
        )
        .unwrap();
        assert_eq!(
            (page.action, page.session_id.as_str(), page.page),
            (Action::Members, "s", Some(PageInfo { count: 2, total: 3 }))
        );
        assert_eq!(page.members[0].distinct_id, "a");
        for bad in [
            r#"{"action":"nope","sessionId":"s","page":{"count":1,"total":1},"members":[]}"#,
            r#"{"action":"members","page":{"count":1,"total":1},"members":[]}"#,
            r#"{"action":"members","sessionId":"s","page":{"count":2,"total":1},"members":[]}"#,
            r#"[]"#,
        ] {
            assert!(read_page_argument(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
