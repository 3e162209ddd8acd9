// Destinations: the request bodies of CleverTap and Braze for a page, and CleverTap's replies.

import type { CohortSyncError } from "./errors.js";
import type { BrazeOptions, SkippedMember } from "./identity.js";
import type { Body, PageInput } from "./payload.js";

/** The `evtData` of CleverTap's Partner Sync event. */
export interface PartnerSyncData {
  /** The cohort's name (`""` when the page did not carry it). */
  "Partner Segment Name": string;
  Action: "Added" | "Removed";
  /** The cohort's id. */
  "Partner Segment ID": string;
  "CT Source": "Mixpanel";
  "Partner Name": "Mixpanel";
}

/** A CleverTap upload event record: the Partner Sync event of one member. */
export interface CleverTapEventRecord {
  identity: string;
  /** Unix seconds. */
  ts: number;
  type: "event";
  evtName: "Partner Sync";
  evtData: PartnerSyncData;
}

/** A CleverTap upload profile record: a member's email and phone, when present. */
export interface CleverTapProfileRecord {
  identity: string;
  /** Unix seconds. */
  ts: number;
  type: "profile";
  profileData: { Email?: string; Phone?: string };
}

export type CleverTapRecord = CleverTapEventRecord | CleverTapProfileRecord;

/** The body of one CleverTap upload call: at most 1000 records. */
export interface CleverTapUpload {
  d: CleverTapRecord[];
}

/** Options of {@link cleverTapUploads}. Unknown keys are refused. */
export interface CleverTapOptions {
  /** The records' `ts`, unix seconds (a whole number ≥ 0). Default: now. */
  ts?: number | null;
  /**
   * `"objects"` (default): each upload as a `{ d }` object. `"json"`: each upload's
   * request body as JSON text, ready to `fetch` — skips building objects only to
   * `JSON.stringify` them again (the fastest way to forward a page).
   */
  format?: "objects" | "json" | null;
}

/**
 * CleverTap upload bodies for a page: per member (identity as the `"clevertap"` rule
 * resolves it) a Partner Sync event (`Action` `"Added"` for `members`/`add_members`,
 * `"Removed"` for `remove_members`), followed, when the member has an email or phone,
 * by a profile record. At most 1000 records per upload, in page order. POST each as
 * JSON to CleverTap's upload endpoint, then read the reply with
 * {@link readCleverTapResponse}.
 */
export function cleverTapUploads(page: PageInput, options: CleverTapOptions & { format: "json" }): string[];
export function cleverTapUploads(page: PageInput, options?: CleverTapOptions | null): CleverTapUpload[];

/** A record CleverTap refused. */
export interface UploadFailure {
  /** The record as sent (matched by CleverTap's echo); `null` when none was echoed. */
  record: CleverTapRecord | null;
  /** CleverTap's error code for the record, or the HTTP status; `0` when unknown. */
  code: number;
  error: string;
}

/** What happened to one upload. `delivered + retry.length + failed.length` is the records sent. */
export interface UploadOutcome {
  /** How many records CleverTap took. */
  delivered: number;
  /** Records to send again later (429, 5xx, an unreadable reply, or per-record 429/5xx codes). */
  retry: CleverTapRecord[];
  /** Records that will not succeed as they are. */
  failed: UploadFailure[];
}

/**
 * Reads CleverTap's answer to `upload` (the object, or the body text/bytes sent): 429/5xx or an unreadable 2xx body → all retry;
 * other non-2xx → all failed; 2xx with `unprocessed` entries → those failed (codes 429,
 * 500, 502, 503, 504 retried instead); `{"status":"fail","error"}` without a list → all
 * failed. Throws {@link CohortSyncError} `invalid_argument` for a bad upload, a status
 * outside 100–599 or a body that is neither text nor bytes.
 */
export function readCleverTapResponse(upload: CleverTapUpload | string | Uint8Array, httpStatus: number, body: Body | null): UploadOutcome;

/** One change of Braze's partner cohort API: at most 1000 user ids. */
export interface BrazeCohortChange {
  user_ids: string[];
  /** `true` for `remove_members` pages. */
  should_remove: boolean;
}

/** One request body of Braze's partner cohort API. */
export interface BrazeRequest {
  cohort_id: string;
  cohort_changes: BrazeCohortChange[];
}

/**
 * {@link brazeCohortChanges}' requests, carrying the members that had no user id as the
 * non-enumerable `skipped` (so `JSON.stringify` of the array leaves it out).
 */
export type BrazeRequests = BrazeRequest[] & { readonly skipped: SkippedMember[] };

/**
 * Braze partner cohort request bodies for a page: user ids by `$braze_external_id`
 * (or `options.userIdProperty`, or `$user_id` under `simplifiedIdMerge`), at most 1000
 * per change. Members without an id are not sent: they are listed in `skipped`.
 */
export function brazeCohortChanges(page: PageInput, options?: BrazeOptions | null): BrazeRequests;

/** Options of {@link forwardingRequests}: a destination is built when its options are given. Unknown keys are refused. */
export interface ForwardingOptions {
  /** CleverTap uploads, as {@link cleverTapUploads} with `format: "json"` builds them. */
  clevertap?: { ts?: number | null } | null;
  /** Braze partner cohort requests, as {@link brazeCohortChanges} builds them. */
  braze?: BrazeOptions | null;
}

/** Every destination's request bodies for one page, as JSON text ready to send; `null` for a destination not asked for. */
export interface ForwardingRequests {
  clevertap: string[] | null;
  braze: { requests: string[]; skipped: SkippedMember[] } | null;
}

/**
 * Every destination's requests for one page from one read of it: what a receiver that
 * forwards needs a page, in one call (the page is read once, not once per destination).
 *
 * @example
 * const { clevertap, braze } = forwardingRequests(body, { clevertap: {}, braze: { userIdProperty: "$braze_id" } });
 */
export function forwardingRequests(page: PageInput, options: ForwardingOptions): ForwardingRequests;
