// Lists of members: who joined and who left, and the pages the sender would send for a sync.

import type { CohortSyncError } from "./errors.js";
import type { JsonValue, Member, parsePayload, validatePayload } from "./payload.js";

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
