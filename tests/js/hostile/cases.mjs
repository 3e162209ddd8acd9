// The hostile-HTTP contract of the receiver, one table for every host and store
// (docs/api.md, "The Cloudflare Worker"). tests/js/behaviour/hostile.mjs sends each row
// to a receiver that has synced one cohort, "c1" (members m-1, m-2, m-3), and checks:
//
//   status   exact (a number), one of a list, "4xx" (the class), or "4xx-or-closed"
//            (a 4xx, or no answer and the connection ended: by the server, or by our
//            timeout for a body that never arrives). Never a 5xx.
//   runtime  true: another 4xx is accepted in place of `status` when it is not the
//            receiver's answer (no JSON body): the runtime refused the request itself.
//   shape    "mixpanel": `{ action, status: "failure", error: { code, message } }`
//            (pkg/api.js webhookResponse), error.code the HTTP status; "error":
//            `{ error: { message, code } }`; "lookup": `{ member: false, … }`; "list":
//            `{ members, cursor }`; null: not checked (the runtime may answer).
//   action   the echoed action of a "mixpanel" answer (null when the body was not read).
//   problem, pointer   error.message holds "<problem> at <pointer>" (message.js), or
//            the problem code alone where no pointer is given.
//   ms       the answer comes within this many milliseconds (2 s unless said).
//   workerd  `{ status, why }`: what workerd itself answers before any of the Worker's code
//            runs (so no Worker can answer otherwise), accepted on the Worker host only
//            and only when it is not the receiver's JSON. On Cloudflare such a request
//            never reaches a Worker: the edge refuses it first.
//   stored   "nothing": every table and row count of the store is the same after
//            (the SQLite file, the PostgreSQL database, every Durable Object file in
//            Miniflare's persist folder; no new file, table or row, none gone).
//            "refusal-count": the same, except that a `sync_stats` table that already
//            exists (c1's) may gain one row: a refused page for an already-synced cohort
//            is counted in that cohort's sync history (GET /cohorts/c1/syncs). A refused
//            page for a cohort never synced must store nothing; those rows say so.
//            Counts are taken once the store has stopped changing, so what an alarm
//            writes just after the answer is the row's doing too.
//
// Also: a 401 carries a Basic `www-authenticate` challenge, a 405 an `allow` header.
//
// After every row a new connection asks GET /cohorts/c1 and must get 200 with c1's
// three members within 1 s.
//
// The second table, ACCEPTED, holds ids that are legal however odd: each is posted in
// an add_members page to cohort "ctl" and must come back exactly from the member lookup
// (percent-encoded in the path) and from the members list.
import { chunked, head } from "./raw.mjs";
import { AUTH, basic, CREDENTIALS } from "../worker/worker-harness.mjs";

export { AUTH };
export const COHORT = { id: "c1", members: ["m-1", "m-2", "m-3"] };
const WRONG = basic(CREDENTIALS.user, "wrong password");
const MiB = 1024 * 1024;
const LIMIT = 10 * MiB; // TEST_SETTINGS.MAX_BODY_BYTES

let sessions = 0;
/**
 * A webhook page as JSON text. `cohort`, `session`, `name` and each of `members` are JSON
 * texts, inserted as given, so the escapes below are exactly what goes on the wire.
 */
export function page({ action = "add_members", cohort = '"c1"', session = `"hostile-${++sessions}"`, name = '"Hostile"', members = ['{"mixpanel_distinct_id":"ok-1"}'] } = {}) {
  return `{"action":"${action}","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":${cohort},"mixpanel_cohort_name":${name},"mixpanel_session_id":${session},"page_info":{"page_count":1,"total_pages":1},"members":[${members.join(",")}]}}`;
}

/** A request sent with fetch. `headers` an object; `auth` false for none. */
const http = (method, path, { auth = AUTH, headers = {}, body } = {}) => ({ via: "fetch", method, path, headers: { ...(auth ? { authorization: auth } : {}), ...headers }, body });
const webhook = (body, options = {}) => http("POST", "/webhook", { headers: { "content-type": "application/json" }, body, ...options });
const get = (path, options) => http("GET", path, options);

/**
 * A request written on a raw socket: `parts(origin)` the bytes in order. `timeoutMs`
 * bounds the exchange.
 */
