// One cohort: owns its membership (store.js), the log of accepted pages not yet applied
// (pagelog.js) and its outbox of changes to forward (outbox.js), over one database
// (`db`, see database.js). Each write is one transaction, so a page is logged (and later
// applied) whole or not at all; the host runs one call of a cohort at a time (a Durable
// Object's input gate, the Node host's queue, PostgreSQL's lock on the cohort) and
// answers 200 only once the transaction is durable. The host calls `alarm()` when the
// alarm set through `db` is due.
import { decodeCursor, encodeCursor } from "./cursor.js";
import { changeRequests, send } from "./forward.js";
import { OUTBOX_SCHEMA, Outbox } from "./outbox.js";
import { logEvent } from "./log.js";
import { ReadPage } from "./page.js";
import { PAGE_LOG_SCHEMA, PageLog } from "./pagelog.js";
import { MAX_BOUND_CHARS, MembershipStore, SCHEMA } from "./store.js";

/** Size samples a cohort's figures carry (the console's trend line in the cohorts list). */
const SIZE_TREND = 20;

export class Cohort {
  /**
   * `db`: the cohort's database (database.js); `settings`: the receiver's (settings.js);
   * `name`: a short stable name of the cohort's storage, the prefix of its outbox's
   * idempotency keys; `host`: `{ registry(), profiles() }` (routes.js).
   */
  constructor(db, { settings, name, host }) {
    this.db = db;
    this.settings = settings;
    this.forwarding = settings.destinations.length > 0;
    this.host = host;
    db.schema(SCHEMA + OUTBOX_SCHEMA + PAGE_LOG_SCHEMA);
    this.store = new MembershipStore({ dialect: db.dialect, ordinalsPerScan: settings.SWEEP_ORDINALS_PER_SCAN ?? undefined });
    this.log = new PageLog();
    /** What the registry has yet to hear (the cohort, syncs completed), after commit. */
    this.registryNews = [];
    /** Whether the registry has heard of this cohort since this object woke. */
    this.knownToRegistry = false;
    /** How long a logged page may wait for more to apply with it (ms). */
    this.applyDelayMs = settings.APPLY_DELAY_MS;
    /** Logged pages applied per alarm run, in one transaction. */
    this.applyPages = settings.APPLY_PAGES_PER_RUN;
    /** Pages the log may hold before a request applies the excess itself. */
    this.maxLoggedPages = settings.MAX_LOGGED_PAGES;
    /** Failures after which a page that cannot apply is set aside as dead. */
    this.deadPageAttempts = settings.DEAD_PAGE_ATTEMPTS;
    /** The first wait before a page that failed to apply is tried again (ms). */
    this.pageRetryBaseMs = settings.PAGE_RETRY_BASE_MS;
    /** The SyncTracker as the last committed transaction left it (withTracker), or null. */
    this.tracker = null;
    /** The one the transaction under way used, kept once it commits. */
    this.trackerInUse = null;
    /** When this object last took a page, and since when deliveries have waited (ms; heldUntil). */
    this.lastPageAt = null;
    this.holdingSince = null;
    const log = this.log;
    const applyDelayMs = this.applyDelayMs;
    this.outbox = new Outbox(db, {
      name: `cohort:${name}`,
      baseDelayMs: settings.FORWARD_RETRY_BASE_MS,
      maxDelayMs: settings.FORWARD_RETRY_MAX_MS,
      events: settings.events,
      // The one alarm also applies the page log: due once its oldest page has waited,
      // or, when that page failed to apply, when it may be tried again.
      *otherWorkDue() {
        const head = yield* log.head();
        return head === null ? null : Math.max(head.at + applyDelayMs, head.retryAt ?? 0);
      },
      heldUntil: () => this.heldUntil(),
    });
  }

