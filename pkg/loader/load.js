// One load: rows from a source, mapped to Mixpanel records, checked by Mixpanel's rules,
// planned against what the last run sent (only new, changed and retried rows go out),
// sent within Mixpanel's limits, and every row read accounted for as exactly one of:
// sent, unchanged, rejected before sending, rejected by Mixpanel, pending (a transient
// failure past the retry budget: sent again next run). docs/loading.md tells it whole.
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
// The Node entry: the wasm is loaded when the import returns.
import { LoadState, audienceProperties, encodeSegmentMembership, insertId as deriveInsertId } from "../node.js";
import { RowProblem, checkMapping, createMapper, json } from "./mapping.js";
import { checkRows, identityOf, keyOf, prepareRows, requestBody } from "./prepare.js";
import { createPreparePool, defaultThreads } from "./prepare-pool.js";
import { REGIONS, batchRanges, createSender, requestFull, requestLimit } from "./send.js";
import { openSource } from "./sources.js";
import { openStateStore } from "./state-store.js";
import { bytesOf, hashesOf } from "./words.js";

/** Rows planned together: one call to the wasm for the checks and one for the plan. */
const CHUNK_ROWS = 2000;

/**
 * Blocks (32–64 KB of NDJSON, a JSON array or CSV: 100–300 events) in the works a
 * worker thread: more than a request's rows, so that the threads keep preparing while
 * this one gzips, sends and journals a request. With two 64 KB blocks, 200k events took
 * 10–15% longer than with eight, at 0 ms and at 50 ms.
 */
const BLOCKS_A_THREAD = 12;

