// The "Validate payload" panel: the editor (paste, drop, open, examples), and after each
// change the verdict, the problems (click or Enter selects the spot), the page summary
// and the Worker's reply. The members section is drawn by members.js.
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

export function setupValidator() {
  const panel = $("panel-validate");
  const textarea = $("payload");
  const members = createMembers();
  // The bytes of an opened file that is not valid UTF-8: the report is for them (as the
  // Worker would see them) until the text is edited. Otherwise the text's UTF-8 is used.
  let rawFile = null;
  let current = { bytes: new Uint8Array(0), fromFile: false }; // what the last report read
  let revision = 0;
  let shown = []; // the problems found, in order (a button's data-index points here)
  let allProblems = false; // every problem drawn, not only the first few

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
    renderProblems(empty ? [] : [...report.errors, ...report.warnings.map((p) => ({ ...p, warning: true }))]);
    $("problems-empty").textContent = empty ? "Nothing yet." : "None.";
    renderSummary(empty ? null : report);
    renderReply(empty ? null : report);
    members.render(!empty && report.valid ? bytes : null, empty ? null : report);
    $("format").disabled = empty || report.errors.some((p) => UNREADABLE.has(p.code));

    const total = performance.now() - started;
    $("size").textContent = `${formatBytes(bytes.length)}${report.memberCount !== null ? ` · ${plural(report.memberCount, "member")}` : ""}`;
    $("timing").textContent = empty ? "" : `checked in ${(validated - started).toFixed(1)} ms · shown in ${total.toFixed(1)} ms`;
    // For tests and the curious: how long the last update took.
    panel.dataset.revision = String(++revision);
    panel.dataset.validateMs = (validated - started).toFixed(2);
    panel.dataset.updateMs = total.toFixed(2);
  }

  const scheduled = debounce(update, 25);

  /** Replaces the editor's text (example, file, format) and checks it at once. */
  function setText(text, bytes = null) {
    rawFile = bytes;
    textarea.value = text;
    textarea.setSelectionRange(0, 0);
    textarea.scrollTop = 0;
    textarea.scrollLeft = 0;
    update();
    showCaret();
  }

  function renderVerdict(report) {
    const box = $("verdict");
    let state = "empty";
    let headline = "Paste, drop or open a webhook body, or choose an example.";
    let detail = "";
    if (report) {
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

  function renderProblems(problems) {
    if (problems.length <= FIRST_PROBLEMS) allProblems = false;
    const drawn = allProblems ? problems : problems.slice(0, FIRST_PROBLEMS);
    const list = $("problems");
    list.replaceChildren(
      ...drawn.map((p, i) =>
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              className: `problem ${p.warning ? "is-warning" : "is-error"}`,
              "data-index": i,
              "data-code": p.code,
              "data-path": p.path,
              "data-offset": p.offset,
              "data-line": p.line,
              "data-column": p.column,
              title: "Select this spot in the editor",
            },
            el("span", { className: "badge" }, p.warning ? "warning" : "error"),
            el("code", { className: "problem-code" }, p.code),
            el("span", { className: "problem-message" }, p.message),
            problemWhere(p),
          ),
        ),
      ),
    );
    shown = problems;
    $("problems-empty").hidden = problems.length > 0;
    $("problem-count").textContent = problems.length ? String(problems.length) : "";
    const more = problems.length - drawn.length;
    $("problems-more").hidden = more === 0;
    $("problems-more").textContent = `Show ${plural(more, "more problem")}`;
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
  textarea.addEventListener("input", (event) => {
    rawFile = null; // edited: the text is what counts now
    $("file-note").hidden = true;
    keeper.edited();
    // Keystrokes come in bursts, so they wait for a pause; a paste, drop, cut or undo is
    // one change, checked at once.
    if (WHOLE_EDITS.has(event.inputType)) {
      scheduled.cancel();
      update();
    } else scheduled();
  });
  for (const type of ["keyup", "click", "select", "focus"]) textarea.addEventListener(type, showCaret);

  $("problems").addEventListener("click", (event) => {
    const button = event.target.closest("button.problem");
    if (button) reveal(shown[Number(button.dataset.index)]);
  });
  $("problems-more").addEventListener("click", () => {
    allProblems = true;
    renderProblems(shown);
    $("problems").querySelectorAll("button.problem")[FIRST_PROBLEMS]?.focus(); // the first one new to the list
  });

  const select = $("example");
  fillExampleSelect(select);
  const keeper = createKeeper({
    select,
    notice: $("kept"),
    message: $("kept-text"),
    undo: $("kept-undo"),
    read: () => ({ text: textarea.value, raw: rawFile }),
    write: ({ text, raw }) => setText(text, raw),
  });
  let chosen = 0; // the latest choice wins when the arrow keys outrun the fetches
  select.addEventListener("change", async () => {
    const name = select.value;
    const option = select.selectedOptions[0];
    $("file-note").hidden = true;
    if (name === "own") return keeper.restore();
    const mine = ++chosen;
    try {
      const text = await loadExample(name);
      if (mine !== chosen) return;
      keeper.replacing(`the example “${option.textContent}”`);
      setText(text);
      keeper.showing({ name });
    } catch (error) {
      $("file-note").textContent = `The example could not be loaded: ${error.message}`;
      $("file-note").hidden = false;
    }
  });

  $("file").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) openFile(file);
    event.target.value = ""; // the same file can be opened again
  });

  $("format").addEventListener("click", () => {
    setText(formatJson(textarea.value));
    keeper.edited(); // no longer the example's text as bundled
  });
  $("clear").addEventListener("click", () => {
    $("file-note").hidden = true;
    keeper.replacing("Clear");
    setText("");
    keeper.showing();
    textarea.focus();
  });

  setupDrop($("drop"), openFile);

  async function openFile(file) {
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
    setText(text, raw);
    keeper.showing({ file: true });
  }

  update();
  return { setText, update };
}

/** Where a problem is: its JSON Pointer and line:column, or where reading stopped. */
function problemWhere(p) {
  const at = p.line ? `line ${p.line}, column ${p.column}` : null;
  if (stoppedReading(p)) return el("span", { className: "problem-where" }, el("span", { className: "linecol" }, `reading stopped at ${at}`));
  return el("span", { className: "problem-where" }, el("code", { className: "pointer" }, pointerText(p.path)), at && el("span", { className: "linecol" }, at));
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
    onFile(file);
  });
  window.addEventListener("dragover", (event) => hasFiles(event) && event.preventDefault());
  window.addEventListener("drop", (event) => hasFiles(event) && event.preventDefault());
}
