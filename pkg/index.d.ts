// Type declarations for the `cohort-sync` package (every entry: node, workerd, bundler
// and web share these). Shapes follow the public contract in the repository's docs/api.md.

/** Any JSON value, as found in member properties. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A request body: the raw bytes (the fast path: one copy, decoded and parsed in wasm), the
 * text, or the webhook object a framework already parsed (`req.body`, `await
 * request.json()`), checked by the same rules with the same codes and pointers (its
 * problems have no `line`/`column`/`offset`: the text they would point into was not
 * sent). Any other value is reported as an `invalid_argument` problem. A string with a
 * lone surrogate has no UTF-8 form: it is reported `invalid_utf8` at that spot.
 */
export type Body = Uint8Array | ArrayBuffer | ArrayBufferView | string | WebhookObject;

/** The webhook body as a parsed object: `{ action, parameters: { … } }`. */
export interface WebhookObject {
  action?: unknown;
  parameters: unknown;
  [key: string]: unknown;
}

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
  /** Warning: the body has no `page_info` (as the real sender sends it): a pageless page. */
  | "no_page_info"
  /** Warning: a member without `mixpanel_distinct_id` is known by its `$distinct_id`. */
  | "reserved_distinct_id"
  /** Error: an id or name longer than any real sender sends (distinct id and cohort name 1024 characters, other ids 255). */
  | "too_long"
  /** Error: an id or name holds U+0000 (NUL), which no store keeps in text and no Mixpanel id contains. */
  | "forbidden_character"
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
  /** `mixpanel_integration_id`, which the real sender sends (not in its docs), or `null`. */
  integrationId: string | null;
  /** `null` when the body has no `page_info` (a pageless page; warning `no_page_info`). */
  page: PageInfo | null;
  /** Length of `parameters.members` when it is an array, else `null`. */
  memberCount: number | null;
  /** Everything that makes the payload unacceptable. */
  errors: Problem[];
  /** Odd but acceptable things (e.g. unknown fields). */
  warnings: Problem[];
  /**
   * With {@link ValidatePayloadOptions.ids}: a valid page's distinct ids in page order
   * (repeats kept); `[]` when the page is not valid. Absent otherwise.
   */
  ids?: string[];
  /**
   * With {@link ValidatePayloadOptions.ids}, for a valid page: its content key (32 hex
   * digits, a 128-bit hash of the action and the ids), what tells pageless pages apart;
   * {@link SyncTracker.observe} takes it.
   */
  fingerprint?: string;
  /**
   * With {@link ValidatePayloadOptions.memberSpans}: where each member object is in the
   * body's text, flat `[start0, end0, start1, end1, …]` UTF-16 offsets (`text.slice(start,
   * end)` is the member as sent), the text being the string given or the bytes as
   * `new TextDecoder().decode` reads them (without a leading byte order mark); `[]` when
   * the page is not valid, `null` for a parsed object body (its text was not sent).
   */
  memberSpans?: number[] | null;
}

/** Options of {@link validatePayload}. */
export interface ValidatePayloadOptions extends ValidateOptions {
  /**
   * Also list the page's distinct ids in the report, read in the same pass: what a
   * receiver that stores ids needs, without building member objects. Default `false`.
   */
  ids?: boolean;
  /**
   * Also say where each member object is in the body's text (`memberSpans`), read in the
   * same pass: to keep members as they were sent without parsing the body. Default `false`.
   */
  memberSpans?: boolean;
}

/**
 * One member of a cohort page. Absent fields are `null`. The typed fields fall back to
 * Mixpanel's reserved properties the real sender puts on members: `email` to `$email`,
 * `phoneNumber` to `$phone`, `firstName` to `$first_name`, `lastName` to `$last_name`
 * (which stay in `properties` too).
 */
