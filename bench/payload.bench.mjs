// Benchmark: validating a realistic 1000-member webhook page with the wasm module
// versus plain JS doing the same checks, and versus JSON.parse alone (the floor for any
// JS approach). Run after a build: `node bench/payload.bench.mjs`.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { parsePayload, validatePayload } from "../pkg/node.js";
import { result } from "./result.mjs";

// Deterministic data (a small LCG), so the page has the same size on every run.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const hex = (n) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(rand() * 16)]).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const FIRST = ["Alexandra", "Benjamin", "Chiara", "Dmitri", "Emeka", "Fatima", "Gustavo", "Hana"];
const LAST = ["Richardson", "Okafor", "Nakamura", "Fernandez", "Kowalski", "Haddad", "Lindqvist"];

const members = Array.from({ length: 1000 }, (_, i) => {
  const [first, last] = [pick(FIRST), pick(LAST)];
  return {
    email: `${first}.${last}${i}@customers.example.com`.toLowerCase(),
    mixpanel_distinct_id: uuid(),
    first_name: first,
    last_name: last,
    phone_number: `+1415555${String(i).padStart(4, "0")}`,
    $CleverTap_user_id: `__g${hex(40)}`,
    plan: pick(["free", "starter_monthly", "pro_annual", "enterprise"]),
  };
});
const text = JSON.stringify({
  action: "members",
  parameters: {
    mixpanel_project_id: "2345678",
    mixpanel_cohort_id: "98765",
    mixpanel_cohort_name: "Power users",
    mixpanel_cohort_description: "Active on 5 of the last 7 days",
    mixpanel_session_id: uuid(),
    page_info: { page_count: 1, total_pages: 3 },
    members,
  },
});
const body = new TextEncoder().encode(text);

// The same 1000 users as the real sender sends them: no page_info, no description,
// mixpanel_integration_id, members with Mixpanel's reserved $-properties beside
// mixpanel_distinct_id (whose $distinct_id is read too, to stand in when the id is absent).
const realText = JSON.stringify({
  action: "members",
  parameters: {
    mixpanel_project_id: "2345678",
    mixpanel_integration_id: "0",
    mixpanel_cohort_name: "Power users",
    mixpanel_cohort_id: "98765",
    mixpanel_session_id: uuid(),
    members: members.map((m) => ({
      $distinct_id: m.mixpanel_distinct_id,
      $email: m.email,
      $name: `${m.first_name} ${m.last_name}`,
      $os: "Android",
      $phone: m.phone_number,
      mixpanel_distinct_id: m.mixpanel_distinct_id,
      utm_source: m.plan,
    })),
  },
});
const realBody = new TextEncoder().encode(realText);

// The same checks by hand, as a careful JS receiver would write them.
const KNOWN = ["email", "first_name", "last_name", "phone_number"];
const isStr = (v) => typeof v === "string";
function plainValidate(bytes) {
  const errors = [];
  let doc;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    return { valid: false, errors: [e.message] };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return { valid: false, errors: ["not an object"] };
  if (!["members", "add_members", "remove_members"].includes(doc.action)) errors.push("action");
  const p = doc.parameters;
  if (p === null || typeof p !== "object" || Array.isArray(p)) return { valid: false, errors: [...errors, "parameters"] };
  for (const k of ["mixpanel_project_id", "mixpanel_cohort_id", "mixpanel_cohort_name", "mixpanel_session_id"]) {
    if (!isStr(p[k]) || p[k] === "") errors.push(k);
  }
  if (!isStr(p.mixpanel_cohort_description)) errors.push("mixpanel_cohort_description");
  const info = p.page_info;
  const count = info?.page_count;
  const total = info?.total_pages;
  if (!Number.isInteger(count) || !Number.isInteger(total) || count < 1 || count > total) errors.push("page_info");
  const ms = p.members;
  if (!Array.isArray(ms)) return { valid: false, errors: [...errors, "members"] };
  if (ms.length > 1000) errors.push("too many members");
  const seen = new Set();
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i];
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      errors.push(`members/${i}`);
      continue;
    }
    const id = m.mixpanel_distinct_id;
    if (!isStr(id) || id === "") errors.push(`members/${i}/mixpanel_distinct_id`);
    else if (seen.has(id)) errors.push(`members/${i} duplicate`);
    else seen.add(id);
    for (const k of KNOWN) if (m[k] !== undefined && m[k] !== null && !isStr(m[k])) errors.push(`members/${i}/${k}`);
  }
  return { valid: errors.length === 0, errors };
}

