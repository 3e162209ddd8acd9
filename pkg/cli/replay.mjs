// `cohort-sync replay`: plays Mixpanel's side of Cohort Sync against a webhook endpoint,
// following Mixpanel's documented sender behaviour (docs/domain.md, "The sender's
// behaviour"), on a schedule compressed in time.
//
// - Each scheduled sync (every `interval`, Mixpanel: 30 minutes) is planned with
//   `planSync` against the last *successful* snapshot: a full `members` sync the first
//   time (or a diff against an empty cohort with `"firstSync": "diff"`) and whenever that
//   snapshot is more than 3 days old; otherwise `add_members` then `remove_members` pages.
// - Each page is POSTed; `classifyStatus` decides: success → next page; retry (429, 5xx,
//   no answer) → the same request again after each of `retryDelays()` (5 retries over
//   ~60 s); pause (400, 401, 403, 404) → the cohort's sync stops for good.
// - Retries exhausted: the sync fails and is not finished. The next scheduled sync starts
//   from the top: a new session, planned again from the last successful snapshot, so
//   pages already delivered are sent again (delivery is at-least-once).
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CohortSyncError, classifyStatus, planSync, retryDelays } from "../node.js";
import { formatDuration, formatTime, isParsedScenario, parseScenario } from "./scenario.mjs";
import { createProgress } from "./progress.mjs";
import { parseOptions, readCommandLine, usageError } from "./args.mjs";
import { describeNetworkError, describeReadError } from "./human.mjs";

/** How long Mixpanel keeps the last successful snapshot (3 days; docs/domain.md). */
export const SNAPSHOT_TTL_MS = 3 * 86_400_000;
/** `speed: "auto"`: at least this factor (one Mixpanel hour in 3 s)… */
const AUTO_MIN_SPEED = 1200;
/** …and fast enough that the whole schedule takes about this long. */
const AUTO_TARGET_MS = 3000;
const VERSION = "0.1.0";

/**
 * The time compression factor: a number > 0 (Mixpanel ms per real ms), `0` or
 * `"instant"` (no waiting at all), or `"auto"` / `undefined`.
 */
export function resolveSpeed(speed, scenario) {
  if (speed === undefined || speed === null || speed === "auto") {
    return Math.max(AUTO_MIN_SPEED, Math.ceil(scenario.untilMs / AUTO_TARGET_MS));
  }
  if (speed === "instant") return 0;
  const n = typeof speed === "string" && speed.trim() !== "" ? Number(speed) : speed;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new CohortSyncError("invalid_argument", `speed must be a number ≥ 0, "instant" or "auto"; got ${JSON.stringify(speed)}`);
  }
  return n;
}

function clock(speed) {
  const t0 = performance.now();
  const wait = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
  return {
    /** Waits until Mixpanel time `at` (ms after T) on the compressed schedule. */
    until: (at) => (speed ? wait(t0 + at / speed - performance.now()) : Promise.resolve()),
    /** Waits `ms` of Mixpanel time. */
    sleep: (ms) => (speed ? wait(ms / speed) : Promise.resolve()),
  };
}