export interface Member {
  /** `mixpanel_distinct_id`, or `$distinct_id` when that is absent. */
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
  /** `mixpanel_integration_id`, or `null`. */
  integrationId: string | null;
  /** `null` for a pageless page (no `page_info`; docs/rules.md says what it means). */
  page: PageInfo | null;
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

/** The stable codes of {@link CohortSyncError}; new ones may come in minor versions. */
export type CohortSyncErrorCode =
  | "invalid_payload"
  | "invalid_argument"
  | "invalid_snapshot"
  | "invalid_audience_id"
  | "invalid_segment_membership"
  | "not_initialized"
  | "internal_error"
  | (string & {});

/**
 * Thrown for misuse and undecodable input, never a bare string or a wasm trap.
 * Codes: `invalid_payload` (with `problems`), `invalid_argument`, `invalid_snapshot`
 * ({@link CohortState.fromBytes} or {@link IdentityIndex.fromBytes} given corrupt,
 * truncated or foreign bytes), `invalid_audience_id` (an audience id that
 * `SegmentMembership` cannot hold: empty, or containing `'` or `,`),
 * `invalid_segment_membership` ({@link decodeSegmentMembership} given text that is not
 * `'id','id',…`), `not_initialized` (`cohort-sync/web` used before `await init()`),
 * `internal_error` (a bug: please report).
 */
export class CohortSyncError extends Error {
  constructor(code: string, message: string, problems?: Problem[], options?: { cause?: unknown });
  readonly name: "CohortSyncError";
  /** Stable snake_case identifier. */
  code: CohortSyncErrorCode;
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
export function validatePayload(body: Body, options: ValidatePayloadOptions & { ids: true }): ValidationReport & { ids: string[] };
export function validatePayload(body: Body, options?: ValidatePayloadOptions | null): ValidationReport;

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

/** What kind of id `checkId` checks: a member's distinct id, or a cohort, session or project id. */
export type IdKind = "member" | "cohort" | "session" | "project";

/**
 * The webhook's rule for ids, for an id that comes another way (a URL path, a cursor):
 * `null` when `id` could be an id of `kind`, else why not — `empty_string`, `too_long`
 * (over 1024 characters for a member, 255 for the others) or `forbidden_character` (NUL).
 */
export function checkId(id: string, kind: IdKind): { code: ProblemCode; message: string } | null;

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

// ---- Identity and destinations ------------------------------------------------------

/** Options of the Braze identity rule and of {@link brazeCohortChanges}. */
export interface BrazeOptions {
  /** The member property holding Braze's `external_id`. Default `"$braze_external_id"`. */
  userIdProperty?: string;
  /** The project uses Simplified ID Merge: match on `$user_id` (overrides `userIdProperty`). */
  simplifiedIdMerge?: boolean;
}

/**
 * How a member is matched to a destination user:
 * - `"clevertap"`: `$CleverTap_user_id` (a non-empty string or an integer), else the
 *   distinct id;
 * - `"braze"`: `$braze_external_id`, no fallback;
 * - `{ braze: BrazeOptions }`: the chosen property (or `$user_id` under Simplified ID
 *   Merge), no fallback;
 * - `{ properties, fallbackToDistinctId = true }`: the first of `properties` that holds a
 *   non-empty string or an integer, else the distinct id unless `fallbackToDistinctId`
 *   is `false`.
 *
 * Empty strings never count. Anything else throws {@link CohortSyncError} `invalid_argument`.
 */
export type IdentityRule =
  | "clevertap"
  | "braze"
  | { braze: BrazeOptions }
  | { properties: readonly string[]; fallbackToDistinctId?: boolean };

/** A member as {@link resolveIdentity} takes it: a {@link Member} or a {@link RawMember}. */
export type IdentityMember = (Pick<Member, "distinctId"> & Partial<Omit<Member, "distinctId">>) | RawMember;

/** The identity a member maps to in a destination. */
export interface ResolvedIdentity {
  /** The destination's user id (integers become their decimal text). */
  identity: string;
  /** The property it came from, e.g. `"$CleverTap_user_id"` or `"mixpanel_distinct_id"`. */
  source: string;
}

/**
 * The identity of `member` under `rule`, or `null` when the member has none (a Braze
 * member without the chosen property: report it, do not guess). Throws
 * {@link CohortSyncError} `invalid_argument` for a bad rule or member.
 *
 * @example
 * resolveIdentity({ mixpanel_distinct_id: "986791", $CleverTap_user_id: "123456" }, "clevertap");
 * // { identity: "123456", source: "$CleverTap_user_id" }
 */
export function resolveIdentity(member: IdentityMember, rule: IdentityRule): ResolvedIdentity | null;

/**
 * The identities a destination already knows (e.g. CleverTap identities), for
 * {@link matchMembers}. Lives in wasm memory: call {@link IdentityIndex.free} when done.
 */
export class IdentityIndex {
  /** An index of `ids` (any iterable of strings; repeats count once), or an empty one. */
  constructor(ids?: IdList | null);
  /**
   * An index from {@link IdentityIndex.toBytes}'s snapshot. Throws {@link CohortSyncError}
   * `invalid_snapshot` for corrupt, truncated or foreign bytes, `invalid_argument` when
   * `bytes` is not bytes.
   */
  static fromBytes(bytes: SnapshotBytes): IdentityIndex;
  /**
   * Adds `id`; `true` when it was new. A string holding a lone surrogate throws
   * {@link CohortSyncError} `invalid_argument`, as it does in the constructor's list.
   */
  add(id: string): boolean;
  /** Whether `id` is known (exact comparison; a lone surrogate throws as in `add`). */
  has(id: string): boolean;
  /** How many identities. */
  readonly size: number;
  /** Bytes of wasm memory the index holds. */
  readonly memoryBytes: number;
  /** The identities as compact, versioned, checksummed bytes. */
  toBytes(): Uint8Array;
  /** Releases the wasm memory now. Idempotent; later calls throw `invalid_argument`. */
  free(): void;
}

/** A member and the identity it resolved to. */
export interface MatchedMember {
  distinctId: string;
  identity: string;
}

/** A member that could not be sent: it has no identity under the rule. */
export interface SkippedMember {
  distinctId: string;
  reason: "no_identity" | (string & {});
}

/** What {@link matchMembers} found; every member of the page is in exactly one list. */
export interface MatchResult {
  /** The identity is in the index: the user joins (or leaves) the segment. */
  matched: MatchedMember[];
  /** The identity is new: the destination creates the user. */
  created: MatchedMember[];
  /** No identity: report, do not guess. */
  skipped: SkippedMember[];
}

/**
 * A webhook page: a raw request body (validated as by {@link validatePayload}; an
 * invalid one throws `invalid_payload`) or a {@link CohortPage} from {@link parsePayload}.
 */
export type PageInput = Body | CohortPage;

/**
 * Sorts a page's members by `index` under `rule`, in page order. Pure: `index` is not
 * changed (add the `created` identities yourself once the destination has them).
 */
export function matchMembers(page: PageInput, index: IdentityIndex, rule: IdentityRule): MatchResult;

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

// ---- Audiences (SegmentMembership) ------------------------------------------------

/** An audience id: a non-empty string without `'` or `,`, or a whole number. */
export type AudienceId = string | number;

/**
 * `["11036", "11034"]` → `'11036','11034'`: each id in single quotes, comma-joined, no
 * spaces; order kept, repeats dropped. Throws {@link CohortSyncError}
 * `invalid_audience_id` for an empty id or one containing `'` or `,`,
 * `invalid_argument` for something that is not an id.
 */
export function encodeSegmentMembership(ids: Iterable<AudienceId> & object): string;

/**
 * The ids of a `SegmentMembership` value (`""` → `[]`). Throws {@link CohortSyncError}
 * `invalid_segment_membership` for malformed text, `invalid_argument` for a non-string.
 */
export function decodeSegmentMembership(value: string): string[];

/** Whether `value` holds the whole token `'id'`: `1103` is not in `'11036','11034'`. */
export function segmentMembershipContains(value: string, id: AudienceId): boolean;

/** One audience and whether the user is in it. */
export interface Audience {
  id: AudienceId;
  /** The audience's external name, for the `In <name>` property. */
  name: string;
  member: boolean;
}

/** Options of {@link audienceProperties}. */
export interface AudienceOptions {
  /** Also one `In <name>` = `true`/`false` property per audience. Default `false`. */
  perAudience?: boolean;
}

/** The people properties of a user's audiences. */
export type AudienceProperties = { SegmentMembership: string } & { [name: `In ${string}`]: boolean };

/**
 * `{ SegmentMembership, "In <name>": boolean … }` for one user: `SegmentMembership`
 * encodes the ids of the audiences the user is a `member` of; the `In <name>` keys only
 * with `options.perAudience`.
 *
 * @example
 * audienceProperties([{ id: 11036, name: "Possible Parisians", member: true }], { perAudience: true });
 * // { SegmentMembership: "'11036'", "In Possible Parisians": true }
 */
export function audienceProperties(
  audiences: Iterable<Audience> & object,
  options?: AudienceOptions | null,
): AudienceProperties;

/** A Mixpanel user profile update: the properties to `$set`. */
export interface ProfileUpdate {
  distinctId: string;
  properties: Record<string, JsonValue>;
}

/** Options of {@link engageBatches}. */
export interface EngageOptions {
  /** The Mixpanel project token; non-empty. */
  token: string;
  /** Most updates per body, 1–2000. Default 2000. */
  maxPerRequest?: number;
}

/**
 * Request bodies for Mixpanel's `/engage` (`$set`): JSON arrays of
 * `{"$token","$distinct_id","$set"}`, at most `maxPerRequest` each, in order.
 */
export function engageBatches(updates: Iterable<ProfileUpdate> & object, options: EngageOptions): string[];

/** One user and every audience whose membership their profile must show. */
export interface UserAudiences {
  distinctId: string;
  audiences: Audience[];
}

/** Options of {@link segmentMembershipUpdates}: {@link engageBatches}' and {@link audienceProperties}' together. */
export interface SegmentMembershipUpdateOptions extends EngageOptions {
  /** Also an `In <name>` true/false property per audience. Default `false`. */
  perAudience?: boolean;
}

/**
 * `/engage` request bodies giving each user their audience properties: what
 * {@link audienceProperties} makes for each user, batched as {@link engageBatches} does,
 * in one call (for a receiver updating many users' `SegmentMembership` at once).
 *
 * @example
 * const bodies = segmentMembershipUpdates([{ distinctId: "u1", audiences: [{ id: "11036", name: "Athenians", member: true }] }], { token });
 */
export function segmentMembershipUpdates(users: Iterable<UserAudiences> & object, options: SegmentMembershipUpdateOptions): string[];

/** Mixpanel's data residency: the standard (US) or the EU server. */
export type MixpanelRegion = "us" | "eu";

/** The `/engage` endpoint of `region` (default `"us"`). */
export function engageUrl(region?: MixpanelRegion | null): string;

// ---- Mixpanel ingestion -------------------------------------------------------------

/**
 * Records to check or batch: an array (or other iterable) of objects, JSON array text,
 * NDJSON text (one record a line), or the UTF-8 bytes of either.
 */
export type RecordsInput = (Iterable<unknown> & object) | string | Uint8Array;

/** The stable codes of {@link RecordProblem}s. */
export type RecordProblemCode =
  | "invalid_json"
  | "not_an_object"
  | "missing_field"
  | "wrong_type"
  | "empty_string"
  | "time_out_of_range"
  | "placeholder_distinct_id"
  | "placeholder_insert_id"
  | "invalid_insert_id"
  | "missing_token"
  | "too_many_properties"
  | "too_many_elements"
  | "too_many_keys"
  | "event_too_large"
  | "string_truncated"
  | "missing_operation"
  | "update_too_large"
  | "batch_too_large"
  | (string & {});

/** One thing wrong with a record, or with the whole input. */
export interface RecordProblem {
  /** The record's 0-based index; `null` for the whole input (`invalid_json`, `batch_too_large`). */
  index: number | null;
  /**
   * The field, e.g. `"$insert_id"`; a property name for `string_truncated`,
   * `too_many_elements` and `too_many_keys` (the operation, e.g. `"$set"`, in a profile
   * update); `""` for the record.
   */
  field: string;
  code: RecordProblemCode;
  message: string;
  /** Errors make the record invalid; warnings (`string_truncated`, `batch_too_large`) do not. */
  severity: "error" | "warning";
}

/** What {@link validateEvents} or {@link validateProfiles} found. Problems are data. */
export interface RecordReport {
  /** Records without errors. */
  valid: number;
  /** Records with at least one error. */
  invalid: number;
  /** The indexes of the invalid records, ascending. */
  invalidIndexes: number[];
  problems: RecordProblem[];
}

/** Options of {@link validateEvents}. */
export interface EventValidationOptions {
  /** "Now" in milliseconds, for the 1-hour-ahead limit. Default: the clock. */
  now?: number | null;
}

/**
 * Checks events for Mixpanel's `/import` (docs/domain.md, "Mixpanel's ingestion limits"): `event`; `properties.time` (seconds
 * or milliseconds, from 1971-01-01, at most 1 hour ahead); `properties.distinct_id` (no
 * placeholders such as `"anon"` or `"null"`; `""` is an event tied to no user);
 * `properties.$insert_id` (1–36 of `[A-Za-z0-9-]`, no placeholders); fewer than 255
 * properties; arrays of fewer than 255 elements and objects of fewer than 255 keys, at
 * any depth of a property value; under 1 MB; strings over 255 characters are a
 * `string_truncated` warning. Unreadable text is one `invalid_json` problem. Throws
 * {@link CohortSyncError} `invalid_argument` only for bad arguments.
 */
export function validateEvents(events: RecordsInput, options?: EventValidationOptions | null): RecordReport;

/** User profiles (keyed by `$distinct_id`) or group profiles (`$group_key` + `$group_id`). */
export type ProfileKind = "user" | "group";

/** Options of {@link validateProfiles}. */
export interface ProfileValidationOptions {
  /**
   * The project token you will put into updates that have no `$token` (or an empty one)
   * before sending: then those are not `missing_token`. Non-empty.
   */
  token?: string | null;
}

/**
 * Checks profile updates for `/engage` (user) or `/groups` (group): `$token` (unless
 * `options.token` fills it), the key fields, one operation (`$set`, `$set_once`, `$add`,
 * `$union`, `$append`, `$remove`, `$unset`, `$delete`), arrays of fewer than 255 elements
 * and objects of fewer than 255 keys in the operation's values, at most 1 MB each; more
 * than 2000 user / 200 group updates is a `batch_too_large` warning.
 */
export function validateProfiles(
  updates: RecordsInput,
  kind: ProfileKind,
  options?: ProfileValidationOptions | null,
): RecordReport;

/**
 * `/import` request bodies (JSON arrays) of at most 2000 events and 10 MB each, in order.
 * Events are not checked here (see {@link validateEvents}); text input is copied as written.
 */
export function importBatches(events: RecordsInput): string[];

/** Whether a CleverTap event name is one of the 20 that do not count towards Mixpanel MTU (exact match). */
export function isMtuExempt(eventName: string): boolean;

// ---- Loading rows into Mixpanel -------------------------------------------------------

/**
 * What a load sent last time, kept compactly (a 64-bit key hash and a 63-bit record
 * checksum a key: about 23 bytes a key at 10M keys): each run plans its rows against it
 * and marks what Mixpanel took. Rows cross a batch at a time as two byte strings:
 * `keys`, each key's UTF-8 ended by a NUL; `records`, each record's JSON ended by a line
 * feed (the same count). docs/loading.md, "How a run is planned".
 */
export class LoadState {
  constructor();
  /** Throws {@link CohortSyncError} `invalid_snapshot` for corrupt bytes. */
  static fromBytes(bytes: Uint8Array): LoadState;
  /** The hashes {@link LoadState.removed} names keys by. */
  static keyHashes(keys: Uint8Array): BigUint64Array;
  toBytes(): Uint8Array;
  /**
   * One outcome a row: 0 new, 1 changed, 2 unchanged (same record as sent last time),
   * 3 retry (its send failed last time), 4 duplicate (a key already planned this run).
   */
  plan(keys: Uint8Array, records: Uint8Array): Uint8Array;
  /** After Mixpanel's 2xx for these rows. */
  markSent(keys: Uint8Array, records: Uint8Array): void;
  /** Their send failed for now (they are sent again next run); returns how many were known. */
  markFailed(keys: Uint8Array): number;
  /** The hashes of keys known but not planned in this run. */
  removed(): BigUint64Array;
  forget(hashes: BigUint64Array): number;
  readonly size: number;
  memoryBytes(): number;
  free(): void;
}

/** A stable `$insert_id` for a row without one: 36 characters (UUID-shaped) from the event name and the row's key. */
export function insertId(event: string, key: string): string;
