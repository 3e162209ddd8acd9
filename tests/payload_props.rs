//! Property tests of payload validation: it never panics, it accepts exactly what is
//! JSON (checked against serde_json), and what it reads is what was sent.

use cohort_sync::json::ToJson;
use cohort_sync::{parse_payload, validate_payload, ValidateOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

fn options() -> ValidateOptions {
    ValidateOptions::default()
}

/// Strings that exercise escapes, non-ASCII, and the characters JSON must escape.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,40}",
        "\\PC{1,20}",
        proptest::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('\n'),
                Just('\u{1}'),
                Just('é'),
                Just('😀'),
                Just('/'),
                any::<char>()
            ],
            1..12
        )
        .prop_map(|c| c.into_iter().collect()),
    ]
}

fn member() -> impl Strategy<Value = Value> {
    (text(), proptest::option::of(text()), proptest::option::of(text()), text(), any::<i64>()).prop_map(
        |(id, email, first, key, n)| {
            let mut m = serde_json::Map::new();
            m.insert("mixpanel_distinct_id".into(), json!(id));
            m.insert("email".into(), json!(email));
            if let Some(first) = first {
                m.insert("first_name".into(), json!(first));
            }
            if !["mixpanel_distinct_id", "email", "first_name", "last_name", "phone_number"].contains(&key.as_str()) {
                m.insert(key, json!({ "n": n, "list": [n, null, true] }));
            }
            Value::Object(m)
        },
    )
}

fn page() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("members"), Just("add_members"), Just("remove_members")],
        text(),
        1u64..50,
        proptest::collection::vec(member(), 0..20),
    )
        .prop_flat_map(|(action, cohort, total, members)| {
            (1..=total).prop_map(move |count| {
                json!({ "action": action, "parameters": {
                    "mixpanel_project_id": "p", "mixpanel_cohort_id": cohort.clone(),
                    "mixpanel_cohort_name": "n", "mixpanel_cohort_description": "d",
                    "mixpanel_session_id": "s", "page_info": { "total_pages": total, "page_count": count },
                    "members": members.clone() } })
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let report = validate_payload(&bytes, &options());
        prop_assert!(!report.valid || serde_json::from_slice::<Box<serde_json::value::RawValue>>(&bytes).is_ok());
        let _ = parse_payload(&bytes, &options());
    }

    /// Bytes built from JSON's own alphabet hit the grammar's corners far more often than
    /// random bytes; whatever we accept as a document, serde_json must accept too, and
    /// the other way round.
    #[test]
    fn agrees_with_serde_json_on_what_is_json(
        parts in proptest::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\"a\""), Just("\"\\u00e9\""),
            Just("\"\\ud800\""), Just("1"), Just("-0.5e3"), Just("01"), Just("true"), Just("nul"), Just(" "), Just("\"\\x\""),
        ], 0..24)
    ) {
        let text: String = parts.concat();
        let doc = format!("{{\"action\":\"members\",\"x\":{text}}}");
        let ours = validate_payload(doc.as_bytes(), &options());
        let syntax_error = ours.errors.iter().any(|p| {
            ["invalid_json", "lone_surrogate", "invalid_utf8", "nesting_too_deep"].contains(&p.code.as_str())
        });
        // RawValue: serde_json's Value would refuse numbers past f64's range (1e400),
        // which JSON allows; RawValue checks the grammar only.
        // RawValue checks the grammar without decoding strings; Value decodes them (and so
        // refuses lone surrogates, as we do) but also refuses numbers past f64's range,
        // which JSON allows. Valid: both agree, except for that number range.
        let grammar = serde_json::from_str::<Box<serde_json::value::RawValue>>(&doc).is_ok();
        let decoded = match serde_json::from_str::<Value>(&doc) {
            Ok(_) => true,
            Err(e) => e.to_string().starts_with("number out of range"),
        };
        let theirs = grammar && decoded;
        prop_assert_eq!(!syntax_error, theirs, "{}", doc);
    }

    #[test]
    fn mutated_pages_never_panic_and_stay_honest(
        page in page(),
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
    ) {
        let mut bytes = serde_json::to_vec(&page).unwrap();
        for (at, byte) in cuts {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let report = validate_payload(&bytes, &options());
        if report.valid {
            // RawValue checks the grammar only (Value would refuse 1e400, which JSON allows).
            let theirs = serde_json::from_slice::<Box<serde_json::value::RawValue>>(&bytes);
            prop_assert!(theirs.is_ok(), "{:?} {}", theirs, String::from_utf8_lossy(&bytes));
        }
        let _ = parse_payload(&bytes, &options());
    }

    /// A page that is valid by construction validates, and parse reads back every value.
    #[test]
    fn generated_pages_round_trip(page in page(), pretty in any::<bool>()) {
        let bytes = if pretty { serde_json::to_vec_pretty(&page).unwrap() } else { serde_json::to_vec(&page).unwrap() };
        let parsed = match parse_payload(&bytes, &options()) {
            Ok(p) => p,
            Err(report) => {
                // Only an empty distinct id, or an id holding NUL (ids.rs), is invalid among
                // generated pages.
                let sent = page["parameters"]["members"].as_array().unwrap();
                let bad = |id: &Value| id == "" || id.as_str().is_some_and(|id| id.contains('\0'));
                let cohort_nul = page["parameters"]["mixpanel_cohort_id"].as_str().unwrap().contains('\0');
                prop_assert!(cohort_nul || sent.iter().any(|m| bad(&m["mixpanel_distinct_id"])), "{:?}", report.errors);
                return Ok(());
            }
        };
        prop_assert_eq!(parsed.action.as_str(), page["action"].as_str().unwrap());
        prop_assert_eq!(&parsed.cohort_id, page["parameters"]["mixpanel_cohort_id"].as_str().unwrap());
        let sent = page["parameters"]["members"].as_array().unwrap();
        prop_assert_eq!(parsed.members.len(), sent.len());
        for (ours, theirs) in parsed.members.iter().zip(sent) {
            prop_assert_eq!(&ours.distinct_id, theirs["mixpanel_distinct_id"].as_str().unwrap());
            prop_assert_eq!(ours.email.as_deref(), theirs["email"].as_str());
            prop_assert_eq!(ours.first_name.as_deref(), theirs.get("first_name").and_then(Value::as_str));
            let ours_json: Value = serde_json::from_str(&ours.properties.to_json()).unwrap();
            let mut theirs_props = theirs.as_object().unwrap().clone();
            for known in ["mixpanel_distinct_id", "email", "first_name"] {
                theirs_props.remove(known);
            }
            prop_assert_eq!(ours_json, Value::Object(theirs_props));
        }
    }
}