const raw = (parts, timeoutMs = 5000) => ({ via: "raw", parts, timeoutMs });
/**
 * POST /webhook on a raw socket with `headers` (pairs) and `body` (text, or a function
 * making the Buffer when the row runs), framed by Content-Length or chunked.
 */
const rawPost = (headers, body, { timeoutMs, transfer = "length" } = {}) =>
  raw((origin) => {
    const bytes = typeof body === "function" ? body() : Buffer.from(body);
    const framing = transfer === "chunked" ? [["Transfer-Encoding", "chunked"]] : [["Content-Length", String(bytes.length)]];
    return [head(origin, "POST", "/webhook", [["Content-Type", "application/json"], ...headers, ...framing]), ...(transfer === "chunked" ? chunked(bytes) : [bytes])];
  }, timeoutMs);
const bigBody = (n) => () => Buffer.alloc(n, "x");
/** `text` as UTF-8 with `marker` replaced by raw `bytes`. */
const spliced = (text, marker, bytes) => {
  const [before, after] = text.split(marker);
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
};

const MIXPANEL = "mixpanel";
const ERROR = "error";
const NOTHING = "nothing";
const REFUSAL = "refusal-count";
const ID = "/parameters/members/0/mixpanel_distinct_id";

/** A refused page: 400 in Mixpanel's shape naming `problem` at `pointer`. */
const refused = (problem, pointer, stored, extra = {}) => ({ status: 400, shape: MIXPANEL, action: "add_members", problem, pointer, stored, ...extra });
const notFound = { status: 404, shape: ERROR, stored: NOTHING };
const badRequest = { status: 400, shape: ERROR, stored: NOTHING };
const unauthorised = { status: 401, shape: MIXPANEL, action: null, stored: NOTHING };
const tooLarge = { status: 413, shape: MIXPANEL, action: null, stored: NOTHING, ms: 10_000 };
const framing = { status: "4xx-or-closed", shape: null, stored: NOTHING };

