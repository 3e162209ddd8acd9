// A Mixpanel ingestion stand-in for the loader's tests: /import (events), /engage (user
// profiles) and /groups (group profiles) answering as Mixpanel documents them, with an
// in-memory store to check what landed, failures and latency on demand, and a log of
// every request so tests can check batch sizes and backoff timing.
// Node builtins only; it listens on 127.0.0.1 and nowhere else.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";

const gunzip = promisify(zlib.gunzip);
const run = promisify(execFile);

/**
 * Mixpanel's documented limits. Byte limits are decimal (10 MB = 10,000,000 bytes): the
 * stricter reading, so a loader that passes here also passes against Mixpanel.
 */
export const LIMITS = Object.freeze({
  importEvents: 2000,
  importBytes: 10_000_000, // uncompressed, per request
  eventBytes: 1_000_000, // an event must be under this
  properties: 255, // an event must have fewer
  listItems: 255, // a list property must have fewer
  objectKeys: 255, // an object property must have fewer
  stringChars: 255, // longer strings are truncated (a warning at Mixpanel, not an error)
  insertIdChars: 36,
  engageUpdates: 2000,
  groupsUpdates: 200,
  updateBytes: 1_000_000, // a profile update may be at most this
});

/** Values Mixpanel refuses as distinct_id or $insert_id (compared case-insensitively). */
export const PLACEHOLDERS = Object.freeze([
  "00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null", "n/a", "na",
  "undefined", "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}",
]);
const PLACEHOLDER_SET = new Set(PLACEHOLDERS);

export const RATE_LIMITED = Object.freeze({
  code: 429,
  error: "Project exceeded rate limits. Please retry the request with exponential backoff.",
  status: "Too Many Requests",
});
const UNAUTHORIZED = { code: 401, error: "Invalid credentials", status: "Unauthorized" };

const EARLIEST_MS = Date.UTC(1971, 0, 1);
const HOUR_MS = 3_600_000;
// A time at or above this is read as milliseconds: as seconds it would be the year 5138.
const MS_THRESHOLD = 1e11;
// Bodies larger than this are not kept in memory at all (a runaway client, not a test).
const READ_CAP = 64 * 1024 * 1024;
const INSERT_ID = /^[A-Za-z0-9-]{1,36}$/;

const USER_OPERATIONS = ["$set", "$set_once", "$add", "$union", "$append", "$remove", "$unset", "$delete"];
// Mixpanel's group batch reference lists no $append for group profiles.
const GROUP_OPERATIONS = USER_OPERATIONS.filter((op) => op !== "$append");

/**
 * Starts the stand-in.
 * options: { projectId, token, serviceAccount: { user, secret }, delayMs = 0, tls = false,
 *   parse = true, port = 0, now = Date.now, failedRecordKey = "$insert_id" }
 * `now` pins the clock used for the "not more than 1 hour in the future" rule;
 * `failedRecordKey` is "$insert_id" or "insert_id" (Mixpanel's OpenAPI spells it without
 * the dollar), so a loader can be tested against both spellings.
 */
