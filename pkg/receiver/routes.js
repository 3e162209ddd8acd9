// The receiver's routes: Mixpanel POSTs cohort pages to /webhook; the operators read
// and manage cohorts under /cohorts and /profiles. Routes and answers follow docs/api.md
// ("The Cloudflare Worker"), which also explains each status code. Every
// host answers through this one function, so the Worker and the Node receiver cannot
// drift apart: the host only says where each cohort's state lives (`host`, below).
//
// `settings`: the receiver's settings as settings.js read them, once, at start-up.
// `host`: `{ cohort(cohortId), profiles(), registry() }`, each a handle whose methods are
// those of Cohort (cohort.js), Profiles (profiles.js) and Registry (registry.js), called
// as async: a Durable Object stub in the Worker, a serialised in-process object in Node.
import { checkId, validatePayload, webhookResponse } from "../api.js";
import { refusal } from "./auth.js";
import { TooLarge, readLimited } from "./body.js";
import { corsHeaders, isOperatorPath, preflight, withHeaders } from "./cors.js";
import { decodeCursor } from "./cursor.js";
import { failureMessage } from "./message.js";
import { logEvent } from "./log.js";
import { settingsOf } from "./settings.js";

/** A cohort, its members, or one member: the reads (and a cohort's DELETE, an operator route). */
const READ_ROUTE = /^\/cohorts\/([^/]+)(?:\/members(?:\/([^/]+))?)?\/?$/;

/**
 * The answer to `request` (a Web-standard Request): a Response, never a throw. The hosts
 * pass `settings` as settings.js read them; raw values by name are read (once per object).
 */
export async function handleRequest(request, given, host) {
  const settings = settingsOf(given);
  const url = new URL(request.url);
  if (!isOperatorPath(url.pathname)) return respond(request, url, settings, host);
  // The operators' routes answer the console page's CORS requests (cors.js).
  return preflight(request, settings) ?? withHeaders(await respond(request, url, settings, host), corsHeaders(request, settings));
}

/** Whether `path` is one of the receiver's routes (a host may pass others on). */
export function isReceiverPath(path) {
  return path === "/webhook" || isOperatorPath(path);
}

/**
 * The answer to a method no route takes, such as TRACE or CONNECT, which a host cannot
 * even make a Request of: 405 with what the path takes, or 404 for no route.
 */
export function refuseMethod(method, url) {
  const allow = allowedMethods(new URL(url).pathname);
  if (allow === null) return json(404, { error: { message: `no route for ${method} ${new URL(url).pathname}`, code: 404 } });
  return notAllowed(allow);
}

/** The methods `path` takes ("POST", "GET, DELETE"), or null for no route. */
function allowedMethods(path) {
  if (path === "/webhook") return "POST";
  const operator = operatorRoute(path, "");
  if (operator) return operator.allow;
  if (READ_ROUTE.test(path)) return /^\/cohorts\/[^/]+\/?$/.test(path) ? "GET, DELETE" : "GET";
  return null;
}

const notAllowed = (allow) => json(405, { error: { message: `use ${allow} here`, code: 405 } }, { allow });

/** The answer to any request, by route (docs/api.md). */
async function respond(request, url, settings, host) {
  try {
    if (url.pathname === "/webhook") {
      if (request.method !== "POST") return notAllowed("POST");
      return await webhook(request, settings, host);
    }
    const operator = operatorRoute(url.pathname, request.method);
    if (operator) {
      if (operator.allow) return notAllowed(operator.allow);
      const why = await refusal(request, settings);
      if (why) return json(401, { error: { message: why, code: 401 } }, challenge());
      return await operator.run(url, host);
    }
    const route = READ_ROUTE.exec(url.pathname);
    if (route) {
      if (request.method !== "GET") return notAllowed(allowedMethods(url.pathname));
      const why = await refusal(request, settings);
      if (why) return json(401, { error: { message: why, code: 401 } }, challenge());
      return await read(url, route, host);
    }
    return json(404, { error: { message: `no route for ${request.method} ${url.pathname}`, code: 404 } });
  } catch (error) {
    // Whatever failed (storage, the object, a bug): 5xx, which Mixpanel retries.
    console.error("cohort-sync: request failed", error?.stack ?? error);
    return mixpanelAnswer(null, { code: 503, message: "the webhook could not store this page; it will be retried" });
  }
}

