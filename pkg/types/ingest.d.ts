// Mixpanel ingestion: checking events and profile updates against Mixpanel's limits, and
// batching events for /import.

import type { CohortSyncError } from "./errors.js";

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
