// The shipped declarations (index.d.ts) against what runs: every export is called with
// real input and its result is checked, key by key and value by value, against the
// declared return type, read with the TypeScript compiler. A field the wasm returns that
// the declarations lack fails, and so does a declared (non-optional) field that never
// comes back, a value of another type, and an export declared but missing (or the reverse).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import * as cs from "cohort-sync";
import { payload, text } from "../lib/payloads.mjs";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const dts = join(pkgDir, "index.d.ts");
const program = ts.createProgram([dts], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 });
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(dts));
const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));
const F = ts.TypeFlags;

/** Problems (strings) found checking `value` against `type`; empty when it conforms. */
function check(value, type, path = "$") {
  const problems = [];
  conform(value, type, path, problems, 0);
  return problems;
}

function conform(value, type, path, problems, depth) {
  const show = () => `${path}: ${describe(value)} is not ${checker.typeToString(type)}`;
  if (depth > 40 || type.flags & (F.Any | F.Unknown)) return;
  if (type.isUnion()) {
    if (!type.types.some((t) => check(value, t, path).length === 0)) {
      // Say why for the closest member: the object one when the value is an object.
      const near = type.types.find((t) => t.flags & F.Object && typeof value === "object" && value !== null && Array.isArray(value) === isArray(t));
      problems.push(...(near ? check(value, near, path) : [show()]));
    }
    return;
  }
  if (type.flags & (F.StringLike)) {
    if (typeof value !== "string" || (type.isStringLiteral() && value !== type.value)) problems.push(show());
    return;
  }
  if (type.flags & F.NumberLike) {
    if (typeof value !== "number" || (type.isNumberLiteral() && value !== type.value)) problems.push(show());
    return;
  }
  if (type.flags & F.BooleanLike) {
    const literal = type.flags & F.BooleanLiteral ? checker.typeToString(type) === "true" : null;
    if (typeof value !== "boolean" || (literal !== null && value !== literal)) problems.push(show());
    return;
  }
  if (type.flags & F.Null) return void (value === null || problems.push(show()));
  if (type.flags & (F.Undefined | F.Void)) return void (value === undefined || problems.push(show()));
  if (type.isIntersection()) {
    // `string & {}` is a string; `T[] & { extra }` an array with own properties.
    const primitive = type.types.filter((t) => !(t.flags & F.Object));
    if (primitive.length > 0) return primitive.forEach((t) => conform(value, t, path, problems, depth + 1));
    const array = type.types.find(isArray);
    if (array) {
      conform(value, array, path, problems, depth + 1);
      for (const t of type.types.filter((t) => t !== array)) properties(value, t, path, problems, depth, false);
      return;
    }
    return void properties(value, type, path, problems, depth, true);
  }
  if (isArray(type)) {
    if (!Array.isArray(value)) return void problems.push(show());
    const [element] = checker.getTypeArguments(type);
    value.forEach((item, i) => conform(item, element, `${path}[${i}]`, problems, depth + 1));
    return;
  }
  if (type.flags & F.Object) {
    const name = type.symbol?.name;
    if (["Uint8Array", "ArrayBuffer", "ArrayBufferView"].includes(name)) {
      if (!(value instanceof Uint8Array) && !(value instanceof ArrayBuffer)) problems.push(show());
      return;
    }
    return void properties(value, type, path, problems, depth, true);
  }
  problems.push(`${path}: no check for the type ${checker.typeToString(type)}`);
}

/** The declared properties of an object type; with `closed`, no other keys may be present. */
function properties(value, type, path, problems, depth, closed) {
  if (typeof value !== "object" || value === null) return void problems.push(`${path}: ${describe(value)} is not an object (${checker.typeToString(type)})`);
  const declared = new Map(checker.getPropertiesOfType(type).map((p) => [p.name, p]));
  for (const [name, symbol] of declared) {
    const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
    if (!Object.hasOwn(value, name)) {
      if (!optional) problems.push(`${path}.${name}: declared, missing at runtime`);
      continue;
    }
    conform(value[name], checker.getTypeOfSymbol(symbol), `${path}.${name}`, problems, depth + 1);
  }
  if (!closed || Array.isArray(value)) return;
  const index = checker.getIndexInfosOfType(type)[0];
  for (const key of Object.keys(value)) {
    if (declared.has(key)) continue;
    if (index) conform(value[key], index.type, `${path}[${JSON.stringify(key)}]`, problems, depth + 1);
    else problems.push(`${path}.${key}: returned at runtime, not declared`);
  }
}

const isArray = (type) => checker.isArrayType(type) || checker.isTupleType(type);
const describe = (value) => (value instanceof Uint8Array ? "a Uint8Array" : JSON.stringify(value)?.slice(0, 80) ?? String(value));

/** The declared return type of export `name` (its `overload`-th signature). */
function returnOf(name, overload = 0) {
  const symbol = exported.get(name);
  assert.ok(symbol, `${name} is not declared`);
  const signatures = checker.getSignaturesOfType(checker.getTypeOfSymbol(symbol), ts.SignatureKind.Call);
  return signatures[overload].getReturnType();
}

