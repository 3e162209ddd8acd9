// parsePayload builds members in JavaScript from the body as sent (the wasm validates,
// reads the envelope and says which typed fields reserved properties fill), except for a
// parsed webhook object, whose members the wasm builds itself. The two ways must give
// the same page: random bodies (documented and reserved keys with every kind of value,
// $distinct_id standing in, "__proto__", integer-like and repeated keys, escapes) go
// through both, as text, as bytes and as the object.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CohortSyncError, parsePayload } from "cohort-sync";
import { seeded } from "../lib/random.mjs";

const TEXTS = ["a", "", "Zoë", "名前", "😀", 'quote " and \\ slash', "line\nbreak", "\u0001", "+1 415 555 0100", "x".repeat(40)];
const DOCUMENTED = ["email", "first_name", "last_name", "phone_number"];
const RESERVED = ["$email", "$first_name", "$last_name", "$phone"];
const OTHER = ["plan", "__proto__", "0", "17", "$os", "constructor", "$CleverTap_user_id", "toString"];

function value(g) {
  switch (g.int(7)) {
    case 0: return null;
    case 1: return g.pick(TEXTS);
    case 2: return g.int(2 ** 31) - 2 ** 30; // safe integers round-trip through JSON.stringify
    case 3: return 1.5;
    case 4: return { nested: g.pick(TEXTS), list: [1, null, true] };
    case 5: return [g.pick(TEXTS)];
    default: return g.next() < 0.5;
  }
}

// A member as JSON text, so keys can repeat and be escaped.
function memberText(g, index) {
  const parts = [];
  const id = `id-${index}-${g.pick(TEXTS)}`;
  if (g.next() < 0.8) parts.push(`"mixpanel_distinct_id":${JSON.stringify(id)}`);
  if (g.next() < 0.7) parts.push(`"$distinct_id":${JSON.stringify(id)}`);
  for (const key of DOCUMENTED) {
    const roll = g.next();
    if (roll < 0.3) parts.push(`"${key}":${JSON.stringify(g.pick(TEXTS))}`);
    else if (roll < 0.4) parts.push(`"${key}":null`);
  }
  for (let n = g.int(6); n > 0; n--) {
    const key = g.next() < 0.6 ? g.pick(RESERVED) : g.pick(OTHER);
    const written = g.next() < 0.2 ? JSON.stringify(key).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : JSON.stringify(key);
    parts.push(`${written}:${JSON.stringify(value(g))}`);
  }
  for (let i = parts.length - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [parts[i], parts[j]] = [parts[j], parts[i]];
  }
  return `{${parts.join(",")}}`;
}

function bodyText(g) {
  const members = Array.from({ length: g.int(8) }, (_, i) => memberText(g, i));
  const pageInfo = g.next() < 0.5 ? `,"page_info":{"page_count":1,"total_pages":2}` : "";
  return `{"action":"${g.pick(["members", "add_members", "remove_members"])}","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_cohort_name":${JSON.stringify(g.pick(TEXTS))},"mixpanel_session_id":"s"${pageInfo},"members":[${members.join(",")}]}}`;
}

const outcome = (body) => {
  try {
    return { page: parsePayload(body) };
  } catch (error) {
    assert.ok(error instanceof CohortSyncError, String(error));
    return { code: error.code, paths: error.problems.map((p) => p.path) };
  }
};

// Own keys in order, prototypes and all: deepStrictEqual alone would not tell a
// "__proto__" own key from a changed prototype.
function canonical(value) {
  if (value === null || typeof value !== "object") return value;
  assert.ok([Object.prototype, Array.prototype].includes(Object.getPrototypeOf(value)), "plain objects and arrays only");
  if (Array.isArray(value)) return value.map(canonical);
  return Object.getOwnPropertyNames(value).map((key) => [key, canonical(value[key])]);
}

describe("parsePayload: members built from the body as sent, and in the wasm, agree", () => {
  test("on 3000 random bodies, as text, bytes and the parsed object", () => {
    let pages = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const text = bodyText(seeded(seed));
      const fromObject = outcome(JSON.parse(text));
      for (const input of [text, new TextEncoder().encode(text)]) {
        const fast = outcome(input);
        if (fromObject.page) {
          assert.ok(fast.page, `seed ${seed}: ${JSON.stringify(fast)} for ${text}`);
          assert.deepEqual(canonical(fast.page), canonical(fromObject.page), `seed ${seed}: ${text}`);
        } else {
          assert.equal(fast.code, fromObject.code, `seed ${seed}: ${text}`);
          assert.deepEqual(fast.paths, fromObject.paths, `seed ${seed}: ${text}`);
        }
      }
      if (fromObject.page) pages += 1;
    }
    // Most bodies are valid; the invalid ones (a wrong type in a documented key) are
    // compared by their problems.
    assert.ok(pages > 1500, `${pages} valid pages`);
  });

  test("a reserved property sent as digits fills its field with the digits as sent", () => {
    const page = parsePayload('{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_session_id":"s","members":[{"mixpanel_distinct_id":"a","$phone":123456789012345678901}]}}');
    assert.equal(page.members[0].phoneNumber, "123456789012345678901");
    assert.equal(page.members[0].properties.$phone, 123456789012345680000); // as JSON.parse reads the number
  });

  test("a string body with a byte order mark, and a shared buffer, are read too", () => {
    const text = '{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_session_id":"s","members":[{"mixpanel_distinct_id":"a","$email":"a@example.com","plan":"pro"}]}}';
    const expected = parsePayload(text);
    assert.deepEqual(parsePayload(`\uFEFF${text}`), expected);
    const bytes = new TextEncoder().encode(text);
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    assert.deepEqual(parsePayload(shared), expected);
  });

  test("an enumerable key on Object.prototype does not become a member property", () => {
    const text = '{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_session_id":"s","members":[{"mixpanel_distinct_id":"a","plan":"pro"}]}}';
    Object.prototype.polluted = "yes";
    try {
      const page = parsePayload(text);
      assert.deepEqual(Object.keys(page.members[0].properties), ["plan"]);
    } finally {
      delete Object.prototype.polluted;
    }
  });
});
