// Audiences: SegmentMembership values, audience properties and the /engage bodies that set them.

import type { CohortSyncError } from "./errors.js";
import type { JsonValue } from "./payload.js";

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
