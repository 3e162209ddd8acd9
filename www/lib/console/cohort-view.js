// One cohort: its figures (GET /cohorts/:id) and a download of its members
// (…/members.ndjson), a chart of its members and each sync's outcome with the same
// numbers as a table, its sync timeline (…/syncs, one entry per session: a diff's adds
// and removals are one sync), a member lookup (…/members/:distinctId), its dead pages
// and letters, and forgetting it (DELETE). Each card says its own state (card.js).
import { $, el, formatBytes, plural } from "../dom.js";
import { segment } from "./api.js";
import { cardState } from "./card.js";
import { syncChart } from "./chart.js";
import { outboxLine } from "./cohorts-view.js";
import { confirmInline } from "./confirm.js";
import { createDeadLetters } from "./dead-letters.js";
import { createDeadPages } from "./dead-pages.js";
import { longTime, shortTime, timeNode } from "./time.js";

// What each status of the Worker's SyncTracker means, for the person reading it.
const STATUS = {
  complete: ["ok", "Complete"],
  waiting: ["warn", "Waiting"],
  open: ["warn", "Open"],
  replaced: ["muted", "Replaced"],
  refused: ["bad", "Refused"],
};
// Which status a sync shows when its actions differ: the one that needs a look first.
const WORST = ["waiting", "open", "replaced", "refused"];

/**
 * The Worker's entries (one per session and action, newest first) as syncs: one per
 * session, its actions together (a diff sends adds and removals under one session id),
 * newest first.
 */
export function mergeSyncs(entries) {
  const bySession = new Map();
  for (const entry of entries) {
    const sync = bySession.get(entry.sessionId);
    if (!sync) {
      bySession.set(entry.sessionId, {
        sessionId: entry.sessionId,
        entries: [entry],
        actions: [entry.action],
        added: entry.added,
        removed: entry.removed,
        replays: entry.replays,
        refused: { ...entry.refused },
        firstPageAt: entry.firstPageAt,
        lastPageAt: entry.lastPageAt,
        size: entry.size ?? null,
      });
      continue;
    }
    sync.entries.push(entry);
    sync.actions.push(entry.action);
    sync.added += entry.added;
    sync.removed += entry.removed;
    sync.replays += entry.replays;
    sync.refused.count += entry.refused.count;
    sync.refused.lastReason ??= entry.refused.lastReason;
    if (entry.firstPageAt && (!sync.firstPageAt || entry.firstPageAt < sync.firstPageAt)) sync.firstPageAt = entry.firstPageAt;
    if (entry.lastPageAt && (!sync.lastPageAt || entry.lastPageAt > sync.lastPageAt)) sync.lastPageAt = entry.lastPageAt;
    sync.size ??= entry.size ?? null;
  }
  for (const sync of bySession.values()) {
    // Add before remove, as a diff is applied.
    sync.entries.sort((a, b) => (a.action === b.action ? 0 : a.action === "remove_members" ? 1 : -1));
    sync.actions = sync.entries.map((e) => e.action);
    const statuses = sync.entries.map((e) => e.status);
    sync.status = statuses.every((s) => s === "complete") ? "complete" : WORST.find((s) => statuses.includes(s)) ?? statuses.find((s) => s !== "complete");
    sync.kind = sync.actions.includes("members") ? "full sync" : "diff";
  }
  return [...bySession.values()];
}

/** Why a session and action is (not) complete, in a sentence. */
function statusSentence(entry) {
  const missing = entry.missingPages.length > 0 ? ` Missing ${entry.missingPages.length === 1 ? "page" : "pages"} ${entry.missingPages.join(", ")}${entry.pages.total !== null && entry.pages.total - entry.pages.received > entry.missingPages.length ? ", …" : ""}.` : "";
  switch (entry.status) {
    case "complete":
      return "Every page arrived and was applied.";
    case "waiting":
      return `The full sync is under way: its removals happen when the last page lands.${missing}`;
    case "open":
      return entry.pages.total === null ? (entry.action === "members" ? "A pageless full sync: it ends when the next sync begins." : "A pageless diff: its pages were applied as they came; it is over when the next sync begins.") : `Pages are missing from this diff.${missing}`;
    case "replaced":
      return "A newer full sync started before this one finished (Mixpanel restarted from the top): its late pages change nothing.";
    case "refused":
      return "Every page of it was refused (400): nothing was applied.";
    default:
      return entry.status;
  }
}

/** "3 added", "0 added" — a sign only on a change. */
const change = (n, sign, word) => `${n > 0 ? sign : ""}${n.toLocaleString("en-US")} ${word}`;

/** A sync's figures in a line. */
export function figures(sync) {
  return [change(sync.added, "+", "added"), change(sync.removed, "−", "removed"), plural(sync.replays, "page replayed", "pages replayed"), plural(sync.refused.count, "page refused", "pages refused")].join(" · ");
}