#[test]
fn a_ten_megabyte_body_is_read_without_trouble() {
    let mut members = Vec::new();
    for i in 0..32_000 {
        members.push(json!({ "mixpanel_distinct_id": format!("{i:0>36}"), "email": "someone@example.com", "pad": "x".repeat(200) }));
    }
    let body = serde_json::to_vec(&json!({ "action": "add_members", "parameters": {
        "mixpanel_project_id": "p", "mixpanel_cohort_id": "c", "mixpanel_session_id": "s",
        "page_info": { "total_pages": 1, "page_count": 1 }, "members": members } }))
    .unwrap();
    assert!(body.len() > 9_000_000 && body.len() < 10 * 1024 * 1024, "{}", body.len());
    let report = validate_payload(&body, &options());
    assert_eq!(report.member_count, Some(32_000));
    assert_eq!(report.errors.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["too_many_members"]);
}

#[test]
fn duplicate_property_keys_keep_the_last_value_like_json_parse() {
    let body = br#"{"action":"add_members","parameters":{"mixpanel_project_id":"p","mixpanel_cohort_id":"c",
        "mixpanel_session_id":"s","page_info":{"total_pages":1,"page_count":1},
        "members":[{"mixpanel_distinct_id":"a","plan":"free","x":1,"plan":"pro"}]}}"#;
    let page = parse_payload(body, &options()).unwrap();
    let props: Value = serde_json::from_str(&page.members[0].properties.to_json()).unwrap();
    assert_eq!(props, json!({ "plan": "pro", "x": 1 }));
    assert_eq!(page.members[0].properties.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["plan", "x"]);
}

#[test]
fn a_member_with_a_hundred_thousand_keys_is_linear_enough() {
    let mut text = String::from(
        r#"{"action":"add_members","parameters":{"mixpanel_project_id":"p","mixpanel_cohort_id":"c","mixpanel_session_id":"s","page_info":{"total_pages":1,"page_count":1},"members":[{"mixpanel_distinct_id":"a""#,
    );
    for i in 0..100_000 {
        text.push_str(&format!(",\"k{}\":{i}", i % 50_000));
    }
    text.push_str("}]}}");
    let started = std::time::Instant::now();
    let page = parse_payload(text.as_bytes(), &options()).unwrap();
    assert_eq!(page.members[0].properties.len(), 50_000);
    // Not a timing assertion of speed, a guard against quadratic blow-up (minutes).
    assert!(started.elapsed().as_secs() < 30);
}