  /**
   * Accepts a page the Worker has validated: `body`, its bytes as sent, and what the
   * answer's read of it said: `{ action, sessionId, page, members, cohortId, cohortName }`
   * (`page`: `{ count, total }`, or null for a pageless body; `members`: how many it
   * lists). The body is logged as it is; applying it reads it (page.js). Resolves once
   * the page is durably logged; the alarm (or the next read) applies it.
   */
  async apply(page) {
    this.lastPageAt = Date.now();
    // The head is for the list of dead pages; applying reads everything from the body.
    const record = JSON.stringify({ action: page.action, sessionId: page.sessionId, page: page.page ?? null, members: page.members ?? null });
    // Only its own bytes: a view may have come over a larger buffer.
    const body = page.body.byteLength === page.body.buffer.byteLength ? page.body : page.body.slice();
    const news = [];
    const logged = await this.trackerTransaction(() => this.logPage(record, body, news));
    this.registryNews.push(...news);
    const unknownToRegistry = !this.knownToRegistry;
    if (unknownToRegistry) this.registryNews.push({ cohortId: page.cohortId, name: page.cohortName ?? null, completed: null });
    // Backpressure: when pages come faster than the alarm applies them (ids joining in no
    // order at millions of members), the request that finds the log over its bound
    // applies the excess before answering, so the log (and what a read must apply
    // first) stays bounded and the answer slows to the real cost instead.
    // The page is durable either way: a log that fails to apply (its alarm retries) does
    // not make this page's answer a 5xx.
    const excess = logged - this.maxLoggedPages;
    if (excess > 0) await this.applyLogged(excess).catch((error) => console.error("cohort-sync: applying logged pages failed; the alarm tries again", error?.stack ?? error));
    await this.outbox.schedule();
    await this.tellRegistry({ required: unknownToRegistry });
    return { logged: true };
  }

  /** Logs a page (`record`, `body`): steps; returns how many pages the log then holds. */
  *logPage(record, body, news) {
    if (body.byteLength <= MAX_BOUND_CHARS) {
      yield* this.log.append(record, body);
    } else {
      // Too big for one SQLite value (members with large properties): applied now, after
      // everything logged before it, so the order still holds.
      while ((yield* this.applyLoggedSteps(this.applyPages, news)) > 0);
      const holdSweeps = (yield* this.log.deadCount()) > 0;
      yield* this.withTracker((tracker) => this.applyOne(body, tracker, news, holdSweeps));
    }
    return yield* this.log.size();
  }

  /**
   * Applies up to `limit` logged pages in arrival order, in one transaction, queuing the
   * changes they caused for the destinations. Returns how many pages it applied (or set
   * aside as dead). With `noteFailure` (the alarm), a failure is tried on the head page
   * alone and, when that fails too, counted against it (pagelog.js, `failed`): the count
   * resolves to 0 and the head waits for its next try; a store that cannot even note it
   * throws.
   */
  async applyLogged(limit, { noteFailure = false } = {}) {
    const news = [];
    let applied;
    try {
      applied = await this.trackerTransaction(() => this.applyLoggedSteps(limit, news));
    } catch (error) {
      if (!noteFailure) throw error;
      if (limit > 1) return this.applyLogged(1, { noteFailure });
      return this.noteFailure(error);
    }
    this.registryNews.push(...news); // only once committed
    return applied;
  }

  /** The log's head failed alone: counted, and set aside as dead on its last try. */
  async noteFailure(error) {
    const reason = String(error?.message ?? error).slice(0, 500);
    const { deadPageAttempts: maxAttempts, pageRetryBaseMs: baseMs } = this;
    const noted = await this.db.transaction(() => this.log.failed(reason, { now: Date.now(), maxAttempts, baseMs }));
    if (noted === null) return 0;
    const event = { cohort: this.cohortId ?? null, seq: noted.seq, attempts: noted.attempts, reason };
    if (noted.dead) {
      console.error(`cohort-sync: a logged page failed ${noted.attempts} times and is set aside as dead; the pages after it go on`, reason);
      logEvent("dead_page", event, this.settings.events);
      return 1;
    }
    console.error(`cohort-sync: a logged page failed to apply (try ${noted.attempts} of ${maxAttempts}); tried again at ${new Date(noted.retryAt).toISOString()}`, error?.stack ?? error);
    logEvent("page_failed", { ...event, retryAt: noted.retryAt }, this.settings.events);
    return 0;
  }

  /** applyLogged's steps, within a transaction; `news` gathers what the registry is to hear. */
  *applyLoggedSteps(limit, news) {
    const pages = yield* this.log.take(limit);
    if (pages.length === 0) return 0;
    // While a page of this cohort is dead, no full sync's end removes anyone (rules.md).
    const holdSweeps = (yield* this.log.deadCount()) > 0;
    yield* this.withTracker((tracker) => this.applyEach(pages, tracker, news, holdSweeps));
    yield* this.log.removeThrough(pages[pages.length - 1].seq);
    return pages.length;
  }

