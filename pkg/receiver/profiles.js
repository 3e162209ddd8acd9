// Mixpanel profile properties (SegmentMembership, docs/domain.md) across cohorts. A user's
// `SegmentMembership` lists every cohort they are in, so it cannot be written by one
// cohort's object alone: cohort objects hand their changes here (idempotently, by the
// outbox key), this object keeps who is in which cohort and queues `$set` updates with
// the whole list for each changed user, delivered through its own outbox to /engage.
import { engageUrl, segmentMembershipUpdates } from "../api.js";
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
  /** `storage`: its database (storage.md); `env`: the settings; `host`: routes.js. */
  constructor(storage, { env, host }) {
    this.storage = storage;
    this.env = env;
    this.host = host;
    storage.sql.exec(SCHEMA + OUTBOX_SCHEMA);
    this.sql = storage.sql;
    this.outbox = new Outbox(storage, {
      name: "profiles",
      baseDelayMs: Number(env.FORWARD_RETRY_BASE_MS) || undefined,
      maxDelayMs: Number(env.FORWARD_RETRY_MAX_MS) || undefined,
      analytics: env.ANALYTICS,
    });
  }

  /** One cohort change (`{ cohortId, cohortName, member, ids }`), once per `key`. */
  async record(key, { cohortId, cohortName, member, ids }) {
    if (!encodable(cohortId)) {
      console.warn(`cohort-sync: cohort id ${JSON.stringify(cohortId)} cannot go into SegmentMembership; skipped`);
      return;
    }
    this.storage.transactionSync(() => {
      if (this.sql.exec("SELECT 1 FROM received WHERE key = ?", key).toArray().length > 0) return;
      this.sql.exec("INSERT INTO received (key, at) VALUES (?, ?)", key, Date.now());
      // Set-wise, a bounded part of the ids at a time: the change, then every changed
      // user's cohorts in one read.
      const cohorts = new Map(ids.map((id) => [id, []]));
      for (const part of boundedJson(ids)) {
        if (member) this.sql.exec("INSERT OR REPLACE INTO memberships SELECT value, ?, ? FROM json_each(?)", cohortId, cohortName, part);
        else this.sql.exec("DELETE FROM memberships WHERE cohort_id = ? AND distinct_id IN (SELECT value FROM json_each(?))", cohortId, part);
        const rows = this.sql.exec(
          "SELECT m.distinct_id AS user, m.cohort_id AS id, m.name FROM memberships AS m WHERE m.distinct_id IN (SELECT value FROM json_each(?)) ORDER BY m.distinct_id, m.cohort_id",
          part,
        );
        for (const { user, id, name } of rows) cohorts.get(user).push({ id, name, member: true });
      }
      const perAudience = String(this.env.MIXPANEL_PER_AUDIENCE).toLowerCase() === "true";
      const users = [];
      for (const [distinctId, audiences] of cohorts) {
        if (!member) audiences.push({ id: cohortId, name: cohortName, member: false });
        users.push({ distinctId, audiences });
      }
      const url = this.env.MIXPANEL_ENGAGE_URL || engageUrl(this.env.MIXPANEL_REGION === "eu" ? "eu" : "us");
      // Every changed user's properties and their request bodies: one call for the change.
      for (const body of segmentMembershipUpdates(users, { token: this.env.MIXPANEL_TOKEN, perAudience })) {
        this.outbox.add("mixpanel", { url, headers: { "content-type": "application/json", accept: "text/plain" }, body });
      }
    });
    await this.outbox.schedule();
  }

  /** Who is in which cohort, for one user (the read side of the tests and of debugging). */
  audiences(distinctId) {
    return this.sql.exec("SELECT cohort_id AS id, name FROM memberships WHERE distinct_id = ? ORDER BY cohort_id", distinctId).toArray();
  }

  counts() {
    return this.outbox.counts();
  }

  /**
   * Sets the alarm for the work stored (logged pages, queued requests): for a host whose
   * alarms do not outlive its process.
   */
  async resume() {
    await this.outbox.schedule();
  }

  async alarm() {
    await this.outbox.deliver((dest, request, key) => send(this.env, this.host, dest, request, key));
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
