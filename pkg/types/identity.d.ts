// Identity: how a member is matched to a destination's user, and the identities a
// destination already knows.

import type { brazeCohortChanges } from "./destinations.js";
import type { CohortSyncError } from "./errors.js";
import type { IdList, RawMember } from "./membership.js";
import type { Member, PageInput } from "./payload.js";
import type { SnapshotBytes } from "./state.js";

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
 * Sorts a page's members by `index` under `rule`, in page order. Pure: `index` is not
 * changed (add the `created` identities yourself once the destination has them).
 */
export function matchMembers(page: PageInput, index: IdentityIndex, rule: IdentityRule): MatchResult;