  /**
   * Tells the registry (GET /cohorts) what it has yet to hear. Best effort, unless
   * `required`: a failure is logged, and the registry catches up at this cohort's next
   * page. A page is `required` to reach it while this object has not told it of the
   * cohort, since the Worker's reads ask the registry whether a cohort exists (so that a
   * read of an unknown one wakes no object): that page's answer is then a 503.
   */
  async tellRegistry({ required = false } = {}) {
    if (this.registryNews.length === 0) return;
    const news = this.registryNews.splice(0);
    try {
      const registry = this.host.registry();
      for (const { cohortId, ...what } of news) await registry.note(cohortId, what);
      this.knownToRegistry = true;
    } catch (error) {
      console.error("cohort-sync: telling the registry failed", error?.stack ?? error);
      if (required) throw error;
    }
  }

  /** Applies logged pages in order with one tracker: steps. */
  *applyEach(pages, tracker, news, holdSweeps) {
    for (const { body } of pages) yield* this.applyOne(body, tracker, news, holdSweeps);
  }

  /**
   * Runs the steps `fn(tracker)` with the cohort's SyncTracker, and stores it after:
   * steps, within trackerTransaction. The tracker is read from SQL when the object wakes
   * and then kept in the wasm, its bytes only written: a store no other process writes
   * (`db.shared` false) cannot change it behind this object's back, and a transaction
   * that fails drops it, to be read again.
   */
  *withTracker(fn) {
    // Earlier in the same transaction, or left by the last committed one.
    let tracker = this.trackerInUse ?? this.tracker;
    this.trackerInUse = null;
    this.tracker = null;
    if (tracker !== null && this.db.shared) {
      tracker.free();
      tracker = null;
    }
    tracker ??= yield* this.store.loadTracker();
    try {
      yield* fn(tracker);
      yield* this.store.saveTracker(tracker);
    } catch (error) {
      tracker.free();
      throw error;
    }
    this.trackerInUse = tracker;
  }

  /** `db.transaction(start)` for steps that use withTracker: the tracker is kept only once they commit. */
  async trackerTransaction(start) {
    try {
      const result = await this.db.transaction(start);
      this.tracker = this.trackerInUse;
      this.trackerInUse = null;
      return result;
    } finally {
      this.trackerInUse?.free();
      this.trackerInUse = null;
    }
  }

  /**
   * Applies one page (its `body` as logged) as the tracker decides, and queues the
   * changes it caused: steps. The body is read once, here (page.js).
   */
  *applyOne(body, tracker, news, holdSweeps = false) {
    const page = new ReadPage(body, { partChars: MAX_BOUND_CHARS, texts: this.forwarding });
    try {
      yield* this.applyRead(page, tracker, news, holdSweeps);
    } finally {
      page.free();
    }
  }

  /** applyOne's steps, with the page read. */
  *applyRead(page, tracker, news, holdSweeps) {
    const { action, sessionId, projectId, cohortId, cohortName } = page.head;
    this.cohortId ??= cohortId;
    const decision = tracker.observe({ action, sessionId, page: page.head.page, fingerprint: page.head.fingerprint, holdSweeps });
    const told = (result) => {
      logEvent("applied", {
        cohort: cohortId,
        session: sessionId,
        action,
        page: page.head.page?.count ?? null,
        total: page.head.page?.total ?? null,
        added: result.added.length,
        removed: result.removed.length + result.swept,
        duplicate: result.duplicate,
        sessionComplete: result.sessionComplete,
      }, this.settings.events);
      if (!(result.firstSeen || result.sessionComplete)) return;
      const completed = result.sessionComplete ? { at: new Date().toISOString(), sessionId } : null;
      news.push({ cohortId, name: cohortName ?? null, completed });
    };
    const applied = { action, sessionId, ids: page.ids, kept: (i, id) => page.kept(i, id), cohort: { projectId, cohortId, cohortName: cohortName ?? null } };
    if (!this.forwarding) {
      told(yield* this.store.apply(applied, decision));
      return;
    }
    const { settings, outbox } = this;
    const queue = function* (added, removed) {
      for (const [dest, request] of changeRequests(settings, page, added, removed)) yield* outbox.add(dest, request);
    };
    // A full sync's end may remove any number of members: queued 1000 at a time.
    const result = yield* this.store.apply(applied, decision, { sweptOut: (removed) => queue([], removed) });
    if (!result.duplicate) yield* queue(result.added, result.removed);
    told(result);
  }

  /** Applies the whole log, a run of pages at a time; returns how many pages. */
  async applyAllLogged() {
    let applied = 0;
    for (let n; (n = await this.applyLogged(this.applyPages)) > 0; ) applied += n;
    return applied;
  }

