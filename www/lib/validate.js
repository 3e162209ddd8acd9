// The "Validate payload" panel: the editor (paste, drop, open, examples), and after each
// change the verdict, the problems (click or Enter selects the spot; repeats grouped),
// the notes on what Mixpanel's real sender always does, the page summary and the
// Worker's reply. The members section is drawn by members.js.
import { validatePayload } from "../../pkg/web.js";
import { $, debounce, el, formatBytes, plural, showVerdict } from "./dom.js";
import { fillExampleSelect, loadExample } from "./examples.js";
import { formatJson } from "./format.js";
import { createKeeper } from "./keep.js";
import { createMembers } from "./members.js";
import { indexOfProblem, lineColumnOf, pointerText, stoppedReading, tokenEnd } from "./position.js";
import { workerReply } from "./response.js";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lossyDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
// Problems that mean the text is not JSON that Format could re-indent.
const UNREADABLE = new Set(["invalid_json", "invalid_utf8", "empty_body", "body_too_large", "nesting_too_deep"]);
// Problems drawn before "Show N more problems": the list grows with the page, never
// hiding problems in a box of its own.
const FIRST_PROBLEMS = 5;
// Edits that arrive as one change, not a burst of keystrokes.
const WHOLE_EDITS = new Set(["insertFromPaste", "insertFromDrop", "deleteByCut", "historyUndo", "historyRedo"]);
// Edits that bring a new body: the verdict is brought into view after them.
const NEW_BODY = new Set(["insertFromPaste", "insertFromDrop"]);
// How long typing must pause before the body is checked.
const TYPING_PAUSE_MS = 25;
// What a person did, in the timing line's words.
const ACTIONS = { insertFromPaste: "the paste", insertFromDrop: "the drop", deleteByCut: "the cut", historyUndo: "the undo", historyRedo: "the redo" };