/** `url` checked, credentials in it moved to Basic auth. */
function endpoint(url, user, password) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new CohortSyncError("invalid_argument", `not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new CohortSyncError("invalid_argument", `the webhook URL must be http: or https:, got ${u.protocol}`);
  }
  if (user == null && u.username) user = decodeURIComponent(u.username);
  if (password == null && u.password) password = decodeURIComponent(u.password);
  u.username = "";
  u.password = "";
  const headers = { "content-type": "application/json", "user-agent": `cohort-sync-replay/${VERSION}` };
  if (user != null || password != null) {
    headers.authorization = `Basic ${Buffer.from(`${user ?? ""}:${password ?? ""}`, "utf8").toString("base64")}`;
  }
  return { url: u.href, headers };
}

/** What is wrong with an answer, against Mixpanel's expected response shape. */
function checkAnswer(action, status, text) {
  const problems = [];
  const ok = status >= 200 && status < 300;
  if (status >= 300 && status < 400) problems.push({ code: "redirect", message: `HTTP ${status}: Mixpanel does not follow redirects; configure the final URL` });
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push({ code: "not_json", message: `the body is not JSON: ${JSON.stringify(text.slice(0, 80))}` });
    return { problems, message: null };
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    problems.push({ code: "not_json", message: "the body is not a JSON object" });
    return { problems, message: null };
  }
  // A receiver that refuses a request before reading its body (401 for credentials, 413
  // for its size) cannot know the action: a null or absent one is no mismatch then.
  const unread = !ok && (body.action === null || body.action === undefined);
  if (body.action !== action && !unread) problems.push({ code: "action_mismatch", message: `"action" is ${JSON.stringify(body.action)}, not the request's ${JSON.stringify(action)}` });
  const expected = ok ? "success" : "failure";
  if (body.status !== expected) problems.push({ code: "status_mismatch", message: `HTTP ${status} with "status": ${JSON.stringify(body.status)} (expected ${JSON.stringify(expected)})` });
  const message = typeof body.error?.message === "string" ? body.error.message : null;
  if (!ok && message === null) problems.push({ code: "missing_error", message: `HTTP ${status} without "error": {"message", "code"} (Mixpanel shows the message in its UI)` });
  return { problems, message };
}