  /** Applies the whole log, so a read sees every page answered 200. */
  async catchUp() {
    if ((await this.applyAllLogged()) > 0) await this.outbox.schedule();
    await this.tellRegistry();
  }

  /**
   * Runs the steps `fn()` in a transaction once the log is applied (a read); `absent`
   * when nothing was ever stored here, without storing anything (not even the tables).
   */
  async read(fn, absent) {
    if (!(await this.db.exists())) return absent;
    await this.catchUp();
    return this.db.transaction(fn);
  }

  /** `null` for a cohort never synced here. */
  info() {
    const { store, outbox, log } = this;
    return this.read(function* () {
      const state = yield* store.state();
      if (!state.updatedAt) return null;
      const tracker = yield* store.loadTracker();
      let pendingSession;
      try {
        const pending = tracker.pendingSession;
        pendingSession = pending === null ? null : { sessionId: pending, totalPages: tracker.pendingTotalPages };
      } finally {
        tracker.free();
      }
      return {
        size: state.size ?? 0,
        sessionId: state.sessionId,
        updatedAt: state.updatedAt,
        cohortName: state.cohort?.cohortName ?? null,
        pendingSession,
        outbox: yield* outbox.counts(),
        deadPages: yield* log.deadCount(),
        sizeTrend: (yield* store.sizes(SIZE_TREND)).reverse().map((row) => ({ at: new Date(row.at).toISOString(), sessionId: row.sid, size: row.size })),
      };
    }, null);
  }

  has(id) {
    return this.read(() => this.store.has(id), false);
  }

  /** A member lookup with its history (see MembershipStore.lookup); null for a cohort never synced here. */
  lookup(id) {
    return this.read(() => this.store.lookup(id), null);
  }

  /** A page of members in id order; the cursor is the last id (cursor.js). `null`: bad cursor. */
  async list(limit, cursor) {
    const after = cursor === null ? null : decodeCursor(cursor);
    if (after === null && cursor !== null) return null;
    const { members, last } = await this.read(() => this.store.list(limit, after), { members: [], last: null });
    return { members, cursor: last === null ? null : encodeCursor(last) };
  }

  /**
   * The recent sessions, newest first, at most `limit`: what the tracker remembers of each
   * (pages received of total, missing pages, status) with this object's counters (times,
   * pages, replays, added, removed, refused and why) and the member count after its last
   * page (`size`, null until the session is over: see MembershipStore.sampleSize).
   * Sessions whose every page was refused are listed too (status `refused`).
   */
  async syncs(limit) {
    const { store } = this;
    const { sessions, stats, sizes } = await this.read(function* () {
      const tracker = yield* store.loadTracker();
      try {
        return { sessions: tracker.sessions(), stats: yield* store.stats(), sizes: new Map((yield* store.sizes()).map((row) => [row.sid, row.size])) };
      } finally {
        tracker.free();
      }
    }, { sessions: [], stats: new Map(), sizes: new Map() });
    const iso = (ms) => (ms == null ? null : new Date(ms).toISOString());
    const entry = (session, row) => ({
      sessionId: session.sessionId,
      action: session.action,
      status: session.status,
      pages: { received: session.pagesReceived, total: session.totalPages },
      missingPages: session.missingPages,
      firstPageAt: iso(row?.first_at),
      lastPageAt: iso(row?.last_at),
      added: row?.added ?? 0,
      removed: row?.removed ?? 0,
      replays: row?.replays ?? 0,
      refused: { count: row?.refused ?? 0, lastReason: row?.last_refusal ?? null },
      size: sizes.get(session.sessionId) ?? null,
    });
    const list = sessions.map((session) => {
      const key = `${session.sessionId}\u0000${session.action}`;
      const row = stats.get(key);
      stats.delete(key);
      return [row?.touched ?? 0, entry(session, row)];
    });
    for (const row of stats.values()) {
      if (row.pages === 0 && row.refused > 0) {
        list.push([row.touched, entry({ sessionId: row.sid, action: row.action, status: "refused", pagesReceived: 0, totalPages: null, missingPages: [] }, row)]);
      }
    }
    return list.sort((a, b) => b[0] - a[0]).slice(0, limit).map(([, e]) => e);
  }

  /**
   * Counts a page the Worker refused (400), with why, for `syncs`, after applying what was
   * logged before it, so the history keeps arrival order.
   */
  async refused(sessionId, action, reason) {
    await this.read(() => this.store.count(sessionId, action, { refused: 1 }, String(reason).slice(0, 300)));
  }

