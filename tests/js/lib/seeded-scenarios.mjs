// The differential check of the one rulebook: seeded random scenarios (multi-page full
// syncs in any order, replays, restarts from the top, late pages of replaced sessions,
// diff sessions, sessions resent with other page counts, pageless bodies, and more than
// 64 sessions while a full sync is unfinished) sent to a receiver and applied to a
// CohortState in Node; after each scenario both must hold the same members and the same
// pending full sync. Used by tests/js/behaviour/differential.mjs (a short run on every
// host, a long one through scripts/differential.mjs).
import { CohortState } from "cohort-sync";

/** A small seeded generator (random.mjs): the same seed gives the same scenarios. */
export { seeded as random } from "./random.mjs";

// Ids as the rulebook keeps them: plain ones, and ones that stores treat differently
// (U+FFFF, control characters, DEL, a surrogate pair, a quote and a backslash).
const ODD_IDS = ["m\uffff", "\u0001\u001f", "tab\there", "del\u007f", "emoji\ud83d\ude00", 'q"b\\s', "\u00e9t\u00e9"];
const POOL = [...Array.from({ length: 24 - ODD_IDS.length }, (_, i) => `m${i}`), ...ODD_IDS];
// Ids no store may be asked to keep: a body naming one is refused by every host (400)
// and by CohortState (invalid_payload), and changes nothing.
const REFUSED_IDS = ["nul\u0000id", "\ud800lone", "lone\udfff"];

/**
 * An id of 1–6 random characters from every plane the rulebook keeps: C0 controls and
 * DEL, Latin, the BMP's last (U+FFFF) and astral characters; never NUL or a lone
 * surrogate (those are REFUSED_IDS' part).
 */
function randomId(rng) {
  const ranges = [[1, 0x1f], [0x20, 0x7f], [0xa0, 0x2fff], [0xe000, 0xffff], [0x10000, 0x10ffff]];
  let id = "";
  for (let k = 1 + rng.int(6); k > 0; k--) {
    const [low, high] = rng.pick(ranges);
    id += String.fromCodePoint(low + rng.int(high - low + 1));
  }
  return id;
}

/** Whether `body` names an id the rulebook refuses (so every host answers 400). */
export const refusedBody = (body) => REFUSED_IDS.some((id) => JSON.parse(body).parameters.members.some((m) => m.mixpanel_distinct_id === id) || JSON.parse(body).parameters.mixpanel_session_id.includes(id));

function body(cohortId, action, sessionId, page, ids) {
  const parameters = { mixpanel_project_id: "1", mixpanel_cohort_id: cohortId, mixpanel_cohort_name: "Differential", mixpanel_session_id: sessionId };
  if (page) parameters.page_info = { page_count: page.count, total_pages: page.total };
  parameters.members = ids.map((id) => ({ mixpanel_distinct_id: id }));
  return JSON.stringify({ action, parameters });
}

/** `ids` cut into `pages` parts (some possibly empty). */
function split(rng, ids, pages) {
  const parts = Array.from({ length: pages }, () => []);
  for (const id of ids) parts[rng.int(pages)].push(id);
  return parts;
}

/**
 * One scenario's bodies for cohort `cohortId`. `long`: the scenario that opens a full
 * sync, leaves a page out, sends 70 diff sessions, then the missing page.
 */
export function scenario(rng, cohortId, { long = false } = {}) {
  const bodies = [];
  let n = 0;
  // Session ids and members with random characters too, in every store.
  const session = () => `${cohortId}-s${n++}${rng.chance(0.3) ? randomId(rng) : ""}`;
  const pool = [...POOL, randomId(rng), randomId(rng), randomId(rng)];
  const subset = () => pool.filter(() => rng.chance(0.5));
  if (long) {
    const s = session();
    const parts = split(rng, subset(), 3);
    bodies.push(body(cohortId, "members", s, { count: 1, total: 3 }, parts[0]), body(cohortId, "members", s, { count: 3, total: 3 }, parts[2]));
    for (let k = 0; k < 70; k++) bodies.push(body(cohortId, rng.pick(["add_members", "remove_members"]), session(), { count: 1, total: 1 }, [rng.pick(pool)]));
    bodies.push(body(cohortId, "members", s, { count: 2, total: 3 }, parts[1]));
    return bodies;
  }
  const steps = 3 + rng.int(6);
  for (let step = 0; step < steps; step++) {
    const kind = rng.int(6);
    const s = session();
    if (kind <= 1) {
      // A full sync: numbered pages in any order (some left out or replayed), or pageless bodies.
      const members = subset();
      if (rng.chance(0.35)) {
        const parts = split(rng, members, 1 + rng.int(3));
        for (const part of parts) bodies.push(body(cohortId, "members", s, null, part));
        if (rng.chance(0.4)) bodies.push(rng.pick(bodies));
      } else {
        const total = 1 + rng.int(4);
        const parts = split(rng, members, total);
        const order = rng.shuffle(parts.map((_, i) => i)).filter(() => !rng.chance(0.15));
        for (const i of order) bodies.push(body(cohortId, "members", s, { count: i + 1, total }, parts[i]));
        if (rng.chance(0.3)) {
          // Resent from the top with another page count.
          const again = 1 + rng.int(3);
          split(rng, members, again).forEach((part, i) => bodies.push(body(cohortId, "members", s, { count: i + 1, total: again }, part)));
        }
      }
    } else if (kind <= 4) {
      // A diff session: adds then removes, numbered or pageless.
      const pageless = rng.chance(0.4);
      for (const action of ["add_members", "remove_members"]) {
        const ids = pool.filter(() => rng.chance(0.2));
        const total = 1 + rng.int(2);
        split(rng, ids, total).forEach((part, i) => bodies.push(body(cohortId, action, s, pageless ? null : { count: i + 1, total }, part)));
      }
    } else if (bodies.length > 0) {
      // Replays of earlier bodies (late pages of replaced sessions among them).
      for (let k = 0; k < 1 + rng.int(3); k++) bodies.push(rng.pick(bodies));
    }
    if (rng.chance(0.2)) {
      // A body naming an id no store keeps, in a member or the session id: refused.
      const bad = rng.pick(REFUSED_IDS);
      const inSession = rng.chance(0.3);
      bodies.push(body(cohortId, rng.pick(["members", "add_members", "remove_members"]), inSession ? `${s}${bad}` : s, { count: 1, total: 1 }, inSession ? [rng.pick(pool)] : [rng.pick(pool), bad]));
    }
  }
  return bodies;
}

/**
 * A CohortState fed `bodies` one at a time; `view()` is its members (sorted) and pending
 * session. A body the rulebook refuses must throw invalid_payload and change nothing.
 */
export function reference() {
  const state = new CohortState();
  return {
    apply(body) {
      if (!refusedBody(body)) return state.apply(body);
      try {
        state.apply(body);
      } catch (error) {
        if (error.code === "invalid_payload" && error.problems.some((p) => ["forbidden_character", "lone_surrogate"].includes(p.code))) return null;
        throw error;
      }
      throw new Error(`CohortState took a body naming an id no store keeps: ${body}`);
    },
    view: () => ({ members: state.members().sort(), pendingSession: state.pendingSession }),
    free: () => state.free(),
  };
}