async function post(fetchImpl, target, body, timeoutMs) {
  try {
    const res = await fetchImpl(target.url, {
      method: "POST",
      headers: target.headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text(), error: null };
  } catch (e) {
    const error = e?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describeNetworkError(e, target.url);
    return { status: null, text: null, error };
  }
}

const pageOf = (body) => {
  const { action, parameters: p } = JSON.parse(body);
  return { action, page: p.page_info.page_count, total: p.page_info.total_pages, members: p.members.length };
};

/**
 * Replays `scenario` (a parsed scenario, its JSON text, or the object) against the
 * webhook at `url`. Resolves to the summary (see the package README, "Command line").
 * Throws `CohortSyncError` (`invalid_scenario`, `invalid_argument`) for bad input only:
 * whatever the endpoint does is in the summary.
 *
 * @param {object} options `{ url, user?, password?, speed? = "auto", onProgress?,
 *   timeoutMs? = 10000, fetch? = globalThis.fetch, sessionId? = () => randomUUID() }`
 */
export async function replay(scenario, options = {}) {
  const sc = isParsedScenario(scenario) ? scenario : parseScenario(scenario);
  const { url, user, password, onProgress = () => {}, timeoutMs = 10_000, fetch: fetchImpl = globalThis.fetch } = options;
  const newSessionId = options.sessionId ?? (() => randomUUID());
  if (typeof fetchImpl !== "function") throw new CohortSyncError("invalid_argument", "no fetch: Node 18 or later is needed");
  const target = endpoint(url, user, password);
  const speed = resolveSpeed(options.speed, sc);
  const delays = retryDelays();
  const time = clock(speed);

  const summary = {
    scenario: sc.name,
    url: target.url,
    cohort: sc.cohort,
    speed,
    verdict: "completed",
    reason: "",
    syncsPlanned: sc.syncTimes.length,
    requests: 0,
    pagesDelivered: 0,
    membersDelivered: 0,
    retries: 0,
    pauses: 0,
    restarts: 0,
    failedSyncs: 0,
    fullSyncs: 0,
    diffSyncs: 0,
    snapshotExpiries: 0,
    paused: null,
    answerProblems: [],
    snapshot: null,
    members: 0,
    syncs: [],
  };
  onProgress({ type: "start", scenario: sc.name, url: target.url, speed, syncs: sc.syncTimes.length, cohort: sc.cohort });

  const membership = new Map(); // distinct id → member object, in join order
  let stepIndex = 0;
  let snapshot = null; // { ids, at }: the last successful sync
  let failed = null; // the last sync, when it failed

  for (const [n, at] of sc.syncTimes.entries()) {
    await time.until(at);
    for (; stepIndex < sc.steps.length && sc.steps[stepIndex].at <= at; stepIndex++) {
      const step = sc.steps[stepIndex];
      if (step.set) {
        membership.clear();
        for (const m of step.set) membership.set(m.mixpanel_distinct_id, m);
      }
      for (const m of step.remove ?? []) membership.delete(m.mixpanel_distinct_id);
      for (const m of step.add ?? []) membership.set(m.mixpanel_distinct_id, m);
      onProgress({ type: "step", at: step.at, atLabel: step.atLabel, note: step.note, set: step.set?.length, add: step.add?.length, remove: step.remove?.length, members: membership.size });
    }

    const sessionId = newSessionId();
    const previous = snapshot ? snapshot.ids : sc.firstSync === "diff" ? [] : null;
    const snapshotAgeMs = snapshot ? at - snapshot.at : undefined;
    const bodies = planSync(previous, [...membership.values()], {
      ...sc.cohort,
      sessionId,
      batchSize: sc.pageSize,
      ...(snapshotAgeMs === undefined ? {} : { snapshotAgeMs }),
    });
    const pages = bodies.map(pageOf);
    const kind = pages[0].action === "members" ? "full" : "diff";
    const plan = [];
    for (const p of pages) {
      const g = plan.at(-1);
      if (g && g.action === p.action) {
        g.pages++;
        g.members += p.members;
      } else plan.push({ action: p.action, pages: 1, members: p.members });
    }
    const record = {
      n: n + 1,
      at: formatTime(at),
      atMs: at,
      kind,
      sessionId,
      restart: failed !== null,
      snapshotExpired: snapshot !== null && kind === "full",
      snapshotAgeMs: snapshotAgeMs ?? null,
      outcome: "success",
      plan,
      pages: [],
    };
    summary.syncs.push(record);
    summary[kind === "full" ? "fullSyncs" : "diffSyncs"]++;
    if (record.restart) summary.restarts++;
    if (record.snapshotExpired) summary.snapshotExpiries++;
    onProgress({ type: "sync", n: n + 1, of: sc.syncTimes.length, at, atLabel: record.at, kind, sessionId, pages: pages.length, restart: record.restart, restartOf: failed?.sessionId ?? null, snapshotExpired: record.snapshotExpired, snapshotAgeMs: record.snapshotAgeMs, members: membership.size });

    for (const [i, body] of bodies.entries()) {
      const page = { ...pages[i], attempts: [], outcome: null };
      record.pages.push(page);
      let elapsed = 0; // Mixpanel time spent on retries
      for (let attempt = 0; ; attempt++) {
        const answer = await post(fetchImpl, target, body, timeoutMs);
        summary.requests++;
        const verdict = answer.error ? "retry" : classifyStatus(answer.status);
        const checked = answer.error ? { problems: [], message: null } : checkAnswer(page.action, answer.status, answer.text);
        for (const p of checked.problems) {
          summary.answerProblems.push({ sync: n + 1, at: record.at, sessionId, action: page.action, page: page.page, status: answer.status, ...p });
        }
        page.attempts.push({ status: answer.status, error: answer.error, outcome: verdict, afterMs: elapsed });
        const willRetry = verdict === "retry" && attempt < delays.length;
        onProgress({ type: "request", n: n + 1, at, atLabel: record.at, sessionId, action: page.action, page: page.page, total: page.total, members: page.members, index: i, pages: bodies.length, attempt: attempt + 1, status: answer.status, error: answer.error, outcome: verdict, message: checked.message, problems: checked.problems, retryInMs: willRetry ? delays[attempt] : null });
        if (verdict === "success") {
          page.outcome = "delivered";
          summary.pagesDelivered++;
          summary.membersDelivered += page.members;
          break;
        }
        if (verdict === "pause") {
          page.outcome = "paused";
          record.outcome = "paused";
          summary.pauses++;
          summary.paused = { sync: n + 1, at: record.at, sessionId, action: page.action, page: page.page, total: page.total, status: answer.status, message: checked.message };
          break;
        }
        if (!willRetry) {
          page.outcome = "failed";
          record.outcome = "failed";
          record.error = answer.error ?? `HTTP ${answer.status}`;
          break;
        }
        summary.retries++;
        await time.sleep(delays[attempt]);
        elapsed += delays[attempt];
      }
      if (page.outcome !== "delivered") break;
    }

    onProgress({ type: "sync-done", n: n + 1, at, atLabel: record.at, sessionId, outcome: record.outcome, error: record.error ?? null });
    if (record.outcome === "success") {
      snapshot = { ids: [...membership.keys()], at };
      failed = null;
    } else if (record.outcome === "failed") {
      summary.failedSyncs++;
      failed = record;
    } else {
      break; // paused: Mixpanel stops this cohort's sync and emails its owners
    }
  }

  summary.snapshot = snapshot ? { at: formatTime(snapshot.at), members: snapshot.ids.length } : null;
  summary.members = membership.size;
  if (summary.paused) {
    const p = summary.paused;
    summary.verdict = "paused";
    summary.reason = `the endpoint answered ${p.status} to ${p.action} page ${p.page}/${p.total} at ${p.at}: Mixpanel pauses the sync and emails the cohort's owners${p.message ? ` ("${p.message}")` : ""}`;
  } else if (failed) {
    summary.verdict = "failed";
    summary.reason = `the last sync (${failed.at}) failed after ${delays.length} retries: ${failed.error}; Mixpanel would try again from the top at the next scheduled sync`;
  } else {
    summary.reason = `the endpoint accepted every page of the last sync (${summary.syncs.at(-1)?.at ?? "T"})${summary.answerProblems.length ? `, but ${summary.answerProblems.length} answer(s) were not in Mixpanel's expected shape` : ""}`;
  }
  onProgress({ type: "done", summary });
  return summary;
}

// ---- the command ------------------------------------------------------------------

/** Where the package's scenarios are installed (node_modules/cohort-sync/scenarios/). */
export const SCENARIOS_DIR = fileURLToPath(new URL("../scenarios/", import.meta.url));
/** The installed package's README, whose "Command line" section describes scenarios. */
const README_PATH = fileURLToPath(new URL("../README.md", import.meta.url));
const naturally = new Intl.Collator("en", { numeric: true }).compare;

/** The first sentence of a description, cut to `width` characters at a word. */
function firstSentence(text, width) {
  const sentence = text.split(/(?<=[.:;])\s/)[0].replace(/[.:;]$/, "");
  if (sentence.length <= width) return sentence;
  return `${sentence.slice(0, width - 1).replace(/\s+\S*$/, "")}…`;
}

/** The bundled scenarios, one line each: file name and what it plays. */
function bundledScenarioLines() {
  let names;
  try {
    names = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith(".json")).sort(naturally);
  } catch {
    return ["  (none found: the package's scenarios/ folder is missing)"];
  }
  const width = Math.max(...names.map((n) => n.length));
  return names.map((name) => {
    let description = "";
    try {
      description = JSON.parse(readFileSync(`${SCENARIOS_DIR}${name}`, "utf8")).description ?? "";
    } catch {
      // An unreadable scenario is still worth listing by name.
    }
    return `  ${name.padEnd(width)}  ${firstSentence(description, 76 - width)}`.trimEnd();
  });
}

