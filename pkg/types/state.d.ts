// A cohort's membership on the receiving side (CohortState), and the same rulebook without
// the members (SyncTracker) for stores that keep members themselves.

import type { CohortSyncError } from "./errors.js";
import type { Body, CohortPage, PageInfo, ValidateOptions, WebhookAction, parsePayload } from "./payload.js";

/** What {@link CohortState.apply} changed. Replays never report a member twice. */
export interface ApplyResult {
  /** Ids that joined, in page order (real changes only). */
  added: string[];
  /**
   * Ids that left: those a `remove_members` page listed, or, on the page that completes
   * a full sync, the members no page of that session listed.
   */
  removed: string[];
  /**
   * The page was applied before (same session, action and page number), or belongs to a
   * full sync that a newer session replaced: nothing changed.
   */
  duplicate: boolean;
  /** This page was the last missing page of a full `members` sync: its sweep ran. */
  sessionComplete: boolean;
  /** Members after the page. */
  size: number;
}

/** A snapshot's bytes, as {@link CohortState.toBytes} made them. */
export type SnapshotBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * One cohort's membership on the receiving side, exact across pages in any order,
 * retries, replays and restarts of the sender from the top.
 *
 * - `add_members` / `remove_members` pages apply at once.
 * - `members` pages of one session add as they arrive; when every page 1..total of the
 *   session has arrived, members no page of it listed are removed (in that call's
 *   `removed`, with `sessionComplete: true`).
 * - A page seen before changes nothing and reports `duplicate: true`.
 * - A `members` page of a new session replaces an unfinished full sync (the sender
 *   restarted); late pages of the replaced session are stale (`duplicate: true`). The
 *   same session with a different `total_pages` starts over.
 *
 * The membership lives in wasm memory: call {@link CohortState.free} when done with a
 * state (it is also released when the object is garbage-collected).
 *
 * @example
 * const state = stored ? CohortState.fromBytes(stored) : new CohortState();
 * const { added, removed } = state.apply(new Uint8Array(await request.arrayBuffer()));
 * await save(state.toBytes());
 */
export class CohortState {
  /** An empty membership. */
  constructor();
  /**
   * A state from {@link CohortState.toBytes}'s snapshot (versioned, checksummed). Throws
   * {@link CohortSyncError} `invalid_snapshot` for corrupt, truncated or foreign bytes
   * (never half-loads), `invalid_argument` when `bytes` is not bytes (e.g. a string).
   */
  static fromBytes(bytes: SnapshotBytes): CohortState;
  /** A state from {@link CohortState.toChunks}'s pieces, in order. Throws like `fromBytes`. */
  static fromChunks(chunks: readonly SnapshotBytes[]): CohortState;
  /**
   * Applies one webhook page: a raw request body (the fast path: the ids are read in
   * wasm, no member objects are built), the parsed webhook object, or a
   * {@link CohortPage} from {@link parsePayload}. Pageless pages follow docs/rules.md.
   * An invalid body throws {@link CohortSyncError} `invalid_payload` with `problems` (as
   * {@link parsePayload} would), a malformed page object or bad `options`
   * `invalid_argument`; either way the state is unchanged.
   */
  apply(pageOrBody: Body | CohortPage, options?: ValidateOptions | null): ApplyResult;
  /**
   * Whether `distinctId` is a member (exact comparison). A string holding a lone surrogate
   * (not Unicode, so no id) throws {@link CohortSyncError} `invalid_argument`.
   */
  has(distinctId: string): boolean;
  /** How many members. */
  readonly size: number;
  /** The members, in the order they joined (ids that left and came back go last). */
  members(): string[];
  /**
   * The whole state (members, the full sync under way, the pages seen) as compact,
   * versioned, checksummed bytes, for {@link CohortState.fromBytes}.
   */
  toBytes(): Uint8Array;
  /**
   * {@link CohortState.toBytes}'s snapshot cut into pieces of at most `chunkBytes`
   * (a whole number ≥ 1; default 1 MiB), for stores that cap value sizes (Durable
   * Objects: 2 MB). Their concatenation is the snapshot.
   */
  toChunks(chunkBytes?: number): Uint8Array[];
  /** Bytes of wasm memory the membership holds. */
  readonly memoryBytes: number;
  /** The session id of an unfinished full (`members`) sync, or `null`. */
  readonly pendingSession: string | null;
  /**
   * Releases the wasm memory now. Idempotent; any later call on this state throws
   * {@link CohortSyncError} `invalid_argument`.
   */
  free(): void;
}