/** The plan's outcome codes (LoadState.plan). */
const NEW = 0;
const CHANGED = 1;
const UNCHANGED = 2;
const RETRY = 3;
const DUPLICATE = 4;

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
  const removal = options.removed ?? null;
  if (removal !== null && !["unset", "delete"].includes(removal)) throw new Error(`removed must be "unset" or "delete", got ${JSON.stringify(removal)}`);
  if (removal !== null && object === "events") throw new Error("removed is for users and groups: an event, once sent, stays");
  const source = openSource(options.source);
  let store = null;
  let state;
  try {
    await source.ready?.();
    store = options.state === false ? null : await openStateStore(options.state ?? ".cohort-sync-load.db", options.name ?? defaultName(mapping));
    state = await restore(store);
  } catch (error) {
    await source.close();
    await store?.close();
    throw error;
  }
  const results = options.results ? createWriteStream(options.results) : null;
  // `unread`: of the unchanged rows, those known so from their block's bytes alone.
  const counts = { read: 0, sent: 0, unchanged: 0, unread: 0, rejected: 0, refused: 0, pending: 0, requests: 0, removed: 0 };
  const firsts = { sent: [], unchanged: [], rejected: [], refused: [], pending: [] };
  // Rows refused before they were planned (unreadable, unmappable, an audience row that
  // cannot count, a user whose audiences cannot be written): the state never saw their
  // keys, and any key it did not see may be in one of them, so while there are any, no
  // key is taken for gone.
  let unplanned = 0;
  // A row's outcome; an audiences user's record carries the outcome of each of its rows.
  const note = (outcome, row, detail = {}) => {
    const numbers = row.rows ?? [row.n];
    counts[outcome] += numbers.length;
    if (outcome === "rejected" && !row.planned) unplanned += numbers.length;
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
  let removalsHeld = false;
  let dryBatches = 0;
  if (dryRun) mkdirSync(dryRun, { recursive: true });

  // Profiles' identities are kept on every run with a state, so that a later run asked
  // for removals can remove rows that an earlier run sent.
  const keepIdentities = store !== null && object !== "events";
  // Where a profile record's identity starts: after `{"$token":"…",` (prepare.js, identityOf).
  const recordPrefix = Buffer.byteLength(`{"$token":${JSON.stringify(credentials.token ?? "")},`);

  /** Notes row `i` of a prepared chunk (its key is decoded only when it is shown). */
  const notePrepared = (outcome, prepared, i, detail) => {
    const rows = prepared.many?.[i];
    const n = prepared.n[i];
    if (firsts[outcome].length < 5 || (results && outcome !== "sent" && outcome !== "unchanged")) note(outcome, { n, rows, key: keyOf(prepared, i), planned: true }, detail);
    else counts[outcome] += rows ? rows.length : 1;
  };

  /** Sends one request's rows (`[{ prepared, i }]`); every row ends sent, refused or pending. */
  const sendBatch = async (rows) => {
    let result;
    try {
      result = await sender.sendBody(rows.length, requestBody(object, rows));
    } catch (error) {
      // 401/403 (AuthError), or a failure of the loader itself: nothing more is sent.
      stopped ??= error;
      for (const { prepared, i } of rows) notePrepared("pending", prepared, i, { reason: "the load stopped before this batch was taken" });
      return;
    }
    if (result.sent.length > 0) {
      const sent = result.sent.map((index) => rows[index]);
      const hashes = new BigUint64Array(2 * sent.length);
      sent.forEach(({ prepared, i }, at) => {
        hashes[2 * at] = prepared.hashes[2 * i];
        hashes[2 * at + 1] = prepared.hashes[2 * i + 1];
      });
      state.markSent(hashes);
      await store?.journal("sent-hashes", bytesOf(hashes));
      if (keepIdentities) await store.keepKeys(sent.map(({ prepared, i }, at) => ({ hash: hashes[2 * at], ...identityOf(prepared, i, recordPrefix) })));
      for (const { prepared, i } of sent) notePrepared("sent", prepared, i);
    }
    for (const refusal of result.refused) {
      const { prepared, i } = rows[refusal.index];
      notePrepared("refused", prepared, i, { field: refusal.field, message: refusal.message });
    }
    if (result.pending) {
      const taken = new Set([...result.sent, ...result.refused.map((r) => r.index)]);
      const pending = rows.filter((_, index) => !taken.has(index));
      const hashes = BigUint64Array.from(pending, ({ prepared, i }) => prepared.hashes[2 * i]);
      state.markFailed(hashes);
      await store?.journal("failed-hashes", bytesOf(hashes));
      for (const { prepared, i } of pending) notePrepared("pending", prepared, i, { reason: result.pending.reason });
    }
  };

  const launch = async (rows) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const running = sendBatch(rows).finally(() => inFlight.delete(running));
    inFlight.add(running);
  };

  // The rows planned to go out, gathered into requests across chunks, so that a run
  // with few changes still sends full requests.
  const limit = requestLimit(object, { groupsPerRequest: options.groupsPerRequest });
  let request = [];
  let requestBytes = 0;
  const flush = async () => {
    const rows = request;
    request = [];
    requestBytes = 0;
    if (rows.length === 0) return;
    if (dryRun) {
      writeDry(dryRun, ++dryBatches, object, requestBody(object, rows));
      for (const { prepared, i } of rows) notePrepared("sent", prepared, i, { dryRun: true });
    } else if (stopped) {
      for (const { prepared, i } of rows) notePrepared("pending", prepared, i, { reason: "the load stopped before this batch was sent" });
    } else {
      await launch(rows);
    }
  };

  /**
   * Plans a prepared chunk (prepare.js: mapped, checked and hashed) against the last
   * run, and adds the rows to send to requests. Its rows' hashes are planned, marked and
   * journalled as they are: each row's bytes are hashed once.
   */
  const planPrepared = async (prepared, planned = null) => {
    const codes = planned ?? (prepared.count === 0 ? new Uint8Array(0) : state.plan(prepared.hashes));
    const toSend = [];
    for (let i = 0; i < prepared.count; i++) if (codes[i] === NEW || codes[i] === RETRY || (codes[i] === CHANGED && object !== "events")) toSend.push(i);
    // A row refused here stays as planned: a new one is known as not sent (so retried
    // next run), a changed one keeps what was sent last.
    const problems = toSend.length === 0 ? new Map() : checkRows(prepared, toSend, object);
    // Outcomes are noted in the rows' order, so the results file reads in the source's.
    let rejected = 0;
    const rejectedBefore = (n) => {
      for (; rejected < prepared.rejected.length && prepared.rejected[rejected].n < n; rejected++) {
        const row = prepared.rejected[rejected];
        note("rejected", row, { code: row.code, field: row.field, message: row.message });
      }
    };
    for (let i = 0, at = 0; i < prepared.count; i++) {
      rejectedBefore(prepared.n[i]);
      const code = codes[i];
      if (toSend[at] === i) {
        const problem = problems.get(at++);
        if (problem) {
          notePrepared("rejected", prepared, i, { code: problem.code, field: problem.field, message: problem.message });
          continue;
        }
        const size = prepared.recordEnds[i] - (i === 0 ? 0 : prepared.recordEnds[i - 1] + 1) + 1;
        if (requestFull(limit, request.length, requestBytes, size)) await flush();
        request.push({ prepared, i });
        requestBytes += size;
      } else if (code === DUPLICATE) {
        notePrepared("rejected", prepared, i, { code: "duplicate_key", message: "another row of this run has the same key; the first was taken" });
      } else {
        // Unchanged; or an event seen before, changed or not: an event is never sent twice.
        notePrepared("unchanged", prepared, i);
      }
    }
    rejectedBefore(Infinity);
  };
  const prepareOptions = { mapper };
  const planChunk = (chunk) => planPrepared(prepareRows(chunk, prepareOptions));

  /**
   * Rows gone from the source since they were sent: `$unset` of the properties they set,
   * or `$delete`, as asked. Each key is forgotten once Mixpanel took its removal; one not
   * taken is removed again by the next run. Returns how many were removed.
   */
  const sendRemovals = async () => {
    const gone = [];
    const removedHashes = state.removed();
    const identities = await store.keysOf(new Set(removedHashes));
    for (const hash of removedHashes) {
      const kept = identities.get(hash);
      if (kept === undefined) continue;
      const op = audiences ? `"$set":${leftEvery}` : removal === "delete" ? `"$delete":""` : `"$unset":${JSON.stringify(kept.props)}`;
      gone.push({ hash, record: `{"$token":${JSON.stringify(credentials.token ?? "")},${kept.who},${op}}` });
    }
    let removed = 0;
    for (const { start, end } of batchRanges(object, gone.map((g) => g.record), { groupsPerRequest: options.groupsPerRequest })) {
      const batch = gone.slice(start, end);
      if (dryRun) {
        const records = batch.map((g) => g.record);
        writeDry(dryRun, ++dryBatches, object, Buffer.from(object === "events" ? `${records.join("\n")}\n` : `[${records.join(",")}]`));
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
        note("rejected", { n: item.n, key: found.user }, { ...problem, field: "audience id" });
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
      items.push({ n: rows[0], rows, mapped: { key: user, record: `{"$token":${JSON.stringify(credentials.token ?? "")},${who},"$set":${json(properties)}}` } });
    }
    return items;
  };

  let chunk = [];
  let pool = null;
  try {
    if (audiences) {
      const items = await gatherAudiences();
      for (let at = 0; at < items.length && !stopped; at += CHUNK_ROWS) await planChunk(items.slice(at, at + CHUNK_ROWS));
      await flush();
    }
    const threads = audiences || !source.blocks ? 0 : (options.threads ?? defaultThreads());
    if (threads > 0) {
      // NDJSON, JSON arrays and CSV read, mapped and hashed on worker threads; planned and
      // sent here.
      pool = createPreparePool({ size: threads, workerData: { mapping, token: credentials.token ?? "", limits: source.limits } });
      // The block memo: a block read before, byte for byte, under the same mapping and
      // code, gives the same key hash and record checksum pairs, so they are planned
      // without the rows being read again; only a block with a row to send or report is.
      const memo = store?.blocks ? { blocks: store.blocks, fingerprint: blockFingerprint(options.mapping, credentials.token ?? "", source.limits) } : null;
      const answers = [];
      let before = 0;
      // Set when a block ended at broken JSON: the rows end there, and blocks read past it
      // are dropped unplanned.
      let ended = false;
      const progress = () => options.onProgress?.({ ...counts, bytesRead: source.bytesRead(), sizeBytes: source.sizeBytes });
      const take = async () => {
        if (ended) {
          // Blocks read past broken JSON: dropped unplanned, once their memo lookups
          // (a query, with PostgreSQL) are over.
          await Promise.allSettled(answers.splice(0).map((entry) => entry.lookup));
          return;
        }
        const entry = answers.shift();
        await entry.lookup;
        let codes = null;
        if (entry.hashes && firsts.unchanged.length < 5) {
          // The first unchanged rows are shown with their keys, which only a read block has.
          entry.answer = pool.run(entry.block);
        } else if (entry.hashes) {
          codes = state.plan(entry.hashes);
          if (codes.every((code) => code === UNCHANGED || (code === CHANGED && object === "events"))) {
            counts.read += codes.length;
            counts.unchanged += codes.length;
            counts.unread += codes.length;
            before += codes.length;
            progress();
            return;
          }
          entry.answer = pool.run(entry.block);
        }
        const { read, prepared, stopped: brokenHere } = await entry.answer;
        if (entry.hashes && !sameHashes(prepared.hashes, entry.hashes)) throw new Error("a block read again gave other hashes than the block memo holds");
        if (!entry.hashes && memo && entry.key && read === prepared.count && prepared.rejected.length === 0) memo.blocks.put(entry.key, sealPairs(entry.key, prepared.hashes));
        // Each block numbers its rows from 1: here they get their place in the source.
        for (let i = 0; i < prepared.count; i++) prepared.n[i] += before;
        for (const row of prepared.rejected) row.n += before;
        before += read;
        counts.read += read;
        progress();
        await planPrepared(prepared, codes);
        if (brokenHere) ended = true;
      };
      for await (const block of source.blocks) {
        const key = memo && block.bytes ? blockKey(memo.fingerprint, block) : null;
        const entry = { block, key };
        // A block the memo knows is planned from its pairs; any other goes to a thread as
        // soon as the memo has answered.
        const decide = (hashes) => {
          if (hashes) entry.hashes = hashes;
          else entry.answer = pool.run(block);
        };
        const found = key ? memo.blocks.get(key) : undefined;
        // SQLite answers at once; PostgreSQL later, and the next blocks are read meanwhile.
        if (found instanceof Promise) {
          entry.lookup = found.then((sealed) => decide(unsealPairs(key, sealed)));
          // Handled here so that a failure while earlier blocks are awaited is not
          // "unhandled"; the loader still sees it when it takes this block.
          entry.lookup.catch(() => {});
        } else decide(unsealPairs(key, found));
        answers.push(entry);
        if (answers.length >= BLOCKS_A_THREAD * threads) await take();
        if (stopped || ended) break;
      }
      while (answers.length > 0) await take();
      // Blocks not reached (after broken JSON) stay known for the run that reads them.
      if (memo && !stopped && !ended) await memo.blocks.keepRead();
    }
    for await (const rows of audiences || threads > 0 ? [] : source.batches) {
      counts.read += rows.length;
      options.onProgress?.({ ...counts, bytesRead: source.bytesRead(), sizeBytes: source.sizeBytes });
      for (const item of rows) chunk.push(item);
      if (chunk.length >= CHUNK_ROWS) {
        await planChunk(chunk);
        chunk = [];
      }
      if (stopped) break;
    }
    if (chunk.length > 0) await planChunk(chunk);
    await flush();
    await Promise.all(inFlight);
    // A user who left every audience is told so ('' and false), never left as it was.
    if ((removal !== null || audiences) && !stopped && store) {
      // An empty source removes nothing either: it looks just like an export that failed.
      if (unplanned === 0 && counts.read > 0) counts.removed = await sendRemovals();
      else removalsHeld = state.removed().length > 0;
    }
    if (!dryRun && store) {
      await store.write(state.toParts());
      await store.compact(state.size);
    }
  } finally {
    await pool?.close();
    // Requests still out when the load failed journal their answers before the store closes.
    await Promise.allSettled(inFlight);
    await source.close();
    await new Promise((resolve) => (results ? results.end(resolve) : resolve()));
    await store?.close();
    state.free();
  }
  const summary = { ...counts, removalsHeld, dryRun: dryRun !== null, ms: Date.now() - started, first: firsts };
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
  const { parts, journal } = await store.read();
  // Part by part: a large state's bytes are never held whole.
  let reader = null;
  for await (const part of parts) (reader ??= LoadState.reader()).push(part);
  const state = reader === null ? new LoadState() : reader.finish();
  try {
    replay(state, journal);
  } catch (error) {
    state.free();
    throw error;
  }
  return state;
}

