// The packed and installed `cohort-sync` package in Node, against docs/api.md: every payload
// function, each problem code, and hostile input. Run by scripts/test-js.mjs from a
// scratch project where `cohort-sync` is the installed tarball.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as cs from "cohort-sync";
import { bytes, member, payload, text } from "../lib/payloads.mjs";
import { captured } from "../lib/errors.mjs";

const { validatePayload, parsePayload, webhookResponse, classifyStatus, retryDelays, CohortSyncError } = cs;
const T = { timeout: 60_000 }; // a hang fails the test instead of the run

const all = (report) => [...report.errors, ...report.warnings, ...report.info];
const codes = (report) => all(report).map((p) => p.code);
const VALID = validatePayload(bytes(payload()));

/** The report must be well formed, whatever the input was. */
function assertReportShape(r) {
  assert.equal(typeof r.valid, "boolean");
  assert.ok(Array.isArray(r.errors) && Array.isArray(r.warnings) && Array.isArray(r.info));
  assert.equal(r.valid, r.errors.length === 0);
  for (const p of all(r)) {
    assert.equal(typeof p.code, "string");
    assert.match(p.code, /^[a-z][a-z0-9_]*$/);
    assert.equal(typeof p.path, "string");
    assert.ok(p.path === "" || p.path.startsWith("/"), `JSON Pointer: ${p.path}`);
    assert.equal(typeof p.message, "string");
    for (const k of ["line", "column", "offset"]) {
      if (k in p) assert.ok(Number.isInteger(p[k]) && p[k] >= (k === "offset" ? 0 : 1), `${k}=${p[k]}`);
    }
  }
  for (const k of ["action", "projectId", "cohortId", "cohortName", "cohortDescription", "sessionId"]) {
    assert.ok(k in r, `report has ${k}`);
    assert.ok(r[k] === null || typeof r[k] === "string", `${k} is string|null`);
  }
  assert.ok(r.page === null || (Number.isInteger(r.page.count) && Number.isInteger(r.page.total)));
  assert.ok(r.memberCount === null || Number.isInteger(r.memberCount));
}

/** validatePayload must answer with a report (never throw) and parsePayload reject. */
function invalid(body, options) {
  const r = validatePayload(body, options);
  assertReportShape(r);
  assert.equal(r.valid, false, `expected invalid: ${JSON.stringify(r.errors)}`);
  assert.throws(() => parsePayload(body, options), (e) => e instanceof CohortSyncError);
  return r;
}

function assertStillWorks() {
  assert.deepEqual(validatePayload(bytes(payload())), VALID);
  assert.equal(parsePayload(text(payload())).members.length, 2);
}