/// A typed field's value as a reserved or documented key may send it.
fn sent_value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(json!(""))),
        text().prop_map(|t| Some(json!(t))),
        any::<i64>().prop_map(|n| Some(json!(n))),
        Just(Some(json!(1.5))),
        Just(Some(json!({ "a": 1 }))),
    ]
}

/// Members as the real sender mixes them: documented keys (string, null or absent),
/// Mixpanel's reserved ones with any value, `$distinct_id` with or without
/// `mixpanel_distinct_id`, reserved keys sent twice or escaped.
fn mixed_member() -> impl Strategy<Value = String> {
    (
        text(),
        any::<bool>(),
        proptest::collection::vec(
            (0usize..4, prop_oneof![Just(None), Just(Some(Value::Null)), text().prop_map(|t| Some(json!(t)))]),
            0..4,
        ),
        proptest::collection::vec((0usize..4, sent_value(), any::<bool>()), 0..6),
    )
        .prop_map(|(id, documented_id, documented, reserved)| {
            const DOCUMENTED: [&str; 4] = ["email", "first_name", "last_name", "phone_number"];
            const RESERVED: [&str; 4] = ["$email", "$first_name", "$last_name", "$phone"];
            const ESCAPED: [&str; 4] = ["$\\u0065mail", "$first_nam\\u0065", "$last_nam\\u0065", "$phon\\u0065"];
            let mut parts = Vec::new();
            if documented_id {
                parts.push(format!("\"mixpanel_distinct_id\":{}", json!(id)));
            }
            parts.push(format!("\"$distinct_id\":{}", json!(id)));
            let mut used = [false; 4];
            for (at, value) in documented {
                if let (false, Some(value)) = (used[at], value) {
                    used[at] = true;
                    parts.push(format!("\"{}\":{value}", DOCUMENTED[at]));
                }
            }
            for (at, value, escaped) in reserved {
                if let Some(value) = value {
                    parts.push(format!("\"{}\":{value}", if escaped { ESCAPED[at] } else { RESERVED[at] }));
                }
            }
            format!("{{{}}}", parts.join(","))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// `parse_page_head` gives the same page as `parse_payload` once its members are built
    /// from the members as sent (documented keys as typed fields) and its fills applied.
    #[test]
    fn page_head_and_fills_rebuild_parsed_members(members in proptest::collection::vec(mixed_member(), 0..12)) {
        let body = format!(
            r#"{{"action":"members","parameters":{{"mixpanel_project_id":"p","mixpanel_cohort_id":"c","mixpanel_session_id":"s","members":[{}]}}}}"#,
            members.join(",")
        );
        let parsed = parse_payload(body.as_bytes(), &options());
        let head = cohort_sync::parse_page_head(body.as_bytes(), &options());
        let (parsed, (mut head, fills)) = match (parsed, head) {
            (Ok(parsed), Ok(head)) => (parsed, head),
            (Err(a), Err(b)) => {
                prop_assert_eq!(a.errors, b.errors);
                return Ok(());
            }
            (a, b) => return Err(TestCaseError::fail(format!("{a:?} against {b:?}"))),
        };
        let sent: Value = serde_json::from_str(&body).unwrap();
        let text_of = |m: &Value, key: &str| m.get(key).and_then(Value::as_str).map(str::to_owned);
        head.members = sent["parameters"]["members"].as_array().unwrap().iter().zip(&parsed.members).map(|(m, p)| {
            cohort_sync::Member {
                distinct_id: text_of(m, "mixpanel_distinct_id").unwrap_or_default(),
                email: text_of(m, "email"),
                first_name: text_of(m, "first_name"),
                last_name: text_of(m, "last_name"),
                phone_number: text_of(m, "phone_number"),
                properties: p.properties.clone(),
            }
        }).collect();
        for fill in fills {
            let member = &mut head.members[fill.member];
            // A string property's value as a JSON reader reads it, else the text given.
            let value = fill.text.clone().or_else(|| {
                let raw = member.properties.get(fill.field.reserved_key())?;
                serde_json::from_str::<String>(raw).ok()
            });
            match fill.field {
                cohort_sync::MemberField::DistinctId => member.distinct_id = value.unwrap_or_default(),
                cohort_sync::MemberField::Email => member.email = value,
                cohort_sync::MemberField::FirstName => member.first_name = value,
                cohort_sync::MemberField::LastName => member.last_name = value,
                cohort_sync::MemberField::PhoneNumber => member.phone_number = value,
            }
        }
        prop_assert_eq!(head, parsed);
    }
}

/// Id text as a sender could write it in JSON: characters that stores treat differently
/// (NUL, U+FFFF, every C0 control, DEL) and escaped surrogates (paired or lone), among
/// plain ones. Each piece is JSON text and the UTF-16 it stands for.
fn id_piece() -> impl Strategy<Value = (String, Vec<u16>)> {
    let escaped = |unit: u16| (format!("\\u{unit:04x}"), vec![unit]);
    prop_oneof![
        Just(escaped(0)),
        Just(escaped(0xffff)),
        Just(("\u{ffff}".to_string(), vec![0xffff])),
        Just(escaped(0xd800)),
        Just(escaped(0xdfff)),
        Just(escaped(0xd83d)),
        Just(escaped(0xde00)),
        Just(("\u{7f}".to_string(), vec![0x7f])),
        (1u16..0x20).prop_map(move |unit| escaped(unit)),
        "[a-zA-Z0-9é-]".prop_map(|c| (c.clone(), c.encode_utf16().collect())),
    ]
}

/// The JSON text of an id, and what it decodes to (`None`: a lone surrogate is in it).
fn id_text() -> impl Strategy<Value = (String, Option<String>)> {
    proptest::collection::vec(id_piece(), 1..8).prop_map(|pieces| {
        let json = pieces.iter().map(|(text, _)| text.as_str()).collect();
        let units: Vec<u16> = pieces.into_iter().flat_map(|(_, units)| units).collect();
        (json, String::from_utf16(&units).ok())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Every id field takes any text but NUL and lone surrogates, and gives it back
    /// exactly; NUL is `forbidden_character` and a lone surrogate `lone_surrogate`, at the
    /// field's pointer.
    #[test]
    fn any_character_in_any_id_field_is_kept_or_refused_by_the_rule(
        field in 0usize..6,
        (json_text, decoded) in id_text(),
    ) {
        let mut ids = ["2345678", "98765", "Power users", "sync-1", "u-1", "u-2"].map(|s| s.to_string());
        ids[field] = json_text;
        let [project, cohort, name, session, member, reserved] = &ids;
        let body = format!(
            r#"{{"action":"add_members","parameters":{{"mixpanel_project_id":"{project}","mixpanel_cohort_id":"{cohort}","mixpanel_cohort_name":"{name}","mixpanel_cohort_description":"d","mixpanel_session_id":"{session}","page_info":{{"page_count":1,"total_pages":1}},"members":[{{"mixpanel_distinct_id":"{member}"}},{{"$distinct_id":"{reserved}"}}]}}}}"#
        );
        let pointer = [
            "/parameters/mixpanel_project_id",
            "/parameters/mixpanel_cohort_id",
            "/parameters/mixpanel_cohort_name",
            "/parameters/mixpanel_session_id",
            "/parameters/members/0/mixpanel_distinct_id",
            "/parameters/members/1/$distinct_id",
        ][field];
        let report = validate_payload(body.as_bytes(), &options());
        match decoded {
            None => {
                prop_assert!(!report.valid);
                prop_assert!(report.errors.iter().any(|p| p.code.as_str() == "lone_surrogate"), "{:?}", report.errors);
            }
            Some(text) if text.contains('\0') => {
                prop_assert!(!report.valid);
                prop_assert!(
                    report.errors.iter().any(|p| p.code.as_str() == "forbidden_character" && p.path == pointer),
                    "{:?}", report.errors
                );
            }
            Some(text) => {
                prop_assert!(report.valid, "{:?}", report.errors);
                let page = parse_payload(body.as_bytes(), &options()).unwrap();
                let read = [
                    page.project_id.clone(),
                    page.cohort_id.clone(),
                    page.cohort_name.clone().unwrap_or_default(),
                    page.session_id.clone(),
                    page.members[0].distinct_id.clone(),
                    page.members[1].distinct_id.clone(),
                ];
                prop_assert_eq!(&read[field], &text);
            }
        }
    }
}
