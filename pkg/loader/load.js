// One load: rows from a source, mapped to Mixpanel records, checked by Mixpanel's rules,
// planned against what the last run sent (only new, changed and retried rows go out),
// sent within Mixpanel's limits, and every row read accounted for as exactly one of:
// sent, unchanged, rejected before sending, rejected by Mixpanel, pending (a transient
// failure past the retry budget: sent again next run). docs/loading.md tells it whole.
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
// The Node entry: the wasm is loaded when the import returns.
import { LoadState, audienceProperties, encodeSegmentMembership, insertId as deriveInsertId, validateEvents, validateProfiles } from "../node.js";
import { RowProblem, checkMapping, createMapper, json } from "./mapping.js";
import { REGIONS, batchRanges, createSender } from "./send.js";
import { openSource } from "./sources.js";
import { openStateStore } from "./state-store.js";

/** Rows planned together: one call to the wasm for the checks and one for the plan. */
const CHUNK_ROWS = 2000;

/** The plan's outcome codes (LoadState.plan). */
const NEW = 0;
const CHANGED = 1;
const UNCHANGED = 2;
const RETRY = 3;
const DUPLICATE = 4;

const encoder = new TextEncoder();

/**
 * Runs a load; resolves to its summary: `{ read, sent, unchanged, rejected, refused,
 * pending, requests, dryRun, ms }` (`rejected`: before sending; `refused`: by Mixpanel).
 * Rejects with AuthError on 401/403 (nothing marked), or a source's or the mapping's
 * error before any row. Options: docs/loading.md ("The API").
 */
