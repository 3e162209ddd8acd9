// The first view once connected: every cohort synced to the Worker (GET /cohorts), each
// a link to its own view with a small trend of its members, found by name or id and
// sorted by any column; and the Mixpanel profiles object's outbox and dead letters.
// Each card says its own loading, failure or out-of-date state (card.js).
import { $, el, plural } from "../dom.js";
import { segment } from "./api.js";
import { cardState } from "./card.js";
import { sparkline } from "./chart.js";
import { createDeadLetters } from "./dead-letters.js";
import { timeNode } from "./time.js";

/** The "#cohort/<id>" address of a cohort's view. */
export const cohortHash = (cohortId) => `#cohort/${segment(cohortId)}`;

/** An outbox's counts, named: "3 requests waiting to be sent · 2 dead letters" (dead ones stand out). */
export function outboxLine({ pending, dead }) {
  return [
    el("span", {}, `${plural(pending, "request")} waiting to be sent`),
    el("span", { className: "sep" }, " · "),
    dead > 0 ? el("span", { className: "badge" }, plural(dead, "dead letter")) : el("span", {}, "0 dead letters"),
  ];
}

/**
 * The members trend of a cohort: the count kept after each of its last syncs, then the
 * count now when the latest session has none kept yet (it is not over); and its words.
 */
export function trendOf(cohort) {
  const kept = cohort.sizeTrend ?? [];
  const latestKept = kept.length > 0 && kept[kept.length - 1].sessionId === cohort.sessionId;
  const points = latestKept ? [...kept] : [...kept, { at: cohort.lastPageAt, size: cohort.size }];
  const sizes = points.map((p) => p.size.toLocaleString("en-US"));
  const words =
    points.length < 2
      ? `${plural(cohort.size, "member")}; no earlier count kept`
      : latestKept
        ? `Members after the last ${plural(points.length, "sync")}: ${sizes.join(", ")}`
        : `Members after the last ${plural(points.length - 1, "sync")}, then now: ${sizes.join(", ")}`;
  return { points, words };
}

// How each column sorts (the cohorts are drawn in this order).
const SORTS = {
  name: (c) => (c.cohortName || c.cohortId).toLowerCase(),
  size: (c) => c.size ?? -1,
  outbox: (c) => (c.outbox ? c.outbox.dead * 1e9 + c.outbox.pending : -1),
  pending: (c) => (c.pendingSession ? 1 : 0),
  lastPage: (c) => c.lastPageAt ?? "",
  lastFull: (c) => c.lastCompletedSync?.at ?? "",
};