/** The journal's entries, applied to `state` in order. */
function replay(state, journal) {
  for (const entry of journal) {
    if (entry.kind === "sent-hashes") state.markSent(hashesOf(entry.keys));
    else if (entry.kind === "failed-hashes") state.markFailed(hashesOf(entry.keys));
    // Entries of an earlier release, which journalled keys and records as text.
    else if (entry.kind === "sent") state.markSent(new Uint8Array(entry.keys), new Uint8Array(entry.records));
    else state.markFailed(new Uint8Array(entry.keys));
  }
}

/**
 * What a block's pairs depend on besides its bytes: the mapping as given, the token (in
 * profiles' records), the reading limits and CSV delimiter, and the code that reads, maps
 * and hashes rows (its files' bytes: a release that writes records otherwise reads
 * every block again).
 */
function blockFingerprint(mapping, token, limits) {
  const hash = createHash("sha256").update(JSON.stringify({ mapping, token, limits }));
  for (const file of ["./mapping.js", "./flat-row.js", "./prepare.js", "./prepare-worker.js", "./sources/ndjson.js", "./sources/json-array.js", "./sources/csv.js", "./sources/values.js", "../dist/cohort_sync_bg.wasm"]) {
    hash.update(readFileSync(new URL(file, import.meta.url)));
  }
  return hash.digest();
}

