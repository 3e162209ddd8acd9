// Type declarations for the `cohort-sync` package (every entry: node, workerd, bundler
// and web share these). Shapes follow the public contract in the repository's API.md.

/** Any JSON value, as found in member properties. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A request body: the raw bytes (the fast path: one copy, decoded and parsed in wasm) or
 * the text. Any other value is reported as an `invalid_argument` problem.
 */
export type Body = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** The three webhook actions Mixpanel sends. */
export type WebhookAction = "members" | "add_members" | "remove_members";

/**
 * The stable codes of problems found in a payload. Match on these, not on messages.
 * New codes may be added in minor versions, hence the open `string` at the end.
 */
export type ProblemCode =
  | "empty_body"
  | "body_too_large"
  | "invalid_utf8"
  | "invalid_json"
  | "nesting_too_deep"
  | "byte_order_mark"
  | "not_an_object"
  | "missing_field"
  | "wrong_type"
  | "empty_string"
  | "duplicate_key"
  | "unknown_field"
  | "lone_surrogate"
  | "unknown_action"
  | "not_an_integer"
  | "page_out_of_range"
  | "too_many_members"
  | "duplicate_member"
  | "long_id"
  | "too_many_problems"
  | "invalid_argument"
  | (string & {});

/** One thing wrong with (or worth knowing about) an input. Problems are data, not exceptions. */
export interface Problem {
  /** Stable snake_case identifier, e.g. `"missing_field"`. */
  code: ProblemCode;
  /** RFC 6901 JSON Pointer into the input; `""` is the whole document. */
  path: string;
  /** Human-readable explanation. */
  message: string;
  /** 1-based line of the spot, when the input was text. */
  line?: number;
  /** 1-based column of the spot, counted in Unicode characters. */
  column?: number;
  /** Byte offset of the spot in the UTF-8 input. */
  offset?: number;
}

/** Limits applied by {@link validatePayload} and {@link parsePayload}. */
export interface ValidateOptions {
  /** Most members a page may hold. Default 1000. */
  maxMembers?: number;
  /** Largest body accepted, in bytes. Default 10 MiB (10 * 1024 * 1024). */
  maxBytes?: number;
}

/** Which page of a sync session a request is: `count` of `total`, both from 1. */
export interface PageInfo {
  count: number;
  total: number;
}

/** What {@link validatePayload} found. Fields that could not be read are `null`. */
export interface ValidationReport {
  /** `true` when `errors` is empty. */
  valid: boolean;
  /** The `action` as sent (possibly an unknown one), or `null`. */
  action: string | null;
  projectId: string | null;
  cohortId: string | null;
  cohortName: string | null;
  cohortDescription: string | null;
  sessionId: string | null;
  page: PageInfo | null;
  /** Length of `parameters.members` when it is an array, else `null`. */
  memberCount: number | null;
  /** Everything that makes the payload unacceptable. */
  errors: Problem[];
  /** Odd but acceptable things (e.g. unknown fields). */
  warnings: Problem[];
}

/** One member of a cohort page. Absent fields are `null`. */
export interface Member {
  /** `mixpanel_distinct_id`. */
  distinctId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  /**
   * Every other key of the member object (exported properties such as
   * `$CleverTap_user_id`), as own properties: `__proto__` in input is a plain key here.
   */
  properties: Record<string, JsonValue>;
}

/** A valid webhook request, decoded. */
export interface CohortPage {
  action: WebhookAction;
  projectId: string;
  cohortId: string;
  /** `null` when the page did not carry it (it is optional). */
  cohortName: string | null;
  /** `null` when the page did not carry it, or carried `null`. */
  cohortDescription: string | null;
  sessionId: string;
  page: PageInfo;
  members: Member[];
}

/**
 * A failure to report back to Mixpanel: `message` is shown in Mixpanel's UI, `code`
 * becomes the HTTP status (400–599; default 500, which Mixpanel retries).
 */
export interface WebhookError {
  message: string;
  code?: number;
}

/** The HTTP reply Mixpanel expects; `body` is JSON text. */
export interface WebhookResponse {
  status: number;
  headers: { "content-type": "application/json" };
  body: string;
}

/** How a sender should treat an HTTP status from the receiver. */
export type StatusClass = "success" | "retry" | "pause";

/**
 * Thrown for misuse and undecodable input, never a bare string or a wasm trap.
 * Codes: `invalid_payload` (with `problems`), `invalid_argument`, `invalid_snapshot`
 * ({@link CohortState.fromBytes} given corrupt, truncated or foreign bytes),
 * `not_initialized` (`cohort-sync/web` used before `await init()`), `internal_error`
 * (a bug: please report).
 */
export class CohortSyncError extends Error {
  constructor(code: string, message: string, problems?: Problem[], options?: { cause?: unknown });
  readonly name: "CohortSyncError";
  /** Stable snake_case identifier. */
  code: "invalid_payload" | "invalid_argument" | "invalid_snapshot" | "not_initialized" | "internal_error" | (string & {});
  /** For `invalid_payload`, the report's errors; otherwise usually empty. */
  problems: Problem[];
}

/**
 * Check a webhook request body. Never throws for bad input: everything wrong is in the
 * report's `errors` (a body of the wrong JS type gives an `invalid_argument` error).
 * Throws {@link CohortSyncError} `invalid_argument` only for bad `options`.
 *
 * @example
 * const report = validatePayload(new Uint8Array(await request.arrayBuffer()));
 * if (!report.valid) console.log(report.errors.map((p) => `${p.path}: ${p.message}`));
 */