/** `cohort-sync replay --help`: computed when asked, as it lists the installed scenarios. */
export function helpText() {
  return `Usage: cohort-sync replay --url URL [options] SCENARIO.json

Plays Mixpanel's side of Cohort Sync against a webhook endpoint: a full sync in
pages, then add_members/remove_members diffs every 30 minutes of Mixpanel time,
with Mixpanel's retries (429, 5xx, no answer), pauses (400, 401, 403, 404),
restarts from the top after a failed sync and 3-day snapshot expiry.
SCENARIO.json describes the cohort over time ("-" reads stdin); its keys are
in ${README_PATH}, "Command line".
To check a webhook body instead, use 'cohort-sync validate'.

Bundled scenarios, in ${SCENARIOS_DIR}
${bundledScenarioLines().join("\n")}

Options:
  --url URL          the webhook endpoint (required); http: or https:
  --user U           HTTP Basic user (or COHORT_SYNC_USER)
  --password P       HTTP Basic password (or COHORT_SYNC_PASSWORD)
  --speed N          Mixpanel time runs N times faster than real time;
                     "auto" (default: the schedule takes ~3 s, at least 1200×),
                     0 or "instant" (no waiting, for tests)
  --timeout MS       give up on a request after MS real milliseconds (10000);
                     counts as no answer (retried)
  --json             print the summary as JSON on stdout
  --strict           exit 1 also when answers are not Mixpanel's response shape
  --quiet            no progress on stderr
  -h, --help         this help

Exit status:
  0  the scenario completed (the last sync succeeded)
  1  the sync paused or its last sync failed (or, with --strict, answers were
     not in Mixpanel's shape)
  2  usage error, a scenario that cannot be read, or an invalid scenario`;
}

