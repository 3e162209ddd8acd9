// createReceiver: the receiver in Node, on one SQLite file (one process) or on a
// PostgreSQL database (any number of processes). The routes and the objects are the
// Worker's (routes.js, cohort.js, profiles.js, registry.js); this host gives each object
// its space in the store (sqlite.js, postgres.js), a timer for its alarm (alarm.js) and
// a queue that runs its calls one at a time (serial.js), as a Durable Object has.
import { createHash } from "node:crypto";
import { TimerAlarm } from "./alarm.js";
import { Cohort } from "./cohort.js";
import { toNodeListener } from "./node-http.js";
import { Profiles } from "./profiles.js";
import { Registry } from "./registry.js";
import { handleRequest } from "./routes.js";
import { serialised } from "./serial.js";
import { checkSettingNames, readSettings } from "./settings.js";
import { storageDatabase } from "./database.js";
import { openPool, postgresSpace, prepareShared } from "./postgres.js";
import { openDatabase, sqliteSpace } from "./sqlite.js";

const COHORT_METHODS = [
  "apply", "info", "has", "lookup", "list", "syncs", "refused", "deadLetters", "redriveDeadLetters", "dropDeadLetters",
  "deadPages", "redriveDeadPages", "dropDeadPages", "forget", "loggedPages",
];
const PROFILES_METHODS = ["record", "audiences", "counts", "deadLetters", "redriveDeadLetters", "dropDeadLetters"];
const REGISTRY_METHODS = ["note", "has", "forget", "list"];

// Which cohort's tables carry which number (`c<n>_…`): cohort ids are any text, table
// names are not.
const SPACES_SCHEMA = "CREATE TABLE IF NOT EXISTS cohort_spaces (cohort_id TEXT PRIMARY KEY, n INTEGER NOT NULL UNIQUE) WITHOUT ROWID";

/**
 * A receiver: `{ fetch(request), nodeHandler, cohort(id), profiles(), close() }`.
 * `postgres`: a connection string or a pg Pool (the PostgreSQL store, for several
 * processes); else `db`: a SQLite file name (opened with the runtime's SQLite:
 * better-sqlite3 in Node, bun:sqlite in Bun, node:sqlite in Deno; closed by close()) or
 * an open Database of any of the three (left open). The other options are the
 * Worker's settings (docs/api.md, "createReceiver"), read and checked here, before any
 * store is opened: a bad value throws a SettingError (settings.js).
 */
