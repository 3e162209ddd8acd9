// Mixpanel profile properties (SegmentMembership, docs/domain.md) across cohorts. A user's
// `SegmentMembership` lists every cohort they are in, so it cannot be written by one
// cohort's object alone: cohort objects hand their changes here (idempotently, by the
// outbox key), this object keeps who is in which cohort and queues `$set` updates with
// the whole list for each changed user, delivered through its own outbox to /engage.
import { engageUrl, segmentMembershipUpdates } from "../api.js";
import { sql } from "./database.js";
import { send } from "./forward.js";
import { OUTBOX_SCHEMA, Outbox } from "./outbox.js";
import { boundedJson } from "./store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS memberships (distinct_id TEXT NOT NULL, cohort_id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (distinct_id, cohort_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS received (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Audience ids SegmentMembership can hold: no quote or comma (docs/domain.md, "SegmentMembership"). */
const encodable = (id) => id !== "" && !/[',]/.test(id);

export class Profiles {
  /** `db`: its database (database.js); `settings`: the receiver's (settings.js); `host`: routes.js. */
  constructor(db, { settings, host }) {
    this.db = db;
    this.settings = settings;
    this.host = host;
    db.schema(SCHEMA + OUTBOX_SCHEMA);
    this.outbox = new Outbox(db, {
      name: "profiles",
      baseDelayMs: settings.FORWARD_RETRY_BASE_MS,
      maxDelayMs: settings.FORWARD_RETRY_MAX_MS,
      events: settings.events,
    });
    /** Where /engage updates go: the one set, else the region's. */
    this.engageUrl = settings.MIXPANEL_ENGAGE_URL ?? engageUrl(settings.MIXPANEL_REGION);
  }

  /** One cohort change (`{ cohortId, cohortName, member, ids }`), once per `key`. */
  async record(key, { cohortId, cohortName, member, ids }) {
    if (!encodable(cohortId)) {
      console.warn(`cohort-sync: cohort id ${JSON.stringify(cohortId)} cannot go into SegmentMembership; skipped`);
      return;
    }
    const { settings, outbox, engageUrl: url } = this;
    await this.db.transaction(function* () {
      if ((yield sql("SELECT 1 FROM received WHERE key = ?", key)).toArray().length > 0) return;
      yield sql("INSERT INTO received (key, at) VALUES (?, ?)", key, Date.now());
      // Set-wise, a bounded part of the ids at a time: the change, then every changed
      // user's cohorts in one read.
      const cohorts = new Map(ids.map((id) => [id, []]));
      for (const part of boundedJson(ids)) {
        if (member) {
          yield sql(
            {
              sqlite: "INSERT OR REPLACE INTO memberships SELECT value, ?, ? FROM json_each(?)",
              pg: `INSERT INTO memberships SELECT DISTINCT value, ?::text, ?::text FROM json_array_elements_text(?::json) AS value
                   ON CONFLICT (distinct_id, cohort_id) DO UPDATE SET name = excluded.name`,
            },
            cohortId, cohortName, part,
          );
        } else {
          yield sql(
            {
              sqlite: "DELETE FROM memberships WHERE cohort_id = ? AND distinct_id IN (SELECT value FROM json_each(?))",
              pg: "DELETE FROM memberships WHERE cohort_id = ? AND distinct_id IN (SELECT value FROM json_array_elements_text(?::json) AS value)",
            },
            cohortId, part,
          );
        }
        const rows = yield sql(
          {
            sqlite: `SELECT m.distinct_id AS user, m.cohort_id AS id, m.name FROM memberships AS m
                     WHERE m.distinct_id IN (SELECT value FROM json_each(?)) ORDER BY m.distinct_id, m.cohort_id`,
            pg: `SELECT m.distinct_id AS user, m.cohort_id AS id, m.name FROM memberships AS m
                 WHERE m.distinct_id IN (SELECT value FROM json_array_elements_text(?::json) AS value) ORDER BY m.distinct_id, m.cohort_id`,
          },
          part,
        );
        for (const { user, id, name } of rows) cohorts.get(user).push({ id, name, member: true });
      }
      const perAudience = settings.MIXPANEL_PER_AUDIENCE;
      const users = [];
      for (const [distinctId, audiences] of cohorts) {
        if (!member) audiences.push({ id: cohortId, name: cohortName, member: false });
        users.push({ distinctId, audiences });
      }
      // Every changed user's properties and their request bodies: one call for the change.
      for (const body of segmentMembershipUpdates(users, { token: settings.MIXPANEL_TOKEN, perAudience })) {
        yield* outbox.add("mixpanel", { url, headers: { "content-type": "application/json", accept: "text/plain" }, body });
      }
    });
    await this.outbox.schedule();
  }

  /** Who is in which cohort, for one user (the read side of the tests and of debugging). */
  audiences(distinctId) {
    return this.db.transaction(function* () {
      return (yield sql("SELECT cohort_id AS id, name FROM memberships WHERE distinct_id = ? ORDER BY cohort_id", distinctId)).toArray();
    });
  }

  counts() {
    return this.db.transaction(() => this.outbox.counts());
  }

  /**
   * Sets the alarm for the work stored (queued requests): for a host whose alarms do not
   * outlive its process.
   */
  async resume() {
    await this.outbox.schedule();
  }

  async alarm() {
    await this.outbox.deliver((dest, request, key) => send(this.settings, this.host, dest, request, key));
  }

  deadLetters(limit) {
    return this.outbox.deadLetters(limit);
  }

  redriveDeadLetters(ids) {
    return this.outbox.redrive(ids);
  }

  dropDeadLetters(ids) {
    return this.outbox.drop(ids);
  }
}
