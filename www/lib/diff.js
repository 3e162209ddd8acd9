// The "Diff members" panel: who joined and who left between two member lists, by the
// package's diffMembers(). Each side is a webhook body (its members' distinct ids), a
// JSON array (of ids or member objects) or one id per line.
import { diffMembers, parsePayload } from "../../pkg/web.js";
import { $, debounce, el, errorText, plural } from "./dom.js";
import { whereText } from "./position.js";

const LIST_ROWS = 200; // ids drawn per list
const encoder = new TextEncoder();

// Mixpanel's documented worked example (docs/domain.md): B and D left, E and F joined.
const EXAMPLE = { previous: "A\nB\nC\nD\n", current: "A\nC\nE\nF\n" };

export function setupDiff() {
  const sides = { previous: $("diff-prev"), current: $("diff-cur") };
  const notes = { previous: $("diff-prev-note"), current: $("diff-cur-note") };

  function update() {
    const read = {};
    for (const [name, textarea] of Object.entries(sides)) {
      read[name] = readIds(textarea.value);
      const note = notes[name];
      note.classList.toggle("error-text", Boolean(read[name].error));
      note.textContent = read[name].error ?? read[name].what;
    }
    const invalid = Object.keys(sides).filter((name) => read[name].error);
    if (invalid.length) return show(null, null, "", `the ${invalid.join(" and the ")} ${invalid.length > 1 ? "lists are" : "list is"} not valid`);
    try {
      show(diffMembers(read.previous.ids, read.current.ids), read.current.ids);
    } catch (error) {
      show(null, null, errorText(error), "the lists could not be compared"); // e.g. a number among the ids (its path says where)
    }
  }

  /** Shows a diff, or (`diff` null) marks the last one shown out of date and says why. */
  function show(diff, current, error = "", why = "") {
    $("diff-error").hidden = !error;
    $("diff-error").textContent = error;
    markStale(diff === null ? why : "");
    if (!diff) return;
    const added = new Set(diff.added);
    const unchanged = [...new Set(current)].filter((id) => !added.has(id));
    fill("added", diff.added);
    fill("removed", diff.removed);
    fill("same", unchanged);
  }

  for (const textarea of Object.values(sides)) textarea.addEventListener("input", debounce(update, 25));
  $("diff-example").addEventListener("click", () => {
    sides.previous.value = EXAMPLE.previous;
    sides.current.value = EXAMPLE.current;
    update();
  });
  update();
}

/** The results stay on screen when a side breaks, marked out of date (`why`), not faded. */
function markStale(why) {
  $("diff-stale").hidden = !why;
  $("diff-stale").textContent = why ? `Out of date: ${why}. The results below are for the last lists that could be compared.` : "";
  for (const id of ["diff-result", "diff-lists"]) $(id).classList.toggle("stale", Boolean(why));
}

function fill(name, ids) {
  $(`diff-${name}-n`).textContent = ids.length.toLocaleString("en-US");
  const items = ids.slice(0, LIST_ROWS).map((id) => el("li", {}, el("code", {}, id)));
  if (ids.length > LIST_ROWS) items.push(el("li", { className: "muted" }, `… and ${(ids.length - LIST_ROWS).toLocaleString("en-US")} more`));
  if (ids.length === 0) items.push(el("li", { className: "muted" }, "None."));
  $(`diff-${name}`).replaceChildren(...items);
}

/** `{ ids, what }` or `{ error }` for one side's text. */
function readIds(text) {
  const trimmed = text.trim();
  if (trimmed === "") return { ids: [], what: "Empty: no members." };
  if (trimmed.startsWith("{")) {
    try {
      const page = parsePayload(encoder.encode(text));
      return { ids: page.members.map((m) => m.distinctId), what: `${plural(page.members.length, "member")} of a ${page.action} page.` };
    } catch (error) {
      // The first problem in the validator tab's words (the error's own message repeats it).
      const [first, ...rest] = error.problems ?? [];
      if (!first) return { error: errorText(error) };
      const more = rest.length ? ` (and ${plural(rest.length, "more problem")})` : "";
      return { error: `${first.code}: ${first.message}, ${whereText(first)}${more}` };
    }
  }
  if (trimmed.startsWith("[")) {
    let value;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      return { error: `invalid_json: ${error.message}` };
    }
    // Member objects as Mixpanel sends them (or as parsePayload returns them) give their id.
    const ids = value.map((v) => (v && typeof v === "object" ? (v.mixpanel_distinct_id ?? v.distinctId ?? v) : v));
    return { ids, what: `${plural(ids.length, "entry", "entries")} of a JSON array.` };
  }
  const ids = text.split("\n").map((line) => line.trim()).filter(Boolean);
  return { ids, what: `${plural(ids.length, "id")}, one per line.` };
}