function pagesText(entry) {
  return entry.pages.total === null ? `${plural(entry.pages.received, "page")} (pageless)` : `${entry.pages.received} of ${plural(entry.pages.total, "page")}`;
}

function syncItem(sync) {
  const [tone, label] = STATUS[sync.status] ?? ["muted", sync.status];
  const both = sync.entries.length > 1;
  const why = both
    ? sync.entries.map((e) => `${e.action}: ${statusSentence(e)}`).join(" ")
    : statusSentence(sync.entries[0]);
  return el(
    "li",
    { className: `sync is-${tone}`, "data-session": sync.sessionId, "data-status": sync.status, "data-actions": sync.actions.join(" ") },
    el("p", { className: "sync-head" }, el("span", { className: `status-badge ${tone}` }, label), " ", el("span", { className: "mono" }, sync.sessionId), el("span", { className: "muted" }, ` · ${sync.kind}: ${sync.actions.join(" + ")}`)),
    el("p", { className: "sync-why" }, why),
    el(
      "dl",
      { className: "sync-facts" },
      el("dt", {}, "Pages"),
      el("dd", { className: "pages" }, both ? sync.entries.map((e) => `${e.action}: ${pagesText(e)}`).join("; ") : pagesText(sync.entries[0])),
      el("dt", {}, "First page received"),
      el("dd", {}, timeNode(sync.firstPageAt)),
      el("dt", {}, "Last page received"),
      el("dd", {}, timeNode(sync.lastPageAt)),
      el("dt", {}, "Changes"),
      el("dd", { className: "figures" }, figures(sync)),
      el("dt", {}, "Members after"),
      el("dd", { className: "size-after" }, sync.size === null ? el("span", { className: "muted" }, sync.current ? `${plural(sync.current, "member")} now (the latest sync)` : "not recorded") : sync.size.toLocaleString("en-US")),
      sync.refused.lastReason ? [el("dt", {}, "Last refusal"), el("dd", { className: "refusal" }, sync.refused.lastReason)] : null,
    ),
  );
}

/** The chart's numbers as table rows, oldest first. */
function tableRow(sync) {
  const [, label] = STATUS[sync.status] ?? ["muted", sync.status];
  return el(
    "tr",
    {},
    el("th", { scope: "row", className: "mono" }, sync.sessionId),
    el("td", { "data-label": "Last page" }, sync.at ? el("time", { dateTime: sync.at.toISOString(), title: longTime(sync.at) }, shortTime(sync.at)) : "—"),
    el("td", { className: "num", "data-label": "Members after" }, sync.size === null ? "—" : sync.size.toLocaleString("en-US")),
    el("td", { className: "num", "data-label": "Added" }, sync.added.toLocaleString("en-US")),
    el("td", { className: "num", "data-label": "Removed" }, sync.removed.toLocaleString("en-US")),
    el("td", { className: "num", "data-label": "Pages refused" }, sync.refused.toLocaleString("en-US")),
    el("td", { "data-label": "Outcome" }, label),
  );
}

/**
 * `context`: `{ client, say, fail, forgotten(cohortId) }`, read at each call. Returns
 * `{ show(cohortId) }`, which loads everything for that cohort, rejecting with the
 * ApiError "not-found" when the cohort is not there, and resolves to whether every
 * card could be read.
 */