export async function load(options) {
  const started = Date.now();
  const mapping = checkMapping(options.mapping);
  // Audiences are user profiles on the wire: only how their records are made differs.
  const audiences = mapping.object === "audiences";
  const object = audiences ? "users" : mapping.object;
  const credentials = options.credentials ?? {};
  const api = options.api ?? REGIONS[options.region ?? "us"];
  if (!api) throw new Error(`region must be "us", "eu" or "in", got ${JSON.stringify(options.region)}`);
  const dryRun = options.dryRun ?? null;
  if (options.results && options.source?.file && resolve(options.results) === resolve(options.source.file)) {
    throw new Error("the results file is the source file: it would be overwritten");
  }
  if (!dryRun) requireCredentials(object, credentials);

  const mapper = createMapper(mapping, { token: credentials.token ?? "", insertId: (event, key) => deriveInsertId(event, key) });
  const source = openSource(options.source);
  await source.ready?.();
  const store = options.state === false ? null : await openStateStore(options.state ?? ".cohort-sync-load.db", options.name ?? defaultName(mapping));
  const state = await restore(store);
  const results = options.results ? createWriteStream(options.results) : null;
  const counts = { read: 0, sent: 0, unchanged: 0, rejected: 0, refused: 0, pending: 0, requests: 0, removed: 0 };
  const removal = options.removed ?? null;
  if (removal !== null && !["unset", "delete"].includes(removal)) throw new Error(`removed must be "unset" or "delete", got ${JSON.stringify(removal)}`);
  if (removal !== null && object === "events") throw new Error("removed is for users and groups: an event, once sent, stays");
  const firsts = { sent: [], unchanged: [], rejected: [], refused: [], pending: [] };
  // A row's outcome; an audiences user's record carries the outcome of each of its rows.
  const note = (outcome, row, detail = {}) => {
    const numbers = row.rows ?? [row.n];
    counts[outcome] += numbers.length;
    if (firsts[outcome].length < 5) firsts[outcome].push({ n: row.n, key: row.key ?? null, ...detail });
    if (results && outcome !== "sent" && outcome !== "unchanged") {
      for (const n of numbers) results.write(`${JSON.stringify({ n, outcome, key: row.key ?? null, ...detail })}\n`);
    }
  };
  const sender = dryRun
    ? null
    : createSender({ object, api, projectId: credentials.projectId, serviceAccount: credentials.serviceAccount, retry: options.retry, fetch: options.fetch, onAttempt: () => counts.requests++ });
  const inFlight = new Set();
  const concurrency = Math.max(1, options.concurrency ?? 10);
  let stopped = null;
  let dryBatches = 0;
  if (dryRun) mkdirSync(dryRun, { recursive: true });

  /** Sends one request's rows; every row ends sent, refused or pending. */
  const sendBatch = async (rows) => {
    const records = rows.map((row) => row.record);
    let result;
    try {
      result = await sender.send(records);
    } catch (error) {
      // 401/403 (AuthError), or a failure of the loader itself: nothing more is sent.
      stopped ??= error;
      for (const row of rows) note("pending", row, { reason: "the load stopped before this batch was taken" });
      return;
    }
    const sent = result.sent.map((i) => rows[i]);
    if (sent.length > 0) {
      const keys = nulEnded(sent.map((row) => row.key));
      const texts = lineEnded(sent.map((row) => row.record));
      state.markSent(keys, texts);
      await store?.journal("sent", keys, texts);
      if (store && object !== "events") {
        const hashes = LoadState.keyHashes(keys);
        await store.keepKeys(sent.map((row, i) => ({ hash: hashes[i], who: row.who, props: row.props })));
      }
      for (const row of sent) note("sent", row);
    }
    for (const refusal of result.refused) note("refused", rows[refusal.index], { field: refusal.field, message: refusal.message });
    if (result.pending) {
      const pending = rows.filter((_, i) => !result.sent.includes(i) && !result.refused.some((r) => r.index === i));
      const keys = nulEnded(pending.map((row) => row.key));
      state.markFailed(keys);
      await store?.journal("failed", keys);
      for (const row of pending) note("pending", row, { reason: result.pending.reason });
    }
  };

  const launch = async (rows) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const running = sendBatch(rows).finally(() => inFlight.delete(running));
    inFlight.add(running);
  };

  /** Checks, plans and sends (or, dry, writes) one chunk of mapped rows. */
  const planChunk = async (chunk) => {
    const mapped = [];
    for (const item of chunk) {
      if (item.error) {
        note("rejected", item, { code: item.error.code, message: item.error.message });
        continue;
      }
      if (item.mapped) {
        mapped.push({ n: item.n, rows: item.rows, ...item.mapped });
        continue;
      }
      try {
        mapped.push({ n: item.n, ...mapper.map(item.row) });
      } catch (error) {
        if (!(error instanceof RowProblem)) throw error;
        note("rejected", item, { code: error.code, field: error.field, message: error.message });
      }
    }
    if (mapped.length === 0) return;
    const report = object === "events"
      ? validateEvents(mapped.map((row) => row.record).join("\n"), { now: Date.now() })
      : validateProfiles(mapped.map((row) => row.record).join("\n"), object === "users" ? "user" : "group");
    const problems = new Map();
    for (const problem of report.problems) {
      if (problem.severity === "error" && problem.index !== null && !problems.has(problem.index)) problems.set(problem.index, problem);
    }
    const valid = [];
    mapped.forEach((row, i) => {
      const problem = problems.get(i);
      if (problem) note("rejected", row, { code: problem.code, field: problem.field, message: problem.message });
      else valid.push(row);
    });
    if (valid.length === 0) return;
    const codes = state.plan(nulEnded(valid.map((row) => row.key)), lineEnded(valid.map((row) => row.record)));
    const toSend = [];
    valid.forEach((row, i) => {
      const code = codes[i];
      // An event is never sent twice: a row seen before is skipped, changed or not.
      if (code === UNCHANGED || (object === "events" && code === CHANGED)) note("unchanged", row);
      else if (code === DUPLICATE) note("rejected", row, { code: "duplicate_key", message: "another row of this run has the same key; the first was taken" });
      else if (code === NEW || code === CHANGED || code === RETRY) toSend.push(row);
    });
    const records = toSend.map((row) => row.record);
    for (const { start, end } of batchRanges(object, records, { groupsPerRequest: options.groupsPerRequest })) {
      const rows = toSend.slice(start, end);
      if (dryRun) {
        writeDry(dryRun, ++dryBatches, object, rows);
        for (const row of rows) note("sent", row, { dryRun: true });
      } else {
        if (stopped) {
          for (const row of rows) note("pending", row, { reason: "the load stopped before this batch was sent" });
          continue;
        }
        await launch(rows);
      }
    }
  };

  /**
   * Rows gone from the source since they were sent: `$unset` of the properties they set,
   * or `$delete`, as asked. Each key is forgotten once Mixpanel took its removal; one not
   * taken is removed again by the next run. Returns how many were removed.
   */
  const sendRemovals = async () => {
    const gone = [];
    for (const hash of state.removed()) {
      const kept = await store.keyOf(hash);
      if (kept === null) continue;
      const op = audiences ? `"$set":${leftEvery}` : removal === "delete" ? `"$delete":""` : `"$unset":${JSON.stringify(kept.props)}`;
      gone.push({ hash, record: `{"$token":${JSON.stringify(credentials.token ?? "")},${kept.who},${op}}` });
    }
    let removed = 0;
    for (const { start, end } of batchRanges(object, gone.map((g) => g.record), { groupsPerRequest: options.groupsPerRequest })) {
      const batch = gone.slice(start, end);
      if (dryRun) {
        writeDry(dryRun, ++dryBatches, object, batch);
        removed += batch.length;
        continue;
      }
      const result = await sender.send(batch.map((g) => g.record));
      const taken = result.sent.map((i) => batch[i].hash);
      state.forget(BigUint64Array.from(taken));
      await store.dropKeys(taken);
      removed += taken.length;
    }
    return removed;
  };

  /**
   * Audiences: every row read first, gathered per user (memory grows with the users,
   * not the rows), then one record a user (audienceProperties: SegmentMembership, and
   * `In <name>` for every audience seen when asked), planned and sent as user profiles.
   */
  let leftEvery = "{}";
  const gatherAudiences = async () => {
    const users = new Map();
    const known = new Map();
    // Whether each audience id can be in a SegmentMembership (the wasm's rule), asked once an id.
    const idProblem = new Map();
    const problemOf = (id) => {
      if (!idProblem.has(id)) {
        try {
          encodeSegmentMembership([id]);
          idProblem.set(id, null);
        } catch (error) {
          idProblem.set(id, { code: error.code, message: error.message });
        }
      }
      return idProblem.get(id);
    };
    for await (const item of source.rows) {
      counts.read++;
      options.onProgress?.({ ...counts, bytesRead: source.bytesRead(), sizeBytes: source.sizeBytes });
      if (item.error) {
        note("rejected", item, { code: item.error.code, message: item.error.message });
        continue;
      }
      let found;
      try {
        found = mapper.audience(item.row);
      } catch (error) {
        if (!(error instanceof RowProblem)) throw error;
        note("rejected", item, { code: error.code, field: error.field, message: error.message });
        continue;
      }
      const problem = problemOf(found.id);
      if (problem !== null) {
        note("rejected", item, { ...problem, field: "audience id" });
        continue;
      }
      if (!known.has(found.id) || (known.get(found.id) === null && found.name !== null)) known.set(found.id, found.name);
      let user = users.get(found.user);
      if (user === undefined) users.set(found.user, (user = { ids: new Set(), rows: [] }));
      user.ids.add(found.id);
      user.rows.push(item.n);
    }
    // Audience ids in one order, so a user's record (and its checksum) is the same each run.
    const ids = [...known.keys()].sort();
    const listed = (member) => ids.map((id) => ({ id, name: known.get(id) ?? id, member: member(id) }));
    const perAudience = mapping.perAudience === true;
    leftEvery = json(audienceProperties(listed(() => false), { perAudience }));
    const items = [];
    for (const [user, { ids: mine, rows }] of users) {
      const row = { n: rows[0], rows, key: user };
      let properties;
      try {
        properties = audienceProperties(listed((id) => mine.has(id)), { perAudience });
      } catch (error) {
        note("rejected", row, { code: error.problems?.[0]?.code ?? error.code, message: error.message });
        continue;
      }
      const who = `"$distinct_id":${JSON.stringify(user)}`;
      items.push({ n: rows[0], rows, mapped: { key: user, record: `{"$token":${JSON.stringify(credentials.token ?? "")},${who},"$set":${json(properties)}}`, who, props: [] } });
    }
    return items;
  };

  let chunk = [];
  try {
    if (audiences) {
      const items = await gatherAudiences();
      for (let at = 0; at < items.length && !stopped; at += CHUNK_ROWS) await planChunk(items.slice(at, at + CHUNK_ROWS));
    }
    for await (const item of audiences ? [] : source.rows) {
      counts.read++;
      options.onProgress?.({ ...counts, bytesRead: source.bytesRead(), sizeBytes: source.sizeBytes });
      chunk.push(item);
      if (chunk.length >= CHUNK_ROWS) {
        await planChunk(chunk);
        chunk = [];
      }
      if (stopped) break;
    }
    if (chunk.length > 0) await planChunk(chunk);
    await Promise.all(inFlight);
    // A user who left every audience is told so ('' and false), never left as it was.
    if ((removal !== null || audiences) && !stopped && store) counts.removed = await sendRemovals();
  } finally {
    await source.close();
    await new Promise((resolve) => (results ? results.end(resolve) : resolve()));
  }
  if (!dryRun) await store?.write(state.toBytes());
  await store?.close();
  state.free();
  const summary = { ...counts, dryRun: dryRun !== null, ms: Date.now() - started, first: firsts };
  if (stopped) throw Object.assign(stopped, { summary });
  return summary;
}