/** The declared type of member `member` of class `name` (a method's return type, or a property's type). */
function memberOf(name, member, { isStatic = false } = {}) {
  const symbol = exported.get(name);
  const type = isStatic ? checker.getTypeOfSymbol(symbol) : checker.getDeclaredTypeOfSymbol(symbol);
  const prop = checker.getPropertyOfType(type, member);
  assert.ok(prop, `${name}.${member} is not declared`);
  const memberType = checker.getTypeOfSymbol(prop);
  const signatures = memberType.getCallSignatures();
  return signatures.length > 0 ? signatures[0].getReturnType() : memberType;
}

const expectShape = (value, type, what) => assert.deepEqual(check(value, type), [], what);

const body = text(payload((p) => (p.parameters.members[0].plan = "pro")));
const realBody = JSON.stringify({
  action: "members",
  parameters: { mixpanel_project_id: "1", mixpanel_integration_id: "0", mixpanel_cohort_id: "2", mixpanel_session_id: "s", members: [{ $distinct_id: "a", $email: "a@example.com" }] },
});
const NOW = 1_700_000_000_000;
const event = (i, extra = {}) => ({ event: "e", properties: { time: 1_699_999_000 + i, distinct_id: `u${i}`, $insert_id: `id-${i}`, ...extra } });

test("every runtime export is declared, and every declared value export exists", () => {
  const declaredValues = [...exported.values()].filter((s) => s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable)).map((s) => s.name);
  assert.deepEqual(Object.keys(cs).filter((k) => k !== "default").sort(), declaredValues.sort());
});

test("webhook payloads: reports, pages and replies have exactly the declared shapes", () => {
  expectShape(cs.validatePayload(body), returnOf("validatePayload", 1), "a valid report");
  expectShape(cs.validatePayload(body, { ids: true }), returnOf("validatePayload", 0), "a report with ids and fingerprint");
  expectShape(cs.validatePayload(body, { ids: true, memberSpans: true }), returnOf("validatePayload", 0), "a report with ids and member spans");
  expectShape(cs.validatePayload({ action: "members" }, { memberSpans: true }), returnOf("validatePayload", 1), "an object body's member spans");
  expectShape(cs.validatePayload(realBody), returnOf("validatePayload", 1), "the real sender's body");
  expectShape(cs.validatePayload('{"action":"members","parameters":{"members":[1]}} x'), returnOf("validatePayload", 1), "an invalid one (positions)");
  expectShape(cs.validatePayload({ action: 7 }), returnOf("validatePayload", 1), "an invalid parsed object");
  expectShape(cs.parsePayload(body), returnOf("parsePayload"), "a page");
  expectShape(cs.parsePayload(realBody), returnOf("parsePayload"), "a pageless page");
  expectShape(cs.webhookResponse("members"), returnOf("webhookResponse"), "a success reply");
  expectShape(cs.webhookResponse(null, { message: "no", code: 400 }), returnOf("webhookResponse"), "a failure reply");
  expectShape(cs.classifyStatus(503), returnOf("classifyStatus"), "a status class");
  expectShape(cs.retryDelays(), returnOf("retryDelays"), "the delays");
  try {
    cs.parsePayload("{");
    assert.fail("parsePayload should throw");
  } catch (error) {
    expectShape({ name: error.name, code: error.code, message: error.message, problems: error.problems }, checker.getDeclaredTypeOfSymbol(exported.get("CohortSyncError")), "the error");
  }
});

test("membership: diffs, plans, CohortState and SyncTracker", () => {
  expectShape(cs.diffMembers(["a", "b"], ["b", "c"]), returnOf("diffMembers"), "a diff");
  expectShape(cs.planSync(null, ["a", "b"], { projectId: "1", cohortId: "2", sessionId: "s" }), returnOf("planSync"), "a plan");
  const state = new cs.CohortState();
  const [first] = cs.planSync(null, ["a", "b"], { projectId: "1", cohortId: "2", sessionId: "s", batchSize: 1 });
  expectShape(state.apply(first), memberOf("CohortState", "apply"), "an apply result");
  expectShape(state.apply(cs.parsePayload(first)), memberOf("CohortState", "apply"), "a duplicate");
  for (const member of ["has", "members", "toBytes", "toChunks"]) {
    const value = member === "has" ? state.has("a") : state[member]();
    expectShape(value, memberOf("CohortState", member), `CohortState.${member}`);
  }
  for (const member of ["size", "memoryBytes", "pendingSession"]) expectShape(state[member], memberOf("CohortState", member), `CohortState.${member}`);
  assert.ok(cs.CohortState.fromBytes(state.toBytes()) instanceof cs.CohortState);
  state.free();
  const tracker = new cs.SyncTracker();
  expectShape(tracker.observe({ action: "members", sessionId: "s", page: { count: 1, total: 2 } }), memberOf("SyncTracker", "observe"), "a decision");
  for (const member of ["pendingSession", "pendingTotalPages"]) expectShape(tracker[member], memberOf("SyncTracker", member), `SyncTracker.${member}`);
  expectShape(tracker.toBytes(), memberOf("SyncTracker", "toBytes"), "SyncTracker.toBytes");
  tracker.observe({ action: "add_members", sessionId: "d", page: null, fingerprint: "0".repeat(32) });
  expectShape(tracker.sessions(), memberOf("SyncTracker", "sessions"), "SyncTracker.sessions");
  tracker.free();
});