export function validatePayload(body: Body, options?: ValidateOptions | null): ValidationReport;

/**
 * Decode a valid webhook request body. Throws {@link CohortSyncError} with code
 * `invalid_payload` (and `problems` = the report's errors) when it is not valid, or
 * `invalid_argument` for bad arguments.
 */
export function parsePayload(body: Body, options?: ValidateOptions | null): CohortPage;

/**
 * The reply Mixpanel expects: status 200 and `{"action":…,"status":"success"}`, or, given
 * `error`, status `error.code` and a body with `"status":"failure"` and the error.
 */
export function webhookResponse(action: string | null, error?: WebhookError | null): WebhookResponse;

/**
 * How Mixpanel treats an HTTP status (100–599): 2xx → `"success"`; 429 and 5xx →
 * `"retry"`; 400, 401, 403, 404 → `"pause"` (Mixpanel's documented non-transient errors),
 * and so does any other 4xx (retrying cannot fix it); 1xx/3xx → `"retry"`.
 */
export function classifyStatus(status: number): StatusClass;

/** The sender's backoff schedule in milliseconds: 5 growing delays summing to ≤ 60 000. */
export function retryDelays(): number[];

// ---- Membership ---------------------------------------------------------------------

/**
 * Distinct ids: an array, a `Set`, a generator or any other iterable of strings. A bare
 * string is refused (it would iterate its characters), at compile time by the `& object`
 * and at run time with `invalid_argument`.
 */
export type IdList = Iterable<string> & object;

/**
 * A member as Mixpanel sends it in a webhook: `mixpanel_distinct_id` and the default
 * fields in snake_case; every other key is an exported property.
 */
export interface RawMember {
  mixpanel_distinct_id: string;
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  phone_number?: string | null;
  [property: string]: JsonValue | undefined;
}

/**
 * A member given to {@link planSync}: a {@link Member} (as {@link parsePayload} returns
 * it; only `distinctId` is required), a {@link RawMember} (as Mixpanel sends it), or
 * just a distinct id.
 */
export type MemberInput = (Pick<Member, "distinctId"> & Partial<Omit<Member, "distinctId">>) | RawMember | string;

/** Who joined and who left, as {@link diffMembers} reports it. */
export interface MemberDiff {
  /** In `current` but not `previous`, in `current`'s order, each once. */
  added: string[];
  /** In `previous` but not `current`, in `previous`'s order, each once. */
  removed: string[];
}

/**
 * Who joined and who left between two lists of distinct ids. Ids are compared exactly
 * (case, whitespace and Unicode form all count); repeats count once.
 * Throws {@link CohortSyncError} `invalid_argument` for a list that is not an iterable
 * (or is a bare string), or that holds something other than a string (its `problems`
 * point at it, e.g. path `/1`).
 *
 * @example
 * diffMembers(["A", "B", "C", "D"], ["A", "C", "E", "F"]); // { added: ["E", "F"], removed: ["B", "D"] }
 */
export function diffMembers(previous: IdList, current: IdList): MemberDiff;

/** How {@link planSync} labels and cuts one sync. Unknown keys are refused. */
export interface PlanOptions {
  /** `mixpanel_project_id`; a non-empty string. */
  projectId: string;
  /** `mixpanel_cohort_id`; a non-empty string. */
  cohortId: string;
  cohortName?: string | null;
  cohortDescription?: string | null;
  /** `mixpanel_session_id` of every page of this sync; a non-empty string. */
  sessionId: string;
  /** Most members per page, a whole number ≥ 1. Default 1000 (Mixpanel's batch size). */
  batchSize?: number;
  /**
   * Age of the last successful snapshot, in milliseconds. Past 3 days (259 200 000) it
   * has expired, and the sync is a full `members` sync. Absent: fresh.
   */
  snapshotAgeMs?: number | null;
}

/**
 * The sender's side: the request bodies (JSON text) Mixpanel would send for one sync,
 * each valid under {@link validatePayload}.
 *
 * - `previous` is `null` (no snapshot) or `options.snapshotAgeMs` is past 3 days: a full
 *   sync, `members` pages 1..n of `current`.
 * - Otherwise a diff against `previous`: `add_members` pages (joining members, with all
 *   their fields), then `remove_members` pages (leaving members, by id), each action's
 *   pages numbered from 1. No change still sends one empty page of each.
 *
 * Each distinct id of `current` is sent once, at its first place. Throws
 * {@link CohortSyncError} `invalid_argument` for bad options (unknown keys, a missing or
 * empty `projectId`/`cohortId`/`sessionId`, a `batchSize` below 1) or bad lists.
 *
 * @param previous distinct ids of the last successful sync's snapshot, or `null`.
 * @param current the cohort now.
 */
export function planSync(
  previous: IdList | null | undefined,
  current: Iterable<MemberInput> & object,
  options: PlanOptions,
): string[];

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
   * wasm, no member objects are built) or a {@link CohortPage} from {@link parsePayload}.
   * An invalid body throws {@link CohortSyncError} `invalid_payload` with `problems` (as
   * {@link parsePayload} would), a malformed page object or bad `options`
   * `invalid_argument`; either way the state is unchanged.
   */
  apply(pageOrBody: Body | CohortPage, options?: ValidateOptions | null): ApplyResult;
  /** Whether `distinctId` is a member (exact comparison). */
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
