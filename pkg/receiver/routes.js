// The receiver's routes: Mixpanel POSTs cohort pages to /webhook; the operators read
// and manage cohorts under /cohorts and /profiles. Routes and answers follow docs/api.md
// ("The Cloudflare Worker"); README.md ("The Worker") explains each status code. Every
// host answers through this one function, so the Worker and the Node receiver cannot
// drift apart: the host only says where each cohort's state lives (`host`, below).
//
// `env`: the settings, by the Worker's names (WEBHOOK_USERNAME, MAX_BODY_BYTES, …).
// `host`: `{ cohort(cohortId), profiles(), registry() }`, each a handle whose methods are
// those of Cohort (cohort.js), Profiles (profiles.js) and Registry (registry.js), called
// as async: a Durable Object stub in the Worker, a serialised in-process object in Node.
import { validatePayload, webhookResponse } from "../api.js";
import { refusal } from "./auth.js";
import { TooLarge, readLimited } from "./body.js";
import { corsHeaders, isOperatorPath, preflight, withHeaders } from "./cors.js";
import { destinations } from "./forward.js";
import { failureMessage } from "./message.js";
import { eventSinks, logEvent } from "./log.js";

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;

/** The answer to `request` (a Web-standard Request): a Response, never a throw. */
export async function handleRequest(request, env, host) {
  const url = new URL(request.url);
  if (!isOperatorPath(url.pathname)) return respond(request, url, env, host);
  // The operators' routes answer the console page's CORS requests (cors.js).
  return preflight(request, env) ?? withHeaders(await respond(request, url, env, host), corsHeaders(request, env));
}

/** Whether `path` is one of the receiver's routes (a host may pass others on). */
export function isReceiverPath(path) {
  return path === "/webhook" || isOperatorPath(path);
}

