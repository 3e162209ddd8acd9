// The installed api.js against a fake wasm glue that fails in every way the real one
// could (its own CohortSyncError, a string, a trap, a stack overflow, a TypeError), since
// a healthy module never traps on purpose. Each must surface as a CohortSyncError. And
// the real glue: what it throws is a real error, never a string.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const dir = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), "adapter-"));
mkdirSync(join(dir, "dist"));
for (const f of ["api.js", "ready.js"]) copyFileSync(join(pkgDir, f), join(dir, f));
// Every fake export runs globalThis.fakeWasm, which the tests swap.
writeFileSync(
  join(dir, "dist/cohort_sync.js"),
  [
    ...["validatePayload", "parsePayload", "webhookResponse", "classifyStatus", "retryDelays"].map(
      (n) => `export function ${n}(...a) { return globalThis.fakeWasm(...a); }`,
    ),
    "export function setErrorClass(c) { globalThis.errorClass = c; }",
  ].join("\n"),
);
const api = await import(pathToFileURL(join(dir, "api.js")));
const { state } = await import(pathToFileURL(join(dir, "ready.js")));

function thrownBy(fake) {
  globalThis.fakeWasm = fake;
  try {
    api.retryDelays();
  } catch (e) {
    return e;
  }
  assert.fail("expected a throw");
}

test("not ready: not_initialized", () => {
  const e = thrownBy(() => "[]");
  assert.ok(e instanceof api.CohortSyncError);
  assert.equal(e.code, "not_initialized");
  state.ready = true;
});

test("results are JSON-decoded", () => {
  globalThis.fakeWasm = (a, b) => JSON.stringify({ a, b: b ?? null });
  // A non-string body: string bodies cross as their UTF-8 bytes.
  assert.deepEqual(api.validatePayload({ p: "x" }, { maxMembers: 1 }), { a: { p: "x" }, b: { maxMembers: 1 } });
});

test("the glue is given CohortSyncError, and what it throws of that class passes through as is", () => {
  assert.equal(globalThis.errorClass, api.CohortSyncError, "registered on first use");
  const problems = [{ code: "empty_body", path: "", message: "empty" }];
  const made = new globalThis.errorClass("invalid_payload", "bad", problems);
  const e = thrownBy(() => {
    throw made;
  });
  assert.equal(e, made);
  assert.ok(e instanceof api.CohortSyncError && e instanceof Error);
  assert.equal(e.name, "CohortSyncError");
  assert.deepEqual([e.code, e.message, e.problems], ["invalid_payload", "bad", problems]);
  assert.match(e.stack, /CohortSyncError: bad/);
});

test("anything else becomes internal_error or invalid_argument, with the cause kept", () => {
  const cases = [
    [() => { throw "a string"; }, "internal_error"],
    [() => { throw JSON.stringify({ code: "invalid_payload", message: "the old protocol" }); }, "internal_error"],
    [() => { throw new WebAssembly.RuntimeError("unreachable"); }, "internal_error"],
    [() => { throw new RangeError("Maximum call stack size exceeded"); }, "internal_error"],
    [() => { throw new Error("from glue"); }, "internal_error"],
    [() => { throw 42; }, "internal_error"],
    [() => { throw new TypeError("expected a string"); }, "invalid_argument"],
  ];
  for (const [fake, code] of cases) {
    const e = thrownBy(fake);
    assert.ok(e instanceof api.CohortSyncError, String(e));
    assert.equal(e.code, code, e.message);
    assert.deepEqual(e.problems, []);
  }
  assert.ok(thrownBy(cases[2][0]).cause instanceof WebAssembly.RuntimeError);
});

test("the real glue throws real errors, never strings: CohortSyncError once the package registered it", async () => {
  const cs = await import("cohort-sync");
  const glue = await import(pathToFileURL(join(pkgDir, "dist/cohort_sync.js")));
  cs.retryDelays(); // any call registers the class
  let thrown;
  try {
    glue.parsePayload("{", undefined);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof cs.CohortSyncError, `got ${typeof thrown}: ${String(thrown)}`);
  assert.equal(thrown.code, "invalid_payload");
  assert.equal(thrown.problems[0].code, "invalid_json");
});
