// CORS for the operators' routes (pkg/receiver/cors.js), on every host: answered only
// for the exact origins CONSOLE_ORIGINS lists, on every answer of those routes (401, 404
// and 405 included, so the console can say what went wrong); never on /webhook; with
// CONSOLE_ORIGINS unset, no CORS header anywhere. Run by tests/js/worker/cors.test.mjs
// and tests/js/receiver/cors-sqlite.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { AUTH } from "../worker/worker-harness.mjs";

const T = { timeout: 120_000 };
const CONSOLE = "http://console.test:8788";
const OTHER = "http://elsewhere.test";

/** A request as a browser on `origin` would send it (Node's fetch lets us set Origin). */
async function call(w, method, path, { origin, auth = AUTH, headers = {}, body } = {}) {
  const res = await fetch(`${w.origin}${path}`, {
    method,
    headers: { ...(origin ? { origin } : {}), ...(auth ? { authorization: auth } : {}), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const corsOf = (headers) => Object.fromEntries([...headers].filter(([name]) => name.startsWith("access-control-") || name === "vary"));

const preflightHeaders = (method) => ({ "access-control-request-method": method, "access-control-request-headers": "authorization" });

/** Registers the suite on one host and store: `start(options)` starts a receiver (`vars` added to the test settings). */
export function corsBehaviour({ start }) {
  describe("with CONSOLE_ORIGINS set", () => {
    let w;
    before(async () => {
      w = await start({ vars: { CONSOLE_ORIGINS: ` ${CONSOLE}/ , http://127.0.0.1:1` } });
      for (const body of planSync(null, ["a", "b"], { projectId: "1", cohortId: "c1", cohortName: "CORS", sessionId: "s1" })) {
        assert.equal((await w.post(body)).status, 200);
      }
    });
    after(() => w?.destroy());

    test("a preflight from a listed origin is answered 204 with the methods and the Authorization header", T, async () => {
      for (const [path, method] of [["/cohorts", "GET"], ["/cohorts/c1/dead-letters/redrive", "POST"], ["/cohorts/c1/dead-letters?ids=1", "DELETE"], ["/cohorts/c1", "DELETE"], ["/profiles/dead-letters", "GET"], ["/cohorts/c1/members/a", "GET"]]) {
        const r = await call(w, "OPTIONS", path, { origin: CONSOLE, auth: false, headers: preflightHeaders(method) });
        assert.equal(r.status, 204, `${method} ${path}`);
        const cors = corsOf(r.headers);
        assert.equal(cors["access-control-allow-origin"], CONSOLE);
        assert.deepEqual(cors["access-control-allow-methods"].split(/, */).sort(), ["DELETE", "GET", "POST"]);
        assert.match(cors["access-control-allow-headers"], /^authorization$/i);
        assert.equal(cors.vary, "Origin");
        assert.equal(r.text, "");
      }
    });

    test("every answer of an operator route carries the origin when it is listed, errors included", T, async () => {
      for (const [method, path, auth, status] of [
        ["GET", "/cohorts", AUTH, 200],
        ["GET", "/cohorts/c1", AUTH, 200],
        ["GET", "/cohorts/c1/syncs", AUTH, 200],
        ["GET", "/cohorts/c1/members/a", AUTH, 200],
        ["GET", "/cohorts/c1/members/nobody", AUTH, 404],
        ["GET", "/cohorts/c1/members.ndjson", AUTH, 200],
        ["GET", "/profiles", AUTH, 200],
        ["GET", "/cohorts", false, 401],
        ["GET", "/cohorts/never-synced", AUTH, 404],
        ["PUT", "/cohorts/c1/dead-letters", AUTH, 405],
        ["GET", "/cohorts/c1/dead-letters?limit=0", AUTH, 400],
      ]) {
        const r = await call(w, method, path, { origin: CONSOLE, auth });
        assert.equal(r.status, status, `${method} ${path}`);
        assert.deepEqual(corsOf(r.headers), { "access-control-allow-origin": CONSOLE, vary: "Origin" }, `${method} ${path}`);
      }
      const stream = await call(w, "GET", "/cohorts/c1/members.ndjson", { origin: CONSOLE });
      assert.equal(stream.text, '"a"\n"b"\n', "the streamed membership is whole");
      assert.equal(stream.headers.get("content-type"), "application/x-ndjson");
    });

    test("another origin gets no CORS header (only Vary), and its preflight is not answered", T, async () => {
      const r = await call(w, "GET", "/cohorts", { origin: OTHER });
      assert.equal(r.status, 200, "the credentials decide, not the origin: a browser just cannot read it");
      assert.deepEqual(corsOf(r.headers), { vary: "Origin" });
      const pre = await call(w, "OPTIONS", "/cohorts", { origin: OTHER, auth: false, headers: preflightHeaders("GET") });
      assert.equal(pre.status, 405);
      assert.equal(pre.headers.get("access-control-allow-origin"), null);
      // An origin is matched exactly: no prefix, no other scheme or port.
      for (const near of [`${CONSOLE}.evil.test`, CONSOLE.replace("http:", "https:"), "http://console.test", "null"]) {
        assert.equal((await call(w, "GET", "/cohorts", { origin: near })).headers.get("access-control-allow-origin"), null, near);
      }
      assert.equal((await call(w, "GET", "/cohorts", { origin: "http://127.0.0.1:1" })).headers.get("access-control-allow-origin"), "http://127.0.0.1:1");
    });

    test("/webhook never answers CORS", T, async () => {
      const [body] = planSync(null, ["z"], { projectId: "1", cohortId: "c2", sessionId: "s1" });
      const posted = await call(w, "POST", "/webhook", { origin: CONSOLE, body, headers: { "content-type": "application/json" } });
      assert.equal(posted.status, 200);
      assert.deepEqual(corsOf(posted.headers), {});
      const pre = await call(w, "OPTIONS", "/webhook", { origin: CONSOLE, auth: false, headers: preflightHeaders("POST") });
      assert.equal(pre.status, 405);
      assert.deepEqual(corsOf(pre.headers), {});
    });
  });

  describe("with CONSOLE_ORIGINS unset", () => {
    let w;
    before(async () => {
      w = await start();
    });
    after(() => w?.destroy());

    test("no answer carries a CORS header, and a preflight is an ordinary 405", T, async () => {
      for (const [method, path, auth] of [["GET", "/cohorts", AUTH], ["GET", "/cohorts", false], ["GET", "/profiles", AUTH], ["GET", "/cohorts/none", AUTH]]) {
        const r = await call(w, method, path, { origin: CONSOLE, auth });
        assert.deepEqual(corsOf(r.headers), {}, `${method} ${path}`);
      }
      const pre = await call(w, "OPTIONS", "/cohorts", { origin: CONSOLE, auth: false, headers: preflightHeaders("GET") });
      assert.equal(pre.status, 405);
      assert.deepEqual(corsOf(pre.headers), {});
    });
  });
}