async function webhook(request, settings, host) {
  const started = Date.now();
  const answer = await answerWebhook(request, settings, host);
  logEvent("page", { ...answer.facts, status: answer.response.status, ms: Date.now() - started }, settings.events);
  return answer.response;
}

/** The webhook's answer, with what the log line says of the page. */
async function answerWebhook(request, settings, host) {
  const facts = {};
  const done = (response) => ({ response, facts });
  // Credentials first: an unauthenticated client must not make the Worker buffer a byte.
  const why = await refusal(request, settings);
  if (why) {
    // The body is left unread for the host to read into nothing once the answer is out
    // (body.js says why it is not cancelled).
    return done(mixpanelAnswer(null, { code: 401, message: why }, challenge()));
  }
  const max = settings.MAX_BODY_BYTES;
  let bytes;
  try {
    bytes = await readLimited(request, max);
  } catch (error) {
    if (error instanceof TooLarge) {
      // Answered now; the rest of the body is the host's to read into nothing (body.js).
      return done(mixpanelAnswer(null, { code: 413, message: `the body is over ${max} bytes` }));
    }
    // Broken framing (a chunk size that is not hex, a body shorter than it said): the
    // same bytes sent again can never be read, so 400, not a 5xx the sender retries for ever.
    return done(mixpanelAnswer(null, { code: 400, message: `the request body could not be read: ${error?.message ?? error}`.slice(0, 300) }));
  }
  // The answer needs the verdict and the head; the body goes to the page log as sent,
  // and applying it reads it (page.js).
  const report = validatePayload(bytes, { maxBytes: max });
  // Echoed whenever the body says one, known or not (Mixpanel matches answers by it).
  const action = typeof report.action === "string" ? report.action : null;
  Object.assign(facts, {
    cohort: report.cohortId,
    session: report.sessionId,
    action,
    page: report.page?.count ?? null,
    total: report.page?.total ?? null,
    members: report.memberCount,
  });
  if (!report.valid) {
    const message = failureMessage(report.errors);
    facts.problem = report.errors[0]?.code ?? null;
    await countRefusal(settings, host, report, message);
    return done(mixpanelAnswer(action, { code: 400, message }));
  }
  const accepted = settings.ACCEPT_COHORTS;
  if (accepted.length > 0 && !accepted.includes(report.cohortId)) {
    // 404 pauses this sync in Mixpanel: it is pointed at an endpoint that does not take it.
    return done(mixpanelAnswer(action, { code: 404, message: `cohort ${report.cohortId} is not synced to this endpoint` }));
  }
  const cohort = host.cohort(report.cohortId);
  // Resolves only once the page and its outbox entries are durably stored.
  try {
    await applyPage(cohort, report, bytes);
  } catch (error) {
    console.error("cohort-sync: storing the page failed", error?.stack ?? error);
    return done(mixpanelAnswer(action, { code: 503, message: "the webhook could not store this page; it will be retried" }));
  }
  return done(mixpanelAnswer(action, null));
}

/**
 * Counts a refused page in its cohort's sync history, when the body said which cohort
 * (one synced here) and session it belongs to. Best effort: the answer is 400 whatever
 * happens here.
 */
