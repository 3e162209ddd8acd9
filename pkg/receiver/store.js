// The SQLite schema of one cohort's Durable Object and the membership operations on it.
// What a page does is decided by the package's SyncTracker (the same rulebook CohortState
// uses, docs/rules.md); this file only carries the decisions out, in SQL rather than in
// memory so a cohort of 10M members fits the 128 MB isolate:
//
// - `members(id, data, n, joined_at, joined_session)`: `n` is the member's ordinal, given when it joins and never
//   changed. A page of known members writes nothing to this table: 1000 distinct ids in
//   no order touch hundreds of its B-tree pages, so a write per listed member would cost
//   several times the read that finds their ordinals (docs/design-notes.md, "The
//   Worker's membership storage").
// - `listed(seq, ns)`: the ordinals each page of the full sync under way listed, one
//   row a page (Float64Array bytes). When the tracker says the sync is complete, a bit
//   per ordinal says who was listed and one scan deletes the rest (the sweep).
// - `departures(id, left_at, session)`: when members left, for the member lookup; the
//   last DEPARTURES_KEPT, and at most DEPARTURES_PER_SWEEP from one full sync's sweep.
// - `tracker(part, bytes)`: the SyncTracker's bytes, in parts under SQLite's value limit.
// - `sync_stats`: counters per session and action for operators (pages, replays, added,
//   removed, refused): accounting only, no decision reads them; the last 200 are kept.
// - `size_history(sid, at, size)`: the member count right after each session's last page,
//   for the console's charts; written when a full sync completes or the next session's
//   first page arrives (never on the other pages), the last SIZES_KEPT kept.
// - `meta`: one "state" row: the listing under way, the member count, the next ordinal.
//
// The statements are SQLite's, run in PostgreSQL too (postgres.js translates the
// common differences); where the dialects part, both texts are side by side.
import { SyncTracker } from "../api.js";
import { sql } from "./database.js";

/**
 * The most characters this code binds as one SQL value. SQLite in workerd refuses a
 * value much over 2 MB (SQLITE_TOOBIG: 2.1 MB passed, 5 MB failed); 500k UTF-16 units
 * are at most 1.5 MB of UTF-8.
 */
export const MAX_BOUND_CHARS = 500_000;

/**
 * The sweep binds who was listed as a bitmap BLOB (a bit per ordinal) and reads a row's
 * bit with `substr` (O(1) on a BLOB; on TEXT it walks the characters, which made a
 * 200k-member sweep take 2 s) and `instr` into the 256 byte values (SQLite has no
 * byte-to-integer function for BLOBs). SQLite in workerd refuses a bound value much over
 * 2 MB (SQLITE_TOOBIG: 2.1 MB passed, 5 MB failed), so one statement covers at most 12M
 * ordinals (1.5 MB); a cohort whose ordinals went past that is swept in several scans.
 */
