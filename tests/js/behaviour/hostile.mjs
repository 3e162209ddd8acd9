// The hostile-HTTP table (tests/js/hostile/cases.mjs), on every host and store: one
// test per row, each checking the answer, the time it took, what the store holds before
// and after, and that a next request on a new connection is answered promptly and
// correctly. Every problem a row shows is reported together, so a failure says all that
// is wrong. Run by tests/js/hostile/*.test.mjs (hosts from hostile/hosts.mjs) and, under
// `wrangler dev`, by tests/js/hostile/wrangler-dev.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { ACCEPTED, ACCEPTED_COHORT, AUTH, CASES, COHORT, page } from "../hostile/cases.mjs";
import { exchange, head, stall } from "../hostile/raw.mjs";
import { changes } from "../hostile/stores.mjs";

const T = { timeout: 30_000 };
/** The next request after a row must be answered within this (ms). */
const NEXT_MS = 1000;

/** Sends one request as the row describes it; the answer in raw.mjs's shape. */
async function send(origin, request) {
  if (request.via === "raw") return exchange(origin, request.parts(origin), { timeoutMs: request.timeoutMs });
  const started = performance.now();
  try {
    const res = await fetch(`${origin}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    const headers = {};
    for (const [name, value] of res.headers) (headers[name] ??= []).push(value);
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers, text, json, ms };
  } catch (error) {
    return { status: null, headers: {}, text: "", json: undefined, ms: performance.now() - started, error: error.cause?.code ?? error.message };
  }
}

const is4xx = (status) => status !== null && status >= 400 && status < 500;
const keys = (value) => (value && typeof value === "object" ? Object.keys(value).sort().join(",") : typeof value);
const excerpt = (text) => JSON.stringify(String(text).slice(0, 160));

/** What is wrong with `answer` under `expect` (cases.mjs explains the fields); `notes` gets what is worth recording. */
function checkAnswer(answer, expect, notes, hostName) {
  const problems = [];
  const { status } = answer;
  const own = hostName === "worker" ? expect.workerd : undefined;
  if (own && status === own.status && answer.json === undefined) {
    // workerd answers this request itself, before any of the Worker's code runs.
    notes.push(`workerd answered ${status} itself (${own.why}): ${excerpt(answer.text)}`);
    return problems;
  }
  const seen = status === null ? `no answer (${answer.timedOut ? "timed out" : answer.closed ? "connection closed" : answer.error ?? "failed"})` : `${status}`;
  let statusOk;
  if (expect.status === "4xx") statusOk = is4xx(status);
  else if (expect.status === "4xx-or-closed") statusOk = is4xx(status) || (status === null && (answer.closed || answer.timedOut));
  else if (Array.isArray(expect.status)) statusOk = expect.status.includes(status);
  else statusOk = status === expect.status;
  let byRuntime = false;
  if (!statusOk && expect.runtime && is4xx(status) && answer.json === undefined) {
    // The runtime refused the request before the receiver saw it.
    statusOk = true;
    byRuntime = true;
    notes.push(`the runtime answered ${status} itself: ${excerpt(answer.text)}`);
  }
  if (!statusOk) {
    // A 5xx without a JSON body is not routes.js's answer: the host's catch or the runtime.
    const whose = status !== null && status >= 500 && answer.json === undefined ? " (not the receiver's JSON: the host's or the runtime's own answer)" : "";
    problems.push(`status: seen ${seen}${whose}, expected ${Array.isArray(expect.status) ? expect.status.join(" or ") : expect.status}; body ${excerpt(answer.text)}`);
  }
  if (status !== null && status >= 500) return problems;
  if (answer.ms > expect.ms) problems.push(`time: answered in ${Math.round(answer.ms)} ms, expected under ${expect.ms} ms`);
  if (!statusOk || byRuntime || status === null) return problems;

  const json = answer.json;
  if (expect.shape === "mixpanel") {
    if (keys(json) !== "action,error,status" || json.status !== "failure" || keys(json.error) !== "code,message" || json.error.code !== status || typeof json.error.message !== "string" || json.error.message === "") {
      problems.push(`shape: expected { action, status: "failure", error: { code: ${status}, message } }, got ${excerpt(answer.text)}`);
    } else if ("action" in expect && json.action !== expect.action) {
      problems.push(`action: seen ${JSON.stringify(json.action)}, expected ${JSON.stringify(expect.action)}`);
    }
    if (!/^application\/json/.test(answer.headers["content-type"]?.[0] ?? "")) problems.push(`content-type: ${answer.headers["content-type"]?.[0]}`);
  } else if (expect.shape === "error") {
    if (keys(json) !== "error" || keys(json.error) !== "code,message" || json.error.code !== status || typeof json.error.message !== "string") {
      problems.push(`shape: expected { error: { message, code: ${status} } }, got ${excerpt(answer.text)}`);
    }
  } else if (expect.shape === "lookup") {
    if (json?.member !== false) problems.push(`shape: expected { member: false, … }, got ${excerpt(answer.text)}`);
  } else if (expect.shape === "list") {
    if (!Array.isArray(json?.members)) problems.push(`shape: expected { members, cursor }, got ${excerpt(answer.text)}`);
    else {
      if (JSON.stringify(json.members) !== JSON.stringify(expect.members)) problems.push(`members: seen ${JSON.stringify(json.members)}, expected ${JSON.stringify(expect.members)}`);
      const cursorOk = expect.cursor === "string" ? typeof json.cursor === "string" && json.cursor !== "" : json.cursor === expect.cursor;
      if (!cursorOk) problems.push(`cursor: seen ${JSON.stringify(json.cursor)}, expected ${expect.cursor === "string" ? "a cursor" : JSON.stringify(expect.cursor)}`);
    }
  }
  if (expect.problem) {
    const message = json?.error?.message ?? "";
    const wanted = expect.pointer ? `${expect.problem} at ${expect.pointer}` : expect.problem;
    if (!message.includes(wanted)) problems.push(`message: expected it to name ${JSON.stringify(wanted)}, got ${JSON.stringify(message.slice(0, 200))}`);
  }
  if (status === 401 && !/^Basic /i.test(answer.headers["www-authenticate"]?.[0] ?? "")) problems.push("401 without a Basic www-authenticate challenge");
  if (status === 405 && !answer.headers.allow?.[0]) problems.push("405 without an allow header");
  return problems;
}

/** GET /cohorts/c1 on a new connection: prompt and right, or what is wrong. */
async function checkNext(origin) {
  const answer = await exchange(origin, [head(origin, "GET", `/cohorts/${COHORT.id}`, [["Authorization", AUTH], ["Connection", "close"]])], { timeoutMs: 5000 });
  const problems = [];
  if (answer.status !== 200 || answer.json?.cohortId !== COHORT.id || answer.json?.size !== COHORT.members.length) {
    problems.push(`next request: GET /cohorts/${COHORT.id} answered ${answer.status ?? "nothing"} ${excerpt(answer.text)}, expected 200 with size ${COHORT.members.length}`);
  }
  if (answer.ms > NEXT_MS) problems.push(`next request: answered in ${Math.round(answer.ms)} ms, expected under ${NEXT_MS} ms`);
  return problems;
}

/** A refused page for c1 may add or update one row of its sync history (cases.mjs, "refusal-count"). */
const refusalCount = (key, from, to) => /(^|[/_])sync_stats$/.test(key) && typeof from === "number" && (to === from || to === from + 1);

/**
 * What the store holds once it stops changing: `rounds` snapshots `everyMs` apart that
 * agree (a page log applied by the alarm after the answer still counts as the request's
 * doing, and must not spill into the next row's counts). Gives up after 10 s.
 */
async function settled(host, { rounds = 1, everyMs = 150 } = {}) {
  let last = await host.snapshot();
  let same = 0;
  for (const until = Date.now() + 10_000; same < rounds && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, everyMs));
    const now = await host.snapshot();
    same = changes(last, now).length === 0 ? same + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * Registers the suite against the host `start()` starts: `{ name, origin, snapshot(),
 * stop() }` (tests/js/hostile/hosts.mjs), `snapshot()` counting what its store holds.
 */
export function hostileBehaviour(start) {
  let host;
  /** The store as the last row left it, settled. */
  let settledAfter;
  before(async () => {
    host = await start();
    const pages = planSync(null, COHORT.members, { projectId: "1", cohortId: COHORT.id, cohortName: "Hostile", sessionId: "sync-1" });
    for (const body of pages) {
      const r = await fetch(`${host.origin}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json" }, body });
      assert.equal(r.status, 200, await r.text());
    }
    const info = await fetch(`${host.origin}/cohorts/${COHORT.id}`, { headers: { authorization: AUTH } });
    assert.equal((await info.json()).size, COHORT.members.length);
    settledAfter = await settled(host, { rounds: 3, everyMs: 200 });
  }, { timeout: 60_000 });
  after(() => host?.stop());

  describe("hostile requests: the answer, its time, nothing stored, the next request prompt", () => {
    test("control: the counts see c1, and see a page that is stored", T, async () => {
      const before = await host.snapshot();
      assert.ok([...before.values()].some((n) => typeof n === "number" && n > 0), `the store looks empty: ${JSON.stringify([...before])}`);
      const body = page({ cohort: '"control"', members: ['{"mixpanel_distinct_id":"control-1"}'] });
      const posted = await send(host.origin, { via: "fetch", method: "POST", path: "/webhook", headers: { authorization: AUTH, "content-type": "application/json" }, body });
      assert.equal(posted.status, 200, posted.text);
      const read = await send(host.origin, { via: "fetch", method: "GET", path: "/cohorts/control", headers: { authorization: AUTH } });
      assert.equal(read.json?.size, 1, read.text);
      settledAfter = await settled(host);
      assert.notDeepEqual(changes(before, settledAfter), [], "a stored page changed no count: the counts would miss a stored hostile request");
    });

    for (const { name, request, expect } of CASES) {
      test(name, T, async (t) => {
        // Anything that changed since the last row settled is not this row's doing.
        let before = await host.snapshot();
        if (changes(settledAfter, before).length > 0) before = await settled(host, { rounds: 2 });
        const notes = [];
        const problems = [];
        if (request.via === "stall") {
          const stalled = await stall(host.origin, request.n, request.head(host.origin));
          try {
            problems.push(...(await checkNext(host.origin)));
          } finally {
            stalled.close();
          }
        } else {
          const answer = await send(host.origin, request);
          notes.push(`answered ${answer.status ?? "nothing"} in ${Math.round(answer.ms)} ms${answer.writeError ? `, writing stopped by ${answer.writeError}` : ""}${"sentAll" in answer ? `, body sent in full: ${answer.sentAll}` : ""}`);
          problems.push(...checkAnswer(answer, expect, notes, host.name));
          problems.push(...(await checkNext(host.origin)));
        }
        settledAfter = await settled(host);
        const stored = changes(before, settledAfter, expect.stored === "refusal-count" ? refusalCount : undefined);
        if (stored.length > 0) problems.push(`stored: ${stored.join(", ")}`);
        for (const note of notes) t.diagnostic(note);
        if (problems.length > 0) assert.fail(problems.join("\n"));
      });
    }
  });

  describe(`odd but legal ids: taken, looked up and listed back exactly (cohort ${ACCEPTED_COHORT})`, () => {
    for (const { name, json, id } of ACCEPTED) {
      test(name, T, async () => {
        const problems = [];
        const body = page({ cohort: JSON.stringify(ACCEPTED_COHORT), members: [`{"mixpanel_distinct_id":"${json}"}`] });
        const posted = await send(host.origin, { via: "fetch", method: "POST", path: "/webhook", headers: { authorization: AUTH, "content-type": "application/json" }, body });
        if (posted.status !== 200 || posted.text !== '{"action":"add_members","status":"success"}') {
          problems.push(`POST /webhook: seen ${posted.status} ${excerpt(posted.text)}, expected 200 {"action":"add_members","status":"success"}`);
        }
        if (posted.ms > 2000) problems.push(`POST /webhook: answered in ${Math.round(posted.ms)} ms`);
        if (posted.status === 200) {
          const path = `/cohorts/${ACCEPTED_COHORT}/members/${encodeURIComponent(id)}`;
          const found = await send(host.origin, { via: "fetch", method: "GET", path, headers: { authorization: AUTH } });
          if (found.status !== 200 || found.json?.member !== true) problems.push(`GET ${path}: seen ${found.status} ${excerpt(found.text)}, expected 200 { member: true }`);
          const list = await send(host.origin, { via: "fetch", method: "GET", path: `/cohorts/${ACCEPTED_COHORT}/members?limit=1000`, headers: { authorization: AUTH } });
          if (list.status !== 200 || !Array.isArray(list.json?.members)) problems.push(`members list: seen ${list.status} ${excerpt(list.text)}`);
          else if (!list.json.members.includes(id)) {
            const near = list.json.members.filter((m) => m.length <= 4 && m.startsWith("a") && m.endsWith("b"));
            problems.push(`members list: ${JSON.stringify(id)} is not in it (ids like it: ${JSON.stringify(near)})`);
          }
        }
        problems.push(...(await checkNext(host.origin)));
        if (problems.length > 0) assert.fail(problems.join("\n"));
      });
    }
  });
}