export function setupValidator() {
  const panel = $("panel-validate");
  const textarea = $("payload");
  const members = createMembers();
  // The bytes of an opened file that is not valid UTF-8: the report is for them (as the
  // Worker would see them) until the text is edited. Otherwise the text's UTF-8 is used.
  let rawFile = null;
  let current = { bytes: new Uint8Array(0), fromFile: false }; // what the last report read
  let revision = 0;
  let shown = []; // the problems and notes found, in order (a button's data-index points here)
  let listed = { problems: [], notes: [] }; // what the lists were last drawn from
  let allProblems = false; // every problem drawn, not only the first few
  // What the person is waiting on: when it began (an event's timeStamp, on the
  // performance.now() clock) and what it was. A paste starts the wait at the paste event,
  // before the browser inserts the text; typing at the last keystroke.
  let waiting = null;
  let replacingAll = false; // the edit under way replaces the whole text
  let inView = 0; // the update whose verdict is kept in view (its timing line moves it)

  /** Validates and redraws everything. Raw bytes (Uint8Array) are the fast path. */
  function update() {
    const started = performance.now();
    const text = textarea.value;
    const bytes = rawFile ?? encoder.encode(text);
    const report = validatePayload(bytes);
    const validated = performance.now();
    current = { bytes, fromFile: rawFile !== null };

    const empty = text.trim() === "" && rawFile === null;
    renderVerdict(empty ? null : report);
    renderProblems(
      empty ? [] : [...report.errors, ...report.warnings.map((p) => ({ ...p, severity: "warning" }))],
      empty ? [] : report.info,
    );
    $("problems-empty").textContent = empty ? "Nothing yet." : "None.";
    renderSummary(empty ? null : report);
    renderReply(empty ? null : report);
    members.render(!empty && report.valid ? bytes : null, empty ? null : report);
    $("format").disabled = empty || report.errors.some((p) => UNREADABLE.has(p.code));

    const total = performance.now() - started;
    $("size").textContent = `${formatBytes(bytes.length)}${report.memberCount !== null ? ` · ${plural(report.memberCount, "member")}` : ""}`;
    // For tests and the curious: how long the last update took.
    panel.dataset.revision = String(++revision);
    panel.dataset.validateMs = (validated - started).toFixed(2);
    panel.dataset.updateMs = total.toFixed(2);
    showWait(empty, started, validated - started);
  }

  /**
   * Once the browser has painted this update, says how long the person waited for it:
   * from what they did (the paste event, the last keystroke, the choice of an example)
   * to the verdict on screen: the browser's own editing, the pause typing waits for, the
   * check and the drawing, not the check alone.
   */
  function showWait(empty, started, checkMs) {
    const { at, what } = waiting ?? { at: started, what: "" };
    waiting = null;
    const mine = revision;
    if (empty) {
      $("timing").textContent = "";
      return;
    }
    // A frame callback runs just before the paint; a task queued from it, just after.
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (mine !== revision) return; // a newer update is on its way to the screen
        const ms = performance.now() - at;
        const pause = what === "the keystroke" ? `, ${TYPING_PAUSE_MS} ms of it a pause for typing to stop` : "";
        const after = what ? ` after ${what}` : "";
        $("timing").textContent = `verdict shown ${ms.toFixed(0)} ms${after}${pause} (the check: ${checkMs.toFixed(1)} ms)`;
        // On a phone this line sits above the verdict: a longer one pushes it down.
        if (inView === mine) keepVerdictInView();
        panel.dataset.waitMs = ms.toFixed(1);
        panel.dataset.shownRevision = String(mine);
      }),
    );
  }

  const scheduled = debounce(update, TYPING_PAUSE_MS);

  /**
   * Replaces the editor's text (example, file, format) and checks it at once; `what`
   * began at `at` (the timing line's words), and `newBody` brings the verdict into view.
   */
  function setText(text, bytes = null, { at = performance.now(), what = "", newBody = false } = {}) {
    rawFile = bytes;
    textarea.value = text;
    textarea.setSelectionRange(0, 0);
    textarea.scrollTop = 0;
    textarea.scrollLeft = 0;
    waiting = { at, what };
    update();
    showCaret();
    if (newBody) keepVerdictInView();
  }

  /**
   * After a new body, the verdict is what the person looks for: on a phone it sits below
   * the editor, off screen, so the page scrolls just enough to show it. Nothing moves when
   * it is already in view (two columns, or scrolled there).
   */
  function keepVerdictInView() {
    inView = revision;
    const box = $("verdict");
    const { top, bottom } = box.getBoundingClientRect();
    if (top < 0 || bottom > window.innerHeight) box.scrollIntoView({ block: "nearest" });
  }

  function renderVerdict(report) {
    const box = $("verdict");
    let state = "empty";
    let headline = "Paste, drop or open a webhook body, or choose an example.";
    let detail = "";
    if (report) {
      // Notes (report.info) are not warnings: they say the body is as Mixpanel sends it.
      const warnings = report.warnings.length ? plural(report.warnings.length, "warning") : "";
      if (!report.valid) {
        state = "invalid";
        headline = `Invalid — ${plural(report.errors.length, "error")}${warnings ? `, ${warnings}` : ""}`;
      } else {
        state = warnings ? "warning" : "valid";
        headline = warnings ? `Valid, with ${warnings}` : "Valid";
      }
      detail = describePage(report);
    }
    showVerdict(box, state, headline, detail);
  }

  /**
   * The problems (errors, then warnings), repeats grouped, the first few groups drawn;
   * then the notes. `shown` holds them all in that order: each button's data-index.
   */
  function renderProblems(problems, notes) {
    listed = { problems, notes };
    shown = [...problems, ...notes.map((p) => ({ ...p, severity: "info" }))];
    const groups = groupRepeats(problems);
    if (groups.length <= FIRST_PROBLEMS) allProblems = false;
    const drawn = allProblems ? groups : groups.slice(0, FIRST_PROBLEMS);
    $("problems").replaceChildren(...drawn.map(problemGroup));
    $("problems-empty").hidden = problems.length > 0;
    $("problem-count").textContent = problems.length ? String(problems.length) : "";
    const more = groups.slice(drawn.length).reduce((n, g) => n + g.length, 0);
    $("problems-more").hidden = more === 0;
    $("problems-more").textContent = `Show ${plural(more, "more problem")}`;

    $("notes-part").hidden = notes.length === 0;
    $("notes").replaceChildren(
      ...notes.map((p, i) => {
        const index = problems.length + i;
        // The rules for pageless bodies are on this page: a link beside the note (a link
        // cannot sit inside its button).
        const rules = p.code === "no_page_info" ? el("a", { className: "note-link", href: "#pageless" }, "How a pageless body is handled") : null;
        return el("li", {}, problemButton({ ...shown[index], index }), rules);
      }),
    );
  }

  /** One problem, or a run of the same problem at the same kind of spot, as a list item. */
  function problemGroup(group) {
    const [first] = group;
    if (group.length === 1) return el("li", {}, problemButton(first));
    const id = `repeats-${first.index}`;
    const toggle = el(
      "button",
      { type: "button", className: "link repeats-toggle", "aria-expanded": "false", "aria-controls": id },
      `List all ${group.length}`,
    );
    const list = el("ol", { className: "problems repeats", id, hidden: true });
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? `Hide the ${group.length}` : `List all ${group.length}`;
      // Drawn when opened: a hundred repeats cost nothing until someone asks for them.
      if (open && !list.firstChild) list.append(...group.map((p) => el("li", {}, problemButton(p, { brief: true }))));
      list.hidden = !open;
    });
    return el("li", { className: "group" }, problemButton(first, { repeats: group.length }), toggle, list);
  }

  function problemButton(p, { repeats = 0, brief = false } = {}) {
    return el(
      "button",
      {
        type: "button",
        className: `problem is-${p.severity ?? "error"}${brief ? " is-brief" : ""}`,
        "data-index": p.index,
        "data-code": p.code,
        "data-path": p.path,
        "data-offset": p.offset,
        "data-line": p.line,
        "data-column": p.column,
        "data-repeats": repeats || null,
        title: "Select this spot in the editor",
      },
      brief ? null : el("span", { className: "badge" }, p.severity === "info" ? "note" : p.severity ?? "error"),
      brief ? null : el("span", { className: "problem-head" }, el("code", { className: "problem-code" }, p.code), repeats ? el("span", { className: "repeat-count" }, `${repeats} times`) : null),
      brief ? null : el("span", { className: "problem-message" }, p.message),
      problemWhere(p, repeats, current.bytes.length),
    );
  }

  function renderSummary(report) {
    const rows = report
      ? [
          ["Action", report.action],
          ["Project", report.projectId],
          ["Cohort id", report.cohortId],
          ["Cohort name", report.cohortName],
          ["Description", report.cohortDescription],
          ["Session", report.sessionId],
          ["Page", report.page ? `${report.page.count} of ${report.page.total}` : report.valid ? "none (a pageless page)" : null],
          ...(report.integrationId === null ? [] : [["Integration", report.integrationId]]),
          ["Members", report.memberCount === null ? null : report.memberCount.toLocaleString("en-US")],
        ]
      : [];
    $("summary-empty").hidden = rows.length > 0;
    $("summary").replaceChildren(
      ...rows.flatMap(([name, value]) => [
        el("dt", {}, name),
        el("dd", { className: value === null ? "muted" : "" }, value === null ? "—" : String(value)),
      ]),
    );
  }

  function renderReply(report) {
    $("response-empty").hidden = Boolean(report);
    $("response").hidden = !report;
    if (!report) return;
    const { response, statusLine, effect } = workerReply(report);
    $("response-status").textContent = statusLine;
    $("response-status").dataset.status = String(response.status);
    $("response-class").textContent = effect;
    $("response-body").dataset.status = String(response.status);
    $("response-body").textContent = `${statusLine}\ncontent-type: ${response.headers["content-type"]}\n\n${response.body}`;
  }

  /** Selects a problem's spot in the editor and scrolls it into view. */
  function reveal(problem) {
    const text = textarea.value;
    // Offsets are into the bytes the report was made from: the text's UTF-8, or the file.
    const start = Math.min(indexOfProblem(problem, text, current.fromFile ? null : current.bytes), text.length);
    const end = tokenEnd(text, start);
    textarea.focus({ preventScroll: true });
    textarea.setSelectionRange(start, end);
    const style = getComputedStyle(textarea);
    const { line, column } = lineColumnOf(text, start);
    const lineHeight = parseFloat(style.lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (line - 1) * lineHeight - textarea.clientHeight / 3);
    textarea.scrollLeft = Math.max(0, (column - 1) * charWidth(style) - textarea.clientWidth / 2);
    textarea.scrollIntoView({ block: "nearest" });
    showCaret();
  }

  function showCaret() {
    const { line, column } = lineColumnOf(textarea.value, textarea.selectionStart);
    $("caret").textContent = `Ln ${line}, Col ${column}`;
  }

  // ---- events ------------------------------------------------------------------
  // The wait starts at the paste (or drop) itself, before the browser inserts the text.
  textarea.addEventListener("paste", (event) => (waiting = { at: event.timeStamp, what: ACTIONS.insertFromPaste }));
  textarea.addEventListener("drop", (event) => (waiting = { at: event.timeStamp, what: ACTIONS.insertFromDrop }));
  textarea.addEventListener("beforeinput", (event) => {
    const what = ACTIONS[event.inputType] ?? "the keystroke";
    if (waiting?.what !== what || what === "the keystroke") waiting = { at: event.timeStamp, what };
    replacingAll = textarea.selectionStart === 0 && textarea.selectionEnd === textarea.value.length;
  });
  textarea.addEventListener("input", (event) => {
    rawFile = null; // edited: the text is what counts now
    $("file-note").hidden = true;
    keeper.edited();
    if (NEW_BODY.has(event.inputType) && replacingAll) {
      // A body pasted over the whole text is read from its start, as an opened file is,
      // not from where the caret ended: the far right of a one-line body.
      textarea.setSelectionRange(0, 0);
      textarea.scrollTop = 0;
      textarea.scrollLeft = 0;
      showCaret();
    }
    // Keystrokes come in bursts, so they wait for a pause; a paste, drop, cut or undo is
    // one change, checked at once.
    if (WHOLE_EDITS.has(event.inputType)) {
      scheduled.cancel();
      update();
      if (NEW_BODY.has(event.inputType)) keepVerdictInView();
    } else scheduled();
  });
  for (const type of ["keyup", "click", "select", "focus"]) textarea.addEventListener(type, showCaret);

  for (const list of [$("problems"), $("notes")]) {
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button.problem");
      if (button) reveal(shown[Number(button.dataset.index)]);
    });
  }
  $("problems-more").addEventListener("click", () => {
    allProblems = true;
    renderProblems(listed.problems, listed.notes);
    $("problems").querySelectorAll(":scope > li > button.problem")[FIRST_PROBLEMS]?.focus(); // the first one new to the list
  });

  const select = $("example");
  fillExampleSelect(select);
  const keeper = createKeeper({
    select,
    notice: $("kept"),
    message: $("kept-text"),
    undo: $("kept-undo"),
    read: () => ({ text: textarea.value, raw: rawFile }),
    write: ({ text, raw }) => setText(text, raw, { what: "Undo" }),
  });
  let chosen = 0; // the latest choice wins when the arrow keys outrun the fetches
  select.addEventListener("change", async (event) => {
    const name = select.value;
    const option = select.selectedOptions[0];
    $("file-note").hidden = true;
    if (name === "own") return keeper.restore();
    const mine = ++chosen;
    try {
      const text = await loadExample(name);
      if (mine !== chosen) return;
      keeper.replacing(`the example “${option.textContent}”`);
      setText(text, null, { at: event.timeStamp, what: "choosing the example", newBody: true });
      keeper.showing({ name });
    } catch (error) {
      $("file-note").textContent = `The example could not be loaded: ${error.message}`;
      $("file-note").hidden = false;
    }
  });

  $("file").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) openFile(file, { at: event.timeStamp, what: "choosing the file" });
    event.target.value = ""; // the same file can be opened again
  });

  $("format").addEventListener("click", () => {
    setText(formatJson(textarea.value), null, { what: "Format" });
    keeper.edited(); // no longer the example's text as bundled
  });
  $("clear").addEventListener("click", () => {
    $("file-note").hidden = true;
    keeper.replacing("Clear");
    setText("", null, { what: "Clear" });
    keeper.showing();
    textarea.focus();
  });

  setupDrop($("drop"), (file, at) => openFile(file, { at, what: "the drop" }));

  /** Opens a file the person chose or dropped (`when`: what they did, and when). */
  async function openFile(file, when) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text;
    let raw = null;
    try {
      text = strictDecoder.decode(bytes);
    } catch {
      text = lossyDecoder.decode(bytes);
      raw = bytes;
    }
    const note = $("file-note");
    note.textContent = raw
      ? `${file.name} (${formatBytes(bytes.length)}) is not valid UTF-8: the report is for its exact bytes. Editing replaces the bad bytes with U+FFFD.`
      : `Opened ${file.name} (${formatBytes(bytes.length)}).`;
    note.hidden = false;
    keeper.replacing(file.name);
    setText(text, raw, { ...when, newBody: true });
    keeper.showing({ file: true });
  }

  update();
  return { setText, update };
}

