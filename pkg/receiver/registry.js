// Which cohorts are synced here: one object for the whole receiver, told by each cohort's
// object when the cohort is first seen, when one of its syncs completes and when it is
// forgotten — never on every page, so it costs a page nothing. `GET /cohorts` reads the
// list here and asks each cohort's object for its live figures.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cohorts (
  id TEXT PRIMARY KEY, name TEXT, first_seen_at TEXT NOT NULL, last_completed_at TEXT, last_completed_session TEXT
) WITHOUT ROWID;
`;

export class Registry {
  /** `sql`: its database (storage.md). */
  constructor(sql) {
    sql.exec(SCHEMA);
    this.sql = sql;
  }

  /** A cohort was seen, or completed a sync (`completed`: `{ at, sessionId }`). */
  note(cohortId, { name = null, completed = null } = {}) {
    this.sql.exec(
      `INSERT INTO cohorts (id, name, first_seen_at, last_completed_at, last_completed_session) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = coalesce(excluded.name, name),
         last_completed_at = coalesce(excluded.last_completed_at, last_completed_at),
         last_completed_session = coalesce(excluded.last_completed_session, last_completed_session)`,
      cohortId, name, new Date().toISOString(), completed?.at ?? null, completed?.sessionId ?? null,
    );
  }

  forget(cohortId) {
    this.sql.exec("DELETE FROM cohorts WHERE id = ?", cohortId);
  }

  /** Every cohort, by id: `{ cohortId, cohortName, firstSeenAt, lastCompletedSync }`. */
  list() {
    return this.sql
      .exec("SELECT * FROM cohorts ORDER BY id")
      .toArray()
      .map((row) => ({
        cohortId: row.id,
        cohortName: row.name,
        firstSeenAt: row.first_seen_at,
        lastCompletedSync: row.last_completed_at === null ? null : { at: row.last_completed_at, sessionId: row.last_completed_session },
      }));
  }
}