/**
 * A block's key in the memo: its bytes (and CSV columns, or where a JSON array's elements
 * end in them) under the fingerprint.
 */
function blockKey(fingerprint, block) {
  const hash = createHash("sha256").update(fingerprint);
  if (block.columns) hash.update(JSON.stringify(block.columns));
  if (block.ends) hash.update(block.ends);
  return hash.update(block.bytes).digest();
}

/**
 * A block's pairs as the memo keeps them: the pairs, then a 64-bit check of the block's
 * key and the pairs, so that an entry damaged in storage (or kept under another block's
 * key) is taken for none, and its block read, rather than planned or counted from wrong
 * pairs.
 */
function sealPairs(key, hashes) {
  const sealed = new BigUint64Array(hashes.length + 1);
  sealed.set(hashes);
  sealed[hashes.length] = sealOf(key, hashes);
  return sealed;
}

/** The pairs of a memo entry (`sealPairs`), or undefined when there is none or it is damaged. */
function unsealPairs(key, sealed) {
  if (sealed === undefined || sealed.length % 2 !== 1) return undefined;
  const hashes = sealed.subarray(0, sealed.length - 1);
  return sealed[hashes.length] === sealOf(key, hashes) ? hashes : undefined;
}

// Two lanes of FNV-1a over 32-bit words, seeded by the key's first bytes: each step is a
// bijection of a lane's state, so any one word changed always changes the check. A
// SHA-256 of the same cost a tenth of a re-run of 200k unchanged users here; this is
// within the noise. (Damage is what it catches: whoever can write the state can write
// anything.)
function sealOf(key, hashes) {
  const words = new Uint32Array(hashes.buffer, hashes.byteOffset, hashes.length * 2);
  let a = key.readInt32LE(0) ^ 0x811c9dc5;
  let b = key.readInt32LE(4) ^ 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    a = Math.imul(a ^ words[i], 0x01000193);
    b = Math.imul(b ^ words[i], 0x5bd1e995);
  }
  return (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0);
}

function sameHashes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A load's name in the state file: its object and key, so two loads never share one. */
function defaultName(mapping) {
  return `${mapping.object}:${mapping.key.join(",")}`;
}

/** A dry run's request body (bytes, as it would be sent before gzip), in `dir`. */
function writeDry(dir, n, object, body) {
  const name = join(dir, `${String(n).padStart(5, "0")}-${object}.${object === "events" ? "ndjson" : "json"}`);
  writeFileSync(name, object === "events" ? body : Buffer.concat([body, Buffer.from("\n")]));
}