export async function startMixpanelStandin(options = {}) {
  const { projectId, token, serviceAccount, tls = false, parse = true, port = 0, now = Date.now, failedRecordKey = "$insert_id" } = options;
  if (projectId === undefined || projectId === null || projectId === "") throw new TypeError("startMixpanelStandin: projectId is required");
  if (typeof token !== "string" || token === "") throw new TypeError("startMixpanelStandin: token is required");
  if (typeof serviceAccount?.user !== "string" || typeof serviceAccount?.secret !== "string") {
    throw new TypeError("startMixpanelStandin: serviceAccount { user, secret } is required");
  }
  if (failedRecordKey !== "$insert_id" && failedRecordKey !== "insert_id") throw new TypeError('failedRecordKey is "$insert_id" or "insert_id"');

  const state = {
    delayMs: checkDelay(options.delayMs ?? 0),
    events: [],
    eventKeys: new Set(),
    profiles: new Map(),
    groups: new Map(),
    requests: [],
    // Records and updates refused one by one: { path, index, reason, record }.
    rejected: [],
    // Totals for benches: every request and every body byte received.
    totals: { requests: 0, bytes: 0 },
    failures: [],
  };
  const sleepers = new Set();
  let closed = false;

  const config = { projectId: String(projectId), token, serviceAccount, parse, now, failedRecordKey };
  const handler = (req, res) => {
    handle(req, res).catch((error) => {
      // A bug in the stand-in must fail the test loudly, not hang it.
      if (!res.headersSent) send(res, 500, "text/plain", `stand-in error: ${error?.stack ?? error}`);
      else res.destroy();
    });
  };

  async function handle(req, res) {
    const url = new URL(req.url, "http://127.0.0.1");
    const encoding = (req.headers["content-encoding"] ?? "").trim().toLowerCase();
    const entry = {
      method: req.method,
      path: url.pathname,
      query: url.search,
      status: null,
      at: clock(),
      answeredAt: null,
      count: null,
      bytes: 0,
      uncompressedBytes: null,
      gzip: encoding === "gzip",
      contentType: req.headers["content-type"] ?? null,
      dropped: false,
      aborted: false,
    };
    state.requests.push(entry);

    // The body is always read in full before answering, so a client never sees a reset
    // while it is still sending (unless a drop was asked for).
    let body;
    try {
      body = await readBody(req);
    } catch {
      // The client went away mid-body; nothing to answer.
      entry.aborted = true;
      return;
    }
    entry.bytes = body.bytes;
    state.totals.requests += 1;
    state.totals.bytes += body.bytes;

    const failure = takeFailure(state.failures, entry.path);
    let answer;
    if (failure) {
      if (parse && body.buffer) await peekCount(entry, body.buffer, req.headers);
      answer = failureAnswer(failure.spec);
    } else if (req.method !== "POST") {
      answer = jsonAnswer(405, { code: 405, error: "use POST", status: "Method Not Allowed" });
    } else if (entry.path === "/import") {
      answer = await importRoute(config, state, entry, url, req.headers, body);
    } else if (entry.path === "/engage" || entry.path === "/groups") {
      answer = await profileRoute(config, state, entry, url, req.headers, body);
    } else {
      answer = jsonAnswer(404, { code: 404, error: `no route ${entry.path}`, status: "Not Found" });
    }

    if (state.delayMs > 0) {
      await new Promise((resolve) => {
        const sleeper = { resolve, timer: setTimeout(() => (sleepers.delete(sleeper), resolve()), state.delayMs) };
        sleepers.add(sleeper);
      });
    }
    if (closed) {
      res.destroy();
      return;
    }
    entry.answeredAt = clock();
    if (answer.drop) {
      entry.dropped = true;
      req.socket.destroy();
      return;
    }
    entry.status = answer.status;
    send(res, answer.status, answer.type, answer.body, answer.headers);
  }

  const credentials = tls ? await selfSignedCertificate() : null;
  const server = tls ? https.createServer(credentials, handler) : http.createServer(handler);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = server.address().port;

  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${actualPort}`,
    port: actualPort,
    /** The self-signed certificate (PEM) in TLS mode, to trust it as a CA; null otherwise. */
    cert: credentials ? credentials.cert.toString("utf8") : null,
    state,
    requests: state.requests,
    /** Stored events, deduplicated, in arrival order. */
    events: () => state.events.slice(),
    /** distinct_id → properties. */
    profiles: () => new Map(state.profiles),
    /** `${group_key}\u0000${group_id}` → properties. */
    groups: () => new Map(state.groups),
    /**
     * The next n requests (only those to spec.path when given) fail with spec:
     * { status: 429, retryAfter? } (Mixpanel's rate-limit body), { status: 500|502|503 },
     * or { drop: true } (the socket is destroyed after the body is read, no answer).
     */
    failNext(n, spec) {
      if (!Number.isInteger(n) || n < 1) throw new TypeError("failNext: n is a positive integer");
      if (!spec || (spec.drop !== true && !(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599))) {
        throw new TypeError("failNext: spec is { status: 4xx|5xx, retryAfter?, path? } or { drop: true, path? }");
      }
      state.failures.push({ remaining: n, spec: { ...spec } });
    },
    setDelay(ms) {
      state.delayMs = checkDelay(ms);
    },
    /** Back to the state at start: stores, logs, pending failures and delay. */
    reset() {
      state.events.length = 0;
      state.eventKeys.clear();
      state.profiles.clear();
      state.groups.clear();
      state.requests.length = 0;
      state.rejected.length = 0;
      state.failures.length = 0;
      state.totals.requests = 0;
      state.totals.bytes = 0;
      state.delayMs = checkDelay(options.delayMs ?? 0);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Requests waiting out a delay are released and their sockets destroyed.
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.resolve();
      }
      sleepers.clear();
      const done = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

// ---------------------------------------------------------------------------- /import

async function importRoute(config, state, entry, url, headers, body) {
  if (!authorized(config, headers, url)) return jsonAnswer(401, UNAUTHORIZED);
  if (!config.parse) return benchImport(entry, headers, body);
  if (!body.buffer) return tooLarge(body.bytes);

  const decoded = await decodeImport(body.buffer, headers);
  entry.uncompressedBytes = decoded.uncompressedBytes ?? null;
  if (decoded.error) return decoded.error;
  const records = decoded.records;
  entry.count = records.length;
  if (records.length > LIMITS.importEvents) {
    return badRequest(`request contains ${records.length} events; at most ${LIMITS.importEvents} are accepted per request`);
  }

  // Absent strict means strict (Mixpanel's reference gives 1 as the default).
  const strict = url.searchParams.get("strict") !== "0";
  const nowMs = config.now();
  const failed = [];
  let imported = 0;
  records.forEach((record, index) => {
    const problem = checkEvent(record, nowMs);
    if (problem) {
      failed.push({ index, [config.failedRecordKey]: insertIdOf(record), field: problem.field, message: problem.message });
      state.rejected.push({ path: "/import", index, reason: problem.message, record });
      return;
    }
    imported += 1;
    storeEvent(state, record);
  });
  if (failed.length > 0 && strict) {
    return jsonAnswer(400, {
      code: 400,
      error: "some data points in the request failed validation",
      num_records_imported: imported,
      status: "Bad Request",
      failed_records: failed,
    });
  }
  return jsonAnswer(200, { code: 200, num_records_imported: imported, status: "OK" });
}

/** Bench mode: no parsing; the count comes from a byte scan for the $insert_id key. */
async function benchImport(entry, headers, body) {
  let raw = body.buffer;
  if (raw && entry.gzip) {
    try {
      raw = await gunzip(raw);
    } catch {
      raw = null;
    }
  }
  const count = raw ? countOccurrences(raw, Buffer.from('"$insert_id"')) : 0;
  entry.count = count;
  entry.uncompressedBytes = raw ? raw.length : null;
  return jsonAnswer(200, { code: 200, num_records_imported: count, status: "OK" });
}

async function decodeImport(buffer, headers) {
  const encoding = (headers["content-encoding"] ?? "identity").trim().toLowerCase();
  let raw = buffer;
  if (encoding === "gzip") {
    try {
      // The cap guards against a small body that inflates past the limit.
      raw = await gunzip(buffer, { maxOutputLength: LIMITS.importBytes + 1 });
    } catch (error) {
      if (error?.code === "ERR_BUFFER_TOO_LARGE") return { error: tooLarge(LIMITS.importBytes + 1) };
      return { error: badRequest(`body is not valid gzip: ${error.message}`) };
    }
  } else if (encoding !== "identity" && encoding !== "") {
    return { error: badRequest(`unsupported Content-Encoding ${encoding}; gzip is accepted`) };
  }
  if (raw.length > LIMITS.importBytes) return { uncompressedBytes: raw.length, error: tooLarge(raw.length) };

  const type = mediaType(headers);
  const text = raw.toString("utf8");
  const uncompressedBytes = raw.length;
  if (type === "application/x-ndjson") {
    const records = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === "") continue;
      try {
        records.push(JSON.parse(lines[i]));
      } catch (error) {
        return { uncompressedBytes, error: badRequest(`line ${i + 1} is not valid JSON: ${error.message}`) };
      }
    }
    return { uncompressedBytes, records };
  }
  if (type !== "application/json" && type !== "") {
    return { uncompressedBytes, error: badRequest(`unsupported Content-Type ${type}; use application/json or application/x-ndjson`) };
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { uncompressedBytes, error: badRequest(`body is not valid JSON: ${error.message}`) };
  }
  if (isPlainObject(parsed)) parsed = [parsed];
  if (!Array.isArray(parsed)) return { uncompressedBytes, error: badRequest("body must be a JSON array of events") };
  return { uncompressedBytes, records: parsed };
}

/** The first rule an event breaks, as { field, message }, or null. */
function checkEvent(record, nowMs) {
  if (!isPlainObject(record)) return { field: "", message: "each record must be a JSON object" };
  if (typeof record.event !== "string" || record.event === "") {
    return { field: "event", message: "'event' must be a non-empty string" };
  }
  const p = record.properties;
  if (!isPlainObject(p)) return { field: "properties", message: "'properties' must be an object" };

  if (typeof p.time !== "number" || !Number.isFinite(p.time)) {
    return { field: "properties.time", message: "'properties.time' is invalid: must be a number of seconds or milliseconds since epoch" };
  }
  const ms = timeMs(p.time);
  if (ms < EARLIEST_MS) return { field: "properties.time", message: "'properties.time' is invalid: before 1971-01-01" };
  if (ms > nowMs + HOUR_MS) return { field: "properties.time", message: "'properties.time' is invalid: more than 1 hour in the future" };

  if (!("distinct_id" in p)) return { field: "properties.distinct_id", message: "'properties.distinct_id' is required (use \"\" for an event tied to no user)" };
  if (typeof p.distinct_id !== "string") return { field: "properties.distinct_id", message: "'properties.distinct_id' must be a string" };
  if (isPlaceholder(p.distinct_id)) {
    return { field: "properties.distinct_id", message: `'properties.distinct_id' is invalid: ${JSON.stringify(p.distinct_id)} is a placeholder value` };
  }

  const insertId = p.$insert_id;
  if (insertId === undefined) return { field: "properties.$insert_id", message: "'properties.$insert_id' is required" };
  if (typeof insertId !== "string" || !INSERT_ID.test(insertId)) {
    return { field: "properties.$insert_id", message: `'properties.$insert_id' is invalid: must be 1 to ${LIMITS.insertIdChars} characters of [A-Za-z0-9-]` };
  }
  if (isPlaceholder(insertId)) {
    return { field: "properties.$insert_id", message: `'properties.$insert_id' is invalid: ${JSON.stringify(insertId)} is a placeholder value` };
  }

  const keys = Object.keys(p);
  if (keys.length >= LIMITS.properties) {
    return { field: "properties", message: `an event must have fewer than ${LIMITS.properties} properties; this one has ${keys.length}` };
  }
  for (const key of keys) {
    const value = p[key];
    if (Array.isArray(value) && value.length >= LIMITS.listItems) {
      return { field: `properties.${key}`, message: `a list property must have fewer than ${LIMITS.listItems} items; this one has ${value.length}` };
    }
    if (isPlainObject(value) && Object.keys(value).length >= LIMITS.objectKeys) {
      return { field: `properties.${key}`, message: `an object property must have fewer than ${LIMITS.objectKeys} keys` };
    }
  }
  const size = Buffer.byteLength(JSON.stringify(record));
  if (size >= LIMITS.eventBytes) {
    return { field: "properties", message: `an event must be under ${LIMITS.eventBytes} bytes; this one is ${size}` };
  }
  return null;
}

/** Stores a valid event unless an identical one is stored already (it still counts as imported). */
function storeEvent(state, record) {
  const p = record.properties;
  // Seconds and milliseconds for the same instant are the same event: Mixpanel keeps ms.
  const key = JSON.stringify([record.event, timeMs(p.time), p.distinct_id, p.$insert_id]);
  if (state.eventKeys.has(key)) return;
  state.eventKeys.add(key);
  const properties = {};
  for (const [name, value] of Object.entries(p)) {
    properties[name] = typeof value === "string" && name !== "distinct_id" ? truncate(value) : value;
  }
  state.events.push({ event: record.event, properties });
}

// ---------------------------------------------------------------------- /engage, /groups

async function profileRoute(config, state, entry, url, headers, body) {
  const groups = entry.path === "/groups";
  if (!config.parse) return profileAnswer(200, url.searchParams.get("verbose") === "1", 1, null);
  if (!body.buffer) return tooLarge(body.bytes);

  const decoded = decodeUpdates(body.buffer, headers);
  const verbose = url.searchParams.get("verbose") === "1" || decoded.verbose === true;
  if (decoded.error) return profileAnswer(400, verbose, 0, decoded.error);
  const updates = decoded.updates;
  entry.uncompressedBytes = body.buffer.length;
  entry.count = updates.length;
  const limit = groups ? LIMITS.groupsUpdates : LIMITS.engageUpdates;
  if (updates.length > limit) {
    return profileAnswer(400, verbose, 0, `request contains ${updates.length} updates; at most ${limit} are accepted per request on ${entry.path}`);
  }

  let valid = 0;
  let firstError = null;
  updates.forEach((update, index) => {
    const reason = checkUpdate(update, groups, config.token);
    if (reason) {
      firstError ??= `update ${index}: ${reason}`;
      state.rejected.push({ path: entry.path, index, reason, record: update });
      return;
    }
    valid += 1;
    const key = groups ? `${update.$group_key}\u0000${update.$group_id}` : String(update.$distinct_id);
    const op = operationsOf(update, groups)[0];
    applyOperation(groups ? state.groups : state.profiles, key, op, update[op]);
  });
  // Mixpanel answers 200 even when some updates are invalid: 1 if any was applied.
  if (valid > 0) return profileAnswer(200, verbose, 1, null);
  return profileAnswer(200, verbose, 0, firstError ?? "no updates in the request");
}

function decodeUpdates(buffer, headers) {
  const encoding = (headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "") {
    return { error: `Content-Encoding ${encoding} is not supported on /engage and /groups` };
  }
  const text = buffer.toString("utf8");
  const type = mediaType(headers);
  let json = text;
  let verbose = false;
  if (type === "application/x-www-form-urlencoded" || (type === "" && text.startsWith("data="))) {
    const form = new URLSearchParams(text);
    verbose = form.get("verbose") === "1";
    json = form.get("data");
    if (json === null) return { verbose, error: "missing data parameter" };
  } else if (type !== "application/json" && type !== "") {
    return { error: `unsupported Content-Type ${type}` };
  }
  let parsed;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { verbose, error: `data is not valid JSON: ${error.message}` };
  }
  if (isPlainObject(parsed)) parsed = [parsed];
  if (!Array.isArray(parsed)) return { verbose, error: "data must be a JSON array of updates" };
  return { verbose, updates: parsed };
}

/** Why an update is refused, or null. */
function checkUpdate(update, groups, token) {
  if (!isPlainObject(update)) return "each update must be a JSON object";
  if (update.$token !== token) return "$token is missing or is not this project's token";
  if (groups) {
    if (typeof update.$group_key !== "string" || update.$group_key === "") return "$group_key must be a non-empty string";
    if (!isId(update.$group_id)) return "$group_id must be a non-empty string or a number";
  } else if (!isId(update.$distinct_id)) {
    return "$distinct_id must be a non-empty string or a number";
  }
  const allowed = groups ? GROUP_OPERATIONS : USER_OPERATIONS;
  const ops = operationsOf(update, groups);
  const foreign = Object.keys(update).filter((k) => USER_OPERATIONS.includes(k) && !allowed.includes(k));
  if (foreign.length > 0) return `${foreign[0]} is not an operation on group profiles`;
  if (ops.length === 0) return `no operation: one of ${allowed.join(", ")} is needed`;
  if (ops.length > 1) return `one operation per update, this one has ${ops.join(", ")}`;
  const op = ops[0];
  const value = update[op];
  switch (op) {
    case "$unset":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return "$unset takes a list of property names";
      break;
    case "$delete":
      break;
    case "$add":
      if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === "number" && Number.isFinite(v))) return "$add takes an object of numbers";
      break;
    case "$union":
      if (!isPlainObject(value) || !Object.values(value).every(Array.isArray)) return "$union takes an object of lists";
      break;
    default:
      if (!isPlainObject(value)) return `${op} takes an object`;
  }
  const size = Buffer.byteLength(JSON.stringify(update));
  if (size > LIMITS.updateBytes) return `an update may be at most ${LIMITS.updateBytes} bytes; this one is ${size}`;
  return null;
}

function operationsOf(update, groups) {
  return Object.keys(update).filter((k) => (groups ? GROUP_OPERATIONS : USER_OPERATIONS).includes(k));
}

function applyOperation(store, key, op, value) {
  let props = store.get(key);
  if (op === "$delete") {
    store.delete(key);
    return;
  }
  // These two change existing profiles only; they never create one.
  if (op === "$unset" || op === "$remove") {
    if (!props) return;
    if (op === "$unset") for (const name of value) delete props[name];
    else {
      for (const [name, item] of Object.entries(value)) {
        if (Array.isArray(props[name])) props[name] = props[name].filter((x) => !sameValue(x, item));
      }
    }
    return;
  }
  if (!props) {
    props = {};
    store.set(key, props);
  }
  for (const [name, item] of Object.entries(value)) {
    switch (op) {
      case "$set":
        props[name] = item;
        break;
      case "$set_once":
        if (!(name in props)) props[name] = item;
        break;
      case "$add":
        props[name] = (typeof props[name] === "number" ? props[name] : 0) + item;
        break;
      case "$union": {
        const list = Array.isArray(props[name]) ? props[name] : [];
        for (const x of item) if (!list.some((y) => sameValue(x, y))) list.push(x);
        props[name] = list;
        break;
      }
      case "$append":
        props[name] = [...(Array.isArray(props[name]) ? props[name] : []), item];
        break;
    }
  }
}

function profileAnswer(status, verbose, ok, error) {
  if (verbose) return jsonAnswer(status, { status: ok, error });
  return { status, type: "text/plain; charset=utf-8", body: String(ok) };
}

// ------------------------------------------------------------------------------ helpers

function authorized(config, headers, url) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.authorization ?? "");
  if (!m) return false;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return false;
  return (
    text.slice(0, colon) === config.serviceAccount.user &&
    text.slice(colon + 1) === config.serviceAccount.secret &&
    url.searchParams.get("project_id") === config.projectId
  );
}

function takeFailure(failures, path) {
  const i = failures.findIndex((f) => f.spec.path === undefined || f.spec.path === path);
  if (i < 0) return null;
  const failure = failures[i];
  failure.remaining -= 1;
  if (failure.remaining === 0) failures.splice(i, 1);
  return failure;
}

function failureAnswer(spec) {
  if (spec.drop) return { drop: true };
  const headers = spec.retryAfter === undefined ? {} : { "retry-after": String(spec.retryAfter) };
  if (spec.status === 429) return jsonAnswer(429, RATE_LIMITED, headers);
  const text = http.STATUS_CODES[spec.status] ?? "Error";
  return jsonAnswer(spec.status, { code: spec.status, error: text, status: text }, headers);
}

/** Fills in a failed request's record count so tests can see what a retry resent. */
async function peekCount(entry, buffer, headers) {
  if (entry.path === "/import") {
    const decoded = await decodeImport(buffer, headers);
    entry.uncompressedBytes = decoded.uncompressedBytes ?? null;
    if (decoded.records) entry.count = decoded.records.length;
  } else if (entry.path === "/engage" || entry.path === "/groups") {
    const decoded = decodeUpdates(buffer, headers);
    entry.uncompressedBytes = buffer.length;
    if (decoded.updates) entry.count = decoded.updates.length;
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let bytes = 0;
    req.on("data", (chunk) => {
      bytes += chunk.length;
      if (bytes <= READ_CAP) chunks.push(chunk);
    });
    req.on("end", () => resolve({ bytes, buffer: bytes <= READ_CAP ? Buffer.concat(chunks) : null }));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new Error("client went away mid-body"));
    });
  });
}

function send(res, status, type, body, headers = {}) {
  const payload = Buffer.from(body);
  res.writeHead(status, { "content-type": type, "content-length": payload.length, ...headers });
  res.end(payload);
}

function jsonAnswer(status, value, headers = {}) {
  return { status, type: "application/json", body: JSON.stringify(value), headers };
}

function badRequest(error) {
  return jsonAnswer(400, { code: 400, error, status: "Bad Request" });
}

function tooLarge(bytes) {
  return jsonAnswer(413, {
    code: 413,
    error: `request body is ${bytes} bytes uncompressed; at most ${LIMITS.importBytes} are accepted`,
    status: "Request Entity Too Large",
  });
}

function mediaType(headers) {
  return (headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
}

function timeMs(t) {
  return t >= MS_THRESHOLD ? t : t * 1000;
}

function isPlaceholder(value) {
  return PLACEHOLDER_SET.has(value.toLowerCase());
}

function insertIdOf(record) {
  const id = isPlainObject(record) && isPlainObject(record.properties) ? record.properties.$insert_id : undefined;
  return typeof id === "string" ? id : "";
}

function isId(value) {
  return (typeof value === "string" && value !== "") || (typeof value === "number" && Number.isFinite(value));
}

function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function truncate(s) {
  if (s.length <= LIMITS.stringChars) return s;
  const chars = Array.from(s);
  return chars.length <= LIMITS.stringChars ? s : chars.slice(0, LIMITS.stringChars).join("");
}

function countOccurrences(buffer, needle) {
  let count = 0;
  for (let i = buffer.indexOf(needle); i >= 0; i = buffer.indexOf(needle, i + needle.length)) count += 1;
  return count;
}

function checkDelay(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) throw new TypeError("delay is a number of milliseconds >= 0");
  return ms;
}

/** Milliseconds since the epoch, monotonic within the process (for backoff timing). */
function clock() {
  return performance.timeOrigin + performance.now();
}

/** A throwaway certificate for 127.0.0.1, made by openssl in a temporary folder. */
async function selfSignedCertificate() {
  const dir = await mkdtemp(join(tmpdir(), "mixpanel-standin-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    // The subjectAltName lets a client that trusts this certificate verify it by IP.
    await run("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
    ]);
    return { key: await readFile(key), cert: await readFile(cert) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
