// Sending mapped records to Mixpanel within its limits, as its docs advise
// (docs/domain.md, "Mixpanel's ingestion limits"):
// - events go to /import (service account, `project_id`, gzip, `strict=1`), at most
//   2000 and 10 MB a request; user updates to /engage (2000 a request), group updates
//   to /groups (200 by default: Mixpanel's pages disagree, so it can be changed);
// - 429, 502 and 503 (and a connection that fails) are tried again after a wait that
//   starts at 2 s and doubles to 60 s, plus 1–5 s of jitter, or after `Retry-After`
//   when the answer has one; past the retry budget the batch is `pending` (the next run
//   sends it again);
// - a 400 is never tried again: /import's `failed_records` say which events were
//   refused (by `index`; their `$insert_id` under either spelling) and the others were
//   ingested;
// - 401 and 403 stop the whole load (AuthError): nothing more is sent or marked.
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";

const gzipAsync = promisify(gzipCallback);
// Level 3: 600 KB of events (one full request) took 5.8 ms here against 12.6 ms at the
// default level 6, for a body 12% larger (0.164 of the text against 0.146); level 1 was
// no faster and larger. Compressed on libuv's threads, beside the reading and mapping.
const gzip = (text) => gzipAsync(text, { level: 3 });

/** Mixpanel's ingestion hosts by region. */
export const REGIONS = { us: "https://api.mixpanel.com", eu: "https://api-eu.mixpanel.com", in: "https://api-in.mixpanel.com" };

/** Per request: events by count and uncompressed bytes; profiles by count. */
export const LIMITS = { events: { count: 2000, bytes: 10_000_000 }, users: { count: 2000 }, groups: { count: 200 } };

/** Mixpanel's advice for 429/502/503: from 2 s, doubling to 60 s, plus 1–5 s of jitter. */
export const DEFAULT_RETRY = { baseMs: 2000, maxMs: 60_000, jitterMs: [1000, 5000], attempts: 8 };

/** Credentials refused (401/403): the load stops at once, with nothing marked as sent. */
export class AuthError extends Error {
  constructor(status, text) {
    super(`Mixpanel refused the credentials (HTTP ${status}): ${text.slice(0, 200)}. Check MIXPANEL_SERVICE_ACCOUNT, MIXPANEL_SERVICE_SECRET, MIXPANEL_PROJECT_ID and MIXPANEL_TOKEN.`);
    this.name = "AuthError";
    this.code = "auth_refused";
    this.status = status;
  }
}

/** The most records, and (events) bytes, one request of `object` takes. */
export function requestLimit(object, { groupsPerRequest } = {}) {
  return object === "groups" && groupsPerRequest ? { count: groupsPerRequest } : LIMITS[object];
}

/**
 * Whether a request of `count` records of `bytes` bytes (each record's length + 1) is
 * full before one of `size` more: the one rule of where a request is cut.
 */
export function requestFull(limit, count, bytes, size) {
  return count >= limit.count || (limit.bytes !== undefined && count > 0 && bytes + size > limit.bytes);
}

/**
 * Cuts `records` (JSON texts, in order) into requests within the object's limits:
 * `[{ start, end }]` index ranges. `groupsPerRequest` overrides the groups' 200.
 */
export function batchRanges(object, records, options = {}) {
  const limit = requestLimit(object, options);
  const ranges = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = records[i].length + 1;
    if (requestFull(limit, i - start, bytes, size)) {
      ranges.push({ start, end: i });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) ranges.push({ start, end: records.length });
  return ranges;
}

/**
 * A sender for `object`. `send(records)` (or `sendBody(count, bytes)`) resolves to `{ sent: number[], refused:
 * [{ index, message, field }], pending: { reason } | null, attempts }` over the indexes
 * of `records` (one request's worth, from batchRanges), or rejects with AuthError.
 * `onAttempt({ status, ms, attempt, waitMs })` hears of each request (progress, tests).
 */