/** The credentials each object needs, checked before a row is read. */
function requireCredentials(object, credentials) {
  const missing =
    object === "events"
      ? [!credentials.projectId && "MIXPANEL_PROJECT_ID", !credentials.serviceAccount?.user && "MIXPANEL_SERVICE_ACCOUNT", !credentials.serviceAccount?.secret && "MIXPANEL_SERVICE_SECRET"]
      : [!credentials.token && "MIXPANEL_TOKEN"];
  const names = missing.filter(Boolean);
  if (names.length > 0) throw Object.assign(new Error(`missing credentials: ${names.join(", ")} (from the environment)`), { code: "missing_credentials" });
}

/** The state as the last run left it: its bytes, then its journal replayed. */
async function restore(store) {
  if (store === null) return new LoadState();
  const { bytes, journal } = await store.read();
  const state = bytes === null ? new LoadState() : LoadState.fromBytes(bytes);
  for (const entry of journal) {
    if (entry.kind === "sent") state.markSent(new Uint8Array(entry.keys), new Uint8Array(entry.records));
    else state.markFailed(new Uint8Array(entry.keys));
  }
  return state;
}

/** A load's name in the state file: its object and key, so two loads never share one. */
function defaultName(mapping) {
  return `${mapping.object}:${mapping.key.join(",")}`;
}

function nulEnded(keys) {
  return encoder.encode(keys.map((key) => `${key}\u0000`).join(""));
}

function lineEnded(records) {
  return encoder.encode(records.map((record) => `${record}\n`).join(""));
}

/** A dry run's request body, as it would be sent, in `dir`. */
function writeDry(dir, n, object, rows) {
  const name = join(dir, `${String(n).padStart(5, "0")}-${object}.${object === "events" ? "ndjson" : "json"}`);
  writeFileSync(name, object === "events" ? `${rows.map((row) => row.record).join("\n")}\n` : `[${rows.map((row) => row.record).join(",")}]\n`);
}