async function countRefusal(settings, host, report, message) {
  const { cohortId, sessionId, action } = report;
  if (typeof cohortId !== "string" || cohortId === "" || typeof sessionId !== "string" || sessionId === "") return;
  const accepted = settings.ACCEPT_COHORTS;
  if (accepted.length > 0 && !accepted.includes(cohortId)) return;
  try {
    // Only in a cohort synced here: a refused page of an unknown cohort stores nothing.
    if (checkId(cohortId, "cohort") !== null || checkId(sessionId, "session") !== null) return;
    const cohort = await host.existingCohort(cohortId);
    await cohort?.refused(sessionId, typeof action === "string" ? action.slice(0, 64) : "(none)", message);
  } catch (error) {
    console.error("cohort-sync: counting a refused page failed", error?.stack ?? error);
  }
}

function applyPage(cohort, report, bytes) {
  return cohort.apply({
    action: report.action,
    sessionId: report.sessionId,
    page: report.page,
    members: report.memberCount,
    cohortId: report.cohortId,
    cohortName: report.cohortName,
    body: bytes,
  });
}

async function read(url, [, rawCohort, rawMember], host) {
  const found = await syncedCohort(host, rawCohort);
  if (found instanceof Response) return found;
  const { cohort, cohortId, info } = found;
  if (rawMember !== undefined) {
    const memberId = pathId(rawMember, "member");
    if (memberId instanceof Response) return memberId;
    const lookup = await cohort.lookup(memberId);
    return json(lookup.member ? 200 : 404, lookup);
  }
  if (url.pathname.replace(/\/$/, "").endsWith("/members")) {
    const limit = wholeParam(url, "limit", 100, 1000);
    if (limit === null) return badRequest("limit must be a whole number from 1 to 1000, given once");
    const cursors = url.searchParams.getAll("cursor");
    const cursor = cursors[0] ?? null;
    if (cursors.length > 1 || (cursor !== null && decodeCursor(cursor) === null)) return badRequest("cursor is not one this API gave out");
    const page = await cohort.list(limit, cursor);
    if (page === null) return badRequest("cursor is not one this API gave out");
    return json(200, page);
  }
  return json(200, { cohortId, ...info });
}

/**
 * The operators' routes (dead letters and pages, the streamed membership, forgetting a
 * cohort): `{ run(url, host) }`, `{ allow }` for a known path asked with another method,
 * or null.
 */
function operatorRoute(path, method) {
  const dead = /^\/(?:cohorts\/([^/]+)|profiles)\/dead-letters(\/redrive)?\/?$/.exec(path);
  if (dead) {
    const [, rawCohort, redrive] = dead;
    // `{ object }` to act on, or the answer saying why not (an RPC stub is never tested
    // for properties: any name reads as a method there).
    const holder = async (host) => {
      if (rawCohort === undefined) return { object: host.profiles() };
      const found = await syncedCohort(host, rawCohort);
      return found instanceof Response ? found : { object: found.cohort };
    };
    return listRedriveDrop(method, redrive, (what) => (url, host) => deadLetters(url, holder(host), what));
  }
  const deadPages = /^\/cohorts\/([^/]+)\/dead-pages(\/redrive)?\/?$/.exec(path);
  if (deadPages) {
    const [, rawCohort, redrive] = deadPages;
    return listRedriveDrop(method, redrive, (what) => (url, host) => deadPagesRoute(url, syncedCohort(host, rawCohort), what));
  }
  if (/^\/cohorts\/?$/.test(path)) return method === "GET" ? { run: (url, host) => everyCohort(host) } : { allow: "GET" };
  if (/^\/profiles\/?$/.test(path)) {
    return method === "GET" ? { run: async (url, host) => json(200, { outbox: await host.profiles().counts() }) } : { allow: "GET" };
  }
  const syncs = /^\/cohorts\/([^/]+)\/syncs\/?$/.exec(path);
  if (syncs) return method === "GET" ? { run: (url, host) => syncHistory(url, host, syncs[1]) } : { allow: "GET" };
  const ndjson = /^\/cohorts\/([^/]+)\/members\.ndjson$/.exec(path);
  if (ndjson) return method === "GET" ? { run: (url, host) => membersNdjson(host, ndjson[1]) } : { allow: "GET" };
  const cohort = /^\/cohorts\/([^/]+)\/?$/.exec(path);
  if (cohort && method === "DELETE") return { run: (url, host) => forget(host, cohort[1]) };
  return null;
}