export function createSender({ object, api, projectId, serviceAccount, retry = {}, fetch = globalThis.fetch, onAttempt = () => {}, sleep = defaultSleep, random = Math.random }) {
  const policy = { ...DEFAULT_RETRY, ...retry };
  const base = api.replace(/\/+$/, "");
  const url =
    object === "events"
      ? `${base}/import?strict=1&project_id=${encodeURIComponent(projectId)}`
      : `${base}/${object === "users" ? "engage" : "groups"}?verbose=1`;
  const headers = object === "events" ? { authorization: `Basic ${Buffer.from(`${serviceAccount.user}:${serviceAccount.secret}`).toString("base64")}` } : {};

  // `bytes`: NDJSON for events, a JSON array for profiles (prepare.js, requestBody).
  async function body(bytes) {
    if (object === "events") return { body: await gzip(bytes), headers: { ...headers, "content-type": "application/x-ndjson", "content-encoding": "gzip" } };
    return { body: bytes, headers: { "content-type": "application/json" } };
  }

  const sender = {
    url,
    /** One request of `records` (JSON texts). */
    send(records) {
      const text = object === "events" ? records.join("\n") : `[${records.join(",")}]`;
      return sender.sendBody(records.length, Buffer.from(text));
    },
    /** One request of `count` records already written as its body's bytes. */
    async sendBody(count, bytes) {
      const request = await body(bytes);
      const all = Array.from({ length: count }, (_, i) => i);
      for (let attempt = 1; ; attempt++) {
        const started = Date.now();
        let status = null;
        let text = "";
        let retryAfter = null;
        try {
          const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
          status = response.status;
          retryAfter = response.headers.get("retry-after");
          text = await response.text();
        } catch (error) {
          text = `the request failed: ${error?.cause?.code ?? error?.message ?? error}`;
        }
        const ms = Date.now() - started;
        if (status === 401 || status === 403) {
          onAttempt({ status, ms, attempt, waitMs: null });
          throw new AuthError(status, text);
        }
        if (status !== null && status >= 200 && status < 300) {
          onAttempt({ status, ms, attempt, waitMs: null });
          return { ...answered(object, text, all), attempts: attempt };
        }
        if (status === 400 || status === 413 || (status !== null && status >= 400 && status < 500 && status !== 429 && status !== 408)) {
          onAttempt({ status, ms, attempt, waitMs: null });
          return { ...refusedBatch(object, status, text, all), attempts: attempt };
        }
        // 429, 408, 5xx, or no answer at all: tried again, unless the budget is spent.
        if (attempt >= policy.attempts) {
          onAttempt({ status, ms, attempt, waitMs: null });
          return { sent: [], refused: [], pending: { reason: status === null ? text : `HTTP ${status}: ${text.slice(0, 200)}` }, attempts: attempt };
        }
        const waitMs = waitBefore(attempt, retryAfter, policy, random);
        onAttempt({ status, ms, attempt, waitMs });
        await sleep(waitMs);
      }
    },
  };
  return sender;
}

/**
 * The wait before try `attempt + 1` (ms): `Retry-After` (seconds, or an HTTP date) when
 * the answer gave one, else the doubling backoff with its jitter.
 */
export function waitBefore(attempt, retryAfter, policy = DEFAULT_RETRY, random = Math.random) {
  if (retryAfter !== null && retryAfter !== undefined && retryAfter !== "") {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.maxMs * 10);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.min(Math.max(0, at - Date.now()), policy.maxMs * 10);
  }
  const [low, high] = policy.jitterMs;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)) + low + random() * (high - low);
}

/** A 2xx: /import's count, or /engage's and /groups' verbose `{ status, error }`. */
function answered(object, text, all) {
  if (object === "events") return { sent: all, refused: [], pending: null };
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // `1` or `0` without verbose: a number, read below.
  }
  const ok = parsed !== null && typeof parsed === "object" ? parsed.status === 1 : String(text).trim() === "1";
  if (ok) return { sent: all, refused: [], pending: null };
  // Every update of the request was invalid (Mixpanel says 0 only then).
  const message = (parsed && typeof parsed.error === "string" && parsed.error) || "Mixpanel took none of these updates";
  return { sent: [], refused: all.map((index) => ({ index, field: null, message })), pending: null };
}

/**
 * A 4xx other than 401/403/408/429: never tried again. /import's `failed_records` name
 * the refused events; the others of the request were ingested.
 */
function refusedBatch(object, status, text, all) {
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the whole request is refused, with the text as the reason.
  }
  const failed = Array.isArray(parsed?.failed_records) ? parsed.failed_records : null;
  if (object === "events" && status === 400 && failed !== null && failed.length > 0) {
    const refused = new Map();
    for (const record of failed) {
      if (!Number.isInteger(record?.index) || record.index < 0 || record.index >= all.length) continue;
      refused.set(record.index, { index: record.index, field: record.field ?? null, message: String(record.message ?? "refused by Mixpanel"), insertId: record.$insert_id ?? record.insert_id ?? null });
    }
    return { sent: all.filter((i) => !refused.has(i)), refused: [...refused.values()], pending: null };
  }
  const message = `HTTP ${status}: ${(parsed && (parsed.error ?? parsed.message)) || String(text).slice(0, 200)}`;
  return { sent: [], refused: all.map((index) => ({ index, field: null, message })), pending: null };
}

function defaultSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
