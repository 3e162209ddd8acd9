// An outbox of requests to destinations, stored in the same SQLite database (and the same
// transaction) as the change that caused them, delivered when the host's alarm is due.
//
// - A row leaves the outbox only after its destination accepted it (2xx), so an outage
//   of any length loses nothing: the row waits, retried with backoff capped at
//   FORWARD_RETRY_MAX_MS. Rows of one destination go strictly in order (a failing head
//   holds back the rows after it), so an add and a later remove never swap.
// - A destination that refuses a request for good (4xx other than 408/429) moves it to
//   `dead_letters`, kept until an operator sends it again (redrive: back to the end of
//   its destination's queue) or drops it (the dead-letter routes, docs/api.md).
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
   * or null.
   */
  constructor(db, { name, baseDelayMs, maxDelayMs, otherWorkDue = function* () { return null; }, events }) {
    this.otherWorkDue = otherWorkDue;
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
   * The dead letters, oldest first, at most `limit`: `{ id, destination, request, error,
   * attempts, failedAt }`, the request in short (its URL and the first 300 characters of
   * its body) and the error as recorded (status and an excerpt of the answer).
   */
  deadLetters(limit) {
    return this.db.transaction(function* () {
      const rows = yield sql("SELECT id, dest, request, attempts, failed_at, error FROM dead_letters ORDER BY id LIMIT ?", limit);
      return rows.toArray().map((row) => ({
        id: row.id,
        destination: row.dest,
        request: shortRequest(row.request),
        error: row.error,
        attempts: row.attempts,
        failedAt: new Date(row.failed_at).toISOString(),
      }));
    });
  }

  /**
   * Sends dead letters again: each goes back to the end of its destination's queue, with
   * its attempts reset, in one transaction, and the alarm is set for them. `ids`: which
   * ones (null: all). Resolves to how many.
   */
  async redrive(ids) {
    const moved = await this.db.transaction(function* () {
      const rows = yield* deadRows(ids);
      for (const row of rows) {
        yield sql("INSERT INTO outbox (dest, request, next_at) VALUES (?, ?, ?)", row.dest, row.request, Date.now());
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
      for (const row of rows) yield sql("DELETE FROM dead_letters WHERE id = ?", row.id);
      return rows.length;
    });
  }

  /**
   * Sets the alarm for the earliest due row: never later than an alarm already set,
   * except from the alarm handler itself, where the alarm still reads as the one
   * running (already past) and must be replaced.
   */
  async schedule({ fromAlarm = false, notBefore = 0 } = {}) {
    const otherWorkDue = this.otherWorkDue;
    let next = await this.db.transaction(function* () {
      // Only each destination's head can go next: later rows wait behind it.
      const head = (yield sql("SELECT min(next_at) AS at FROM outbox AS o WHERE seq = (SELECT min(seq) FROM outbox WHERE dest = o.dest)")).one().at;
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
        if (!head || head.next_at > Date.now()) break;
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
          } else if (result.dead !== undefined) {
            yield sql(
              "INSERT INTO dead_letters (seq, dest, request, attempts, failed_at, error) VALUES (?, ?, ?, ?, ?, ?)",
              head.seq, dest, head.request, attempts, Date.now(), String(result.dead),
            );
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
  if (ids === null) return (yield sql("SELECT id, dest, request FROM dead_letters ORDER BY id")).toArray();
  const rows = yield sql(
    {
      sqlite: "SELECT id, dest, request FROM dead_letters WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
      pg: "SELECT id, dest, request FROM dead_letters WHERE id IN (SELECT value::bigint FROM json_array_elements_text(?::json) AS value) ORDER BY id",
    },
    JSON.stringify(ids),
  );
  return rows.toArray();
}

/** A stored request, in short: its URL and the start of its body. */
function shortRequest(text) {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return { body: String(text).slice(0, 300) };
  }
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
