// A dead-letter list (a cohort's, or the profiles object's): what a destination refused
// for good, each with its error and the request in short, sent again or dropped one by
// one or all at once. The Worker's routes take `?ids=` for both, so each letter has its
// own buttons.
import { el, plural } from "../dom.js";
import { confirmInline } from "./confirm.js";
import { timeNode } from "./time.js";

const LIMIT = 100;

/**
 * `act(buttons, work)` for a list of dead things: runs `work()` with its buttons
 * disabled, says what it did (or shows why it failed), then `refresh()`es whatever
 * happened. Shared with the dead pages' list.
 */
export function actions(context, refresh) {
  return async (buttons, work) => {
    for (const b of buttons) b.disabled = true;
    try {
      context.say(await work());
    } catch (error) {
      context.fail(error);
    } finally {
      for (const b of buttons) b.disabled = false;
      await refresh();
    }
  };
}

/**
 * An error as a person scans it: CleverTap's per-record failures (a JSON array of
 * `{ record, code, error }`) as a count and their reasons; any other text cut at 240
 * characters. The whole text stays one click away.
 */
export function errorSummary(error) {
  try {
    const records = JSON.parse(error);
    if (Array.isArray(records) && records.length > 0 && records.every((r) => r !== null && typeof r === "object")) {
      const reasons = [...new Set(records.map((r) => r.error ?? (r.code !== undefined ? `code ${r.code}` : "no reason given")))];
      // The Worker records the first few failures only, so this is what is listed, not a total.
      return `Records refused: ${reasons.slice(0, 3).join("; ")}${reasons.length > 3 ? "; …" : ""} (${plural(records.length, "record")} listed)`;
    }
  } catch {
    // Not JSON: the status and an excerpt of the answer, shown as they are.
  }
  return error.length > 240 ? `${error.slice(0, 240)}…` : error;
}

/**
 * Draws into `container` the dead letters at `path` (e.g. "/cohorts/42/dead-letters").
 * `context`: `{ client, say(text), fail(error) }`, read at each call (the client changes
 * when the operator signs in again): `say` announces what an action did, `fail` shows an
 * error. `changed()` runs after each action so the caller can refresh its counts.
 * Returns `{ load() }`, which resolves to the letters shown.
 */
export function createDeadLetters(container, path, context, changed = () => {}) {
  const redriveAll = el("button", { type: "button", className: "button" }, "Redrive all");
  const dropAll = el("button", { type: "button", className: "button danger-outline" }, "Drop all…");
  const toolbar = el("div", { className: "toolbar letters-toolbar" }, redriveAll, dropAll);
  // Focusable from script only: when the last letter goes, focus lands here, not on <body>.
  const empty = el("p", { className: "empty", tabIndex: -1 }, "No dead letters: every destination took what was sent to it, or is still being tried.");
  const more = el("p", { className: "note" });
  const list = el("ol", { className: "letters" });
  container.replaceChildren(toolbar, empty, list, more);
  let shown = [];

  const act = actions(context, async () => {
    await load();
    await changed();
  });

  const sentAgain = (n) => `Sent ${plural(n, "dead letter")} again: ${n === 1 ? "it is" : "they are"} back at the end of ${n === 1 ? "its" : "their"} destination's queue.`;

  redriveAll.addEventListener("click", () =>
    act([redriveAll, dropAll], async () => sentAgain((await context.client.post(`${path}/redrive`)).redriven)).then(() => focusAfter()),
  );
  dropAll.addEventListener("click", async () => {
    const n = shown.length;
    const question = `Drop ${n >= LIMIT ? "every" : n === 1 ? "the" : `all ${n}`} dead letter${n === 1 ? "" : "s"} for good? The changes they carry will never reach their destinations.`;
    if (!(await confirmInline(dropAll, question, "Drop them"))) return;
    await act([redriveAll, dropAll], async () => `Dropped ${plural((await context.client.del(path)).dropped, "dead letter")}.`);
    focusAfter();
  });

  function letterItem(letter) {
    const redrive = el("button", { type: "button", className: "button", "aria-label": `Redrive dead letter ${letter.id}` }, "Redrive");
    const drop = el("button", { type: "button", className: "button danger-outline", "aria-label": `Drop dead letter ${letter.id}…` }, "Drop…");
    redrive.addEventListener("click", () =>
      act([redrive, drop], async () => sentAgain((await context.client.post(`${path}/redrive?ids=${letter.id}`)).redriven)).then(() => focusAfter()),
    );
    drop.addEventListener("click", async () => {
      const question = `Drop dead letter ${letter.id} for good? Its change will never reach ${letter.destination}.`;
      if (!(await confirmInline(drop, question, "Drop it"))) return;
      await act([redrive, drop], async () => `Dropped ${plural((await context.client.del(`${path}?ids=${letter.id}`)).dropped, "dead letter")}.`);
      focusAfter();
    });
    const error = letter.error ?? "(no error recorded)";
    const summary = errorSummary(error);
    return el(
      "li",
      { className: "letter", "data-id": letter.id },
      el(
        "p",
        { className: "letter-head" },
        el("span", { className: "badge warn" }, letter.destination),
        " ",
        el("strong", {}, `#${letter.id}`),
        el("span", { className: "muted" }, " failed "),
        timeNode(letter.failedAt),
        el("span", { className: "muted" }, ` · ${plural(letter.attempts, "attempt")}`),
      ),
      el("div", { className: "letter-actions" }, redrive, drop),
      el("p", { className: "letter-error" }, summary),
      el(
        "details",
        { className: "letter-request" },
        el("summary", {}, summary === error ? "The request sent" : "The request sent, and the whole error"),
        el("p", { className: "mono url" }, letter.request?.url ?? "(an internal call: no URL)"),
        letter.request?.body ? [el("p", { className: "note" }, "Its body (the first 300 characters):"), el("pre", { className: "code", tabIndex: 0, "aria-label": `Body of dead letter ${letter.id}, as sent (first 300 characters)` }, letter.request.body)] : null,
        summary === error ? null : [el("p", { className: "note" }, "The error, as recorded:"), el("pre", { className: "code", tabIndex: 0, "aria-label": `The error of dead letter ${letter.id}, as recorded` }, error)],
      ),
    );
  }

  /** After an action, focus stays in the list (the first letter left, else the empty state). */
  function focusAfter() {
    (list.querySelector(".letter-actions .button") ?? empty).focus();
  }

  // Only the latest read is drawn: an older answer arriving last would bring back letters
  // already redriven or dropped.
  let reads = 0;
  async function load() {
    const read = ++reads;
    let letters;
    try {
      letters = (await context.client.get(`${path}?limit=${LIMIT}`)).deadLetters;
    } catch (error) {
      context.fail(error);
      return shown;
    }
    if (read !== reads) return letters;
    shown = letters;
    list.replaceChildren(...shown.map(letterItem));
    empty.hidden = shown.length > 0;
    toolbar.hidden = shown.length === 0;
    more.textContent = shown.length >= LIMIT ? `The oldest ${LIMIT} are shown; "Redrive all" and "Drop all" act on every one.` : "";
    return shown;
  }

  return { load };
}
