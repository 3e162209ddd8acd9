// An outbox of requests to destinations, stored in the same SQLite database (and the same
// transaction) as the change that caused them, delivered when the host's alarm is due.
//
// - A row leaves the outbox only after its destination accepted it (2xx), so an outage
//   of any length loses nothing: the row waits, retried with backoff capped at
//   FORWARD_RETRY_MAX_MS. Rows of one destination go strictly in order (a failing head
//   holds back the rows after it), so an add and a later remove never swap.
// - A destination that refuses a request for good (4xx other than 408/429) moves it to
//   `dead_letters`, kept until an operator sends it again (redrive: back to the end of
//   its destination's queue) or drops it (the dead-letter routes, docs/api.md). A
//   redriven letter keeps its identity: `redrives` ties the outbox row it went back as
//   to its letter id and the attempts made before, so a refusal again brings back the
//   same letter, its attempts added up, not a new one that hides what happened.
// - Each request carries `Idempotency-Key: <object>:<seq>`; the one window for a repeat
//   is the runtime dying between the destination's 2xx and the row's deletion. When a
//   destination took part of a request and the rest is to be sent again (CleverTap's
//   per-record answers), the rest is another body, so it goes under a key of its own,
//   `<object>:<seq>.<part>`: a destination that honours keys would drop it under the
//   first one. Retrying that same rest keeps its key.