describe("validatePayload", () => {
  test("a valid page is read in full", T, () => {
    assertReportShape(VALID);
    assert.deepEqual(VALID.errors, []);
    assert.equal(VALID.valid, true);
    assert.equal(VALID.action, "members");
    assert.equal(VALID.projectId, "2345678");
    assert.equal(VALID.cohortId, "98765");
    assert.equal(VALID.cohortName, "Power users");
    assert.equal(VALID.cohortDescription, "Active on 5 of the last 7 days");
    assert.equal(VALID.sessionId, "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b");
    assert.deepEqual(VALID.page, { count: 1, total: 1 });
    assert.equal(VALID.memberCount, 2);
  });

  test("every action is accepted", T, () => {
    for (const action of ["members", "add_members", "remove_members"]) {
      const r = validatePayload(text(payload(() => {}, { action })));
      assert.equal(r.valid, true, action);
      assert.equal(r.action, action);
    }
  });

  test("string, Uint8Array, ArrayBuffer, DataView and offset views give the same report", T, () => {
    const s = text(payload());
    const u8 = bytes(s);
    const padded = new Uint8Array(u8.length + 8);
    padded.set(u8, 4);
    for (const body of [s, u8, u8.buffer, new DataView(u8.buffer), padded.subarray(4, 4 + u8.length)]) {
      assert.deepEqual(validatePayload(body), VALID, body.constructor.name);
    }
  });

  test("an empty page (no members) is valid", T, () => {
    const r = validatePayload(text(payload((p) => (p.parameters.members = []))));
    assert.equal(r.valid, true);
    assert.equal(r.memberCount, 0);
  });

  test("parse errors carry 1-based line and column", T, () => {
    const r = invalid('{\n  "action": "members",\n  "parameters": }');
    const p = r.errors.find((e) => e.code === "invalid_json");
    assert.ok(p, JSON.stringify(r.errors));
    assert.equal(p.line, 3);
    assert.ok(p.column >= 17 && p.column <= 18, `column ${p.column}`);
  });

  // One case per problem code: [code, body, options?, expected path?]
  const big = (n) => payload((p) => (p.parameters.members = Array.from({ length: n }, (_, i) => member(i))));
  const cases = [
    ["empty_body", ""],
    ["body_too_large", text(payload()), { maxBytes: 100 }],
    ["invalid_utf8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ["invalid_json", '{"action": "members",'],
    ["nesting_too_deep", "[".repeat(10_000) + "]".repeat(10_000)],
    ["byte_order_mark", new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(payload())])],
    ["not_an_object", "[1, 2, 3]", undefined, ""],
    ["missing_field", text(payload((p) => delete p.action)), undefined, "/action"],
    ["wrong_type", text(payload((p) => (p.parameters.members = {}))), undefined, "/parameters/members"],
    ["empty_string", text(payload((p) => (p.parameters.members[1].mixpanel_distinct_id = ""))), undefined,
      "/parameters/members/1/mixpanel_distinct_id"],
    ["duplicate_key", '{"action":"members","action":"add_members","parameters":{}}'],
    ["unknown_field", text(payload((p) => (p.parameters.surprise = 1)))],
    ["lone_surrogate", text(payload()).replace('"Power users"', '"Power \\ud800 users"')],
    ["unknown_action", text(payload((p) => (p.action = "delete_everything"))), undefined, "/action"],
    ["not_an_integer", text(payload((p) => (p.parameters.page_info.page_count = 1.5))), undefined,
      "/parameters/page_info/page_count"],
    ["page_out_of_range", text(payload((p) => (p.parameters.page_info = { page_count: 3, total_pages: 2 })))],
    ["too_many_members", text(big(1001))],
    ["too_many_members", text(payload()), { maxMembers: 1 }],
    ["duplicate_member", text(payload((p) => (p.parameters.members[1].mixpanel_distinct_id = "user-0")))],
    ["long_id", text(payload((p) => (p.parameters.members[0].mixpanel_distinct_id = "x".repeat(300))))],
    ["too_long", text(payload((p) => (p.parameters.members[0].mixpanel_distinct_id = "x".repeat(100_000))))],
    ["no_page_info", text(payload((p) => delete p.parameters.page_info))],
    ["too_many_problems", text(payload((p) => (p.parameters.members = Array.from({ length: 500 }, () => ({ mixpanel_distinct_id: "" })))))],
    ["invalid_argument", 42],
  ];
  for (const [code, body, options, path] of cases) {
    test(`problem code ${code}`, T, () => {
      const r = validatePayload(body, options);
      assertReportShape(r);
      const found = all(r).filter((p) => p.code === code);
      assert.ok(found.length > 0, `no ${code} in ${JSON.stringify(all(r)).slice(0, 500)}`);
      if (path !== undefined) assert.ok(found.some((p) => p.path === path), `${code} at ${path}: ${JSON.stringify(found)}`);
    });
  }

  test("what the real sender leaves out is a note (info), not a warning", T, () => {
    const r = validatePayload(text(payload((p) => {
      delete p.parameters.page_info;
      delete p.parameters.mixpanel_cohort_description;
    })));
    assert.equal(r.valid, true);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.info.map((p) => [p.code, p.path]), [["missing_field", "/parameters/mixpanel_cohort_description"], ["no_page_info", "/parameters/page_info"]]);
    // Only the description: a missing cohort name is still a warning.
    const named = validatePayload(text(payload((p) => delete p.parameters.mixpanel_cohort_name)));
    assert.deepEqual(named.warnings.map((p) => [p.code, p.path]), [["missing_field", "/parameters/mixpanel_cohort_name"]]);
    assert.deepEqual(named.info, []);
  });

  test("a body cut short says so, where it ends", T, () => {
    const whole = text(payload());
    for (const end of [whole.indexOf('"Power users"') + 4, whole.indexOf("page_count") + 14, whole.length - 3, whole.length - 1]) {
      const cut = whole.slice(0, end);
      const [p] = validatePayload(cut).errors;
      assert.equal(p.code, "invalid_json", cut.slice(-20));
      assert.match(p.message, /^the body ends early, .*: it looks cut off$/);
      assert.equal(p.offset, new TextEncoder().encode(cut).length, `at the end: ${p.message}`);
    }
  });

  test("problems past the limit are summarised, not listed", T, () => {
    const r = validatePayload(text(payload((p) => (p.parameters.members = Array.from({ length: 5000 }, () => ({ mixpanel_distinct_id: "" }))))));
    assert.ok(r.errors.length <= 101, `${r.errors.length} errors`);
    assert.equal(r.errors.at(-1).code, "too_many_problems");
  });

  test("bad options throw CohortSyncError invalid_argument", T, () => {
    for (const options of [{ maxMembers: -1 }, { maxMembers: "10" }, { maxBytes: NaN }, { maxBytes: 1.5 }, "fast", 7]) {
      assert.throws(() => validatePayload(text(payload()), options), (e) => {
        assert.ok(e instanceof CohortSyncError, String(e));
        assert.equal(e.code, "invalid_argument", `${JSON.stringify(options)}: ${e.message}`);
        return true;
      });
    }
    for (const options of [undefined, null, {}, { maxMembers: 1000, maxBytes: 1 << 20 }]) {
      assert.equal(validatePayload(text(payload()), options).valid, true);
    }
  });

  test("an unknown option is named, with the options there are (serde's sentence)", T, () => {
    assert.throws(() => validatePayload(text(payload()), { maxMember: 1 }), {
      code: "invalid_argument",
      message: "options: unknown field `maxMember`, expected one of `maxMembers`, `maxBytes`, `ids`, `memberSpans`",
    });
    assert.throws(() => cs.parsePayload(text(payload()), { maxMembers: 1, typo: 2 }), {
      code: "invalid_argument",
      message: "options: unknown field `typo`, expected `maxMembers` or `maxBytes`",
    });
  });
});

