#!/usr/bin/env python3
"""Writes the webhook payload fixtures in tests/fixtures/payloads/.

Each file is a body as Mixpanel (or a broken sender) would send it: valid/ ones must
validate, invalid/<code>.json ones must report the problem code in their name (warnings
included: a file named after a warning code is valid but warns). Run it again after a
change; `cargo test` compares each report with tests/fixtures/expected/ (regenerate
those with `UPDATE_FIXTURES=1 cargo test --test fixtures`, then review the diff).
"""
import json, os

ROOT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "payloads")


def member(i, **extra):
    m = {
        "email": f"user{i}@example.com",
        "mixpanel_distinct_id": f"5f1c0b7e-{i:04x}-4a8e-9c1d-8a7e6f5d4c3b",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone_number": "+44-20-7946-0958",
        "$CleverTap_user_id": f"ct-{i}",
        "plan": "pro",
    }
    m.update(extra)
    return m


def page(action="members", members=None, count=1, total=1, **params):
    p = {
        "mixpanel_project_id": "2195193",
        "mixpanel_cohort_id": "1234567",
        "mixpanel_cohort_name": "Power users",
        "mixpanel_cohort_description": "Did 10+ things in 7 days",
        "mixpanel_session_id": "sess-2026-11-22T05:00:00Z-1",
        "page_info": {"total_pages": total, "page_count": count},
        "members": members if members is not None else [member(i) for i in range(3)],
    }
    p.update(params)
    return {"action": action, "parameters": p}


def write(name, body):
    path = os.path.join(ROOT, name)
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)).encode()
    with open(path, "wb") as f:
        f.write(data)


write("valid/members_page.json", page(count=2, total=3))
write("valid/add_members.json", page("add_members", [member(10), member(11)]))
write("valid/remove_members.json", page("remove_members", [{"mixpanel_distinct_id": "42", "email": None}]))
write("valid/empty_diff.json", page("add_members", []))
write("valid/unicode_and_escapes.json",
      '{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"c\\u00e9",'
      '"mixpanel_cohort_name":"Caf\u00e9 \U0001F600 fans","mixpanel_cohort_description":null,'
      '"mixpanel_session_id":"s","page_info":{"total_pages":1,"page_count":1.0},'
      '"members":[{"mixpanel_distinct_id":"\u00e9l\u00e8ve-1","first_name":"Zo\\u00eb","__proto__":{"polluted":true},'
      '"constructor":"x","nested":{"a":[1,2,{"b":null}]}}]}}')
write("valid/byte_order_mark.json", b"\xef\xbb\xbf" + json.dumps(page()).encode())
write("valid/unknown_field.json", {**page(), "extra": 1})
write("valid/duplicate_member.json", page(members=[member(1), member(2), member(1)]))
write("valid/long_id.json", page(members=[{"mixpanel_distinct_id": "x" * 300}]))
write("valid/missing_field.json", page(mixpanel_cohort_name=None) | {"parameters": {k: v for k, v in page()["parameters"].items() if k != "mixpanel_cohort_description"}})

# Bodies as the real sender sends them (captured in 2025, ids changed): no page_info, no
# description, an undocumented mixpanel_integration_id, members with Mixpanel's reserved
# $-properties beside (or instead of) the documented keys.
def real_sender(action="members", members=None):
    return {"action": action, "parameters": {
        "mixpanel_project_id": "2201475", "mixpanel_integration_id": "0",
        "mixpanel_cohort_name": "Registros Ultimas 24 horas", "mixpanel_cohort_id": "5167408",
        "mixpanel_session_id": "9b5bbfa4-1b9a-41fe-bf60-cd31274ef05d",
        "members": members if members is not None else [
            {"$distinct_id": "a@example.com", "$email": "a@example.com", "$name": "Mirna", "$os": "Android",
             "$phone": "+543704546789", "mixpanel_distinct_id": "a@example.com", "utm_source": "google"},
            {"utm_term": "", "utm_medium": "ppc", "utm_source": "google", "$distinct_id": "b@example.com",
             "utm_campaign": "Sales-Performance Max-V2", "mixpanel_distinct_id": "b@example.com"}]}}


write("valid/real_sender_members.json", real_sender())
write("valid/real_sender_remove_members.json", real_sender("remove_members", [{"$distinct_id": "c@example.com", "mixpanel_distinct_id": "c@example.com"}]))
write("valid/no_page_info.json", page(page_info=None))
write("valid/reserved_distinct_id.json", real_sender("add_members", [{"$distinct_id": "d@example.com", "$email": "d@example.com", "$first_name": "Dora", "$last_name": "Diaz"}]))

write("invalid/too_long.json", real_sender(members=[{"mixpanel_distinct_id": "x" * 5000}]) | {"parameters": {**real_sender()["parameters"], "mixpanel_session_id": "s" * 300, "members": [{"mixpanel_distinct_id": "x" * 5000}]}})
write("invalid/empty_body.json", b"  \n")
write("invalid/invalid_utf8.json", b'{"action":"members","parameters":{"mixpanel_cohort_name":"bad \xc3\x28 byte"}}')
write("invalid/invalid_json.json", '{\n  "action": "members",\n  "parameters": {"members": [1,],}\n}')
write("invalid/nesting_too_deep.json", '{"action":"members","parameters":{"members":[{"mixpanel_distinct_id":"a","deep":' + "[" * 200 + "]" * 200 + "}]}}")
write("invalid/not_an_object.json", "[1, 2, 3]")
write("invalid/missing_field.json", {"action": "members", "parameters": {"members": [{"email": "a@b.c"}]}})
write("invalid/wrong_type.json", page(mixpanel_cohort_id=1234567, members=[{"mixpanel_distinct_id": 123456, "email": 5}, "not a member"]))
write("invalid/empty_string.json", page(mixpanel_session_id="", members=[{"mixpanel_distinct_id": ""}]))
write("invalid/duplicate_key.json",
      '{"action":"add_members","action":"remove_members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2",'
      '"mixpanel_session_id":"3","page_info":{"total_pages":1,"page_count":1},'
      '"members":[{"mixpanel_distinct_id":"a","mixpanel_distinct_id":"b"}]}}')
write("invalid/lone_surrogate.json", '{"action":"members","parameters":{"members":[{"mixpanel_distinct_id":"\\ud800"}]}}')
write("invalid/unknown_action.json", page("replace_members"))
write("invalid/not_an_integer.json", page(page_info={"total_pages": "3", "page_count": 1.5}))
write("invalid/page_out_of_range.json", page(count=7, total=6))
write("invalid/page_zero.json", page(count=0, total=6))
write("invalid/too_many_members.json", page(members=[{"mixpanel_distinct_id": str(i)} for i in range(1001)]))
write("invalid/too_many_problems.json", page(members=[{"mixpanel_distinct_id": i} for i in range(150)]))
write("invalid/null_body.json", "null")
write("invalid/trailing_data.json", json.dumps(page()) + " {}")