/** A list of dead things: GET lists, DELETE drops, POST …/redrive redrives. */
function listRedriveDrop(method, redrive, route) {
  if (redrive) return method === "POST" ? { run: route("redrive") } : { allow: "POST" };
  if (method === "GET") return { run: route("list") };
  if (method === "DELETE") return { run: route("drop") };
  return { allow: "GET, DELETE" };
}

/**
 * The id a path segment names, or the 400 saying why it cannot be one: bad
 * percent-encoding, or an id the webhook would refuse (checkId: empty, too long, NUL).
 */
function pathId(segment, kind) {
  let id;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return badRequest("bad percent-encoding in the path");
  }
  const problem = checkId(id, kind);
  return problem === null ? id : badRequest(`${problem.message} (${problem.code})`);
}

/**
 * `?name=` as a whole number from 1 to `max` (`fallback` when absent), or null: digits
 * only, given once, so `1e3`, `0x10`, ` 5` and a second value are refused, not guessed.
 */
function wholeParam(url, name, fallback, max) {
  const given = url.searchParams.getAll(name);
  if (given.length === 0) return fallback;
  if (given.length > 1 || !/^[0-9]{1,7}$/.test(given[0])) return null;
  const n = Number(given[0]);
  return n >= 1 && n <= max ? n : null;
}

/** `?ids=1,2,3` (dead letter or page ids), or null for all of them; `undefined` when malformed. */
function idsParam(url) {
  const given = url.searchParams.getAll("ids");
  if (given.length === 0) return null;
  if (given.length > 1) return undefined;
  const parts = given[0].split(",").map((part) => part.trim());
  return parts.every((part) => /^[1-9][0-9]{0,15}$/.test(part)) ? parts.map(Number) : undefined;
}

/** Dead letters of a cohort (a promise of syncedCohort's answer) or of the profiles. */
async function deadLetters(url, holder, what) {
  const found = await holder;
  if (found instanceof Response) return found;
  const { object } = found;
  if (what === "list") {
    const limit = wholeParam(url, "limit", 100, 1000);
    if (limit === null) return badRequest("limit must be a whole number from 1 to 1000, given once");
    return json(200, { deadLetters: await object.deadLetters(limit) });
  }
  const ids = idsParam(url);
  if (ids === undefined) return badRequest("ids must be a comma-separated list of dead letter ids");
  if (what === "redrive") return json(200, { redriven: await object.redriveDeadLetters(ids) });
  return json(200, { dropped: await object.dropDeadLetters(ids) });
}

/** A cohort's dead pages (rules.md, "Pages that can never apply"). */
async function deadPagesRoute(url, synced, what) {
  const found = await synced;
  if (found instanceof Response) return found;
  const { cohort } = found;
  if (what === "list") {
    const limit = wholeParam(url, "limit", 100, 1000);
    if (limit === null) return badRequest("limit must be a whole number from 1 to 1000, given once");
    return json(200, { deadPages: await cohort.deadPages(limit) });
  }
  const ids = idsParam(url);
  if (ids === undefined) return badRequest("ids must be a comma-separated list of dead page ids");
  if (what === "redrive") return json(200, { redriven: await cohort.redriveDeadPages(ids) });
  return json(200, { dropped: await cohort.dropDeadPages(ids) });
}

/**
 * The whole membership as NDJSON (one JSON string per line, in id order), read from the
 * cohort's object 1000 ids at a time as the client reads: a 10M-member cohort is never
 * held in memory.
 */
async function membersNdjson(host, rawCohort) {
  const found = await syncedCohort(host, rawCohort);
  if (found instanceof Response) return found;
  const { cohort } = found;
  const encoder = new TextEncoder();
  let cursor = null;
  let done = false;
  const stream = new ReadableStream({
    async pull(controller) {
      if (done) return controller.close();
      const page = await cohort.list(1000, cursor);
      if (page.members.length > 0) controller.enqueue(encoder.encode(page.members.map((id) => `${JSON.stringify(id)}\n`).join("")));
      cursor = page.cursor;
      done = cursor === null;
      if (done) controller.close();
    },
  });
  return new Response(stream, { status: 200, headers: { "content-type": "application/x-ndjson" } });
}