export function createReceiver(options = {}) {
  const settings = settingsFrom(options);
  const onAlarmError = (error) => console.error("cohort-sync: an alarm failed; it will run again", error?.stack ?? error);
  const store = options.postgres !== undefined ? postgresStore(options.postgres, settings) : sqliteStore(options.db ?? "cohorts.db");
  const alarms = [];
  /** An object's database with its alarm, which runs `objectOf().alarm()` when due. */
  const databaseOf = (prefix, objectOf) => {
    let db = null;
    const alarm = new TimerAlarm(() => store.runAlarm(db, alarm, () => objectOf().alarm()), onAlarmError);
    alarms.push(alarm);
    db = store.space(prefix, alarm);
    return db;
  };

  const cohorts = new Map();
  const spaces = new Map(); // prefix -> the object's entry, for alarms due in another process
  let profiles = null;
  let registry = null;
  let closed = false;
  const host = {
    cohort(cohortId) {
      let entry = cohorts.get(cohortId);
      if (entry === undefined) {
        entry = {};
        entry.object = store.spaceNumber(cohortId).then((n) => {
          const prefix = `c${n}_`;
          let object = null;
          object = new Cohort(databaseOf(prefix, () => object), { settings, name: nameOf(cohortId), host });
          spaces.set(prefix, entry);
          return object;
        });
        entry.object.catch(() => cohorts.delete(cohortId)); // tried again on the next call
        entry.handle = serialised(entry.object, COHORT_METHODS);
        cohorts.set(cohortId, entry);
      }
      return entry.handle;
    },
    /** The cohort's handle when it has a space in the store, else null: reads make none. */
    async existingCohort(cohortId) {
      if (cohorts.has(cohortId)) return cohorts.get(cohortId).handle;
      return (await store.knownSpaceNumber(cohortId)) === null ? null : host.cohort(cohortId);
    },
    profiles() {
      if (profiles === null) {
        let object = null;
        object = new Profiles(databaseOf("profiles_", () => object), { settings, host });
        profiles = { object: Promise.resolve(object), handle: serialised(object, PROFILES_METHODS) };
        spaces.set("profiles_", profiles);
      }
      return profiles.handle;
    },
    registry() {
      if (registry === null) {
        const object = new Registry(databaseOf("registry_", () => object));
        registry = { object, handle: serialised(object, REGISTRY_METHODS) };
      }
      return registry.handle;
    },
  };

  // Alarms are timers, gone with the last process: every object with stored work sets
  // its alarm again (page logs to apply, outboxes to deliver). On PostgreSQL the alarms
  // are rows too, and the poll finds those due.
  const ready = (async () => {
    await store.ready;
    host.profiles();
    await (await profiles.object).resume();
    for (const cohortId of await store.cohortIds()) {
      host.cohort(cohortId);
      await (await cohorts.get(cohortId).object).resume();
    }
  })();
  // Shown even to a caller who never asks ready(); each request meets the error again.
  ready.catch((error) => console.error("cohort-sync: opening the store failed", error?.message ?? error));
  const poll = store.pollAlarms?.(async (prefix, at) => {
    let entry = spaces.get(prefix);
    if (entry === undefined) {
      const cohortId = await store.cohortOf(prefix);
      if (cohortId === null) return;
      host.cohort(cohortId);
      entry = cohorts.get(cohortId);
    }
    const object = await entry.object;
    // This process's timer, set for the row's time: its run claims the row.
    const current = await object.db.getAlarm();
    if (current === null || current > at) await object.db.setAlarm(at);
  }, onAlarmError);

  const receiver = {
    /** The answer to a Web-standard Request. */
    fetch(request) {
      if (closed) return Promise.resolve(new Response("the receiver is closed", { status: 503 }));
      return handleRequest(request, settings, host);
    },
    /** A handle on one cohort (the methods of Cohort, async, one call at a time). */
    cohort: (cohortId) => host.cohort(cohortId),
    profiles: () => host.profiles(),
    /** Resolves once the store is open and every object with stored work has its alarm set. */
    ready: () => ready,
    /** Stops the alarms (waiting for runs under way) and closes the store when it opened it. */
    async close() {
      if (closed) return;
      closed = true;
      poll?.stop();
      await ready.catch(() => {});
      await Promise.all(alarms.map((alarm) => alarm.close()));
      await store.close();
    },
  };
  receiver.nodeHandler = toNodeListener(receiver);
  return receiver;
}

/** The SQLite store: one file, one process (its SQLite is synchronous). */
function sqliteStore(target) {
  const db = openDatabase(target);
  db.exec(SPACES_SCHEMA);
  return {
    ready: Promise.resolve(),
    space(prefix, alarm) {
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
    },
    runAlarm: (db, alarm, run) => run(),
    async knownSpaceNumber(cohortId) {
      return db.prepare("SELECT n FROM cohort_spaces WHERE cohort_id = ?").get(cohortId)?.n ?? null;
    },
    async spaceNumber(cohortId) {
      const known = db.prepare("SELECT n FROM cohort_spaces WHERE cohort_id = ?").get(cohortId);
      if (known) return known.n;
      return db.prepare("INSERT INTO cohort_spaces (cohort_id, n) VALUES (?, (SELECT coalesce(max(n), 0) + 1 FROM cohort_spaces)) RETURNING n").get(cohortId).n;
    },
    cohortIds: async () => db.prepare("SELECT cohort_id FROM cohort_spaces ORDER BY n").all().map((row) => row.cohort_id),
    async close() {
      if (typeof target === "string") db.close();
    },
  };
}