const OPTIONS = {
  url: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  speed: { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  strict: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const usage = (message) => usageError("replay", message);

function readInput(file) {
  return new Uint8Array(file === "-" ? readFileSync(0) : readFileSync(file));
}

/** The scenario in `file`, or the words for why not (for stderr). */
function loadScenario(file) {
  let bytes;
  try {
    bytes = readInput(file);
  } catch (e) {
    return { problem: describeReadError(e, file) };
  }
  try {
    return { scenario: parseScenario(bytes, { source: file === "-" ? "<stdin>" : file }) };
  } catch (e) {
    if (e instanceof CohortSyncError) return { problem: e.message };
    throw e;
  }
}

export async function main(argv) {
  const { args, exit } = readCommandLine("replay", argv, (words) => parseOptions(words, OPTIONS), helpText);
  if (exit !== undefined) return exit;
  const { values: o, positionals } = args;
  if (!o.url) return usage("--url is required");
  if (positionals.length !== 1) return usage(positionals.length ? "one scenario file at a time" : "a scenario file is required");
  const timeoutMs = o.timeout === undefined ? 10_000 : Number(o.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) return usage(`--timeout must be a whole number of milliseconds ≥ 1, got ${JSON.stringify(o.timeout)}`);

  const { scenario, problem } = loadScenario(positionals[0]);
  if (problem) {
    process.stderr.write(`cohort-sync replay: ${problem}\n`);
    return 2;
  }

  const progress = createProgress({ stream: process.stderr, quiet: o.quiet });
  let summary;
  try {
    summary = await replay(scenario, {
      url: o.url,
      user: o.user ?? process.env.COHORT_SYNC_USER,
      password: o.password ?? process.env.COHORT_SYNC_PASSWORD,
      speed: o.speed,
      timeoutMs,
      onProgress: progress.onProgress,
    });
  } catch (e) {
    progress.stop();
    if (e instanceof CohortSyncError && e.code === "invalid_argument") return usage(e.message);
    throw e;
  }
  progress.stop();
  process.stdout.write(o.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  if (summary.verdict !== "completed") return 1;
  return o.strict && summary.answerProblems.length ? 1 : 0;
}

/** Kinds of answer problem listed in the text summary; --json has every one. */
const SHOWN_PROBLEM_GROUPS = 10;

/**
 * Answer problems grouped by status, code and message, in order of first appearance: a
 * failing endpoint gives the same answer to every retry, and one line with a count says
 * that better than a line per request.
 */
function groupAnswerProblems(problems) {
  const groups = new Map();
  for (const p of problems) {
    const key = JSON.stringify([p.status, p.code, p.message]);
    const g = groups.get(key);
    if (g) g.list.push(p);
    else groups.set(key, { first: p, list: [p] });
  }
  return [...groups.values()];
}

function describeProblemGroup({ first: p, list }) {
  if (list.length === 1) return `${p.at} ${p.action} page ${p.page}: ${p.code}: ${p.message}`;
  const last = list.at(-1);
  const when = last.at === p.at ? p.at : `${p.at} to ${last.at}`;
  return `${list.length} answers were HTTP ${p.status} (${when}): ${p.code}: ${p.message}`;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The summary as text: one line per sync, the counts, the verdict. */
export function formatSummary(s) {
  const out = [];
  const c = s.cohort;
  const speed = s.speed ? `at ${s.speed}× speed` : "instantly";
  out.push(`Replayed ${s.scenario ? `"${s.scenario}" ` : ""}(cohort ${c.cohortId}${c.cohortName ? ` "${c.cohortName}"` : ""}, project ${c.projectId}) against ${s.url} ${speed}`);
  for (const sync of s.syncs) {
    const flags = [sync.restart && "restart from the top", sync.snapshotExpired && `snapshot expired (${formatDuration(sync.snapshotAgeMs)} old)`].filter(Boolean);
    const what = sync.plan.map((g) => `${g.action} ${plural(g.pages, "page")} (${plural(g.members, "member")})`).join(", ");
    const tries = sync.pages.reduce((a, p) => a + p.attempts.length - 1, 0);
    const last = sync.pages.at(-1);
    const stop = last && `${last.action} ${last.page}/${last.total}`;
    const end =
      sync.outcome === "success" ? "ok" : sync.outcome === "paused" ? `PAUSED at ${stop} (${last.attempts.at(-1).status})` : `FAILED at ${stop}: ${sync.error}`;
    out.push(`  ${sync.at.padEnd(8)} ${sync.kind.padEnd(4)} ${what}${tries ? `, ${tries} ${tries === 1 ? "retry" : "retries"}` : ""}${flags.length ? ` [${flags.join("; ")}]` : ""}: ${end}`);
  }
  if (s.syncs.length < s.syncsPlanned) out.push(`  … ${s.syncsPlanned - s.syncs.length} more scheduled sync(s) not run: the sync is paused`);
  out.push("");
  out.push(
    `${plural(s.pagesDelivered, "page")} delivered (${plural(s.membersDelivered, "member")}) in ${plural(s.requests, "request")}; ` +
      `${s.retries} ${s.retries === 1 ? "retry" : "retries"}, ${plural(s.pauses, "pause")}, ${plural(s.restarts, "restart")}, ` +
      `${plural(s.failedSyncs, "failed sync")}, ${plural(s.snapshotExpiries, "snapshot expiry").replace("expirys", "expiries")}`,
  );
  if (s.answerProblems.length) {
    out.push(`${plural(s.answerProblems.length, "answer problem")}:`);
    const groups = groupAnswerProblems(s.answerProblems);
    for (const g of groups.slice(0, SHOWN_PROBLEM_GROUPS)) out.push(`  ${describeProblemGroup(g)}`);
    if (groups.length > SHOWN_PROBLEM_GROUPS) out.push(`  … and ${groups.length - SHOWN_PROBLEM_GROUPS} more kinds (see --json)`);
  }
  // The member count is the scenario's, not the endpoint's: say so, and say when none of
  // them got there.
  const delivered = s.membersDelivered === 0 && s.members > 0 ? `; ${s.members === 1 ? "it was not" : "none were"} delivered` : "";
  out.push(`Mixpanel's snapshot: ${s.snapshot ? `${plural(s.snapshot.members, "member")} as of ${s.snapshot.at}` : "none (no sync succeeded)"}; the scenario's cohort has ${plural(s.members, "member")}${delivered}`);
  out.push(`verdict: ${s.verdict.toUpperCase()}: ${s.reason}`);
  return `${out.join("\n")}\n`;
}

export { parseScenario } from "./scenario.mjs";