/** `context`: `{ client, say, fail }`, read at each call (see dead-letters.js). Returns `{ load() }`. */
export function createCohortsView(context) {
  const table = $("cohorts");
  const tbody = table.tBodies[0];
  const card = cardState($("cohorts-card"), "the cohorts", context);
  const profilesCard = cardState($("profiles-card"), "the profiles object's outbox", context, $("profiles-state"));
  const profilesDead = createDeadLetters($("profiles-dead"), "/profiles/dead-letters", context, {
    changed: () => loadProfiles(),
    pending: async () => (await context.client.get("/profiles")).outbox.pending,
  });
  let cohorts = [];
  let sort = { key: "name", descending: false };
  let charts = [];

  // Sorting: each column's heading is a button; aria-sort says the order to a screen reader.
  for (const th of table.tHead.rows[0].cells) {
    const key = th.dataset.sort;
    if (!key) continue;
    const button = el("button", { type: "button", className: "sort" }, ...th.childNodes);
    th.replaceChildren(button);
    button.addEventListener("click", () => {
      sort = { key, descending: sort.key === key ? !sort.descending : key === "size" || key === "outbox" || key === "lastPage" || key === "lastFull" };
      render();
    });
  }
  $("cohort-filter").addEventListener("input", () => render());

  function row(cohort) {
    const name = cohort.cohortName || cohort.cohortId;
    const label = (text) => ({ "data-label": text });
    // A cell's content in one box: on a phone the cell is a grid of its label and that box.
    const td = (props, ...content) => el("td", props, el("span", { className: "cell" }, ...content));
    if (cohort.error) {
      return el(
        "tr",
        { "data-cohort": cohort.cohortId },
        el("th", { scope: "row", className: "cohort-cell" }, el("a", { href: cohortHash(cohort.cohortId) }, name), el("span", { className: "mono muted id" }, cohort.cohortId)),
        td({ colSpan: 6, className: "error-text", ...label("Figures") }, `Its figures could not be read: ${cohort.error}`),
      );
    }
    const { points, words } = trendOf(cohort);
    const trend = el("span", { className: "spark", role: "img", "aria-label": words, title: words });
    const tr = el(
      "tr",
      { "data-cohort": cohort.cohortId },
      el("th", { scope: "row", className: "cohort-cell" }, el("a", { href: cohortHash(cohort.cohortId) }, name), el("span", { className: "mono muted id" }, cohort.cohortId)),
      td({ className: "num", ...label("Members") }, cohort.size.toLocaleString("en-US")),
      td({ className: "trend", ...label("Trend") }, points.length > 1 ? trend : el("span", { className: "muted" }, "no earlier count kept")),
      td({ className: "outbox", ...label("Outbox") }, outboxLine(cohort.outbox)),
      td(
        label("Full sync under way"),
        cohort.pendingSession
          ? [el("span", { className: "mono" }, cohort.pendingSession.sessionId), el("span", { className: "muted id" }, cohort.pendingSession.totalPages === null ? "pageless" : `${plural(cohort.pendingSession.totalPages, "page")}`)]
          : el("span", { className: "muted" }, "no"),
      ),
      td(label("Last page received"), timeNode(cohort.lastPageAt)),
      td(label("Last full sync completed"), cohort.lastCompletedSync ? [timeNode(cohort.lastCompletedSync.at), el("span", { className: "mono muted id" }, cohort.lastCompletedSync.sessionId)] : el("span", { className: "muted" }, "none yet")),
    );
    if (points.length > 1) charts.push(sparkline(trend, points).catch(() => trend.replaceChildren(el("span", { className: "muted" }, points.map((p) => p.size.toLocaleString("en-US")).join(" → ")))));
    return tr;
  }

  function render() {
    for (const chart of charts) chart.then((remove) => typeof remove === "function" && remove());
    charts = [];
    const query = $("cohort-filter").value.trim().toLowerCase();
    const found = query === "" ? cohorts : cohorts.filter((c) => c.cohortId.toLowerCase().includes(query) || (c.cohortName ?? "").toLowerCase().includes(query));
    const by = SORTS[sort.key];
    const ordered = [...found].sort((a, b) => {
      const [x, y] = [by(a), by(b)];
      const order = x < y ? -1 : x > y ? 1 : a.cohortId < b.cohortId ? -1 : 1;
      return sort.descending ? -order : order;
    });
    tbody.replaceChildren(...ordered.map(row));
    for (const th of table.tHead.rows[0].cells) {
      if (!th.dataset.sort) continue;
      if (th.dataset.sort === sort.key) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    }
    $("cohort-count").textContent = cohorts.length > 0 ? String(cohorts.length) : "";
    $("cohorts-found").textContent = query === "" ? "" : found.length === 0 ? `No cohort's name or id holds “${query}”.` : `${found.length} of ${plural(cohorts.length, "cohort")} shown.`;
    $("cohorts-empty").hidden = cohorts.length > 0;
    $("cohorts-wrap").hidden = cohorts.length === 0 || found.length === 0;
    $("cohorts-find").hidden = cohorts.length < 2;
  }

  async function loadProfiles() {
    await profilesCard.run(async () => {
      const { outbox } = await context.client.get("/profiles");
      $("profiles-outbox").replaceChildren("Outbox: ", ...outboxLine(outbox));
    });
  }

  /** Reads everything again; resolves to whether every card could be read. */
  async function load() {
    const results = await Promise.all([
      card.run(async () => {
        cohorts = (await context.client.get("/cohorts")).cohorts;
        render();
      }),
      loadProfiles().then(() => profilesCard.ok),
      profilesDead.load().then(() => $("profiles-dead").closest("section").dataset.state === "ready"),
    ]);
    return results.every(Boolean);
  }

  return { load };
}
