// A cohort's dead pages: pages answered 200 that its store failed to apply for good and
// set aside (docs/rules.md, "Pages that can never apply"). Each says what it carried and
// why it failed; an operator puts it back at the end of the page log (redrive) or drops it.
import { el, plural } from "../dom.js";
import { cardState } from "./card.js";
import { confirmInline } from "./confirm.js";
import { actions } from "./dead-letters.js";
import { timeNode } from "./time.js";

const LIMIT = 100;

/**
 * Draws into `container` the dead pages at `path` (".../dead-pages"). `context` and
 * `changed` as for dead letters (dead-letters.js). Returns `{ load() }`.
 */
export function createDeadPages(container, path, context, changed = () => {}) {
  const section = container.closest("section");
  const card = cardState(section, "the dead pages", context);
  const empty = el("p", { className: "empty", tabIndex: -1 }, "No dead pages: every page answered 200 was applied.");
  const list = el("ol", { className: "letters" });
  container.replaceChildren(empty, list);

  const act = actions(context, async () => {
    await load();
    await changed();
  });

  function pageItem(page) {
    const redrive = el("button", { type: "button", className: "button", "aria-label": `Redrive dead page ${page.id}` }, "Redrive");
    const drop = el("button", { type: "button", className: "button danger-outline", "aria-label": `Drop dead page ${page.id}…` }, "Drop…");
    redrive.addEventListener("click", () =>
      act([redrive, drop], async () => `Put ${plural((await context.client.post(`${path}/redrive?ids=${page.id}`)).redriven, "dead page")} back at the end of the page log.`),
    );
    drop.addEventListener("click", async () => {
      const question = `Drop dead page ${page.id} for good? Its ${plural(page.members, "member")} will neither join nor leave on its account.`;
      if (!(await confirmInline(drop, question, "Drop it"))) return;
      await act([redrive, drop], async () => `Dropped ${plural((await context.client.del(`${path}?ids=${page.id}`)).dropped, "dead page")}.`);
    });
    const where = page.page === null ? "pageless" : `page ${page.page.count} of ${page.page.total}`;
    return el(
      "li",
      { className: "letter", "data-id": page.id },
      el(
        "p",
        { className: "letter-head" },
        el("span", { className: "badge bad" }, page.action),
        " ",
        el("strong", {}, `#${page.id}`),
        el("span", { className: "muted" }, ` · ${plural(page.members, "member")} · ${where} of session `),
        el("span", { className: "mono" }, page.sessionId),
        el("span", { className: "muted" }, " · set aside "),
        timeNode(page.diedAt),
        el("span", { className: "muted" }, ` after ${plural(page.attempts, "try", "tries")}`),
      ),
      el("div", { className: "letter-actions" }, redrive, drop),
      el("p", { className: "letter-error" }, page.reason),
    );
  }

  async function load() {
    let pages = [];
    const ok = await card.run(async () => {
      pages = (await context.client.get(`${path}?limit=${LIMIT}`)).deadPages;
      list.replaceChildren(...pages.map(pageItem));
      empty.hidden = pages.length > 0;
    });
    // Shown when one is held, or when it could not be read (its error is said there).
    section.hidden = ok && pages.length === 0;
    return pages;
  }

  return { load };
}