/** What a store must do with one page, as {@link SyncTracker.observe} decides. */
export interface SyncDecision {
  /** A pageless full sync ended: members it never listed leave, before this page applies. */
  sweepFirst: boolean;
  /** Seen before, or from a replaced or finished session: nothing else changes. */
  duplicate: boolean;
  /** A full sync starts (or starts over): who earlier pages listed no longer counts. */
  startListing: boolean;
  /** The page's ids count as listed by the full sync under way. */
  mark: boolean;
  /** This page completes a numbered full sync: members no page listed leave. */
  sweepAfter: boolean;
}

/** A page as {@link SyncTracker.observe} needs it. */
export interface ObservedPage {
  action: WebhookAction;
  sessionId: string;
  /** `null` for a pageless page, which then needs its `fingerprint`. */
  page: PageInfo | null;
  /** From `validatePayload(body, { ids: true }).fingerprint`. */
  fingerprint?: string | null;
  /**
   * The cohort holds a page its store could not apply (a dead page): a full sync still
   * ends, but `sweepFirst` and `sweepAfter` are false, since what it did not list may be
   * in that page. Default false.
   */
  holdSweeps?: boolean;
}

/** One remembered session and action, as {@link SyncTracker.sessions} reports it. */
export interface SyncSession {
  sessionId: string;
  action: WebhookAction;
  /** The page count its pages gave; `null` for pageless bodies. */
  totalPages: number | null;
  /** Distinct pages (or pageless bodies) received. */
  pagesReceived: number;
  /** Up to 20 page numbers not received (numbered sessions). */
  missingPages: number[];
  /**
   * `complete` (every page, or a pageless full sync the sender moved on from), `waiting`
   * (the full sync under way, pages missing), `open` (a pageless full sync not over yet,
   * or a diff with pages missing), `replaced` (a full sync replaced before it was whole).
   */
  status: "complete" | "waiting" | "open" | "replaced";
}

/**
 * The rulebook of a cohort's sync without the members — the same one {@link CohortState}
 * uses — for stores that keep members themselves (the Worker keeps them in SQL): it
 * decides replays, restarts from the top, pageless pages and when a full sync is
 * complete; the store carries the {@link SyncDecision} out.
 *
 * @example
 * const tracker = stored ? SyncTracker.fromBytes(stored) : new SyncTracker();
 * const report = validatePayload(body, { ids: true }); // valid: ids and fingerprint
 * const decision = tracker.observe({
 *   action: report.action as WebhookAction, sessionId: report.sessionId!,
 *   page: report.page, fingerprint: report.fingerprint,
 * });
 * // sweepFirst, then (unless duplicate) startListing, add or remove report.ids (marking
 * // them when mark), then sweepAfter — in your store, and save tracker.toBytes() with it.
 */
export class SyncTracker {
  constructor();
  /** Throws {@link CohortSyncError} `invalid_snapshot` for corrupt bytes. */
  static fromBytes(bytes: SnapshotBytes): SyncTracker;
  /** Compact, versioned, checksummed bytes. */
  toBytes(): Uint8Array;
  /** Decides what one page does, and records it. Bad arguments throw `invalid_argument`. */
  observe(page: ObservedPage): SyncDecision;
  /** The session id of an unfinished full sync, or `null`. */
  readonly pendingSession: string | null;
  /** Its page count; `null` when none is under way or it is pageless. */
  readonly pendingTotalPages: number | null;
  /** The remembered sessions (up to 64, one entry per session and action), most recent first. */
  sessions(): SyncSession[];
  free(): void;
}
