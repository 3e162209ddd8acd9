// Scenario files for `cohort-sync replay`: how a cohort's membership changes over
// Mixpanel time, and when Mixpanel syncs it. Read, checked (every problem reported with a
// JSON Pointer, not just the first) and normalized here; replay.mjs plays them.
import { CohortSyncError, planSync, validatePayload } from "../node.js";

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** Mixpanel's dynamic sync interval. */
export const DEFAULT_INTERVAL_MS = 30 * 60_000;
/** Mixpanel's most members per call. */
export const MAX_PAGE_SIZE = 1000;
/** Most members one `generate` may make (they live in memory as objects). */
export const MAX_GENERATE = 1_000_000;

const TOP_KEYS = ["name", "description", "cohort", "pageSize", "interval", "until", "firstSync", "steps"];
const COHORT_KEYS = ["projectId", "cohortId", "cohortName", "cohortDescription"];
const STEP_KEYS = ["at", "set", "add", "remove", "note"];
const GENERATE_KEYS = ["count", "prefix", "start", "width", "fields"];

/** "1h30m" → 5 400 000; `null` when not a duration. Units: d, h, m, s, ms. */
export function parseDuration(text) {
  if (typeof text !== "string" || text === "") return null;
  const re = /(\d+)(ms|d|h|m|s)/y;
  let ms = 0;
  while (re.lastIndex < text.length) {
    const start = re.lastIndex;
    const m = re.exec(text);
    if (!m || m.index !== start) return null;
    ms += Number(m[1]) * UNITS[m[2]];
  }
  return Number.isSafeInteger(ms) ? ms : null;
}

/** "T", "T+10m", "T+1h30m" → milliseconds after T; `null` when not a time. */
export function parseTime(text) {
  if (text === "T") return 0;
  if (typeof text !== "string" || !text.startsWith("T+")) return null;
  return parseDuration(text.slice(2));
}

/** 5 400 000 → "1h30m". */
export function formatDuration(ms) {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of Object.entries(UNITS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** 0 → "T", 5 400 000 → "T+1h30m". */
export const formatTime = (ms) => (ms === 0 ? "T" : `T+${formatDuration(ms)}`);

const pointer = (parts) => parts.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const show = (v) => (typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : JSON.stringify(v) ?? String(v));

class Problems {
  list = [];
  add(code, path, message) {
    this.list.push({ code, path: pointer(path), message });
  }
  unknownKeys(obj, allowed, path, what) {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.add("unknown_field", [...path, key], `unknown key ${show(key)} in ${what}; allowed: ${allowed.join(", ")}`);
      }
    }
  }
}

/** JSON text or bytes → value; unreadable JSON is one problem with its line and column. */
function readJson(input) {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: false }).decode(input);
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    // The package's reader says exactly where JSON goes wrong (JSON.parse does not always).
    const report = validatePayload(input);
    const p = [...report.errors].find((x) => ["invalid_json", "invalid_utf8", "empty_body", "lone_surrogate"].includes(x.code));
    const where = p?.line ? ` at line ${p.line}, column ${p.column}` : "";
    const problem = { code: "invalid_json", path: "", message: `not JSON${where}: ${p?.message ?? e.message}` };
    if (p?.line) Object.assign(problem, { line: p.line, column: p.column });
    return { problem };
  }
}

/**
 * A member list: an array of distinct ids and/or member objects (Mixpanel's shape:
 * `mixpanel_distinct_id`, `email`, `first_name`, … and exported properties), or
 * `{ "generate": { count, prefix = "u", start = 1, width = 0, fields = {} } }`.
 * Returns the members as Mixpanel-shaped objects, or `null` after reporting problems.
 */
