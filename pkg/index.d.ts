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
 * Codes: `invalid_payload` (with `problems`), `invalid_argument`, `not_initialized`
 * (`cohort-sync/web` used before `await init()`), `internal_error` (a bug: please report).
 */
export class CohortSyncError extends Error {
  constructor(code: string, message: string, problems?: Problem[], options?: { cause?: unknown });
  readonly name: "CohortSyncError";
  /** Stable snake_case identifier. */
  code: "invalid_payload" | "invalid_argument" | "not_initialized" | "internal_error" | (string & {});
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
