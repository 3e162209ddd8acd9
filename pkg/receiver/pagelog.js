// The log of accepted pages not yet applied to the membership (write-behind).
//
// Why: applying a page is the expensive part of a request, and its cost depends on the
// ids: 1000 members joining in no order are 1000 rows at random places in the members
// B-tree, which a commit then writes (~23 ms a page at 200k members in workerd, as in
// native SQLite), against ~5 ms for pages of known members. Mixpanel only needs to know
// the page is safe. So the webhook appends the page to this log (one row) and answers
// once that is durable; the object's alarm applies logged pages in arrival order, a few
// per transaction, and every read applies what is logged first, so no read sees the log.
// Past MAX_LOGGED_PAGES the request itself applies the excess (backpressure). The log
// moves the work, it does not remove it: `node bench/worker.bench.mjs` reports both the
// answer and the whole sync's cost.
//
// Exactness is unchanged: pages are applied in the order they were accepted, through the
// same MembershipStore.apply, and a page and its removal from the log commit together.
//
// A page the store fails to apply, alone, while it can still note the failure (so not a
// store that is down) is tried again with a growing wait, and after DEAD_PAGE_ATTEMPTS
// failures set aside as a dead page: kept with why, listed for operators, and the pages
// after it go on. docs/rules.md ("Pages that can never apply") says what that means for
// membership.

// `body`: the body's bytes as they came, which applying the page reads (page.js); `page`:
// what the answer's read said of it, as JSON (`{ action, sessionId, page, members }`),
// for the list of dead pages only. The body is the last column, so that reading a row's
// other columns (the head's arrival time, at every answer) never walks its bytes.
import { sql } from "./database.js";

export const PAGE_LOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS page_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, page TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS page_failures (seq INTEGER PRIMARY KEY, attempts INTEGER NOT NULL, first_at INTEGER NOT NULL, next_at INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_pages (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, died_at INTEGER NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL, page TEXT NOT NULL, body BLOB NOT NULL);
`;

/** The longest wait between two tries of a page that fails to apply (ms). */
const MAX_RETRY_MS = 60_000;

/** The page log's transaction steps (database.js). */
export class PageLog {
  /** Logs a validated page: its head as JSON text (`record`) and its body's bytes. */
  *append(record, body) {
    yield sql("INSERT INTO page_log (page, body, at) VALUES (?, ?, ?)", record, body, Date.now());
  }

  /**
   * The log's head: when it was accepted (`at`, ms) and, when it has failed to apply,
   * when it may be tried again (`retryAt`); null when the log is empty.
   */
  *head() {
    const row = (yield sql("SELECT p.at AS at, f.next_at AS retry_at FROM page_log AS p LEFT JOIN page_failures AS f ON f.seq = p.seq ORDER BY p.seq LIMIT 1")).toArray()[0];
    return row === undefined ? null : { at: row.at, retryAt: row.retry_at ?? null };
  }

  *size() {
    return (yield sql("SELECT count(*) AS n FROM page_log")).one().n;
  }

  /** The oldest `limit` pages, in arrival order: `[{ seq, body }]`. */
  *take(limit) {
    return (yield sql("SELECT seq, body FROM page_log ORDER BY seq LIMIT ?", limit)).toArray();
  }

  /** Forgets the pages up to `seq` (applied in the same transaction). */
  *removeThrough(seq) {
    yield sql("DELETE FROM page_log WHERE seq <= ?", seq);
    yield sql("DELETE FROM page_failures WHERE seq <= ?", seq);
  }

  /**
   * The head failed to apply, alone, for `reason`: counted. On its `maxAttempts`th
   * failure it becomes a dead page (kept, with why, for an operator) and the pages after
   * it go on; before that it is tried again after a wait that doubles from `baseMs`.
   * Returns `{ seq, attempts, dead, retryAt }`, or null when the log is empty.
   */
  *failed(reason, { now, maxAttempts, baseMs }) {
    const head = (yield sql("SELECT seq FROM page_log ORDER BY seq LIMIT 1")).toArray()[0];
    if (head === undefined) return null;
    const { seq } = head;
    const before = (yield sql("SELECT attempts, first_at FROM page_failures WHERE seq = ?", seq)).toArray()[0];
    const attempts = (before?.attempts ?? 0) + 1;
    if (attempts >= maxAttempts) {
      yield sql(
        "INSERT INTO dead_pages (seq, page, body, at, died_at, attempts, reason) SELECT seq, page, body, at, ?, ?, ? FROM page_log WHERE seq = ?",
        now, attempts, reason, seq,
      );
      yield* this.removeThrough(seq);
      return { seq, attempts, dead: true, retryAt: null };
    }
    const retryAt = now + Math.min(MAX_RETRY_MS, baseMs * 2 ** (attempts - 1));
    yield sql(
      `INSERT INTO page_failures (seq, attempts, first_at, next_at, reason) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (seq) DO UPDATE SET attempts = excluded.attempts, next_at = excluded.next_at, reason = excluded.reason`,
      seq, attempts, before?.first_at ?? now, retryAt, reason,
    );
    return { seq, attempts, dead: false, retryAt };
  }

  *deadCount() {
    return (yield sql("SELECT count(*) AS n FROM dead_pages")).one().n;
  }

  /** Dead pages, oldest first: what each carried and why it could not apply. */
  *dead(limit) {
    return (yield sql("SELECT seq, page, at, died_at, attempts, reason FROM dead_pages ORDER BY seq LIMIT ?", limit)).toArray().map((row) => {
      const page = JSON.parse(row.page);
      return {
        id: row.seq,
        acceptedAt: new Date(row.at).toISOString(),
        diedAt: new Date(row.died_at).toISOString(),
        attempts: row.attempts,
        reason: row.reason,
        action: page.action,
        sessionId: page.sessionId,
        page: page.page ?? null,
        members: page.members ?? 0,
      };
    });
  }

  /** Puts dead pages (`ids`, or all when null) at the end of the log, to be applied as late pages. Returns how many. */
  *revive(ids, now) {
    const rows = yield* this.deadRows(ids);
    for (const row of rows) {
      yield sql("INSERT INTO page_log (page, body, at) VALUES (?, ?, ?)", row.page, row.body, now);
      yield sql("DELETE FROM dead_pages WHERE seq = ?", row.seq);
    }
    return rows.length;
  }

  /** Forgets dead pages (`ids`, or all when null). Returns how many. */
  *drop(ids) {
    const rows = yield* this.deadRows(ids);
    for (const row of rows) yield sql("DELETE FROM dead_pages WHERE seq = ?", row.seq);
    return rows.length;
  }

  *deadRows(ids) {
    const rows = (yield sql("SELECT seq, page, body FROM dead_pages ORDER BY seq")).toArray();
    return ids === null ? rows : rows.filter((row) => ids.includes(row.seq));
  }
}
