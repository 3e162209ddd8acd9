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

// `page`: the page as JSON, without its body; `body`: the body's text as it came, kept
// apart so that logging it is a copy, not a JSON escape of every quote in it (with
// forwarding on; null otherwise).
import { sql } from "./database.js";

export const PAGE_LOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS page_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, page TEXT NOT NULL, body TEXT, at INTEGER NOT NULL);
`;

/** The page log's transaction steps (database.js). */
export class PageLog {
  /** Logs a validated page: `MembershipStore.apply`'s argument as JSON text, and its body's text or null. */
  *append(record, body) {
    yield sql("INSERT INTO page_log (page, body, at) VALUES (?, ?, ?)", record, body, Date.now());
  }

  /** When the oldest logged page was accepted (ms), or null when the log is empty. */
  *oldest() {
    return (yield sql("SELECT min(at) AS at FROM page_log")).one().at;
  }

  *size() {
    return (yield sql("SELECT count(*) AS n FROM page_log")).one().n;
  }

  /** The oldest `limit` pages, in arrival order: `[{ seq, page }]`, each page with its `body`. */
  *take(limit) {
    return (yield sql("SELECT seq, page, body FROM page_log ORDER BY seq LIMIT ?", limit))
      .toArray()
      .map((row) => ({ seq: row.seq, page: { ...JSON.parse(row.page), body: row.body } }));
  }

  /** Forgets the pages up to `seq` (applied in the same transaction). */
  *removeThrough(seq) {
    yield sql("DELETE FROM page_log WHERE seq <= ?", seq);
  }
}