describe("parsePayload", () => {
  test("maps members to Member objects", T, () => {
    const page = parsePayload(
      bytes(payload((p) => (p.parameters.members = [member(7), { mixpanel_distinct_id: "bare" }]), { action: "add_members" })),
    );
    assert.equal(page.action, "add_members");
    assert.equal(page.cohortId, "98765");
    assert.deepEqual(page.page, { count: 1, total: 1 });
    assert.deepEqual(page.members, [
      {
        distinctId: "user-7",
        email: "user7@example.com",
        firstName: "Ada",
        lastName: "Lovelace",
        phoneNumber: "+15555550100",
        properties: { $CleverTap_user_id: "ct-7" },
      },
      { distinctId: "bare", email: null, firstName: null, lastName: null, phoneNumber: null, properties: {} },
    ]);
    for (const k of ["projectId", "cohortName", "cohortDescription", "sessionId"]) assert.equal(page[k], VALID[k]);
  });

  test("keeps JSON values of exported properties as they were", T, () => {
    const props = { plan: "pro", seats: 12, trial: false, tags: ["a", "b"], nested: { x: null } };
    const page = parsePayload(text(payload((p) => (p.parameters.members = [{ mixpanel_distinct_id: "u", ...props }]))));
    assert.deepEqual(page.members[0].properties, props);
  });

  test("an invalid body throws CohortSyncError invalid_payload with the report's errors", T, () => {
    const body = text(payload((p) => (p.parameters.page_info.page_count = 0)));
    const err = captured(() => parsePayload(body));
    assert.ok(err instanceof CohortSyncError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, "CohortSyncError");
    assert.equal(err.code, "invalid_payload");
    assert.equal(typeof err.message, "string");
    assert.ok(err.message.length > 0);
    assert.deepEqual(err.problems, validatePayload(body).errors);
    assert.ok(err.problems.length > 0);
  });

  test("bad arguments throw CohortSyncError", T, () => {
    for (const body of [undefined, null, 42, {}, [], true]) {
      const err = captured(() => parsePayload(body));
      assert.ok(err instanceof CohortSyncError, String(err));
      assert.ok(["invalid_argument", "invalid_payload"].includes(err.code), err.code);
    }
    assert.equal(captured(() => parsePayload(text(payload()), { maxMembers: -5 })).code, "invalid_argument");
  });
});