const ORDINALS_PER_SCAN = 12_000_000;
const BYTE_VALUES = Uint8Array.from({ length: 256 }, (_, i) => i).buffer;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, data TEXT, n INTEGER NOT NULL, joined_at INTEGER, joined_session TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS departures (id TEXT PRIMARY KEY, left_at INTEGER NOT NULL, session TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listed (seq INTEGER NOT NULL, ns BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tracker (part INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sync_stats (
  sid TEXT NOT NULL, action TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
  pages INTEGER NOT NULL DEFAULT 0, replays INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0,
  removed INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0, last_refusal TEXT, touched INTEGER NOT NULL,
  PRIMARY KEY (sid, action)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS size_history (sid TEXT PRIMARY KEY, at INTEGER NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Size samples kept: one a session, as many as the sessions whose counters are kept. */
const SIZES_KEPT = 200;

/** Departures remembered for the member lookup; one sweep records at most the second number. */
const DEPARTURES_KEPT = 100_000;
const DEPARTURES_PER_SWEEP = 10_000;

/** The tracker's bytes are written in parts of at most this many (SQLite's value limit). */
const TRACKER_PART_BYTES = 1_000_000;

/**
 * One cohort's membership. Its methods are transaction steps (database.js): run them
 * with `yield*` inside `db.transaction`.
 */
export class MembershipStore {
  /**
   * `dialect`: the database's ("sqlite" or "pg"); `ordinalsPerScan`: how many ordinals
   * one sweep statement covers (tests set it small).
   */
  constructor({ dialect = "sqlite", ordinalsPerScan = ORDINALS_PER_SCAN } = {}) {
    this.dialect = dialect;
    this.ordinalsPerScan = Math.max(1, ordinalsPerScan);
  }

  /** The SyncTracker as stored (a fresh one for a cohort never synced). */
  *loadTracker() {
    const parts = (yield sql("SELECT bytes FROM tracker ORDER BY part")).toArray();
    if (parts.length === 0) return new SyncTracker();
    const total = parts.reduce((n, r) => n + r.bytes.byteLength, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const { bytes: part } of parts) {
      bytes.set(new Uint8Array(part), at);
      at += part.byteLength;
    }
    return SyncTracker.fromBytes(bytes);
  }

  *saveTracker(tracker) {
    const bytes = tracker.toBytes();
    yield sql("DELETE FROM tracker");
    for (let at = 0, part = 0; at < bytes.length; at += TRACKER_PART_BYTES, part++) {
      yield sql("INSERT INTO tracker (part, bytes) VALUES (?, ?)", part, bytes.slice(at, at + TRACKER_PART_BYTES));
    }
  }

  /**
   * The cohort's state in one row (`meta` key "state"): `{ listing, markSeq, size,
   * nextOrdinal, updatedAt, sessionId, cohort }`. One read and one write a page instead of one each
   * per field. `{}` for a cohort never synced.
   */
  *state() {
    const row = (yield sql("SELECT value FROM meta WHERE key = 'state'")).toArray()[0];
    return row ? JSON.parse(row.value) : {};
  }

  *saveState(state) {
    yield sql(
      "INSERT INTO meta (key, value) VALUES ('state', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      JSON.stringify(state),
    );
  }

  /**
   * Carries out what the tracker decided for one validated page: `{ action, sessionId,
   * ids, kept, cohort }` where `ids` are the page's distinct ids as the JSON array texts
   * bound here, `{ json, count }` in page order (page.js), `kept(i, id)` gives member
   * `i`'s JSON text as kept, or null when not kept, and `cohort` is `{ projectId,
   * cohortId, cohortName }`. Returns `{ added, removed, swept, duplicate,
   * sessionComplete, size }`; `added`/`removed` are `[id, data, i]` of the real changes
   * a page named (`i`: a joiner's place in the page; data as stored); `swept` counts the
   * members a full sync's end removed, handed to the steps `sweptOut(pairs)` (`[id,
   * data]`) 1000 at a time when given (a whole 10M-member cohort can leave at once:
   * never all in memory).
   */
  *apply({ action, sessionId, ids, kept, cohort }, decision, { sweptOut = null } = {}) {
    const state = yield* this.state();
    const outcome = { added: [], removed: [], swept: 0, duplicate: false, sessionComplete: false, size: state.size ?? 0, firstSeen: !state.updatedAt };
    if (decision.sweepFirst) {
      // The pageless full sync that ended is the session that decided these departures,
      // but only the page that showed its end is known here: its session is recorded.
      outcome.swept += yield* this.sweep(state, sweptOut, sessionId);
      outcome.sessionComplete = true;
    }
    // The sender moved on from the session of the last page applied (or a pageless full
    // sync just ended): that session's size is final as far as this cohort can tell.
    // Sampled here, once a session, rather than on every page.
    const previous = state.sessionId;
    if (previous != null && (decision.sweepFirst || (!decision.duplicate && previous !== sessionId))) {
      yield* this.sampleSize(previous, (state.size ?? 0) - outcome.swept, decision.sweepFirst ? Date.now() : Date.parse(state.updatedAt));
    }
    if (decision.duplicate) {
      outcome.duplicate = true;
    } else {
      if (decision.startListing) yield* this.startListing(state);
      if (action === "remove_members") {
        for (const part of ids) {
          const gone = yield sql(
            {
              sqlite: "DELETE FROM members WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, data",
              pg: "DELETE FROM members WHERE id IN (SELECT value FROM json_array_elements_text(?::json) AS value) RETURNING id, data",
            },
            part.json,
          );
          for (const r of gone) outcome.removed.push([r.id, r.data]);
        }
        yield* this.departed(outcome.removed.map(([id]) => id), sessionId);
      } else {
        outcome.added = yield* this.addListed(ids, kept, state, decision.mark, sessionId);
      }
      if (decision.sweepAfter) {
        outcome.swept += yield* this.sweep(state, sweptOut, sessionId);
        outcome.sessionComplete = true;
      }
      state.sessionId = sessionId;
      if (cohort) state.cohort = cohort;
    }
    yield* this.count(sessionId, action, {
      pages: outcome.duplicate ? 0 : 1,
      replays: outcome.duplicate ? 1 : 0,
      added: outcome.added.length,
      removed: outcome.removed.length + outcome.swept,
    });
    if (outcome.duplicate && !outcome.sessionComplete) return outcome;
    state.size = (state.size ?? 0) + outcome.added.length - outcome.removed.length - outcome.swept;
    state.updatedAt = new Date().toISOString();
    yield* this.saveState(state);
    outcome.size = state.size;
    if (decision.sweepAfter && !outcome.duplicate) yield* this.sampleSize(sessionId, state.size, Date.now());
    return outcome;
  }

  /** Records a session's member count (one row a session, the last SIZES_KEPT kept). */
  *sampleSize(sid, size, at) {
    yield sql(
      "INSERT INTO size_history (sid, at, size) VALUES (?, ?, ?) ON CONFLICT (sid) DO UPDATE SET at = excluded.at, size = excluded.size",
      sid, Number.isFinite(at) ? at : Date.now(), size,
    );
    yield sql("DELETE FROM size_history WHERE at < (SELECT at FROM size_history ORDER BY at DESC LIMIT 1 OFFSET ?)", SIZES_KEPT - 1);
  }

  /** The size samples, newest first, at most `limit`: `[{ sid, at, size }]`. */
  *sizes(limit = SIZES_KEPT) {
    return (yield sql("SELECT sid, at, size FROM size_history ORDER BY at DESC LIMIT ?", limit)).toArray();
  }

  /** Adds to a session's counters (`refusal`: why a page was refused, when one was). */
  *count(sid, action, { pages = 0, replays = 0, added = 0, removed = 0, refused = 0 }, refusal = null) {
    const now = Date.now();
    yield sql(
      `INSERT INTO sync_stats (sid, action, first_at, last_at, pages, replays, added, removed, refused, last_refusal, touched)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(touched), 0) + 1 FROM sync_stats))
       ON CONFLICT (sid, action) DO UPDATE SET last_at = excluded.last_at, pages = sync_stats.pages + excluded.pages,
         replays = sync_stats.replays + excluded.replays, added = sync_stats.added + excluded.added,
         removed = sync_stats.removed + excluded.removed, refused = sync_stats.refused + excluded.refused,
         last_refusal = coalesce(excluded.last_refusal, sync_stats.last_refusal), touched = excluded.touched`,
      sid, action, now, now, pages, replays, added, removed, refused, refusal,
    );
    // `touched` orders sessions by their last page (clocks tie within a millisecond).
    yield sql("DELETE FROM sync_stats WHERE touched < (SELECT touched FROM sync_stats ORDER BY touched DESC LIMIT 1 OFFSET 199)");
  }

  /** The counters per session and action: a Map keyed `${sid}\u0000${action}`. */
  *stats() {
    const rows = (yield sql("SELECT * FROM sync_stats")).toArray();
    return new Map(rows.map((row) => [`${row.sid}\u0000${row.action}`, row]));
  }

  /** A full sync starts (or starts over): who earlier pages listed no longer counts. */
  *startListing(state) {
    state.markSeq = (state.markSeq ?? 0) + 1;
    yield sql("DELETE FROM listed");
    state.listing = state.markSeq;
  }

  /**
   * Adds a page's members (`ids`, `kept`: as apply takes them): one read gives each listed
   * id its ordinal, or none (it joins); only joiners (and members whose kept data
   * changed) are written. While a full sync is under way the page's ordinals are logged
   * for its sweep. Returns the joiners as `[id, data, i]`.
   */
  *addListed(ids, kept, state, mark, sessionId) {
    // (Parts of ~500k characters: ids may be long, and one bound value must stay under 2 MB.)
    const rows = [];
    let first = 0;
    for (const part of ids) {
      const found = yield sql(
        {
          sqlite: `SELECT j.key + ? AS i, j.value AS id, CASE WHEN m.id IS NULL THEN 0 ELSE 1 END AS known, m.n AS n, m.data AS data
                   FROM json_each(?) AS j LEFT JOIN members AS m ON m.id = j.value`,
          pg: `SELECT j.i - 1 + ? AS i, j.value AS id, CASE WHEN m.id IS NULL THEN 0 ELSE 1 END AS known, m.n AS n, m.data AS data
               FROM json_array_elements_text(?::json) WITH ORDINALITY AS j (value, i) LEFT JOIN members AS m ON m.id = j.value`,
        },
        first,
        part.json,
      );
      for (const row of found) rows.push(row);
      first += part.count;
    }
    state.nextOrdinal ??= (yield sql("SELECT coalesce(max(n), 0) + 1 AS n FROM members")).one().n;
    const ns = new Float64Array(first);
    const joined = new Map(); // id -> ordinal: an id listed twice in a page joins once
    const added = [];
    const changed = [];
    for (const row of rows) {
      const { id } = row;
      const data = kept(row.i, id);
      if (row.known === 1) {
        ns[row.i] = row.n;
        if (data !== null && data !== row.data) changed.push([id, data]);
      } else if (joined.has(id)) {
        ns[row.i] = joined.get(id);
      } else {
        const n = state.nextOrdinal++;
        joined.set(id, n);
        ns[row.i] = n;
        added.push([id, data, n, row.i]);
      }
    }
    // Inserted in id order: neighbouring keys share B-tree pages, so fewer page visits
    // (1000 random uuids into 200k rows: 18.6 -> 14.8 ms in native SQLite).
    const byId = added.length > 1 ? [...added].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : added;
    for (const part of boundedJson(byId.map(([id, data, n]) => [id, data, n]))) {
      yield sql(
        {
          sqlite: "INSERT INTO members (id, data, n, joined_at, joined_session) SELECT value ->> 0, value ->> 1, value ->> 2, ?, ? FROM json_each(?)",
          pg: "INSERT INTO members (id, data, n, joined_at, joined_session) SELECT v ->> 0, v ->> 1, (v ->> 2)::bigint, ?::bigint, ?::text FROM json_array_elements(?::json) AS v",
        },
        Date.now(),
        sessionId,
        part,
      );
    }
    // A member listed twice in a page with two texts: the last one is kept.
    for (const part of boundedJson([...new Map(changed)])) {
      yield sql(
        {
          sqlite: "UPDATE members SET data = j.value ->> 1 FROM json_each(?) AS j WHERE members.id = j.value ->> 0",
          pg: "UPDATE members SET data = j.v ->> 1 FROM json_array_elements(?::json) AS j (v) WHERE members.id = j.v ->> 0",
        },
        part,
      );
    }
    if (mark && ns.length > 0) {
      if (state.listing == null) yield* this.startListing(state);
      yield sql("INSERT INTO listed (seq, ns) VALUES (?, ?)", state.listing, ns.buffer);
    }
    return added.map(([id, data, , i]) => [id, data, i]);
  }

  /** Ends the full sync: members no page of it listed leave. Returns how many. */
  *sweep(state, sweptOut, sessionId) {
    if (state.listing == null) return 0;
    state.nextOrdinal ??= (yield sql("SELECT coalesce(max(n), 0) + 1 AS n FROM members")).one().n;
    // One bit per ordinal: set = listed. 10M members: 1.25 MB, once per full sync.
    const seen = new Uint8Array(Math.ceil((state.nextOrdinal + 1) / 8));
    for (const row of yield sql("SELECT ns FROM listed WHERE seq = ?", state.listing)) {
      for (const n of new Float64Array(row.ns)) seen[n >>> 3] |= 1 << (n & 7);
    }
    let swept = 0;
    // Scans start at multiples of 8, so each one's bits are whole bytes of `seen`.
    const per = Math.ceil(this.ordinalsPerScan / 8) * 8;
    for (let low = 0; low <= state.nextOrdinal; low += per) {
      const high = Math.min(state.nextOrdinal + 1, low + per);
      const bits = seen.slice(low / 8, Math.ceil(high / 8)).buffer;
      // PostgreSQL reads a bit of a bytea as SQLite cannot: get_bit numbers them in the
      // same order as `seen` (bit n is bit n % 8 of byte n / 8).
      const { unlisted, args } =
        this.dialect === "pg"
          ? { unlisted: "n >= ? AND n < ? AND get_bit(?::bytea, (n - ?)::int) = 0", args: [low, high, bits, low] }
          : {
              unlisted: "n >= ? AND n < ? AND ((instr(?, substr(?, (n - ?) / 8 + 1, 1)) - 1) >> ((n - ?) % 8)) & 1 = 0",
              args: [low, high, BYTE_VALUES, bits, low, low],
            };
      if (sweptOut) {
        // In id order, 1000 at a time: each query resumes after the last id.
        for (let after = null; ; ) {
          const rows =
            after === null
              ? (yield sql(`SELECT id, data FROM members WHERE ${unlisted} ORDER BY id LIMIT 1000`, ...args)).toArray()
              : (yield sql(`SELECT id, data FROM members WHERE ${unlisted} AND id > ? ORDER BY id LIMIT 1000`, ...args, after)).toArray();
          if (rows.length === 0) break;
          yield* sweptOut(rows.map((r) => [r.id, r.data]));
          after = rows[rows.length - 1].id;
        }
      }
      // Who leaves, for the member lookup (bounded: a whole cohort may leave at once).
      const room = DEPARTURES_PER_SWEEP - Math.min(swept, DEPARTURES_PER_SWEEP);
      if (room > 0) {
        const leaving = (yield sql(`SELECT id FROM members WHERE ${unlisted} LIMIT ?`, ...args, room)).toArray();
        yield* this.departed(leaving.map((r) => r.id), sessionId);
      }
      // rowsWritten is the rows deleted: `members` has no secondary index to count.
      swept += (yield sql(`DELETE FROM members WHERE ${unlisted}`, ...args)).rowsWritten;
    }
    yield sql("DELETE FROM listed");
    state.listing = null;
    return swept;
  }

  *has(id) {
    return (yield sql("SELECT 1 FROM members WHERE id = ?", id)).toArray().length > 0;
  }

  /** Records that `ids` left in `sessionId`, keeping the last DEPARTURES_KEPT. */
  *departed(ids, sessionId) {
    if (ids.length === 0) return;
    const now = Date.now();
    for (const part of boundedJson(ids)) {
      yield sql(
        {
          sqlite: `INSERT INTO departures (id, left_at, session) SELECT value, ?, ? FROM json_each(?) WHERE true
                   ON CONFLICT (id) DO UPDATE SET left_at = excluded.left_at, session = excluded.session`,
          pg: `INSERT INTO departures (id, left_at, session) SELECT DISTINCT value, ?::bigint, ?::text FROM json_array_elements_text(?::json) AS value
               ON CONFLICT (id) DO UPDATE SET left_at = excluded.left_at, session = excluded.session`,
        },
        now,
        sessionId,
        part,
      );
    }
    const count = (yield sql("SELECT count(*) AS n FROM departures")).one().n;
    if (count > DEPARTURES_KEPT * 1.1) {
      yield sql("DELETE FROM departures WHERE left_at < (SELECT left_at FROM departures ORDER BY left_at DESC LIMIT 1 OFFSET ?)", DEPARTURES_KEPT);
    }
  }

  /**
   * What is known of one id: `{ member, since: { at, sessionId } | null, left: { at,
   * sessionId } | null }` (`left` for a member is an earlier departure, before it joined
   * again).
   */
  *lookup(id) {
    const row = (yield sql("SELECT joined_at, joined_session FROM members WHERE id = ?", id)).toArray()[0];
    const gone = (yield sql("SELECT left_at, session FROM departures WHERE id = ?", id)).toArray()[0];
    const at = (ms) => new Date(ms).toISOString();
    return {
      member: row !== undefined,
      since: row?.joined_at == null ? null : { at: at(row.joined_at), sessionId: row.joined_session },
      left: gone === undefined ? null : { at: at(gone.left_at), sessionId: gone.session },
    };
  }

  /** Members in id order after `after` (exclusive). */
  *list(limit, after) {
    const rows =
      after === null
        ? (yield sql("SELECT id FROM members ORDER BY id LIMIT ?", limit + 1)).toArray()
        : (yield sql("SELECT id FROM members WHERE id > ? ORDER BY id LIMIT ?", after, limit + 1)).toArray();
    const more = rows.length > limit;
    const members = rows.slice(0, limit).map((r) => r.id);
    return { members, last: more ? members[members.length - 1] : null };
  }
}

/**
 * `rows` as JSON array texts of at most ~500k characters each (one row may be more): a
 * bound value much over 2 MB is refused by SQLite in workerd, and with forwarding on a
 * page's members can carry that much.
 */
export function boundedJson(rows, { limit = MAX_BOUND_CHARS } = {}) {
  const parts = [];
  let part = [];
  let length = 0;
  const close = () => parts.push(`[${part.join(",")}]`);
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (part.length > 0 && length + text.length > limit) {
      close();
      part = [];
      length = 0;
    }
    part.push(text);
    length += text.length + 1;
  }
  if (part.length > 0) close();
  return parts;
}
