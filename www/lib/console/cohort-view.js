// One cohort: its figures (GET /cohorts/:id), its sync timeline (…/syncs), a member
// lookup (…/members/:distinctId), its dead letters, and forgetting it (DELETE).
import { $, el, plural } from "../dom.js";
import { segment } from "./api.js";
import { outboxLine } from "./cohorts-view.js";
import { confirmInline } from "./confirm.js";
import { createDeadLetters } from "./dead-letters.js";
import { createDeadPages } from "./dead-pages.js";
import { timeNode } from "./time.js";

// What each status of the Worker's SyncTracker means, for the person reading it.
const STATUS = {
  complete: ["ok", "Complete"],
  waiting: ["warn", "Waiting"],
  open: ["warn", "Open"],
  replaced: ["muted", "Replaced"],
  refused: ["bad", "Refused"],
};

/** Why a session is (not) complete, in a sentence. */
function statusSentence(sync) {
  const missing = sync.missingPages.length > 0 ? ` Missing ${sync.missingPages.length === 1 ? "page" : "pages"} ${sync.missingPages.join(", ")}${sync.pages.total !== null && sync.pages.total - sync.pages.received > sync.missingPages.length ? ", …" : ""}.` : "";
  switch (sync.status) {
    case "complete":
      return "Every page arrived and was applied.";
    case "waiting":
      return `The full sync is under way: its removals happen when the last page lands.${missing}`;
    case "open":
      return sync.pages.total === null ? "A pageless full sync: it ends when the next sync begins." : `Pages are missing from this diff.${missing}`;
    case "replaced":
      return "A newer full sync started before this one finished (Mixpanel restarted from the top): its late pages change nothing.";
    case "refused":
      return "Every page of it was refused (400): nothing was applied.";
    default:
      return sync.status;
  }
}

function syncItem(sync) {
  const [tone, label] = STATUS[sync.status] ?? ["muted", sync.status];
  const pages = sync.pages.total === null ? `${plural(sync.pages.received, "page")} (pageless)` : `${sync.pages.received} of ${plural(sync.pages.total, "page")}`;
  const figures = [
    `+${sync.added.toLocaleString("en-US")} added`,
    `−${sync.removed.toLocaleString("en-US")} removed`,
    plural(sync.replays, "replay"),
    `${sync.refused.count.toLocaleString("en-US")} refused`,
  ];
  return el(
    "li",
    { className: `sync is-${tone}`, "data-session": sync.sessionId, "data-status": sync.status },
    el("p", { className: "sync-head" }, el("span", { className: `status-badge ${tone}` }, label), " ", el("span", { className: "mono" }, sync.sessionId), el("span", { className: "muted" }, ` · ${sync.action}`)),
    el("p", { className: "sync-why" }, statusSentence(sync)),
    el(
      "dl",
      { className: "sync-facts" },
      el("dt", {}, "Pages"),
      el("dd", {}, pages),
      el("dt", {}, "First page"),
      el("dd", {}, timeNode(sync.firstPageAt)),
      el("dt", {}, "Last page"),
      el("dd", {}, timeNode(sync.lastPageAt)),
      el("dt", {}, "Changes"),
      el("dd", { className: "figures" }, figures.join(" · ")),
      sync.refused.lastReason ? [el("dt", {}, "Last refusal"), el("dd", { className: "refusal" }, sync.refused.lastReason)] : null,
    ),
  );
}

/**
 * `context`: `{ client, say, fail, forgotten(cohortId) }`, read at each call. Returns
 * `{ show(cohortId) }`, which loads everything for that cohort (rejecting with the
 * ApiError when the cohort itself cannot be read).
 */
export function createCohortView(context) {
  const fail = (error) => context.fail(error);
  let cohortId = null;

  const path = (rest = "") => `/cohorts/${segment(cohortId)}${rest}`;

  // Actions refresh the summary as they finish, so two reads can overlap: only the latest
  // one asked is drawn, or an older answer arriving last would show stale counts.
  let summaryRead = 0;
  async function loadSummary() {
    const read = ++summaryRead;
    const info = await context.client.get(path());
    if (read !== summaryRead) return info;
    $("cohort-h").replaceChildren(info.cohortName || info.cohortId, info.cohortName ? el("span", { className: "mono muted id" }, info.cohortId) : null);
    const rows = [
      ["Cohort id", el("span", { className: "mono" }, info.cohortId)],
      ["Members", info.size.toLocaleString("en-US")],
      ["Last page", timeNode(info.updatedAt)],
      ["Latest session", info.sessionId ? el("span", { className: "mono" }, info.sessionId) : el("span", { className: "muted" }, "none")],
      [
        "Full sync under way",
        info.pendingSession
          ? [el("span", { className: "mono" }, info.pendingSession.sessionId), ` (${info.pendingSession.totalPages === null ? "pageless" : plural(info.pendingSession.totalPages, "page")})`]
          : el("span", { className: "muted" }, "no"),
      ],
      ["Outbox", outboxLine(info.outbox)],
      ["Dead pages", info.deadPages > 0 ? el("span", { className: "badge bad" }, `${plural(info.deadPages, "page")} set aside`) : el("span", { className: "muted" }, "none")],
    ];
    $("cohort-summary").replaceChildren(...rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
    $("cohort-dead-count").textContent = info.outbox.dead > 0 ? String(info.outbox.dead) : "";
    $("cohort-dead-pages-count").textContent = info.deadPages > 0 ? String(info.deadPages) : "";
    return info;
  }

  async function loadSyncs() {
    const { syncs } = await context.client.get(path("/syncs?limit=50"));
    $("syncs").replaceChildren(...syncs.map(syncItem));
    $("syncs-empty").hidden = syncs.length > 0;
    $("sync-count").textContent = syncs.length > 0 ? String(syncs.length) : "";
  }

  // The member lookup: 200 for a member, 404 with `member: false` for anyone else.
  $("lookup").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = $("lookup-id").value;
    const out = $("lookup-result");
    if (id === "") {
      out.dataset.state = "error";
      out.textContent = "Type a distinct id first.";
      return;
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
      out.replaceChildren(...parts);
    } catch (error) {
      if (error.kind === "credentials") return fail(error); // signs out, saying why
      out.dataset.state = "error";
      out.textContent = error.message;
    }
  });

  $("lookup-id").addEventListener("input", () => {
    delete $("lookup-result").dataset.state;
    $("lookup-result").textContent = "";
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

  async function show(id) {
    cohortId = id;
    $("lookup-id").value = "";
    $("lookup-result").textContent = "";
    delete $("lookup-result").dataset.state;
    $("cohort-h").textContent = id;
    $("cohort-summary").replaceChildren();
    $("syncs").replaceChildren();
    drawForget();
    const dead = createDeadLetters($("cohort-dead"), path("/dead-letters"), context, () => loadSummary().catch(fail));
    const deadPages = createDeadPages($("cohort-dead-pages"), path("/dead-pages"), context, () => loadSummary().catch(fail));
    await loadSummary();
    await Promise.all([loadSyncs().catch(fail), dead.load(), deadPages.load()]);
  }

  return { show };
}
