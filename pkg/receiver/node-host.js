// createReceiver: the receiver in one Node process on one SQLite file. The routes and
// the objects are the Worker's (routes.js, cohort.js, profiles.js, registry.js); this
// host gives each object its space in the file (sqlite.js), a timer for its alarm
// (alarm.js) and a queue that runs its calls one at a time (serial.js), as a Durable
// Object has.
import { createHash } from "node:crypto";
import { TimerAlarm } from "./alarm.js";
import { Cohort } from "./cohort.js";
import { toNodeListener } from "./node-http.js";
import { Profiles } from "./profiles.js";
import { Registry } from "./registry.js";
import { handleRequest } from "./routes.js";
import { serialised } from "./serial.js";
import { storageDatabase } from "./database.js";
import { openDatabase, sqliteSpace } from "./sqlite.js";

const COHORT_METHODS = ["apply", "info", "has", "lookup", "list", "syncs", "refused", "deadLetters", "redriveDeadLetters", "dropDeadLetters", "forget", "loggedPages"];
const PROFILES_METHODS = ["record", "audiences", "counts", "deadLetters", "redriveDeadLetters", "dropDeadLetters"];
const REGISTRY_METHODS = ["note", "forget", "list"];

// Which cohort's tables carry which number (`c<n>_…`): cohort ids are any text, table
// names are not.
const SPACES_SCHEMA = "CREATE TABLE IF NOT EXISTS cohort_spaces (cohort_id TEXT PRIMARY KEY, n INTEGER NOT NULL UNIQUE) WITHOUT ROWID";

/**
 * A receiver: `{ fetch(request), nodeHandler, cohort(id), profiles(), close() }`.
 * `db`: a file name (opened with better-sqlite3, and closed by close()) or an open
 * better-sqlite3 Database (left open). The other options are the Worker's settings
 * (docs/api.md, "createReceiver").
 */
export function createReceiver(options = {}) {
  const env = settingsOf(options);
  const db = openDatabase(options.db ?? "cohorts.db");
  const ownsDb = typeof (options.db ?? "cohorts.db") === "string";
  db.exec(SPACES_SCHEMA);
  const onAlarmError = (error) => console.error("cohort-sync: an alarm failed; it will run again", error?.stack ?? error);
  const alarms = [];
  const storageOf = (prefix, alarmOf) => {
    const alarm = new TimerAlarm(() => alarmOf().alarm(), onAlarmError);
    alarms.push(alarm);
    const space = sqliteSpace(db, prefix);
    return storageDatabase({
      ...space,
      getAlarm: () => alarm.getAlarm(),
      setAlarm: (at) => alarm.setAlarm(at),
      async deleteAlarm() {
        await alarm.deleteAlarm();
      },
      async deleteAll() {
        space.deleteAll();
      },
    });
  };

  const cohorts = new Map();
  let profiles = null;
  let registry = null;
  let closed = false;
  const host = {
    cohort(cohortId) {
      let entry = cohorts.get(cohortId);
      if (entry === undefined) {
        let object = null;
        const storage = storageOf(`c${spaceNumber(db, cohortId)}_`, () => object);
        object = new Cohort(storage, { env, name: nameOf(cohortId), host });
        entry = { object, handle: serialised(object, COHORT_METHODS) };
        cohorts.set(cohortId, entry);
      }
      return entry.handle;
    },
    profiles() {
      if (profiles === null) {
        let object = null;
        object = new Profiles(storageOf("profiles_", () => object), { env, host });
        profiles = { object, handle: serialised(object, PROFILES_METHODS) };
      }
      return profiles.handle;
    },
    registry() {
      if (registry === null) {
        const object = new Registry(storageDatabase(sqliteSpace(db, "registry_")));
        registry = { object, handle: serialised(object, REGISTRY_METHODS) };
      }
      return registry.handle;
    },
  };

  // Alarms are timers, gone with the last process: every object with stored work sets
  // its alarm again (page logs to apply, outboxes to deliver).
  host.profiles();
  profiles.object.resume();
  for (const { cohort_id: cohortId } of db.prepare("SELECT cohort_id FROM cohort_spaces ORDER BY n").all()) {
    host.cohort(cohortId);
    cohorts.get(cohortId).object.resume();
  }

  const receiver = {
    /** The answer to a Web-standard Request. */
    fetch(request) {
      if (closed) return Promise.resolve(new Response("the receiver is closed", { status: 503 }));
      return handleRequest(request, env, host);
    },
    /** A handle on one cohort (the methods of Cohort, async, one call at a time). */
    cohort: (cohortId) => host.cohort(cohortId),
    profiles: () => host.profiles(),
    /** Stops the alarms (waiting for runs under way) and closes the file when it opened it. */
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(alarms.map((alarm) => alarm.close()));
      if (ownsDb) db.close();
    },
  };
  receiver.nodeHandler = toNodeListener(receiver);
  return receiver;
}

/** The Worker's settings (its variable names) from createReceiver's options. */
function settingsOf(options) {
  const env = { ...(options.settings ?? {}) };
  const set = (name, value) => {
    if (value !== undefined) env[name] = value;
  };
  set("WEBHOOK_USERNAME", options.username);
  set("WEBHOOK_PASSWORD", options.password);
  if (options.allowUnauthenticated !== undefined) env.ALLOW_UNAUTHENTICATED = String(options.allowUnauthenticated === true);
  if (options.maxBodyBytes !== undefined) env.MAX_BODY_BYTES = String(options.maxBodyBytes);
  if (options.acceptCohorts !== undefined) env.ACCEPT_COHORTS = [].concat(options.acceptCohorts).join(",");
  if (options.consoleOrigins !== undefined) env.CONSOLE_ORIGINS = [].concat(options.consoleOrigins).join(",");
  return env;
}

/** The number of a cohort's tables, given on first sight. */
function spaceNumber(db, cohortId) {
  const known = db.prepare("SELECT n FROM cohort_spaces WHERE cohort_id = ?").get(cohortId);
  if (known) return known.n;
  return db.prepare("INSERT INTO cohort_spaces (cohort_id, n) VALUES (?, (SELECT coalesce(max(n), 0) + 1 FROM cohort_spaces)) RETURNING n").get(cohortId).n;
}

/**
 * The cohort's name in idempotency keys (`cohort:<name>:<seq>`): 16 hex characters of a
 * hash of its id, as stable as a Durable Object's id (which the Worker uses).
 */
function nameOf(cohortId) {
  return createHash("sha256").update(cohortId).digest("hex").slice(0, 16);
}