const candidates = process.env.ONLY ? { "validatePayload(Uint8Array) [wasm]": process.env.ONLY === "parse" ? () => parsePayload(body) : () => validatePayload(body), "plain JS (decode + parse + checks)": () => 0, "JSON.parse(string) alone": () => 0 } : {
  "validatePayload(Uint8Array) [wasm]": () => validatePayload(body),
  "parsePayload(Uint8Array)": () => parsePayload(body),
  "parsePayload(string)": () => parsePayload(text),
  "parsePayload(real sender's page, Uint8Array)": () => parsePayload(realBody),
  "validatePayload(real sender's page) [wasm]": () => validatePayload(realBody),
  "JSON.parse(real sender's page) alone": () => JSON.parse(realText),
  "plain JS (decode + parse + checks)": () => plainValidate(body),
  "JSON.parse(string) alone": () => JSON.parse(text),
};

// Sanity: all agree the page is valid before anything is timed.
if (!validatePayload(body).valid || !plainValidate(body).valid || !validatePayload(realBody).valid) throw new Error("benchmark page is not valid");

const WARMUP = 200;
const ROUNDS = Number(process.env.ROUNDS ?? 500);
const samples = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
for (let i = 0; i < WARMUP; i++) for (const fn of Object.values(candidates)) fn();
// Interleaved rounds, so that drift (GC, CPU frequency) hits every candidate alike.
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(candidates)) {
    const t = performance.now();
    fn();
    samples[name].push(performance.now() - t);
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));

const wasm = readFileSync(new URL("../pkg/dist/cohort_sync_bg.wasm", import.meta.url));
console.log(`page: ${members.length} members, ${(body.length / 1024).toFixed(1)} KB; ${ROUNDS} rounds after ${WARMUP} warm-up`);
console.log(`wasm: ${(wasm.length / 1024).toFixed(1)} KB raw, ${(gzipSync(wasm).length / 1024).toFixed(1)} KB gzip\n`);
for (const [name, ms] of Object.entries(med)) console.log(`${name.padEnd(46)} ${ms.toFixed(3).padStart(8)} ms median`);
const ours = med["validatePayload(Uint8Array) [wasm]"];
console.log(`\nours / JSON.parse: ${(ours / med["JSON.parse(string) alone"]).toFixed(2)}x`);
console.log(`ours / plain JS:   ${(ours / med["plain JS (decode + parse + checks)"]).toFixed(2)}x`);
result("validatePayload(Uint8Array), 1000-member page (271 KB)", ours, med["JSON.parse(string) alone"], { goal: "≤ 0.5×", plainLabel: "JSON.parse alone" });
result("validatePayload(Uint8Array) vs decode + parse + checks by hand", ours, med["plain JS (decode + parse + checks)"]);
result(`validatePayload(Uint8Array), the real sender's 1000-member page (${(realBody.length / 1024).toFixed(0)} KB)`, med["validatePayload(real sender's page) [wasm]"], med["JSON.parse(real sender's page) alone"], { plainLabel: "JSON.parse alone" });
result("parsePayload(Uint8Array), members as objects", med["parsePayload(Uint8Array)"] ?? med["validatePayload(Uint8Array) [wasm]"], med["JSON.parse(string) alone"], { goal: "≤ 2×", plainLabel: "JSON.parse alone" });
if (!process.env.ONLY) {
  result("parsePayload(string), members as objects", med["parsePayload(string)"], med["JSON.parse(string) alone"], { plainLabel: "JSON.parse alone" });
  result("parsePayload(Uint8Array), the real sender's page", med["parsePayload(real sender's page, Uint8Array)"], med["JSON.parse(real sender's page) alone"], { plainLabel: "JSON.parse alone" });
}