import { sql } from "./database.js";
import { logEvent } from "./log.js";

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, dest TEXT NOT NULL, request TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT,
  part INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_by_dest ON outbox (dest, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER, dest TEXT NOT NULL, request TEXT NOT NULL,
  attempts INTEGER NOT NULL, failed_at INTEGER NOT NULL, error TEXT
);
CREATE TABLE IF NOT EXISTS redrives (
  letter INTEGER PRIMARY KEY, seq INTEGER, attempts INTEGER NOT NULL, times INTEGER NOT NULL, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS redrives_by_seq ON redrives (seq);
`;

/** Requests sent per alarm before the alarm is set again (keeps each run short). */
const SENDS_PER_RUN = 50;
/** How long an alarm waits before looking again at an outbox another process is delivering (ms). */
const BUSY_RETRY_MS = 1000;

export class Outbox {
  /**
   * `db`: the database and alarm of the object that owns the outbox (database.js);
   * `baseDelayMs`, `maxDelayMs`: the retries' backoff (FORWARD_RETRY_BASE_MS and
   * FORWARD_RETRY_MAX_MS, settings.js); `events`: where its delivery events go (log.js);
   * `otherWorkDue()`: steps that return when the object's other alarm work is due (ms),
   * or null; `heldUntil()`: until when deliveries wait for the object's other work (ms),
   * or null: a run of sends stops early when it says so.
   */
  constructor(db, { name, baseDelayMs, maxDelayMs, otherWorkDue = function* () { return null; }, heldUntil = () => null, events }) {
    this.otherWorkDue = otherWorkDue;
    this.heldUntil = heldUntil;
    this.events = events;
    this.db = db;
    this.name = name;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
  }

  /** Queues a request (`{ url, headers, body }` or any JSON for an RPC destination): steps. */
  *add(dest, request) {
    yield sql("INSERT INTO outbox (dest, request, next_at) VALUES (?, ?, ?)", dest, JSON.stringify(request), Date.now());
  }

  /** `{ pending, dead }`: steps. */
  *counts() {
    const pending = (yield sql("SELECT count(*) AS n FROM outbox")).one().n;
    const dead = (yield sql("SELECT count(*) AS n FROM dead_letters")).one().n;
    return { pending, dead };
  }

  /**
   * The dead letters, oldest first, at most `limit`: `{ id, destination, request, carried,
   * error, attempts, failedAt, redriven }`, the request in short (its URL and the first 300
   * characters of its body), what it carried (`carried`), the error as recorded (status
   * and an excerpt of the answer), every attempt since it was first queued, and
   * `{ times, lastAt }` when it was redriven.
   */
  deadLetters(limit) {
    return this.db.transaction(function* () {
      const rows = yield sql(
        `SELECT d.id, d.dest, d.request, d.attempts, d.failed_at, d.error, r.times, r.at AS redriven_at
         FROM dead_letters AS d LEFT JOIN redrives AS r ON r.letter = d.id ORDER BY d.id LIMIT ?`,
        limit,
      );
      return rows.toArray().map((row) => {
        const request = parsed(row.request);
        let what = null;
        try {
          what = request === null ? null : carried(row.dest, request);
        } catch {
          // A body this version cannot read: what it carried is not said.
        }
        return {
          id: row.id,
          destination: row.dest,
          request: shortRequest(row.request, request),
          carried: what,
          error: row.error,
          attempts: row.attempts,
          failedAt: new Date(row.failed_at).toISOString(),
          redriven: row.times == null ? null : { times: row.times, lastAt: new Date(row.redriven_at).toISOString() },
        };
      });
    });
  }

  /**
   * Sends dead letters again: each goes back to the end of its destination's queue (a new
   * outbox row, so a new idempotency key: a destination may have kept its refusal under
   * the old one), its backoff started afresh, in one transaction, and the alarm is set
   * for them. Should it be refused again it comes back under its own id, with every
   * attempt counted. `ids`: which ones (null: all). Resolves to how many.
   */
  async redrive(ids) {
    const moved = await this.db.transaction(function* () {
      const rows = yield* deadRows(ids);
      const now = Date.now();
      for (const row of rows) {
        yield sql("INSERT INTO outbox (dest, request, next_at) VALUES (?, ?, ?)", row.dest, row.request, now);
        const seq = (yield sql("SELECT max(seq) AS seq FROM outbox")).one().seq;
        yield sql(
          `INSERT INTO redrives (letter, seq, attempts, times, at) VALUES (?, ?, ?, 1, ?)
           ON CONFLICT (letter) DO UPDATE SET seq = excluded.seq, attempts = excluded.attempts, times = redrives.times + 1, at = excluded.at`,
          row.id, seq, row.attempts, now,
        );
        yield sql("DELETE FROM dead_letters WHERE id = ?", row.id);
      }
      return rows.length;
    });
    if (moved > 0) await this.schedule();
    return moved;
  }

  /** Forgets dead letters (`ids`, or all when null). Resolves to how many. */
  drop(ids) {
    return this.db.transaction(function* () {
      const rows = yield* deadRows(ids);
      for (const row of rows) {
        yield sql("DELETE FROM dead_letters WHERE id = ?", row.id);
        yield sql("DELETE FROM redrives WHERE letter = ?", row.id);
      }
      return rows.length;
    });
  }

  /**
   * Sets the alarm for the earliest due row: never later than an alarm already set,
   * except from the alarm handler itself, where the alarm still reads as the one
   * running (already past) and must be replaced.
   */
  async schedule({ fromAlarm = false, notBefore = 0 } = {}) {
    const { otherWorkDue } = this;
    const held = this.heldUntil();
    let next = await this.db.transaction(function* () {
      // Only each destination's head can go next: later rows wait behind it.
      let head = (yield sql("SELECT min(next_at) AS at FROM outbox AS o WHERE seq = (SELECT min(seq) FROM outbox WHERE dest = o.dest)")).one().at;
      if (head !== null && held !== null) head = Math.max(head, held);
      const other = yield* otherWorkDue();
      return head === null ? other : other === null ? head : Math.min(head, other);
    });
    if (next === null) return;
    next = Math.max(next, notBefore);
    const current = fromAlarm ? null : await this.db.getAlarm();
    if (current === null || current > next) await this.db.setAlarm(next);
  }

  /**
   * Sends due rows, each destination in order. `send(dest, request, key)` resolves to
   * `{ ok: true }`, `{ retry: reason, request? }` (optionally what is left to send) or
   * `{ dead: reason }`, with `deadLetter: { request, error }` when a part failed for
   * good; a throw counts as a retry. One delivery at a time per outbox, whatever the
   * number of processes on the store: a destination's rows go strictly in order.
   */
  async deliver(send) {
    const done = await this.db.exclusive("deliver", (stillOurs) => this.deliverDue(send, stillOurs));
    // Another process is delivering this outbox (and sets its own alarm after): this one
    // looks again a little later rather than at once.
    await this.schedule({ fromAlarm: true, notBefore: done === true ? 0 : Date.now() + BUSY_RETRY_MS });
  }

  /** Sends what is due; false when another process took the outbox over meanwhile. */
  async deliverDue(send, stillOurs) {
    const { db } = this;
    let sent = 0;
    const dests = await db.transaction(function* () {
      return (yield sql("SELECT DISTINCT dest FROM outbox")).toArray().map((r) => r.dest);
    });
    for (const dest of dests) {
      while (sent < SENDS_PER_RUN) {
        const head = await db.transaction(function* () {
          return (yield sql("SELECT * FROM outbox WHERE dest = ? ORDER BY seq LIMIT 1", dest)).toArray()[0];
        });
        if (!head || head.next_at > Date.now() || this.heldUntil() !== null) break;
        if (!(await stillOurs())) return false;
        sent++;
        let result;
        const started = Date.now();
        try {
          const key = head.part === 0 ? `${this.name}:${head.seq}` : `${this.name}:${head.seq}.${head.part}`;
          result = await send(dest, JSON.parse(head.request), key);
        } catch (error) {
          result = { retry: String(error?.message ?? error) };
        }
        logEvent("delivery", {
          object: this.name,
          destination: dest,
          status: result.ok ? "ok" : result.dead !== undefined ? "dead" : "retry",
          attempt: head.attempts + 1,
          ms: Date.now() - started,
          ...(result.ok ? {} : { error: String(result.dead ?? result.retry).slice(0, 200) }),
        }, this.events);
        const attempts = head.attempts + 1;
        const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(attempts - 1, 30));
        await db.transaction(function* () {
          if (result.deadLetter) {
            // Part of the request failed for good (CleverTap's per-record refusals): kept.
            yield sql(
              "INSERT INTO dead_letters (dest, request, attempts, failed_at, error) VALUES (?, ?, ?, ?, ?)",
              dest, JSON.stringify(result.deadLetter.request), attempts, Date.now(), String(result.deadLetter.error),
            );
          }
          if (result.ok) {
            yield sql("DELETE FROM outbox WHERE seq = ?", head.seq);
            yield sql("DELETE FROM redrives WHERE seq = ?", head.seq);
          } else if (result.dead !== undefined) {
            // A redriven letter refused again is the same letter, with every attempt counted.
            const back = (yield sql("SELECT letter, attempts FROM redrives WHERE seq = ?", head.seq)).toArray()[0];
            if (back) {
              yield sql(
                "INSERT INTO dead_letters (id, seq, dest, request, attempts, failed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                back.letter, head.seq, dest, head.request, back.attempts + attempts, Date.now(), String(result.dead),
              );
              yield sql("UPDATE redrives SET seq = NULL WHERE letter = ?", back.letter);
            } else {
              yield sql(
                "INSERT INTO dead_letters (seq, dest, request, attempts, failed_at, error) VALUES (?, ?, ?, ?, ?, ?)",
                head.seq, dest, head.request, attempts, Date.now(), String(result.dead),
              );
            }
            yield sql("DELETE FROM outbox WHERE seq = ?", head.seq);
          } else {
            yield sql(
              "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ?, request = ?, part = ? WHERE seq = ?",
              attempts, Date.now() + delay, String(result.retry),
              result.request ? JSON.stringify(result.request) : head.request, result.request ? head.part + 1 : head.part, head.seq,
            );
          }
        });
        if (!result.ok && result.dead === undefined) break; // this destination waits; the others go on
      }
    }
    return true;
  }
}

/** The dead letters named (`ids`, or all when null), oldest first: steps. */
function* deadRows(ids) {
  if (ids === null) return (yield sql("SELECT id, dest, request, attempts FROM dead_letters ORDER BY id")).toArray();
  const rows = yield sql(
    {
      sqlite: "SELECT id, dest, request, attempts FROM dead_letters WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
      pg: "SELECT id, dest, request, attempts FROM dead_letters WHERE id IN (SELECT value::bigint FROM json_array_elements_text(?::json) AS value) ORDER BY id",
    },
    JSON.stringify(ids),
  );
  return rows.toArray();
}

/**
 * What a queued request carries, for its dead letter: `{ records, joins, departures }`
 * (joins and departures of the cohort; null where the destination's records do not say,
 * as Mixpanel's profile updates, which set a user's whole list of cohorts). Read from
 * the request only when dead letters are listed, never as it is sent (forward.js
 * builds these bodies). Throws for a body
 * it cannot read.
 */
export function carried(dest, request) {
  if (dest === "profiles") {
    const n = request.ids.length;
    return { records: n, joins: request.member ? n : 0, departures: request.member ? 0 : n };
  }
  const body = JSON.parse(request.body);
  if (dest === "clevertap") {
    // Partner Sync events say Added or Removed; profile records carry the member's fields.
    let joins = 0;
    let departures = 0;
    for (const record of body.d) {
      if (record?.type !== "event") continue;
      if (record.evtData?.Action === "Added") joins++;
      else if (record.evtData?.Action === "Removed") departures++;
    }
    return { records: body.d.length, joins, departures };
  }
  if (dest === "braze") {
    let joins = 0;
    let departures = 0;
    for (const change of body.cohort_changes) {
      if (change.should_remove) departures += change.user_ids.length;
      else joins += change.user_ids.length;
    }
    return { records: joins + departures, joins, departures };
  }
  return { records: Array.isArray(body) ? body.length : 1, joins: null, departures: null };
}

/** A stored request as JSON, or null when it is not. */
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A stored request (`text`, `request` parsed from it), in short: its URL and the start of its body. */
function shortRequest(text, request) {
  if (request === null) return { body: String(text).slice(0, 300) };
  const body = typeof request?.body === "string" ? request.body : JSON.stringify(request?.body ?? request);
  return { url: request?.url ?? null, body: body.length > 300 ? `${body.slice(0, 300)}…` : body };
}

/** How an HTTP answer from a destination is taken (no body-level meaning). */
export function byStatus(status, text) {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = `HTTP ${status}: ${String(text).slice(0, 200)}`;
  if (status === 408 || status === 429 || status >= 500) return { retry: reason };
  return { dead: reason };
}