describe("webhookResponse, classifyStatus, retryDelays", () => {
  test("success reply", T, () => {
    const r = webhookResponse("add_members");
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers, { "content-type": "application/json" });
    assert.equal(typeof r.body, "string");
    assert.deepEqual(JSON.parse(r.body), { action: "add_members", status: "success" });
    assert.deepEqual(webhookResponse("members", null), webhookResponse("members"));
  });

  test("failure reply carries the error and its status", T, () => {
    const r = webhookResponse("members", { message: "page 3 of 2", code: 400 });
    assert.equal(r.status, 400);
    assert.deepEqual(r.headers, { "content-type": "application/json" });
    const body = JSON.parse(r.body);
    assert.equal(body.action, "members");
    assert.equal(body.status, "failure");
    assert.deepEqual(body.error, { message: "page 3 of 2", code: 400 });
    assert.equal(webhookResponse("remove_members", { message: "later", code: 503 }).status, 503);
  });

  test("classifyStatus", T, () => {
    for (const s of [200, 201, 204, 299]) assert.equal(classifyStatus(s), "success", String(s));
    for (const s of [429, 500, 502, 503, 599]) assert.equal(classifyStatus(s), "retry", String(s));
    for (const s of [400, 401, 403, 404]) assert.equal(classifyStatus(s), "pause", String(s));
  });

  test("retryDelays: 5 growing delays summing to at most 60 s", T, () => {
    const d = retryDelays();
    assert.equal(d.length, 5);
    assert.ok(d.every((x) => Number.isFinite(x) && x > 0));
    for (let i = 1; i < d.length; i++) assert.ok(d[i] > d[i - 1], JSON.stringify(d));
    assert.ok(d.reduce((a, b) => a + b) <= 60_000);
    assert.notEqual(retryDelays(), d, "a fresh array each call");
  });
});