  /** Dead letters, oldest first (see Outbox.deadLetters). */
  async deadLetters(limit) {
    return (await this.db.exists()) ? this.outbox.deadLetters(limit) : [];
  }

  /** Sends dead letters again (`ids`, or all when null); returns how many. */
  async redriveDeadLetters(ids) {
    return (await this.db.exists()) ? this.outbox.redrive(ids) : 0;
  }

  /** Drops dead letters (`ids`, or all when null); returns how many. */
  async dropDeadLetters(ids) {
    return (await this.db.exists()) ? this.outbox.drop(ids) : 0;
  }

  /** Pages that could not apply, set aside (PageLog.dead), oldest first. */
  async deadPages(limit) {
    if (!(await this.db.exists())) return [];
    return this.db.transaction(() => this.log.dead(limit));
  }

  /**
   * Puts dead pages (`ids`, or all when null) at the end of the page log, applied as late
   * pages are (rules.md); returns how many.
   */
  async redriveDeadPages(ids) {
    if (!(await this.db.exists())) return 0;
    const moved = await this.db.transaction(() => this.log.revive(ids, Date.now()));
    if (moved > 0) await this.outbox.schedule();
    return moved;
  }

  /** Forgets dead pages (`ids`, or all when null); returns how many. */
  async dropDeadPages(ids) {
    if (!(await this.db.exists())) return 0;
    return this.db.transaction(() => this.log.drop(ids));
  }

  /**
   * Forgets the cohort: its members, sessions, page log, outbox and dead letters. For a
   * cohort no longer synced here; a later page starts it afresh.
   */
  async forget() {
    if (!(await this.db.exists())) return;
    const cohortId = (await this.db.transaction(() => this.store.state())).cohort?.cohortId;
    await this.db.deleteAlarm();
    this.tracker?.free();
    this.tracker = null;
    // deleteAll drops the tables too, and makes them again: this cohort lives on and may
    // get the next page.
    await this.db.deleteAll();
    this.registryNews = [];
    this.knownToRegistry = false;
    if (cohortId) await this.host.registry().forget(cohortId);
  }

  /** Pages accepted but not yet applied (inspection; reads apply them first). */
  async loggedPages() {
    return (await this.db.exists()) ? this.db.transaction(() => this.log.size()) : 0;
  }

  /**
   * Sets the alarm for the work stored (logged pages, queued requests): for a host whose
   * alarms do not outlive its process.
   */
  async resume() {
    if (await this.db.exists()) await this.outbox.schedule();
  }

  async alarm() {
    // A page that fails to apply must not hold back delivery of changes already queued.
    // A failure the store could note waits for the page's next try (the alarm is set for
    // it); one it could not (the store is down) is thrown after, so the runtime retries
    // the alarm with its backoff.
    let failed = null;
    try {
      await this.applyLogged(this.applyPages, { noteFailure: true });
    } catch (error) {
      failed = error;
    }
    await this.tellRegistry();
    if (this.heldUntil() === null) {
      await this.outbox.deliver((dest, request, key) => send(this.settings, this.host, dest, request, key));
      // A hold that lasted DELIVERY_HOLD_MS let this run through; the next starts afresh.
      this.holdingSince = null;
    } else {
      await this.outbox.schedule({ fromAlarm: true });
    }
    if (failed) throw failed;
  }

  /**
   * Until when deliveries wait (ms), or null when they may go: while pages keep coming
   * (a sync is arriving), until QUIET_MS after the last one, for at most
   * DELIVERY_HOLD_MS at a time. A delivery's work (reading the request and the
   * destination's answer, the hand-off to the profiles object, on the one thread an
   * object has) would otherwise run between the pages and their answers; Mixpanel
   * waits for those, the destinations for nothing.
   */
  heldUntil() {
    const now = Date.now();
    const quietAt = this.lastPageAt === null ? now : this.lastPageAt + QUIET_MS;
    if (quietAt <= now) {
      this.holdingSince = null;
      return null;
    }
    this.holdingSince ??= now;
    const limit = this.holdingSince + DELIVERY_HOLD_MS;
    return limit <= now ? null : Math.min(quietAt, limit);
  }
}

/** How long after a page deliveries wait for the next (ms): pages of a sync come back to back. */
const QUIET_MS = 200;
/** The longest deliveries wait at a time (ms): a long sync still delivers, a run of sends every so often. */
const DELIVERY_HOLD_MS = 2000;
