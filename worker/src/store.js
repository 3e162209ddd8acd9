// The SQLite schema of one cohort's Durable Object and the membership operations on it.
// Membership mirrors the package's CohortState (README "How CohortState stays exact"),
// kept in SQL rather than in memory so a cohort of 10M members fits the 128 MB isolate:
//
// - `members(id, mark, data, born)`: `mark` is the sequence number of the full sync that last
//   listed the member. Starting a full sync takes a new number (that is "clearing the
//   marks" in O(1)); when its last page lands, members with an older mark are removed.
//   No index on `mark`: it tripled the cost of every page (3.4 → 13.5 ms for 1000 new
//   members, bench/worker.bench.mjs) to speed up the one sweep per full sync, which
//   scans the table instead (100k members: well under a page's time). `born` tells
//   the rows a page inserted from the ones it only marked, in one statement (a known
//   member's page went from 7.0 to 4.3 ms against an insert plus an update).
// - `sessions` / `session_pages`: the pages applied per (session, action), so a replay
//   changes nothing; the last 64 sessions are remembered, as in CohortState.
// - `meta`: the full sync under way, the member count, the last update.

export const REMEMBERED_SESSIONS = 64;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, mark INTEGER NOT NULL, data TEXT, born INTEGER) WITHOUT ROWID;
DROP INDEX IF EXISTS members_by_mark;
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT NOT NULL, action TEXT NOT NULL, total INTEGER NOT NULL,
  replaced INTEGER NOT NULL DEFAULT 0, touched INTEGER NOT NULL,
  PRIMARY KEY (sid, action)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_pages (
  sid TEXT NOT NULL, action TEXT NOT NULL, page INTEGER NOT NULL,
  PRIMARY KEY (sid, action, page)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
`;

/** One cohort's membership over `ctx.storage.sql`. Call inside `transactionSync`. */
export class MembershipStore {
  constructor(sql) {
    this.sql = sql;
    this.migrate();
  }

  /**
   * Brings storage written by an earlier version up to this one: `members.born` came
   * later, and the cohort's fields moved from one meta row each into one "state" row.
   */
  migrate() {
    try {
      this.sql.exec("SELECT born FROM members LIMIT 0");
    } catch {
      this.sql.exec("ALTER TABLE members ADD COLUMN born INTEGER");
    }
    const old = this.sql.exec("SELECT key, value FROM meta WHERE key != 'state'").toArray();
    if (old.length > 0) {
      const state = { ...Object.fromEntries(old.map((r) => [r.key, JSON.parse(r.value)])), ...this.state() };
      this.saveState(state);
      this.sql.exec("DELETE FROM meta WHERE key != 'state'");
    }
  }

  /**
   * The cohort's state in one row (`meta` key "state"): `{ fullSync, markSeq, size,
   * updatedAt, sessionId, cohort }`. One read and one write a page instead of one each
   * per field. `{}` for a cohort never synced.
   */
  state() {
    const row = this.sql.exec("SELECT value FROM meta WHERE key = 'state'").toArray()[0];
    return row ? JSON.parse(row.value) : {};
  }

  saveState(state) {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('state', ?)", JSON.stringify(state));
  }

  /**
   * Applies one validated page: `{ action, sessionId, page, total, members, cohort }`
   * where `members` are `[id, data]` (data: the member's JSON text, or null when not
   * kept) and `cohort` is `{ projectId, cohortId, cohortName }`. Returns `{ added,
   * removed, duplicate, sessionComplete, size }`; `added`/`removed` are `[id, data]`
   * pairs of the real changes.
   */
  apply({ action, sessionId, page, total, members, cohort }) {
    const state = this.state();
    const outcome = { added: [], removed: [], duplicate: false, sessionComplete: false, size: state.size ?? 0 };
    // The sender changed the page count of the session under way: it started over.
    if (action === "members" && state.fullSync && state.fullSync.sid === sessionId && state.fullSync.total !== total) {
      this.startOrJoin(state, sessionId, total);
    }
    // A finished (or add/remove) session sent again with another page count counts afresh.
    this.sql.exec("DELETE FROM sessions WHERE sid = ? AND action = ? AND replaced = 0 AND total != ?", sessionId, action, total);
    const seen = this.sql.exec("SELECT replaced FROM sessions WHERE sid = ? AND action = ?", sessionId, action).toArray()[0];
    if (seen) {
      const replayed =
        seen.replaced === 1 ||
        this.sql.exec("SELECT 1 FROM session_pages WHERE sid = ? AND action = ? AND page = ?", sessionId, action, page).toArray().length > 0;
      if (replayed) {
        outcome.duplicate = true;
        return outcome;
      }
    } else {
      // Pages of a session forgotten by the DELETE above are no longer applied.
      this.sql.exec("DELETE FROM session_pages WHERE sid = ? AND action = ?", sessionId, action);
    }
    if (action === "add_members") {
      outcome.added = this.addListed(members, state.fullSync);
    } else if (action === "remove_members") {
      outcome.removed = this.sql
        .exec("DELETE FROM members WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, data", JSON.stringify(members.map(([id]) => id)))
        .toArray()
        .map((r) => [r.id, r.data]);
    } else {
      this.startOrJoin(state, sessionId, total);
      outcome.added = this.addListed(members, state.fullSync);
    }
    this.remember(sessionId, action, page, total);
    if (action === "members") {
      const done = this.sql.exec("SELECT count(*) AS n FROM session_pages WHERE sid = ? AND action = 'members'", sessionId).one().n;
      if (done >= total) {
        outcome.removed = this.sweep(state.fullSync);
        outcome.sessionComplete = true;
        state.fullSync = null;
      }
    }
    state.size = (state.size ?? 0) + outcome.added.length - outcome.removed.length;
    state.updatedAt = new Date().toISOString();
    state.sessionId = sessionId;
    if (cohort) state.cohort = cohort;
    this.saveState(state);
    outcome.size = state.size;
    return outcome;
  }

  /** Makes `sid` the full sync under way in `state` (a new one replaces an unfinished one). */
  startOrJoin(state, sid, total) {
    const current = state.fullSync;
    if (current && current.sid === sid && current.total === total) return;
    if (current && current.sid !== sid) {
      this.sql.exec("UPDATE sessions SET replaced = 1 WHERE sid = ? AND action = 'members'", current.sid);
    }
    state.markSeq = (state.markSeq ?? 0) + 1;
    // A restarted session's earlier pages no longer count as applied.
    this.sql.exec("DELETE FROM sessions WHERE sid = ? AND action = 'members'", sid);
    this.sql.exec("DELETE FROM session_pages WHERE sid = ? AND action = 'members'", sid);
    state.fullSync = { sid, total, seq: state.markSeq };
  }

  /** Adds a page's members, marking them for the sweep while a full sync is under way. */
  addListed(members, fullSync) {
    const mark = fullSync ? fullSync.seq : 0;
    // One pass: new rows get this call's token in `born`, so the rows that come back
    // with it are the members that joined; known rows only have their mark raised.
    const token = Math.floor(Math.random() * 2 ** 52);
    const added = this.sql
      .exec(
        `INSERT INTO members (id, mark, data, born) SELECT value ->> 0, ?, value ->> 1, ? FROM json_each(?) WHERE true
         ON CONFLICT (id) DO UPDATE SET mark = max(mark, excluded.mark), data = coalesce(excluded.data, data)
         WHERE mark < excluded.mark OR excluded.data IS NOT NULL
         RETURNING id, born = ? AS fresh`,
        mark,
        token,
        JSON.stringify(members),
        token,
      )
      .toArray()
      .filter((r) => r.fresh === 1)
      .map((r) => r.id);
    if (added.length === 0) return [];
    // An id listed twice in one page (a warning, not an error) joined once.
    if (new Set(added).size !== added.length) added.splice(0, added.length, ...new Set(added));
    const data = new Map(members);
    return added.map((id) => [id, data.get(id) ?? null]);
  }

  /** Ends the full sync: members no page of it listed leave. */
  sweep(fullSync) {
    if (!fullSync) return [];
    return this.sql
      .exec("DELETE FROM members WHERE mark < ? RETURNING id, data", fullSync.seq)
      .toArray()
      .map((r) => [r.id, r.data]);
  }

  remember(sid, action, page, total) {
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO sessions (sid, action, total, touched) VALUES (?, ?, ?, ?) ON CONFLICT (sid, action) DO UPDATE SET touched = excluded.touched",
      sid,
      action,
      total,
      now,
    );
    this.sql.exec("INSERT OR IGNORE INTO session_pages (sid, action, page) VALUES (?, ?, ?)", sid, action, page);
    const count = this.sql.exec("SELECT count(*) AS n FROM sessions").one().n;
    if (count > REMEMBERED_SESSIONS) {
      const old = this.sql
        .exec("SELECT sid, action FROM sessions ORDER BY touched ASC LIMIT ?", count - REMEMBERED_SESSIONS)
        .toArray();
      for (const { sid: s, action: a } of old) {
        this.sql.exec("DELETE FROM sessions WHERE sid = ? AND action = ?", s, a);
        this.sql.exec("DELETE FROM session_pages WHERE sid = ? AND action = ?", s, a);
      }
    }
  }

  has(id) {
    return this.sql.exec("SELECT 1 FROM members WHERE id = ?", id).toArray().length > 0;
  }

  /** Members in id order after `after` (exclusive). */
  list(limit, after) {
    const rows =
      after === null
        ? this.sql.exec("SELECT id FROM members ORDER BY id LIMIT ?", limit + 1).toArray()
        : this.sql.exec("SELECT id FROM members WHERE id > ? ORDER BY id LIMIT ?", after, limit + 1).toArray();
    const more = rows.length > limit;
    const members = rows.slice(0, limit).map((r) => r.id);
    return { members, last: more ? members[members.length - 1] : null };
  }
}
