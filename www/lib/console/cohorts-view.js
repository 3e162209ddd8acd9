// The first view once connected: every cohort synced to the Worker (GET /cohorts), each
// a link to its own view, and the Mixpanel profiles object's outbox and dead letters.
import { $, el, plural } from "../dom.js";
import { segment } from "./api.js";
import { createDeadLetters } from "./dead-letters.js";
import { timeNode } from "./time.js";

/** The "#cohort/<id>" address of a cohort's view. */
export const cohortHash = (cohortId) => `#cohort/${segment(cohortId)}`;

/** An outbox's counts as a line: "3 pending · 2 dead" (dead ones stand out). */
export function outboxLine({ pending, dead }) {
  return [
    el("span", {}, `${pending.toLocaleString("en-US")} pending`),
    el("span", { className: "sep" }, " · "),
    dead > 0 ? el("span", { className: "badge" }, `${dead.toLocaleString("en-US")} dead`) : el("span", {}, "0 dead"),
  ];
}

/** `context`: `{ client, say, fail }`, read at each call (see dead-letters.js). Returns `{ load() }`. */
export function createCohortsView(context) {
  const tbody = $("cohorts").tBodies[0];
  const profilesDead = createDeadLetters($("profiles-dead"), "/profiles/dead-letters", context, () => loadProfiles());

  // Members and the outbox come first: on a phone the table scrolls sideways, and dead
  // letters are what an operator looks for.
  function row(cohort) {
    const name = cohort.cohortName || cohort.cohortId;
    return el(
      "tr",
      { "data-cohort": cohort.cohortId },
      el(
        "th",
        { scope: "row", className: "cohort-cell" },
        el("a", { href: cohortHash(cohort.cohortId) }, name),
        el("span", { className: "mono muted id" }, cohort.cohortId),
      ),
      el("td", { className: "num" }, cohort.size.toLocaleString("en-US")),
      el("td", { className: "outbox" }, outboxLine(cohort.outbox)),
      el("td", {}, cohort.pendingSession ? [el("span", { className: "mono" }, cohort.pendingSession.sessionId), el("span", { className: "muted id" }, cohort.pendingSession.totalPages === null ? "pageless" : `${plural(cohort.pendingSession.totalPages, "page")}`)] : el("span", { className: "muted" }, "no")),
      el("td", {}, timeNode(cohort.lastPageAt)),
      el("td", {}, cohort.lastCompletedSync ? [timeNode(cohort.lastCompletedSync.at), el("span", { className: "mono muted id" }, cohort.lastCompletedSync.sessionId)] : el("span", { className: "muted" }, "none yet")),
    );
  }

  async function loadProfiles() {
    try {
      const { outbox } = await context.client.get("/profiles");
      $("profiles-outbox").replaceChildren("Outbox: ", ...outboxLine(outbox));
    } catch (error) {
      context.fail(error);
    }
  }

  async function load() {
    const { cohorts } = await context.client.get("/cohorts");
    tbody.replaceChildren(...cohorts.map(row));
    $("cohort-count").textContent = cohorts.length > 0 ? String(cohorts.length) : "";
    $("cohorts-empty").hidden = cohorts.length > 0;
    $("cohorts-wrap").hidden = cohorts.length === 0;
    await Promise.all([loadProfiles(), profilesDead.load()]);
    return cohorts;
  }

  return { load };
}