function readMembers(value, path, problems) {
  if (isObject(value) && "generate" in value) {
    problems.unknownKeys(value, ["generate"], path, "a member list");
    return generate(value.generate, [...path, "generate"], problems);
  }
  if (!Array.isArray(value)) {
    problems.add(
      "wrong_type",
      path,
      `expected a member list: an array of distinct ids or member objects, or {"generate": {"count": N}}; got ${show(value)}`,
    );
    return null;
  }
  const out = [];
  const seen = new Set();
  let ok = true;
  value.forEach((entry, i) => {
    let member;
    if (typeof entry === "string") {
      member = { mixpanel_distinct_id: entry };
    } else if (isObject(entry)) {
      member = { ...entry };
    } else {
      problems.add("wrong_type", [...path, i], `a member is a distinct id (string) or an object with "mixpanel_distinct_id"; got ${show(entry)}`);
      ok = false;
      return;
    }
    if (typeof entry !== "string" && "distinctId" in entry) {
      problems.add("unknown_field", [...path, i, "distinctId"], `write members as Mixpanel sends them: "mixpanel_distinct_id", not "distinctId"`);
      ok = false;
      return;
    }
    const id = member.mixpanel_distinct_id;
    if (typeof id !== "string" || id === "") {
      const at = typeof entry === "string" ? [...path, i] : [...path, i, "mixpanel_distinct_id"];
      problems.add(id === undefined ? "missing_field" : "wrong_type", at, `a member needs a non-empty string "mixpanel_distinct_id"; got ${show(id)}`);
      ok = false;
      return;
    }
    if (seen.has(id)) {
      problems.add("duplicate_member", [...path, i], `${show(id)} is listed twice`);
      ok = false;
      return;
    }
    seen.add(id);
    out.push(member);
  });
  if (!ok) return null;
  // Member fields planSync cannot send (e.g. a number as "email"), found by planSync itself.
  const objects = [];
  value.forEach((entry, i) => isObject(entry) && Object.keys(entry).length > 1 && objects.push([i, entry]));
  if (objects.length) {
    try {
      planSync(null, objects.map(([, m]) => m), { projectId: "p", cohortId: "c", sessionId: "s" });
    } catch (e) {
      if (!(e instanceof CohortSyncError)) throw e;
      const at = /at "\/(\d+)((?:\/[^"]*)?)"/.exec(e.message);
      const where = at ? [...path, objects[Number(at[1])][0], ...at[2].split("/").slice(1)] : path;
      problems.add("wrong_type", where, `a member cannot be sent as written: ${e.message.replace(/^current: /, "").replace(/ at "[^"]*"$/, "")}`);
      return null;
    }
  }
  return out;
}

function generate(spec, path, problems) {
  if (!isObject(spec)) {
    problems.add("wrong_type", path, `expected {"count": N, "prefix": "u"}; got ${show(spec)}`);
    return null;
  }
  problems.unknownKeys(spec, GENERATE_KEYS, path, "generate");
  const { count, prefix = "u", start = 1, width = 0, fields = {} } = spec;
  const before = problems.list.length;
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_GENERATE) {
    problems.add("wrong_type", [...path, "count"], `"count" must be a whole number from 0 to ${MAX_GENERATE}; got ${show(count)}`);
  }
  if (typeof prefix !== "string") problems.add("wrong_type", [...path, "prefix"], `"prefix" must be a string; got ${show(prefix)}`);
  if (!Number.isSafeInteger(start) || start < 0) problems.add("wrong_type", [...path, "start"], `"start" must be a whole number ≥ 0; got ${show(start)}`);
  if (!Number.isSafeInteger(width) || width < 0 || width > 20) problems.add("wrong_type", [...path, "width"], `"width" (zero padding) must be a whole number from 0 to 20; got ${show(width)}`);
  if (!isObject(fields)) {
    problems.add("wrong_type", [...path, "fields"], `"fields" must be an object of templates such as {"email": "{id}@example.com"}; got ${show(fields)}`);
  } else {
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v !== "string") problems.add("wrong_type", [...path, "fields", k], `a field template is a string ("{id}" and "{n}" are replaced); got ${show(v)}`);
      if (k === "mixpanel_distinct_id") problems.add("unknown_field", [...path, "fields", k], `the distinct id is made from "prefix", "start" and "width"`);
    }
  }
  if (problems.list.length > before) return null;
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const n = String(start + i).padStart(width, "0");
    const id = `${prefix}${n}`;
    const member = { mixpanel_distinct_id: id };
    for (const [k, template] of Object.entries(fields)) member[k] = template.replaceAll("{id}", id).replaceAll("{n}", n);
    out[i] = member;
  }
  return out;
}

function nonEmptyString(obj, key, path, problems, required) {
  const v = obj[key];
  if (v === undefined && !required) return null;
  if (typeof v !== "string" || v === "") {
    problems.add(v === undefined ? "missing_field" : "wrong_type", [...path, key], `${show(key)} must be a non-empty string; got ${show(v)}`);
    return null;
  }
  return v;
}