/**
 * Every cohort synced here: the registry's list, each with its live figures from its own
 * object (asked in parallel; a cohort forgotten since is left out). A cohort whose object
 * cannot answer is listed with `error` instead of its figures: one broken cohort never
 * hides the others.
 */
async function everyCohort(host) {
  const registry = host.registry();
  const known = await registry.list();
  // Each object applies its page log first, telling the registry of syncs completed by
  // it; the list is read again for those.
  const live = await Promise.allSettled(known.map((entry) => host.cohort(entry.cohortId).info()));
  const latest = new Map((await registry.list()).map((entry) => [entry.cohortId, entry]));
  const listed = known.map((entry) => latest.get(entry.cohortId) ?? entry);
  const cohorts = listed.flatMap((entry, i) => {
    const { status, value: info, reason } = live[i];
    const known = { cohortId: entry.cohortId, lastCompletedSync: entry.lastCompletedSync, firstSeenAt: entry.firstSeenAt };
    if (status === "rejected") {
      console.error(`cohort-sync: reading cohort ${JSON.stringify(entry.cohortId)} failed`, reason?.stack ?? reason);
      return [{ ...known, cohortName: entry.cohortName, error: "its figures could not be read; they will be tried again on the next request" }];
    }
    if (info === null) return [];
    return [{
      cohortId: entry.cohortId,
      cohortName: info.cohortName ?? entry.cohortName,
      size: info.size,
      lastPageAt: info.updatedAt,
      sessionId: info.sessionId,
      lastCompletedSync: entry.lastCompletedSync,
      pendingSession: info.pendingSession,
      outbox: info.outbox,
      deadPages: info.deadPages,
      firstSeenAt: entry.firstSeenAt,
      sizeTrend: info.sizeTrend,
    }];
  });
  return json(200, { cohorts });
}

async function syncHistory(url, host, rawCohort) {
  const found = await syncedCohort(host, rawCohort);
  if (found instanceof Response) return found;
  const limit = wholeParam(url, "limit", 20, 200);
  if (limit === null) return badRequest("limit must be a whole number from 1 to 200, given once");
  return json(200, { syncs: await found.cohort.syncs(limit) });
}

/**
 * A cohort synced here, `{ cohort, cohortId, info }`, or the answer saying why not: 400
 * for a segment that cannot be a cohort id, 404 for one never synced. Asking stores
 * nothing: an unknown cohort gets no space, no tables and no rows.
 */
async function syncedCohort(host, rawCohort) {
  const cohortId = pathId(rawCohort, "cohort");
  if (cohortId instanceof Response) return cohortId;
  const cohort = await host.existingCohort(cohortId);
  const info = cohort === null ? null : await cohort.info();
  if (info === null) return json(404, { error: { message: `no cohort ${cohortId} has been synced here`, code: 404 } });
  return { cohort, cohortId, info };
}

async function forget(host, rawCohort) {
  const found = await syncedCohort(host, rawCohort);
  if (found instanceof Response) return found;
  await found.cohort.forget();
  return json(200, { forgotten: found.cohortId });
}

/** Mixpanel's answer shape, from the package (`error` only on failure). */
function mixpanelAnswer(action, error, extraHeaders = {}) {
  const { status, headers, body } = webhookResponse(action, error);
  return new Response(body, { status, headers: { ...headers, ...extraHeaders } });
}

const badRequest = (message) => json(400, { error: { message, code: 400 } });

function json(status, value, extraHeaders = {}) {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...extraHeaders } });
}

const challenge = () => ({ "www-authenticate": 'Basic realm="cohort-sync", charset="UTF-8"' });