/** The answer to any request, by route (docs/api.md). */
async function respond(request, url, env, host) {
  try {
    if (url.pathname === "/webhook") {
      if (request.method !== "POST") return json(405, { error: { message: "POST a webhook body here", code: 405 } }, { allow: "POST" });
      return await webhook(request, env, host);
    }
    const operator = operatorRoute(url.pathname, request.method);
    if (operator) {
      if (operator.allow) return json(405, { error: { message: `use ${operator.allow} here`, code: 405 } }, { allow: operator.allow });
      const why = await refusal(request, env);
      if (why) return json(401, { error: { message: why, code: 401 } }, challenge());
      return await operator.run(url, host);
    }
    const route = /^\/cohorts\/([^/]+)(?:\/members(?:\/([^/]+))?)?\/?$/.exec(url.pathname);
    if (route) {
      if (request.method !== "GET") return json(405, { error: { message: "only GET here", code: 405 } }, { allow: "GET" });
      const why = await refusal(request, env);
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

async function webhook(request, env, host) {
  const started = Date.now();
  const answer = await answerWebhook(request, env, host);
  logEvent("page", { ...answer.facts, status: answer.response.status, ms: Date.now() - started }, eventSinks(env));
  return answer.response;
}

/** The webhook's answer, with what the log line says of the page. */
async function answerWebhook(request, env, host) {
  const facts = {};
  const done = (response) => ({ response, facts });
  // Credentials first: an unauthenticated client must not make the Worker buffer a byte.
  const why = await refusal(request, env);
  if (why) {
    await discard(request);
    return done(mixpanelAnswer(null, { code: 401, message: why }, challenge()));
  }
  const max = positiveInt(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY);
  let bytes;
  try {
    bytes = await readLimited(request, max);
  } catch (error) {
    if (error instanceof TooLarge) {
      // Cancelled, so the answer goes out now rather than after the rest has arrived.
      await discard(request);
      return done(mixpanelAnswer(null, { code: 413, message: `the body is over ${max} bytes` }));
    }
    throw error;
  }
  // The ids (and the page's content key) come from the same pass as the validation; with
  // forwarding on, so does where each member is in the body, kept as sent for the
  // destinations.
  const forwarding = destinations(env).length > 0;
  const report = validatePayload(bytes, { maxBytes: max, ids: true, memberSpans: forwarding });
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
    await countRefusal(env, host, report, message);
    return done(mixpanelAnswer(action, { code: 400, message }));
  }
  const accepted = String(env.ACCEPT_COHORTS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (accepted.length > 0 && !accepted.includes(report.cohortId)) {
    // 404 pauses this sync in Mixpanel: it is pointed at an endpoint that does not take it.
    return done(mixpanelAnswer(action, { code: 404, message: `cohort ${report.cohortId} is not synced to this endpoint` }));
  }
  const cohort = host.cohort(report.cohortId);
  // Resolves only once the page and its outbox entries are durably stored.
  try {
    await applyPage(cohort, report, forwarding, bytes);
  } catch (error) {
    console.error("cohort-sync: storing the page failed", error?.stack ?? error);
    return done(mixpanelAnswer(action, { code: 503, message: "the webhook could not store this page; it will be retried" }));
  }
  return done(mixpanelAnswer(action, null));
}

/**
 * Counts a refused page in its cohort's sync history, when the body said which cohort and
 * session it belongs to. Best effort: the answer is 400 whatever happens here.
 */
async function countRefusal(env, host, report, message) {
  const { cohortId, sessionId, action } = report;
  if (typeof cohortId !== "string" || cohortId === "" || typeof sessionId !== "string" || sessionId === "") return;
  const accepted = String(env.ACCEPT_COHORTS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (accepted.length > 0 && !accepted.includes(cohortId)) return;
  try {
    await host.cohort(cohortId).refused(sessionId, typeof action === "string" ? action.slice(0, 64) : "(none)", message);
  } catch (error) {
    console.error("cohort-sync: counting a refused page failed", error?.stack ?? error);
  }
}

function applyPage(cohort, report, forwarding, bytes) {
  return cohort.apply({
    action: report.action,
    projectId: report.projectId,
    cohortId: report.cohortId,
    cohortName: report.cohortName,
    sessionId: report.sessionId,
    page: report.page,
    fingerprint: report.fingerprint,
    ids: report.ids,
    ...(forwarding ? { body: bytes, memberSpans: report.memberSpans } : {}),
  });
}

/** Stops reading a request body that will not be used (ignoring a body already read or gone). */
async function discard(request) {
  try {
    await request.body?.cancel();
  } catch {
    // Already consumed or errored: nothing left to stop.
  }
}

async function read(url, [, rawCohort, rawMember], host) {
  const cohortId = decode(rawCohort);
  const memberId = rawMember === undefined ? undefined : decode(rawMember);
  if (cohortId === null || memberId === null) return json(400, { error: { message: "bad percent-encoding in the path", code: 400 } });
  const cohort = host.cohort(cohortId);
  const info = await cohort.info();
  if (info === null) return json(404, { error: { message: `no cohort ${cohortId} has been synced here`, code: 404 } });
  if (memberId !== undefined) {
    const found = await cohort.lookup(memberId);
    return json(found.member ? 200 : 404, found);
  }
  if (url.pathname.replace(/\/$/, "").endsWith("/members")) {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return json(400, { error: { message: "limit must be a whole number from 1 to 1000", code: 400 } });
    }
    const page = await cohort.list(limit, url.searchParams.get("cursor"));
    if (page === null) return json(400, { error: { message: "cursor is not one this API gave out", code: 400 } });
    return json(200, page);
  }
  return json(200, { cohortId, ...info });
}

/**
 * The operators' routes (dead letters, the streamed membership, forgetting a cohort):
 * `{ run(url, host) }`, `{ allow }` for a known path asked with another method, or null.
 */
function operatorRoute(path, method) {
  const dead = /^\/(?:cohorts\/([^/]+)|profiles)\/dead-letters(\/redrive)?\/?$/.exec(path);
  if (dead) {
    const [, rawCohort, redrive] = dead;
    const holder = (host) => (rawCohort === undefined ? host.profiles() : cohortHandle(host, rawCohort));
    if (redrive) return method === "POST" ? { run: (url, host) => deadLetters(url, holder(host), "redrive") } : { allow: "POST" };
    if (method === "GET") return { run: (url, host) => deadLetters(url, holder(host), "list") };
    if (method === "DELETE") return { run: (url, host) => deadLetters(url, holder(host), "drop") };
    return { allow: "GET, DELETE" };
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

const cohortHandle = (host, rawCohort) => {
  const cohortId = decode(rawCohort);
  return cohortId === null ? null : host.cohort(cohortId);
};
const badPath = () => json(400, { error: { message: "bad percent-encoding in the path", code: 400 } });

/** `?ids=1,2,3` (dead letter ids), or null for all of them; `undefined` when malformed. */
function idsParam(url) {
  const text = url.searchParams.get("ids");
  if (text === null) return null;
  const ids = text.split(",").map((part) => Number(part.trim()));
  return ids.length > 0 && ids.every((id) => Number.isSafeInteger(id) && id > 0) ? ids : undefined;
}

async function deadLetters(url, object, what) {
  if (object === null) return badPath();
  if (what === "list") {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return json(400, { error: { message: "limit must be a whole number from 1 to 1000", code: 400 } });
    }
    return json(200, { deadLetters: await object.deadLetters(limit) });
  }
  const ids = idsParam(url);
  if (ids === undefined) return json(400, { error: { message: "ids must be a comma-separated list of dead letter ids", code: 400 } });
  if (what === "redrive") return json(200, { redriven: await object.redriveDeadLetters(ids) });
  return json(200, { dropped: await object.dropDeadLetters(ids) });
}

/**
 * The whole membership as NDJSON (one JSON string per line, in id order), read from the
 * cohort's object 1000 ids at a time as the client reads: a 10M-member cohort is never
 * held in memory.
 */
async function membersNdjson(host, rawCohort) {
  const cohort = await syncedCohort(host, rawCohort);
  if (cohort instanceof Response) return cohort;
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
 * object (asked in parallel; a cohort forgotten since is left out).
 */
async function everyCohort(host) {
  const registry = host.registry();
  const known = await registry.list();
  // Each object applies its page log first, telling the registry of syncs completed by
  // it; the list is read again for those.
  const live = await Promise.all(known.map((entry) => host.cohort(entry.cohortId).info()));
  const latest = new Map((await registry.list()).map((entry) => [entry.cohortId, entry]));
  const listed = known.map((entry) => latest.get(entry.cohortId) ?? entry);
  const cohorts = listed.flatMap((entry, i) => {
    const info = live[i];
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
      firstSeenAt: entry.firstSeenAt,
    }];
  });
  return json(200, { cohorts });
}

async function syncHistory(url, host, rawCohort) {
  const cohort = cohortHandle(host, rawCohort);
  if (cohort === null) return badPath();
  const limitText = url.searchParams.get("limit");
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    return json(400, { error: { message: "limit must be a whole number from 1 to 200", code: 400 } });
  }
  const syncs = await cohort.syncs(limit);
  if (syncs.length === 0 && (await cohort.info()) === null) {
    return json(404, { error: { message: `no cohort ${decode(rawCohort)} has been synced here`, code: 404 } });
  }
  return json(200, { syncs });
}

/** The object of a cohort synced here, or the answer saying why not (400 or 404). */
async function syncedCohort(host, rawCohort) {
  const cohort = cohortHandle(host, rawCohort);
  if (cohort === null) return badPath();
  if ((await cohort.info()) === null) return json(404, { error: { message: `no cohort ${decode(rawCohort)} has been synced here`, code: 404 } });
  return cohort;
}

async function forget(host, rawCohort) {
  const cohort = await syncedCohort(host, rawCohort);
  if (cohort instanceof Response) return cohort;
  await cohort.forget();
  return json(200, { forgotten: decode(rawCohort) });
}

/** Mixpanel's answer shape, from the package (`error` only on failure). */
function mixpanelAnswer(action, error, extraHeaders = {}) {
  const { status, headers, body } = webhookResponse(action, error);
  return new Response(body, { status, headers: { ...headers, ...extraHeaders } });
}

function json(status, value, extraHeaders = {}) {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...extraHeaders } });
}

const challenge = () => ({ "www-authenticate": 'Basic realm="cohort-sync", charset="UTF-8"' });

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function positiveInt(text, fallback) {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