export function createCohortView(context) {
  const fail = (error) => context.fail(error);
  let cohortId = null;
  let info = null; // the figures last read
  let removeChart = null;
  let draws = 0;
  let charting = Promise.resolve();

  const path = (rest = "") => `/cohorts/${segment(cohortId)}${rest}`;
  const summaryCard = cardState($("summary-card"), "the cohort's figures", context);
  const chartCard = cardState($("chart-card"), "the syncs chart", context);
  const syncsCard = cardState($("syncs-card"), "the syncs", context);

  function drawSummary(figures) {
    $("cohort-h").replaceChildren(figures.cohortName || figures.cohortId, figures.cohortName ? el("span", { className: "mono muted id" }, figures.cohortId) : null);
    const rows = [
      ["Cohort id", el("span", { className: "mono" }, figures.cohortId)],
      ["Members", figures.size.toLocaleString("en-US")],
      ["Last page received", timeNode(figures.updatedAt)],
      ["Latest session", figures.sessionId ? el("span", { className: "mono" }, figures.sessionId) : el("span", { className: "muted" }, "none")],
      [
        "Full sync under way",
        figures.pendingSession
          ? [el("span", { className: "mono" }, figures.pendingSession.sessionId), ` (${figures.pendingSession.totalPages === null ? "pageless" : plural(figures.pendingSession.totalPages, "page")})`]
          : el("span", { className: "muted" }, "no"),
      ],
      ["Outbox", outboxLine(figures.outbox)],
      ["Dead pages", figures.deadPages > 0 ? el("span", { className: "badge bad" }, `${plural(figures.deadPages, "page")} set aside`) : el("span", { className: "muted" }, "none")],
    ];
    $("cohort-summary").replaceChildren(...rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
    $("cohort-dead-count").textContent = figures.outbox.dead > 0 ? String(figures.outbox.dead) : "";
    $("cohort-dead-pages-count").textContent = figures.deadPages > 0 ? String(figures.deadPages) : "";
  }

  // Actions refresh the figures as they finish, so two reads can overlap: the card draws
  // only the latest one asked (card.js), or an older answer arriving last would show stale counts.
  async function loadSummary() {
    let gone = null;
    await summaryCard.run(async () => {
      try {
        info = await context.client.get(path());
      } catch (error) {
        if (error?.kind !== "not-found") throw error;
        gone = error;
        return;
      }
      drawSummary(info);
    });
    if (gone) throw gone;
    return info;
  }

  async function loadSyncs() {
    const read = context.client.get(path("/syncs?limit=50")).then(({ syncs }) => mergeSyncs(syncs));
    // One read for both cards; "Try again" in either reads again for both.
    const again = () => loadSyncs();
    const listed = syncsCard.run(async () => {
      const syncs = await read;
      if (syncs.length > 0 && syncs[0].size === null && info) syncs[0].current = info.size;
      $("syncs").replaceChildren(...syncs.map(syncItem));
      $("syncs-empty").hidden = syncs.length > 0;
      $("sync-count").textContent = syncs.length > 0 ? String(syncs.length) : "";
    }, again);
    const charted = chartCard.run(async () => drawChart(await read), again);
    const [a, b] = await Promise.all([listed, charted]);
    return a && b;
  }

  async function drawChart(newestFirst) {
    const syncs = [...newestFirst].reverse().map((s, i, all) => ({
      sessionId: s.sessionId,
      actions: s.actions,
      status: s.status,
      at: new Date(s.lastPageAt ?? s.firstPageAt ?? Date.now()),
      // The latest sync's count is the cohort's now, until the next one begins.
      size: s.size ?? (i === all.length - 1 && info ? info.size : null),
      added: s.added,
      removed: s.removed,
      refused: s.refused.count,
    }));
    $("sync-table").tBodies[0].replaceChildren(...syncs.map(tableRow));
    $("chart-empty").hidden = syncs.length > 0;
    $("chart-body").hidden = syncs.length === 0;
    const known = syncs.filter((s) => s.size !== null);
    const summary =
      syncs.length === 0
        ? "No syncs recorded."
        : `Members after each of the last ${plural(syncs.length, "sync")}: ${known.length > 0 ? `from ${known[0].size.toLocaleString("en-US")} to ${known[known.length - 1].size.toLocaleString("en-US")}` : "not recorded"}; ${syncs.reduce((n, s) => n + s.added, 0).toLocaleString("en-US")} added, ${syncs.reduce((n, s) => n + s.removed, 0).toLocaleString("en-US")} removed, ${plural(syncs.reduce((n, s) => n + s.refused, 0), "page")} refused, ${plural(syncs.filter((s) => s.status !== "complete").length, "sync")} not complete. The table beside it has each sync's numbers.`;
    $("sync-chart").setAttribute("aria-label", summary);
    // One draw at a time (two may overlap while the chart library first loads), and a
    // draw that a later one has overtaken is skipped.
    const draw = ++draws;
    const before = charting;
    charting = (async () => {
      await before.catch(() => {});
      if (draw !== draws) return;
      removeChart?.();
      removeChart = null;
      if (syncs.length === 0) return;
      try {
        const remove = await syncChart($("sync-chart"), syncs);
        // Overtaken while the library loaded (another cohort opened): not this view's.
        if (draw !== draws) return remove();
        removeChart = remove;
        $("chart-missing").hidden = true;
      } catch (error) {
        // The numbers are in the table; the picture needs the library.
        $("chart-missing").textContent = `No chart: ${error.message}. The table has the numbers.`;
        $("chart-missing").hidden = false;
      }
    })();
    await charting;
  }

  // The member lookup: 200 for a member, 404 with `member: false` for anyone else. Spaces
  // around what was typed are left out (ids copied from a table or a log often carry
  // one), and the answer says so.
  $("lookup").addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = $("lookup-id").value;
    const id = typed.trim();
    const out = $("lookup-result");
    const show = () => out.scrollIntoView({ block: "nearest" });
    if (id === "") {
      out.dataset.state = "error";
      out.textContent = typed === "" ? "Type a distinct id first." : "Only spaces were typed: type a distinct id.";
      return show();
    }
    out.dataset.state = "busy";
    out.textContent = "Looking up…";
    try {
      const found = await context.client.get(path(`/members/${segment(id)}`), { accept: [404] });
      if (!("member" in found)) throw new Error(found.error?.message ?? "unexpected answer");
      out.dataset.state = found.member ? "member" : "not-member";
      const who = el("span", { className: "mono" }, id);
      const session = (at) => [timeNode(at.at), " (session ", el("span", { className: "mono" }, at.sessionId), ")."];
      const parts = found.member
        ? [el("strong", { className: "yes" }, "In the cohort. "), who, " has been a member since ", ...session(found.since), ...(found.left ? [" Before that, it left ", ...session(found.left)] : [])]
        : [el("strong", { className: "no" }, "Not in the cohort. "), who, " is not a member.", ...(found.left ? [" It last left ", ...session(found.left)] : [" No departure is recorded (the last 100,000 are kept): it may never have been one."])];
      const trimmed = id !== typed ? [" ", el("span", { className: "note trimmed" }, `The spaces around what you typed were left out: looked up “${id}”.`)] : [];
      out.replaceChildren(...parts, ...trimmed);
    } catch (error) {
      if (error.kind === "credentials") return fail(error); // signs out, saying why
      out.dataset.state = "error";
      out.textContent = error.message;
    }
    show();
  });

  $("lookup-id").addEventListener("input", () => {
    delete $("lookup-result").dataset.state;
    $("lookup-result").textContent = "";
  });

  // The whole membership as the Worker streams it, saved as a file: read as it comes
  // (with how much so far), then handed to the browser's download.
  $("download").addEventListener("click", async () => {
    const button = $("download");
    const state = $("download-state");
    const id = cohortId;
    button.disabled = true;
    state.textContent = "Downloading…";
    try {
      const response = await context.client.stream(path("/members.ndjson"));
      const reader = response.body.getReader();
      const chunks = [];
      let bytes = 0;
      let lines = 0;
      let said = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.length;
        for (const byte of value) if (byte === 10) lines++;
        if (Date.now() - said > 250) {
          said = Date.now();
          state.textContent = `Downloading… ${plural(lines, "id")} (${formatBytes(bytes)})`;
        }
      }
      const name = `cohort-${id.replace(/[^\w.-]+/g, "_")}-members.ndjson`;
      const url = URL.createObjectURL(new Blob(chunks, { type: "application/x-ndjson" }));
      const link = el("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      state.textContent = `Saved ${plural(lines, "id")} (${formatBytes(bytes)}) as ${name}.`;
    } catch (error) {
      if (error?.kind === "credentials") return fail(error);
      state.textContent = `The download failed: ${error?.message ?? error}`;
    } finally {
      button.disabled = false;
    }
  });

  function drawForget() {
    const button = el("button", { type: "button", className: "button danger-outline" }, "Forget cohort…");
    button.addEventListener("click", async () => {
      const id = cohortId;
      const question = `Forget cohort ${id}? Its members, sessions, page log, outbox and dead letters are deleted, and cannot be brought back.`;
      if (!(await confirmInline(button, question, `Forget ${id}`))) return;
      button.disabled = true;
      try {
        const { forgotten } = await context.client.del(path());
        context.forgotten(forgotten);
      } catch (error) {
        button.disabled = false;
        fail(error);
      }
    });
    $("forget").replaceChildren(button);
  }

  let dead = null;
  let deadPages = null;

  async function show(id) {
    if (id !== cohortId) {
      cohortId = id;
      info = null;
      for (const card of [summaryCard, chartCard, syncsCard]) card.reset();
      $("lookup-id").value = "";
      $("lookup-result").textContent = "";
      delete $("lookup-result").dataset.state;
      $("download-state").textContent = "";
      $("cohort-h").textContent = id;
      $("cohort-summary").replaceChildren();
      $("syncs").replaceChildren();
      $("sync-table").tBodies[0].replaceChildren();
      // A draw of the last cohort still waiting is skipped.
      draws++;
      removeChart?.();
      removeChart = null;
      drawForget();
      const refresh = () => loadSummary().catch(fail);
      dead = createDeadLetters($("cohort-dead"), path("/dead-letters"), context, { changed: refresh, pending: async () => (await loadSummary()).outbox.pending });
      deadPages = createDeadPages($("cohort-dead-pages"), path("/dead-pages"), context, refresh);
    }
    await loadSummary();
    const results = await Promise.all([loadSyncs(), dead.load().then(() => $("cohort-dead").closest("section").dataset.state === "ready"), deadPages.load().then(() => !$("cohort-dead-pages").closest("section").classList.contains("stale") && $("cohort-dead-pages").closest("section").dataset.state === "ready")]);
    return summaryCard.ok && results.every(Boolean);
  }

  return { show };
}