/**
 * Reads and checks a scenario (JSON text, bytes, or the parsed object). Returns the
 * normalized scenario: `{ name, description, cohort, pageSize, intervalMs, untilMs,
 * firstSync, steps: [{ at, atLabel, set?, add?, remove?, note }], syncTimes }`, with
 * member lists as Mixpanel-shaped objects. Throws `CohortSyncError` `invalid_scenario`
 * whose `problems` list every problem (`{ code, path, message }`, path a JSON Pointer).
 */
export function parseScenario(input, { source = "scenario" } = {}) {
  let doc = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const read = readJson(input);
    if (read.problem) throw invalid(source, [read.problem]);
    doc = read.value;
  }
  const problems = new Problems();
  if (!isObject(doc)) {
    problems.add("not_an_object", [], `a scenario is a JSON object with "cohort" and "steps"; got ${show(doc)}`);
    throw invalid(source, problems.list);
  }
  if ("action" in doc && "parameters" in doc) {
    // The easiest mix-up: both kinds of file sit side by side as *.json.
    problems.add("webhook_body", [], "this is a webhook body, not a scenario: use `cohort-sync validate` to check it (a scenario has \"cohort\" and \"steps\")");
    throw invalid(source, problems.list);
  }
  problems.unknownKeys(doc, TOP_KEYS, [], "the scenario");

  const name = doc.name === undefined ? null : nonEmptyString(doc, "name", [], problems, true);
  const description = doc.description === undefined ? null : nonEmptyString(doc, "description", [], problems, true);

  const cohort = {};
  if (!isObject(doc.cohort)) {
    problems.add(doc.cohort === undefined ? "missing_field" : "wrong_type", ["cohort"], `"cohort" must be an object {"projectId", "cohortId", "cohortName"?, "cohortDescription"?}; got ${show(doc.cohort)}`);
  } else {
    problems.unknownKeys(doc.cohort, COHORT_KEYS, ["cohort"], "cohort");
    cohort.projectId = nonEmptyString(doc.cohort, "projectId", ["cohort"], problems, true);
    cohort.cohortId = nonEmptyString(doc.cohort, "cohortId", ["cohort"], problems, true);
    cohort.cohortName = nonEmptyString(doc.cohort, "cohortName", ["cohort"], problems, false);
    cohort.cohortDescription = nonEmptyString(doc.cohort, "cohortDescription", ["cohort"], problems, false);
  }

  const pageSize = doc.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    problems.add("wrong_type", ["pageSize"], `"pageSize" must be a whole number from 1 to ${MAX_PAGE_SIZE} (Mixpanel sends at most 1000 members a call); got ${show(doc.pageSize)}`);
  }

  let intervalMs = DEFAULT_INTERVAL_MS;
  if (doc.interval !== undefined) {
    intervalMs = parseDuration(doc.interval);
    if (!intervalMs) {
      problems.add("invalid_duration", ["interval"], `"interval" must be a duration such as "30m", "1h" or "1d12h" (Mixpanel: "30m"); got ${show(doc.interval)}`);
      intervalMs = DEFAULT_INTERVAL_MS;
    }
  }

  const firstSync = doc.firstSync ?? "full";
  if (firstSync !== "full" && firstSync !== "diff") {
    problems.add("wrong_type", ["firstSync"], `"firstSync" must be "full" (a members sync, as Mixpanel's documented rules say) or "diff" (add_members/remove_members against an empty cohort, as Mixpanel's documented worked example shows); got ${show(doc.firstSync)}`);
  }

  let untilMs = null;
  if (doc.until !== undefined) {
    untilMs = parseTime(doc.until);
    if (untilMs === null) problems.add("invalid_time", ["until"], `"until" must be a time such as "T", "T+30m" or "T+1h30m"; got ${show(doc.until)}`);
  }

  const steps = [];
  if (!Array.isArray(doc.steps)) {
    problems.add(doc.steps === undefined ? "missing_field" : "wrong_type", ["steps"], `"steps" must be an array of {"at": "T+10m", "set" | "add" | "remove": members}; got ${show(doc.steps)}`);
  } else {
    const members = new Set(); // simulated, to catch removing a non-member or adding a member twice
    let last = 0;
    doc.steps.forEach((raw, i) => {
      const path = ["steps", i];
      if (!isObject(raw)) {
        problems.add("wrong_type", path, `a step is an object {"at": "T+10m", "add": [...]}; got ${show(raw)}`);
        return;
      }
      problems.unknownKeys(raw, STEP_KEYS, path, `a step (it has "at" and one of "set", "add", "remove", with an optional "note")`);
      const at = parseTime(raw.at);
      if (at === null) {
        problems.add(raw.at === undefined ? "missing_field" : "invalid_time", [...path, "at"], `"at" must be a time such as "T", "T+10m" or "T+1h30m"; got ${show(raw.at)}`);
      } else if (at < last) {
        problems.add("out_of_order", [...path, "at"], `steps must be in time order: ${raw.at} comes before the previous step's ${formatTime(last)}`);
      } else {
        last = at;
      }
      const kinds = ["set", "add", "remove"].filter((k) => k in raw);
      if (kinds.length === 0) problems.add("missing_field", path, `a step needs "set" (the whole membership), "add" or "remove"`);
      if (kinds.includes("set") && kinds.length > 1) problems.add("wrong_type", path, `"set" replaces the whole membership: do not combine it with "add" or "remove" in one step`);
      if (raw.note !== undefined && typeof raw.note !== "string") problems.add("wrong_type", [...path, "note"], `"note" must be a string; got ${show(raw.note)}`);
      const step = { at: at ?? 0, atLabel: formatTime(at ?? 0), note: typeof raw.note === "string" ? raw.note : null };
      for (const kind of kinds) step[kind] = readMembers(raw[kind], [...path, kind], problems);
      // Simulate, so a typo in an id is an error here rather than a silent no-op later.
      if (step.set) {
        members.clear();
        for (const m of step.set) members.add(m.mixpanel_distinct_id);
      }
      if (step.add && step.remove) {
        const adding = new Set(step.add.map((m) => m.mixpanel_distinct_id));
        step.remove.forEach((m, j) => {
          if (adding.has(m.mixpanel_distinct_id)) problems.add("duplicate_member", [...path, "remove", j], `${show(m.mixpanel_distinct_id)} is both added and removed in this step`);
        });
      }
      step.remove?.forEach((m, j) => {
        const id = m.mixpanel_distinct_id;
        if (!members.delete(id)) problems.add("not_a_member", [...path, "remove", j], `${show(id)} is not a member of the cohort at ${step.atLabel}, so it cannot leave`);
      });
      step.add?.forEach((m, j) => {
        const id = m.mixpanel_distinct_id;
        if (members.has(id)) problems.add("already_a_member", [...path, "add", j], `${show(id)} is already a member of the cohort at ${step.atLabel}`);
        members.add(id);
      });
      steps.push(step);
    });
  }

  const lastStep = steps.length ? steps[steps.length - 1].at : 0;
  if (untilMs === null) untilMs = Math.ceil(lastStep / intervalMs) * intervalMs; // the first sync that sees every step
  else if (lastStep > untilMs && doc.until !== undefined && parseTime(doc.until) !== null) {
    problems.add("out_of_range", ["until"], `the last step is at ${formatTime(lastStep)}, after "until" ${doc.until}: it would never be synced`);
  }
  const syncTimes = [];
  for (let t = 0; t <= untilMs; t += intervalMs) syncTimes.push(t);
  if (syncTimes.length > 100_000) problems.add("out_of_range", ["until"], `${syncTimes.length} syncs from T to ${formatTime(untilMs)} every ${formatDuration(intervalMs)}: at most 100000`);

  if (problems.list.length) throw invalid(source, problems.list);
  const scenario = { name, description, cohort, pageSize, intervalMs, untilMs, firstSync, steps, syncTimes };
  parsed.add(scenario);
  return scenario;
}

const parsed = new WeakSet();
/** Whether `value` came from {@link parseScenario} (a raw object is checked again). */
export const isParsedScenario = (value) => parsed.has(value);

function invalid(source, problems) {
  // The empty pointer is named as `validate` and the validator page name it.
  const lines = problems.map((p) => `  ${p.path || '"" (whole body)'}: ${p.message}`);
  return new CohortSyncError("invalid_scenario", `${source}: invalid scenario (${problems.length} problem${problems.length === 1 ? "" : "s"})\n${lines.join("\n")}`, problems);
}