describe("hostile input", () => {
  test("non-body values are reported as invalid_argument, never thrown", T, () => {
    // (Objects are read as the parsed webhook object: tested in real-sender.test.mjs.)
    for (const body of [undefined, null, 0, 42, -1.5, NaN, true, Symbol("x"), 10n, () => {}]) {
      const r = invalid(body);
      assert.ok(codes(r).includes("invalid_argument"), `${String(body)}: ${codes(r)}`);
    }
    assertStillWorks();
  });

  test('"" and "null" and other JSON that is not an object', T, () => {
    assert.deepEqual(codes(invalid("")), ["empty_body"]);
    assert.deepEqual(codes(invalid(new Uint8Array())), ["empty_body"]);
    for (const body of ["null", "0", '"members"', "[]", "true", "  null  "]) {
      assert.ok(codes(invalid(body)).includes("not_an_object"), body);
    }
  });

  test("100 000 nested brackets do not overflow the stack", T, () => {
    for (const body of ["[".repeat(100_000), "{\"a\":".repeat(100_000), "[".repeat(100_000) + "]".repeat(100_000)]) {
      const r = invalid(body);
      assert.ok(codes(r).some((c) => c === "nesting_too_deep" || c === "invalid_json"), codes(r).join());
    }
    assertStillWorks();
  });

  test("invalid UTF-8", T, () => {
    for (const b of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x7b, 0xe2, 0x82]]) {
      assert.ok(codes(invalid(new Uint8Array(b))).includes("invalid_utf8"), b.join());
    }
    const good = bytes(payload());
    const broken = new Uint8Array([...good.slice(0, 40), 0xff, ...good.slice(40)]);
    const p = invalid(broken).errors.find((e) => e.code === "invalid_utf8");
    assert.equal(p.offset, 40);
  });

  test("lone surrogates: escaped in JSON text, and raw in a JS string", T, () => {
    const escaped = text(payload((p) => (p.parameters.members[0].mixpanel_distinct_id = "PLACEHOLDER"))).replace(
      "PLACEHOLDER",
      "a\\udc00b",
    );
    const r = validatePayload(escaped);
    assertReportShape(r);
    assert.ok(codes(r).includes("lone_surrogate"), codes(r).join());
    // A raw lone surrogate cannot cross into UTF-8: whatever the verdict, no throw.
    assertReportShape(validatePayload(text(payload((p) => (p.parameters.mixpanel_cohort_name = "x\ud800y")))));
    assertReportShape(validatePayload(text(payload((p) => (p.parameters.members[0].mixpanel_distinct_id = "\udfff")))));
    assertStillWorks();
  });

  test("numbers where id strings belong", T, () => {
    const r = invalid(
      text(
        payload((p) => {
          p.parameters.mixpanel_cohort_id = 98765;
          p.parameters.members[0].mixpanel_distinct_id = 12345;
        }),
      ),
    );
    const at = (path) => r.errors.find((e) => e.path === path);
    assert.equal(at("/parameters/mixpanel_cohort_id")?.code, "wrong_type", JSON.stringify(r.errors));
    assert.equal(at("/parameters/members/0/mixpanel_distinct_id")?.code, "wrong_type");
  });

  test("__proto__ and constructor keys stay plain data", T, () => {
    const body =
      '{"action":"members","__proto__":{"polluted":1},"parameters":{"mixpanel_project_id":"1",' +
      '"mixpanel_cohort_id":"2","mixpanel_cohort_name":"n","mixpanel_cohort_description":"d",' +
      '"mixpanel_session_id":"s","page_info":{"page_count":1,"total_pages":1},"members":[' +
      '{"mixpanel_distinct_id":"a","__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}},' +
      '"toString":"nope","hasOwnProperty":5}]}}';
    const r = validatePayload(body);
    assertReportShape(r);
    const page = parsePayload(body);
    const props = page.members[0].properties;
    assert.ok(Object.hasOwn(props, "__proto__"), "own __proto__ key");
    assert.deepEqual(props["__proto__"], { polluted: 2 });
    assert.ok(Object.hasOwn(props, "constructor"));
    assert.equal(props.toString, "nope");
    assert.equal(Object.getPrototypeOf(props), Object.prototype);
    assert.equal(Object.getPrototypeOf(page), Object.prototype);
    assert.equal({}.polluted, undefined);
    assert.equal(Object.prototype.polluted, undefined);
    assert.equal(typeof {}.toString, "function");
  });

  test("a 10 MB body: under and over maxBytes", T, () => {
    const base = text(payload());
    const tenMB = 10_000_000;
    // Valid JSON padded with insignificant whitespace up to exactly 10 MB.
    const body = new TextEncoder().encode(base.slice(0, -1) + " ".repeat(tenMB - base.length) + "}");
    assert.equal(body.length, tenMB);
    let t = performance.now();
    assert.equal(validatePayload(body).valid, true, "10 MB < default 10 MiB");
    assert.ok(performance.now() - t < 10_000, "no pathological slowness");
    assert.equal(parsePayload(body, { maxBytes: tenMB }).members.length, 2);
    const over = invalid(body, { maxBytes: tenMB - 1 });
    assert.deepEqual(codes(over), ["body_too_large"]);
    // Over the default limit, as bytes and as a string.
    const huge = new Uint8Array(10 * 1024 * 1024 + 1).fill(0x20);
    assert.ok(codes(invalid(huge)).includes("body_too_large"));
    assert.ok(codes(invalid(" ".repeat(10 * 1024 * 1024 + 1))).includes("body_too_large"));
    // 10 MB of garbage under a raised limit: an answer, not a hang or a trap.
    t = performance.now();
    invalid(new Uint8Array(tenMB).fill(0x5b), { maxBytes: 2 * tenMB });
    assert.ok(performance.now() - t < 10_000);
    assertStillWorks();
  });

  test("a thousand bad calls in a row leave the module healthy", T, () => {
    const bodies = ["", "{", "[]", "\u0000", '{"action":1}', new Uint8Array([0xff]), 1, null];
    for (let i = 0; i < 1000; i++) validatePayload(bodies[i % bodies.length]);
    assertStillWorks();
  });
});

test("validatePayload({ ids: true }): the page's ids in order with the report; none when invalid", async () => {
  const { validatePayload, planSync } = await import("cohort-sync");
  const [body] = planSync(null, ["b", "a\u00e9", "b-2", "\u{1F600}"], { projectId: "1", cohortId: "2", sessionId: "s" });
  const report = validatePayload(new TextEncoder().encode(body), { ids: true });
  assert.equal(report.valid, true);
  assert.deepEqual(report.ids, ["b", "a\u00e9", "b-2", "\u{1F600}"]);
  assert.equal(validatePayload(body).ids, undefined, "only when asked");
  assert.deepEqual(validatePayload("{", { ids: true }).ids, []);
  assert.equal(validatePayload("{", { ids: true }).valid, false);
  assert.throws(() => validatePayload(body, { ids: true, idz: 1 }), (e) => e.code === "invalid_argument");
  assert.throws(() => validatePayload(body, { ids: "yes" }), (e) => e.code === "invalid_argument");
});