export const CASES = [
  // --- Ids with a forbidden character (NUL): 400 naming the field; lone surrogates: 400.
  ["NUL in a member's mixpanel_distinct_id, page to c1", webhook(page({ members: ['{"mixpanel_distinct_id":"a\\u0000b"}'] })), refused("forbidden_character", ID, REFUSAL)],
  ["NUL in a member's mixpanel_distinct_id, page to a cohort never synced", webhook(page({ cohort: '"fresh-nul-member"', members: ['{"mixpanel_distinct_id":"a\\u0000b"}'] })), refused("forbidden_character", ID, NOTHING)],
  ["NUL in mixpanel_session_id, page to c1", webhook(page({ session: '"e\\u00001"' })), refused("forbidden_character", "/parameters/mixpanel_session_id", REFUSAL)],
  ["NUL in mixpanel_session_id, page to a cohort never synced", webhook(page({ cohort: '"fresh-nul-session"', session: '"e\\u00001"' })), refused("forbidden_character", "/parameters/mixpanel_session_id", NOTHING)],
  ["NUL in mixpanel_cohort_id", webhook(page({ cohort: '"e\\u0000dge"' })), refused("forbidden_character", "/parameters/mixpanel_cohort_id", NOTHING)],
  ["NUL in a member's $distinct_id, page to c1", webhook(page({ members: ['{"$distinct_id":"a\\u0000b"}'] })), refused("forbidden_character", "/parameters/members/0/$distinct_id", REFUSAL)],
  ["NUL in a member's $distinct_id, page to a cohort never synced", webhook(page({ cohort: '"fresh-nul-dollar"', members: ['{"$distinct_id":"a\\u0000b"}'] })), refused("forbidden_character", "/parameters/members/0/$distinct_id", NOTHING)],
  ["NUL in mixpanel_cohort_name, page to c1", webhook(page({ name: '"Power\\u0000users"' })), refused("forbidden_character", "/parameters/mixpanel_cohort_name", REFUSAL)],
  ["NUL in mixpanel_cohort_name, page to a cohort never synced", webhook(page({ cohort: '"fresh-nul-name"', name: '"Power\\u0000users"' })), refused("forbidden_character", "/parameters/mixpanel_cohort_name", NOTHING)],
  ["lone surrogate \\ud800 in a member id, page to c1", webhook(page({ members: ['{"mixpanel_distinct_id":"a\\ud800b"}'] })), refused("lone_surrogate", undefined, REFUSAL)],
  ["lone surrogate \\ud800 in a member id, page to a cohort never synced", webhook(page({ cohort: '"fresh-surrogate"', members: ['{"mixpanel_distinct_id":"a\\ud800b"}'] })), refused("lone_surrogate", undefined, NOTHING)],
  ["lone surrogate \\ud800 in mixpanel_cohort_id", webhook(page({ cohort: '"e\\ud800dge"' })), refused("lone_surrogate", undefined, NOTHING)],

  // --- Paths: bad ids are 400, cohorts never synced are 404, and asking stores nothing.
  // Each row asks about a cohort of its own, so one row's leftovers cannot hide another's.
  ["GET /cohorts/%00", get("/cohorts/%00"), badRequest],
  ["GET /cohorts/c1/members/%00", get("/cohorts/c1/members/%00"), badRequest],
  ["GET /cohorts/ + 15,000 × a", get(`/cohorts/${"a".repeat(15_000)}`), badRequest],
  ["GET /cohorts/ + 256 × a (cohort ids are at most 255 characters)", get(`/cohorts/${"a".repeat(256)}`), badRequest],
  ["GET /cohorts/ + 255 × a (never synced)", get(`/cohorts/${"a".repeat(255)}`), notFound],
  ["GET /cohorts/c1/members/ + 1025 × a (member ids are at most 1024 characters)", get(`/cohorts/c1/members/${"a".repeat(1025)}`), badRequest],
  ["GET /cohorts/c1/members/ + 1024 × a (not a member)", get(`/cohorts/c1/members/${"a".repeat(1024)}`), { status: 404, shape: "lookup", stored: NOTHING }],
  ["GET /cohorts/c1%2Fmembers", get("/cohorts/c1%2Fmembers"), { status: [400, 404], shape: ERROR, stored: NOTHING }],
  ["GET /cohorts/:never-synced", get("/cohorts/never-synced-info"), notFound],
  ["DELETE /cohorts/:never-synced", http("DELETE", "/cohorts/never-synced-delete"), notFound],
  ["GET /cohorts/:never-synced/syncs", get("/cohorts/never-synced-syncs/syncs"), notFound],
  ["GET /cohorts/:never-synced/members", get("/cohorts/never-synced-members/members"), notFound],
  ["GET /cohorts/:never-synced/members/someone", get("/cohorts/never-synced-lookup/members/someone"), notFound],
  ["GET /cohorts/:never-synced/members.ndjson", get("/cohorts/never-synced-ndjson/members.ndjson"), notFound],
  ["GET /cohorts/:never-synced/dead-letters", get("/cohorts/never-synced-dead/dead-letters"), notFound],

  // --- The members list's parameters: exact forms only.
  ["cursor=AAAA", get("/cohorts/c1/members?cursor=AAAA"), badRequest],
  ["cursor= (empty)", get("/cohorts/c1/members?cursor="), badRequest],
  ["a 12 KB cursor", get(`/cohorts/c1/members?cursor=${"A".repeat(12 * 1024)}`), badRequest],
  ["limit=1e3", get("/cohorts/c1/members?limit=1e3"), badRequest],
  ["limit=0x10", get("/cohorts/c1/members?limit=0x10"), badRequest],
  ["limit=%20%205", get("/cohorts/c1/members?limit=%20%205"), badRequest],
  ["limit=1&limit=5000", get("/cohorts/c1/members?limit=1&limit=5000"), badRequest],
  ["limit=0", get("/cohorts/c1/members?limit=0"), badRequest],
  ["limit=1001", get("/cohorts/c1/members?limit=1001"), badRequest],
  ["limit=1000", get("/cohorts/c1/members?limit=1000"), { status: 200, shape: "list", members: COHORT.members, cursor: null, stored: NOTHING }],
  ["limit=1", get("/cohorts/c1/members?limit=1"), { status: 200, shape: "list", members: COHORT.members.slice(0, 1), cursor: "string", stored: NOTHING }],

  // --- Methods no route takes.
  ...["/webhook", "/cohorts", "/cohorts/c1"].map((path) => [
    `TRACE ${path}`,
    raw((origin) => [head(origin, "TRACE", path, [["Authorization", AUTH], ["Connection", "close"]])]),
    { status: 405, runtime: true, shape: ERROR, stored: NOTHING },
  ]),
  ["GET /webhook", get("/webhook"), { status: 405, shape: ERROR, stored: NOTHING }],
  ["PUT /cohorts/c1", http("PUT", "/cohorts/c1", { body: "{}" }), { status: 405, shape: ERROR, stored: NOTHING }],

  // --- A Host header no URL can be made of, on a page that would otherwise be stored.
  ...["[", "a:99999", "%"].map((host, i) => [
    `Host: ${host} on POST /webhook`,
    rawPost([["Host", host], ["Authorization", AUTH], ["Connection", "close"]], page({ cohort: `"fresh-host-${i}"` })),
    { status: "4xx", shape: null, stored: NOTHING, workerd: { status: 500, why: "it cannot make the request's URL from this Host" } },
  ]),

  // --- Two Authorization headers: refused, whichever comes first.
  ["two Authorization headers, right then wrong", rawPost([["Authorization", AUTH], ["Authorization", WRONG], ["Connection", "close"]], page({ cohort: '"fresh-two-auth-1"' })), unauthorised],
  ["two Authorization headers, wrong then right", rawPost([["Authorization", WRONG], ["Authorization", AUTH], ["Connection", "close"]], page({ cohort: '"fresh-two-auth-2"' })), unauthorised],
  ["two Authorization headers on GET /cohorts/c1", raw((origin) => [head(origin, "GET", "/cohorts/c1", [["Authorization", AUTH], ["Authorization", WRONG], ["Connection", "close"]])]), { status: 401, shape: ERROR, stored: NOTHING }],

  // --- Large bodies: the answer reaches the client while (and after) the body is sent in full.
  ["wrong password, 5 MiB body, Connection: close", rawPost([["Authorization", WRONG], ["Connection", "close"]], bigBody(5 * MiB), { timeoutMs: 10_000 }), { ...unauthorised, ms: 10_000 }],
  ["wrong password, 10 MiB + 1 body, Connection: close", rawPost([["Authorization", WRONG], ["Connection", "close"]], bigBody(LIMIT + 1), { timeoutMs: 10_000 }), { ...unauthorised, ms: 10_000 }],
  ["no credentials, chunked 10 MiB + 1 body, Connection: close", rawPost([["Connection", "close"]], bigBody(LIMIT + 1), { timeoutMs: 10_000, transfer: "chunked" }), { ...unauthorised, ms: 10_000 }],
  ["credentials, 10 MiB + 1 body by Content-Length, Connection: close", rawPost([["Authorization", AUTH], ["Connection", "close"]], bigBody(LIMIT + 1), { timeoutMs: 10_000 }), tooLarge],
  ["credentials, chunked 10 MiB + 1 body, Connection: close", rawPost([["Authorization", AUTH], ["Connection", "close"]], bigBody(LIMIT + 1), { timeoutMs: 10_000, transfer: "chunked" }), tooLarge],
  ["wrong password, 5 MiB body, keep-alive", rawPost([["Authorization", WRONG]], bigBody(5 * MiB), { timeoutMs: 10_000 }), { ...unauthorised, ms: 10_000 }],
  ["wrong password, 10 MiB + 1 body, keep-alive", rawPost([["Authorization", WRONG]], bigBody(LIMIT + 1), { timeoutMs: 10_000 }), { ...unauthorised, ms: 10_000 }],
  ["no credentials, chunked 10 MiB + 1 body, keep-alive", rawPost([], bigBody(LIMIT + 1), { timeoutMs: 10_000, transfer: "chunked" }), { ...unauthorised, ms: 10_000 }],
  ["credentials, 10 MiB + 1 body by Content-Length, keep-alive", rawPost([["Authorization", AUTH]], bigBody(LIMIT + 1), { timeoutMs: 10_000 }), tooLarge],
  ["credentials, chunked 10 MiB + 1 body, keep-alive", rawPost([["Authorization", AUTH]], bigBody(LIMIT + 1), { timeoutMs: 10_000, transfer: "chunked" }), tooLarge],

  // --- Credentials missing or malformed.
  ["no credentials", webhook(page({ cohort: '"fresh-no-auth"' }), { auth: false }), unauthorised],
  ["Authorization: Basic !!!", webhook(page({ cohort: '"fresh-bang"' }), { auth: "Basic !!!" }), unauthorised],
  ["Authorization: Basic with no colon", webhook(page({ cohort: '"fresh-no-colon"' }), { auth: `Basic ${Buffer.from("mixpanel").toString("base64")}` }), unauthorised],
  ["Authorization: Basic not base64", webhook(page({ cohort: '"fresh-not-base64"' }), { auth: "Basic bWl4c=GFuZWw" }), unauthorised],

  // --- Bodies the validator refuses.
  ["an empty body", webhook(""), { status: 400, shape: MIXPANEL, action: null, problem: "empty_body", pointer: '""', stored: NOTHING }],
  [
    "invalid UTF-8 in a member id, page to c1",
    webhook(spliced(page({ members: ['{"mixpanel_distinct_id":"a@@b"}'] }), "@@", [0xff, 0xfe])),
    { status: 400, shape: MIXPANEL, problem: "invalid_utf8", stored: REFUSAL },
  ],
  ["100,000 levels of nesting in a member, page to c1", webhook(page({ members: [`{"mixpanel_distinct_id":"deep","p":${"[".repeat(100_000)}${"]".repeat(100_000)}}`] })), { status: 400, shape: MIXPANEL, stored: REFUSAL }],
  ["a 3 MB member id, page to c1", webhook(page({ members: [`{"mixpanel_distinct_id":"${"a".repeat(3_000_000)}"}`] })), refused("too_long", ID, REFUSAL, { ms: 5000 })],

  // --- Framing errors: a 4xx or the connection ended, never a 5xx, nothing stored.
  ...[
    ["a chunk size that is not hex", "zz"],
    ["a negative chunk size", "-1"],
    ["a chunk size past 2^64", "1ffffffffffffffff"],
  ].map(([name, size], i) => [
    name,
    raw((origin) => [head(origin, "POST", "/webhook", [["Authorization", AUTH], ["Transfer-Encoding", "chunked"], ["Connection", "close"]]), `${size}\r\n${page({ cohort: `"fresh-chunk-${i}"` })}\r\n0\r\n\r\n`], 3000),
    framing,
  ]),
  [
    "two different Content-Length headers",
    raw((origin) => {
      const body = page({ cohort: '"fresh-two-lengths"' });
      return [head(origin, "POST", "/webhook", [["Authorization", AUTH], ["Content-Length", String(body.length)], ["Content-Length", String(body.length + 5)], ["Connection", "close"]]), body];
    }, 3000),
    { ...framing, workerd: { status: 500, why: "it refuses conflicting lengths itself" } },
  ],
  [
    "Content-Length shorter than the body",
    raw((origin) => {
      const body = page({ cohort: '"fresh-short-length"' });
      return [head(origin, "POST", "/webhook", [["Authorization", AUTH], ["Content-Length", "10"], ["Connection", "close"]]), body];
    }, 3000),
    framing,
  ],
  [
    "a body shorter than its Content-Length (the rest never comes)",
    raw((origin) => {
      const body = page({ cohort: '"fresh-short-body"' });
      return [head(origin, "POST", "/webhook", [["Authorization", AUTH], ["Content-Length", String(body.length)]]), body.slice(0, body.length >> 1)];
    }, 1500),
    { ...framing, ms: 3000 },
  ],

  // --- Connections that send a head announcing a body and then nothing.
  [
    "50 stalled connections (head sent, no body) while the next request is asked",
    { via: "stall", n: 50, head: (origin) => head(origin, "POST", "/webhook", [["Authorization", AUTH], ["Content-Type", "application/json"], ["Content-Length", "1000"]]) },
    { stalled: true, stored: NOTHING },
  ],
].map(([name, request, expect]) => ({ name, request, expect: { ms: 2000, ...expect } }));

/**
 * Ids that must be taken and listed back exactly: `json` as it goes on the wire inside
 * the quotes, `id` the string it means.
 */
export const ACCEPTED = [
  ...Array.from({ length: 0x1f }, (_, i) => i + 1).map((code) => {
    const hex = code.toString(16).padStart(4, "0");
    return { name: `U+${hex.toUpperCase()} escaped`, json: `a\\u${hex}b`, id: `a${String.fromCharCode(code)}b` };
  }),
  { name: "U+007F escaped", json: "a\\u007fb", id: "a\u007fb" },
  { name: "U+007F as sent", json: "a\u007fb", id: "a\u007fb" },
  { name: "U+FFFF escaped", json: "a\\uffffb", id: "a\uffffb" },
  { name: "U+FFFF as sent", json: "a\uffffb", id: "a\uffffb" },
];
/** The cohort the accepted ids are added to. */
export const ACCEPTED_COHORT = "ctl";