test("identity and destinations", () => {
  const member = { mixpanel_distinct_id: "986791", $CleverTap_user_id: "123456", email: "a@example.com" };
  expectShape(cs.resolveIdentity(member, "clevertap"), returnOf("resolveIdentity"), "an identity");
  expectShape(cs.resolveIdentity({ mixpanel_distinct_id: "x" }, "braze"), returnOf("resolveIdentity"), "no identity");
  const index = new cs.IdentityIndex(["123456"]);
  for (const member of ["add", "has", "toBytes"]) expectShape(member === "toBytes" ? index.toBytes() : index[member]("z"), memberOf("IdentityIndex", member), `IdentityIndex.${member}`);
  for (const member of ["size", "memoryBytes"]) expectShape(index[member], memberOf("IdentityIndex", member), `IdentityIndex.${member}`);
  const page = text(payload((p) => (p.parameters.members = [member, { mixpanel_distinct_id: "n-1", phone_number: "+1" }, { mixpanel_distinct_id: "n-2" }])));
  expectShape(cs.matchMembers(page, index, "clevertap"), returnOf("matchMembers"), "a match");
  expectShape(cs.matchMembers(page, index, { braze: {} }), returnOf("matchMembers"), "a match with skipped members");
  index.free();
  const uploads = cs.cleverTapUploads(page, { ts: 1_700_000_000 });
  expectShape(uploads, returnOf("cleverTapUploads", 1), "uploads as objects");
  expectShape(cs.cleverTapUploads(page, { ts: 1_700_000_000, format: "json" }), returnOf("cleverTapUploads", 0), "uploads as bodies");
  const answer = JSON.stringify({ status: "partial", processed: 1, unprocessed: [{ status: "fail", code: 509, error: "bad", record: uploads[0].d[0] }] });
  expectShape(cs.readCleverTapResponse(uploads[0], 200, answer), returnOf("readCleverTapResponse"), "an upload outcome");
  expectShape(cs.brazeCohortChanges(page), returnOf("brazeCohortChanges"), "Braze requests with skipped");
  expectShape(cs.forwardingRequests(page, { clevertap: {}, braze: {} }), returnOf("forwardingRequests"), "every destination's requests");
  expectShape(cs.forwardingRequests(page, {}), returnOf("forwardingRequests"), "no destination");
});

test("audiences and ingestion", () => {
  expectShape(cs.encodeSegmentMembership(["11036", 11034]), returnOf("encodeSegmentMembership"), "encoded");
  expectShape(cs.decodeSegmentMembership("'11036','11034'"), returnOf("decodeSegmentMembership"), "decoded");
  expectShape(cs.segmentMembershipContains("'11036'", "11036"), returnOf("segmentMembershipContains"), "contains");
  expectShape(
    cs.audienceProperties([{ id: "1", name: "Possible Parisians", member: true }], { perAudience: true }),
    returnOf("audienceProperties"),
    "audience properties",
  );
  expectShape(cs.engageBatches([{ distinctId: "u", properties: { a: 1 } }], { token: "t" }), returnOf("engageBatches"), "engage bodies");
  expectShape(cs.segmentMembershipUpdates([{ distinctId: "u", audiences: [{ id: "1", name: "n", member: true }] }], { token: "t", perAudience: true }), returnOf("segmentMembershipUpdates"), "membership update bodies");
  expectShape(cs.engageUrl("eu"), returnOf("engageUrl"), "the engage URL");
  expectShape(cs.validateEvents([event(1), event(2, { $insert_id: "n/a" }), { event: "" }], { now: NOW }), returnOf("validateEvents"), "an event report");
  expectShape(cs.validateProfiles([{ $token: "t", $distinct_id: "u", $set: { a: 1 } }, { $distinct_id: "u" }], "user"), returnOf("validateProfiles"), "a profile report");
  expectShape(cs.importBatches([event(1)]), returnOf("importBatches"), "import bodies");
  expectShape(cs.isMtuExempt("Notification Sent"), returnOf("isMtuExempt"), "MTU-exempt");
});

test("the checker itself finds what it should (a check that can fail)", () => {
  const report = cs.validatePayload(body);
  assert.match(check({ ...report, extra: 1 }, returnOf("validatePayload", 1)).join(), /extra: returned at runtime, not declared/);
  const { integrationId, ...without } = report;
  assert.match(check(without, returnOf("validatePayload", 1)).join(), /integrationId: declared, missing at runtime/);
  assert.match(check({ ...report, memberCount: "3" }, returnOf("validatePayload", 1)).join(), /memberCount/);
});
