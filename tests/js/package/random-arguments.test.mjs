// Every exported function and every method of the exported classes, called with random
// arguments of every kind (nothing, null, numbers, strings with NULs, bytes that are and
// are not a page, arrays, objects, bigints, typed arrays, symbols, functions): each call
// returns, or throws a CohortSyncError with a code other than internal_error (a caller's
// mistake must be named as one), never another error or a trap. Afterwards the module
// still answers and nothing touched Object.prototype. Seeded: a failure names its seed.
// Run by scripts/test-js.mjs from a scratch project where `cohort-sync` is the tarball.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as cs from "cohort-sync";
import { seeded } from "../lib/random.mjs";

const encoder = new TextEncoder();
const PAGE = '{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_session_id":"s","members":[{"mixpanel_distinct_id":"a"}]}}';
const EVENT = '{"event":"e","properties":{"time":1,"distinct_id":"d","$insert_id":"i"}}';
const STRINGS = ["", "x", "1", "u-1\u0000", "'a','b'", "{}", "[]", "null", "é", "a".repeat(300), PAGE, EVENT, "__proto__", "constructor"];
const KEYS = ["id", "name", "member", "distinctId", "properties", "action", "batchSize", "projectId", "cohortId", "sessionId", "__proto__", "format", "now", "x"];

function value(random, depth = 0) {
  switch (random.int(17)) {
    case 0: return undefined;
    case 1: return null;
    case 2: return random.pick([0, -1, 1.5, NaN, Infinity, 2 ** 53, 1e300]);
    case 3: return random.pick(STRINGS);
    case 4: return encoder.encode(random.pick([PAGE, EVENT, "[1,2]", "{", "", "k\u0000", "{}\n"]));
    case 5: return random.chance(0.5);
    case 6: return depth > 2 ? [] : Array.from({ length: random.int(4) }, () => value(random, depth + 1));
    case 7: return depth > 2 ? {} : Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick(KEYS), value(random, depth + 1)]));
    case 8: return 12345678901234567890n;
    case 9: return new BigUint64Array(random.int(5));
    case 10: return Symbol("s");
    case 11: return () => 1;
    case 12: return new Uint8Array([0xff, 0xfe]);
    case 13: return [random.pick(STRINGS), random.pick(STRINGS)];
    case 14: return { id: random.pick(STRINGS), name: random.pick(STRINGS), member: random.chance(0.5) };
    case 15: return new Float64Array(2);
    default: return new Map();
  }
}

/** Calls `fn`; a throw must be a CohortSyncError that is not internal_error (`what()` names the call). */
function call(what, fn) {
  try {
    const out = fn();
    // A generator (toParts) is read through.
    if (out && typeof out.next === "function" && typeof out[Symbol.iterator] === "function") [...out];
  } catch (error) {
    if (!(error instanceof cs.CohortSyncError)) assert.fail(`${what()} threw ${error?.constructor?.name}: ${error?.message}`);
    if (error.code === "internal_error") assert.fail(`${what()}: ${error.message}`);
  }
}

const shown = (key, v) =>
  typeof v === "bigint" ? `${v}n` : typeof v === "symbol" ? "Symbol" : typeof v === "function" ? "fn" : ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : v;
const show = (args) => args.map((a) => String(JSON.stringify(a, shown) ?? shown("", a)).slice(0, 60)).join(", ");

test("every function, called with random arguments: a result or a named CohortSyncError", () => {
  const random = seeded(20261207);
  const functions = Object.entries(cs).filter(([name, fn]) => typeof fn === "function" && !/^[A-Z]/.test(name));
  assert.ok(functions.length > 20, functions.map(([name]) => name).join(" "));
  for (let i = 0; i < 20_000; i++) {
    const [name, fn] = random.pick(functions);
    const args = Array.from({ length: random.int(4) }, () => value(random));
    call(() => `${name}(${show(args)})`, () => fn(...args));
  }
  assert.equal(cs.validatePayload(encoder.encode(PAGE)).valid, true, "the module still answers");
  assert.deepEqual(Object.keys(Object.prototype), []);
});

test("every method of CohortState, IdentityIndex, SyncTracker and LoadState, with random arguments", () => {
  const random = seeded(7);
  for (const name of ["CohortState", "IdentityIndex", "SyncTracker", "LoadState"]) {
    const Class = cs[name];
    const statics = Object.getOwnPropertyNames(Class).filter((key) => typeof Class[key] === "function");
    const methods = Object.getOwnPropertyNames(Class.prototype).filter((key) => key !== "constructor" && key !== "free");
    for (let i = 0; i < 2500; i++) {
      let object;
      const made = Array.from({ length: random.int(2) }, () => value(random));
      try {
        object = new Class(...made);
      } catch (error) {
        call(() => `new ${name}(${show(made)})`, () => {
          throw error;
        });
        continue;
      }
      for (let j = 0; j < 4; j++) {
        const onClass = random.chance(0.25) && statics.length > 0;
        const key = random.pick(onClass ? statics : methods);
        const args = Array.from({ length: random.int(3) }, () => value(random));
        const getter = Object.getOwnPropertyDescriptor(onClass ? Class : Class.prototype, key)?.get;
        call(() => `${name}${onClass ? "." : "#"}${key}(${show(args)})`, () => (getter ? getter.call(onClass ? Class : object) : (onClass ? Class : object)[key](...args)));
      }
      object.free?.();
    }
  }
  const state = new cs.LoadState();
  assert.equal(state.size, 0, "the module still answers");
  state.free();
  assert.deepEqual(Object.keys(Object.prototype), []);
});
