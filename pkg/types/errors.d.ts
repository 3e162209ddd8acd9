// What goes wrong: the problems found in input (data, never thrown) and the one error
// the package throws.

import type { decodeSegmentMembership } from "./audience.js";
import type { IdentityIndex } from "./identity.js";
import type { CohortState } from "./state.js";

// The codes of the wasm's ProblemCode (src/problem.rs), no more and no fewer:
// tests/js/package/codes.test.mjs compares the two lists.
/**
 * The stable codes of problems found in input. Match on these, not on messages.
 * The open `string` at the end is for the problems of `cohort-sync/replay`'s
 * `invalid_scenario` errors: they have this shape, with codes of the scenario checker
 * (`not_a_member`, `out_of_order`, …) that no payload check gives.
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
  /** A note (in a report's `info`): the body has no `page_info`, as the real sender sends it: a pageless page. */
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

/** The stable codes of {@link CohortSyncError}; new ones may come in minor versions. */
export type CohortSyncErrorCode =
  | "invalid_payload"
  | "invalid_argument"
  | "invalid_snapshot"
  | "invalid_audience_id"
  | "invalid_segment_membership"
  | "not_initialized"
  | "invalid_scenario"
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
 * `invalid_scenario` (`cohort-sync/replay` given a bad scenario, with `problems`),
 * `internal_error` (a bug: please report).
 */
export class CohortSyncError extends Error {
  constructor(code: string, message: string, problems?: Problem[], options?: { cause?: unknown });
  readonly name: "CohortSyncError";
  /** Stable snake_case identifier. */
  code: CohortSyncErrorCode;
  /** For `invalid_payload`, the report's errors; for `invalid_scenario`, the scenario's; otherwise usually empty. */
  problems: Problem[];
}