/** The PostgreSQL store: one database, any number of processes (postgres.js). */
function postgresStore(target, settings) {
  const pool = openPool(target);
  /** How often this process looks for alarms due that no timer of its own holds (ms). */
  const pollMs = settings.ALARM_POLL_MS;
  // The shared tables, made once; tried again by the next use after a failure (the
  // server was down when the process started), so the receiver recovers without a restart.
  let shared = null;
  const prepared = () =>
    (shared ??= prepareShared(pool).catch((error) => {
      shared = null;
      throw error;
    }));
  return {
    ready: prepared(),
    space: (prefix, alarm) => postgresSpace(pool, prefix, alarm),
    async runAlarm(db, alarm, run) {
      const lease = await db.claimAlarm();
      await run();
      if ((await alarm.getAlarm()) === null) await db.releaseAlarm(lease);
    },
    async knownSpaceNumber(cohortId) {
      await prepared();
      return (await pool.query("SELECT n FROM cohort_spaces WHERE cohort_id = $1", [cohortId])).rows[0]?.n ?? null;
    },
    async spaceNumber(cohortId) {
      await prepared();
      const { rows } = await pool.query(
        `WITH added AS (INSERT INTO cohort_spaces (cohort_id) VALUES ($1) ON CONFLICT (cohort_id) DO NOTHING RETURNING n)
         SELECT n FROM added UNION ALL SELECT n FROM cohort_spaces WHERE cohort_id = $1`,
        [cohortId],
      );
      if (rows.length > 0) return rows[0].n;
      // Another process added it after this statement's snapshot: a new statement sees it.
      return (await pool.query("SELECT n FROM cohort_spaces WHERE cohort_id = $1", [cohortId])).rows[0].n;
    },
    cohortIds: async () => (await prepared(), await pool.query("SELECT cohort_id FROM cohort_spaces ORDER BY n")).rows.map((row) => row.cohort_id),
    async cohortOf(prefix) {
      const n = /^c(\d+)_$/.exec(prefix)?.[1];
      if (n === undefined) return null;
      const { rows } = await pool.query("SELECT cohort_id FROM cohort_spaces WHERE n = $1", [n]);
      return rows[0]?.cohort_id ?? null;
    },
    /** Every `pollMs`, `due(prefix, at)` for each alarm row due. */
    pollAlarms(due, onError) {
      let timer = null;
      let stopped = false;
      const tick = async () => {
        try {
          await prepared();
          const { rows } = await pool.query("SELECT space, at FROM cohort_alarms WHERE at <= $1", [Date.now()]);
          for (const { space, at } of rows) await due(space, at);
        } catch (error) {
          if (!stopped) onError(error);
        }
        if (!stopped) timer = setTimeout(tick, pollMs);
      };
      timer = setTimeout(tick, pollMs);
      return {
        stop() {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
    async close() {
      if (typeof target === "string") await pool.end();
    },
  };
}

/**
 * The settings (settings.js) from createReceiver's options: `settings` by the Worker's
 * names, and the options that stand for some of them, which win.
 */
function settingsFrom(options) {
  checkSettingNames(options.settings ?? {}, "the option settings");
  const values = { ...(options.settings ?? {}) };
  const aliases = {};
  const set = (name, option, value = options[option]) => {
    if (options[option] === undefined) return;
    values[name] = value;
    aliases[name] = `the option ${option}`;
  };
  set("WEBHOOK_USERNAME", "username");
  set("WEBHOOK_PASSWORD", "password");
  set("ALLOW_UNAUTHENTICATED", "allowUnauthenticated", String(options.allowUnauthenticated === true));
  set("MAX_BODY_BYTES", "maxBodyBytes", String(options.maxBodyBytes));
  set("ACCEPT_COHORTS", "acceptCohorts", [].concat(options.acceptCohorts).join(","));
  set("CONSOLE_ORIGINS", "consoleOrigins", [].concat(options.consoleOrigins).join(","));
  set("ON_EVENT", "onEvent");
  set("EVENT_LINES", "logEvents", String(options.logEvents !== false));
  return readSettings(values, { aliases });
}

/**
 * The cohort's name in idempotency keys (`cohort:<name>:<seq>`): 16 hex characters of a
 * hash of its id, as stable as a Durable Object's id (which the Worker uses).
 */
function nameOf(cohortId) {
  return createHash("sha256").update(cohortId).digest("hex").slice(0, 16);
}
