// Webhook bodies: checking and decoding one page of a cohort, and the rule for ids.

import type { CohortSyncError, Problem, ProblemCode } from "./errors.js";
import type { SyncTracker } from "./state.js";

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
  /** `null` when the body has no `page_info` (a pageless page; note `no_page_info` in `info`). */
  page: PageInfo | null;
  /** Length of `parameters.members` when it is an array, else `null`. */
  memberCount: number | null;
  /** Everything that makes the payload unacceptable. */
  errors: Problem[];
  /**
   * Odd but acceptable things worth a look (e.g. unknown fields, a repeated distinct id):
   * they leave the page valid. What Mixpanel's real sender always does is in `info`, not here.
   */
  warnings: Problem[];
  /**
   * Notes, not warnings: the body is as Mixpanel's real sender sends it, which its docs do
   * not say: no `page_info` (`no_page_info`: a pageless page) and no description
   * (`missing_field` at `/parameters/mixpanel_cohort_description`). A body with notes and
   * no warnings is simply valid.
   */
  info: Problem[];
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

/** What kind of id `checkId` checks: a member's distinct id, or a cohort, session or project id. */
export type IdKind = "member" | "cohort" | "session" | "project";

/**
 * The webhook's rule for ids, for an id that comes another way (a URL path, a cursor):
 * `null` when `id` could be an id of `kind`, else why not — `empty_string`, `too_long`
 * (over 1024 characters for a member, 255 for the others) or `forbidden_character` (NUL).
 */
export function checkId(id: string, kind: IdKind): { code: ProblemCode; message: string } | null;

/**
 * A webhook page: a raw request body (validated as by {@link validatePayload}; an
 * invalid one throws `invalid_payload`) or a {@link CohortPage} from {@link parsePayload}.
 */
export type PageInput = Body | CohortPage;