/**
 * Where a problem is: its JSON Pointer and line:column, or where reading stopped (at the
 * end of a body of `size` bytes: where a body cut short ends). A group's first says how
 * many more there are.
 */
function problemWhere(p, repeats, size) {
  const at = p.line ? `line ${p.line}, column ${p.column}` : null;
  if (stoppedReading(p)) {
    const where = p.code === "invalid_json" && p.offset === size ? "the body ends at" : "reading stopped at";
    return el("span", { className: "problem-where" }, el("span", { className: "linecol" }, `${where} ${at}`));
  }
  return el(
    "span",
    { className: "problem-where" },
    el("code", { className: "pointer" }, pointerText(p.path)),
    at && el("span", { className: "linecol" }, at),
    repeats > 1 && el("span", { className: "linecol" }, `and ${(repeats - 1).toLocaleString("en-US")} more like it`),
  );
}

/**
 * The problems in runs of the same one: the same severity and code at the same kind of
 * spot (the pointer with its array indices left out), in the order each first appears.
 * Each problem gets its `index` in the list.
 */
function groupRepeats(problems) {
  const groups = new Map();
  problems.forEach((p, index) => {
    const key = `${p.severity ?? "error"} ${p.code} ${p.path.replace(/\/\d+(?=\/|$)/g, "/*")}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ ...p, index });
  });
  return [...groups.values()];
}

/** "members · page 1 of 2 · 5 members" (as much of it as the report could read). */
function describePage(report) {
  // A body over the size limit is not read at all: its action is unknown, not missing.
  const tooLarge = report.errors.some((p) => p.code === "body_too_large");
  return [
    report.action ?? (tooLarge ? "action not read (over the size limit)" : "no action"),
    report.page ? `page ${report.page.count} of ${report.page.total}` : report.valid ? "pageless" : null,
    report.memberCount === null ? null : plural(report.memberCount, "member"),
  ]
    .filter(Boolean)
    .join(" · ");
}

let measured = 0;
/** The width of one character of the editor's monospace font, in pixels. */
function charWidth(style) {
  if (!measured) {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = `${style.fontSize} ${style.fontFamily}`;
    measured = ctx.measureText("0000000000").width / 10 || 8;
  }
  return measured;
}

/** Drag and drop of a file onto `zone`; files dropped elsewhere do not navigate away. */
function setupDrop(zone, onFile) {
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      if (!hasFiles(event)) return; // dragged text: the textarea's own behaviour
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("dragging");
    const [file] = event.dataTransfer?.files ?? [];
    if (!file) return;
    event.preventDefault();
    onFile(file, event.timeStamp);
  });
  window.addEventListener("dragover", (event) => hasFiles(event) && event.preventDefault());
  window.addEventListener("drop", (event) => hasFiles(event) && event.preventDefault());
}
