// Which cohorts are synced here: one object for the whole receiver, told by each cohort's
// object when the cohort is first seen, when one of its syncs completes and when it is
// forgotten — never on every page, so it costs a page nothing. `GET /cohorts` reads the
// list here and asks each cohort's object for its live figures.
import { sql } from "./database.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cohorts (
  id TEXT PRIMARY KEY, name TEXT, first_seen_at TEXT NOT NULL, last_completed_at TEXT, last_completed_session TEXT
) WITHOUT ROWID;
`;

export class Registry {
  /** `db`: its database (database.js). */
  constructor(db) {
    db.schema(SCHEMA);
    this.db = db;
  }

  /** A cohort was seen, or completed a sync (`completed`: `{ at, sessionId }`). */
  note(cohortId, { name = null, completed = null } = {}) {
    return this.db.transaction(function* () {
      yield sql(
        `INSERT INTO cohorts (id, name, first_seen_at, last_completed_at, last_completed_session) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = coalesce(excluded.name, cohorts.name),
           last_completed_at = coalesce(excluded.last_completed_at, cohorts.last_completed_at),
           last_completed_session = coalesce(excluded.last_completed_session, cohorts.last_completed_session)`,
        cohortId, name, new Date().toISOString(), completed?.at ?? null, completed?.sessionId ?? null,
      );
    });
  }

  /** Whether a page of the cohort was answered 200 here (and it was not forgotten since). */
  has(cohortId) {
    return this.db.transaction(function* () {
      return (yield sql("SELECT 1 AS known FROM cohorts WHERE id = ?", cohortId)).toArray().length > 0;
    });
  }

  forget(cohortId) {
    return this.db.transaction(function* () {
      yield sql("DELETE FROM cohorts WHERE id = ?", cohortId);
    });
  }

  /** Every cohort, by id: `{ cohortId, cohortName, firstSeenAt, lastCompletedSync }`. */
  list() {
    return this.db.transaction(function* () {
      return (yield sql("SELECT * FROM cohorts ORDER BY id")).toArray().map((row) => ({
        cohortId: row.id,
        cohortName: row.name,
        firstSeenAt: row.first_seen_at,
        lastCompletedSync: row.last_completed_at === null ? null : { at: row.last_completed_at, sessionId: row.last_completed_session },
      }));
    });
  }
}
