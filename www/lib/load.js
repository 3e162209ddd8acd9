// The "Load rows" panel: what `cohort-sync load` would send to Mixpanel for pasted rows.
// Each row goes through the loader's own code: the mapping module (pkg/loader/mapping.js,
// imported as it is), the wasm's derived $insert_id, Mixpanel's rules (validateEvents or
// validateProfiles) and LoadState's plan, which turns away a key repeated in one run.
// Only the sending is left out: the page holds no credentials and makes no request.
import { LoadState, insertId, validateEvents, validateProfiles } from "../../pkg/web.js";
import { RowProblem, checkMapping, createMapper } from "../../pkg/loader/mapping.js";
// values.js imports nothing: the same lossless JSON reading as the loader's NDJSON source.
import { RowProblem as ReadProblem, asRow, isPlainObject, parseJson } from "../../pkg/loader/sources/values.js";
import { $, debounce, el, plural, showVerdict } from "./dom.js";
import { formatJson } from "./format.js";
import { createKeeper } from "./keep.js";

/** Rows drawn at a time; the counts are always of every row. */
const LIST_ROWS = 100;
/** A record longer than this (pretty-printed) is behind a button. */
const LONG_RECORD_LINES = 16;
/** LoadState.plan's outcome for a key already planned in this run. */
const DUPLICATE = 4;
/**
 * `cohort-sync load` puts the project token (MIXPANEL_TOKEN) into each profile update;
 * the page has none, so its records hold "" and are checked as if it were there.
 */
const TOKEN_STAND_IN = "MIXPANEL_TOKEN";

const encoder = new TextEncoder();

const ENDPOINT_WORDS = {
  events: "events for /import",
  users: "user profile updates for /engage",
  groups: "group profile updates for /groups",
};

// Examples: rows and a mapping for each object. The event rows show one refusal
// (a placeholder distinct id), the user rows CSV's quoting and an empty field unset.
export const EXAMPLES = {
  events: {
    label: "Events: purchases",
    rowsLabel: "Events: purchases (NDJSON)",
    rows: [
      '{"order_id":"o-1001","user_id":"u-17","event":"Purchase","ts":"2024-05-01T12:00:00Z","amount":42.5,"currency":"EUR"}',
      '{"order_id":"o-1002","user_id":"u-23","event":"Purchase","ts":1714567200,"amount":9.99,"currency":"EUR","coupon":null}',
      '{"order_id":"o-1003","user_id":"anon","event":"Purchase","ts":"2024-05-01T14:30:00Z","amount":120,"currency":"USD"}',
      "",
    ].join("\n"),
    mapping: {
      object: "events",
      key: "order_id",
      event: "event",
      distinctId: "user_id",
      time: "ts",
      properties: { rename: { amount: "Amount", currency: "Currency" } },
    },
  },
  users: {
    label: "Users",
    rowsLabel: "Users (CSV)",
    rows: [
      "user_id,name,email,plan,city",
      'u-17,"Lovelace, Ada",ada@example.com,pro,London',
      "u-23,Grace Hopper,grace@example.com,,New York",
      "",
    ].join("\n"),
    mapping: {
      object: "users",
      distinctId: "user_id",
      properties: { rename: { name: "$name", email: "$email", city: "$city" } },
      nulls: "unset",
    },
  },
  groups: {
    label: "Groups: companies",
    rowsLabel: "Groups: companies (NDJSON)",
    rows: [
      '{"company_id":"c-1","name":"Acme","employees":120,"plan":"enterprise"}',
      '{"company_id":"c-2","name":"Globex","employees":45,"plan":"team"}',
      "",
    ].join("\n"),
    mapping: {
      object: "groups",
      groupKey: { value: "company_id" },
      groupId: "company_id",
      properties: { rename: { name: "$name" } },
    },
  },
};

// ---- reading rows --------------------------------------------------------------

/**
 * Rows of NDJSON text as the loader's NDJSON source reads them: one JSON object a line,
 * a blank line no row, a bad line a row problem (`invalid_json`, `not_an_object`,
 * `nesting_too_deep`) and the next line read as if nothing happened.
 * @returns {{ n: number, line: number, row?: object, error?: { code: string, message: string } }[]}
 */
export function readNdjson(text) {
  const items = [];
  const lines = stripBom(text).split("\n");
  lines.forEach((raw, i) => {
    const line = i + 1;
    const source = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (/^[ \t\r]*$/.test(source)) return;
    const n = items.length + 1;
    try {
      const value = parseJson(source);
      if (!isPlainObject(value)) throw new ReadProblem("not_an_object", `a row must be a JSON object, not ${describe(value)}`);
      items.push({ n, line, row: asRow(value) });
    } catch (error) {
      if (!(error instanceof ReadProblem)) throw error;
      items.push({ n, line, error: { code: error.code, message: `line ${line}: ${error.message}` } });
    }
  });
  return items;
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3; // a quote inside a quoted field: its end, or the first of a pair

/**
 * Rows of CSV text (RFC 4180) with the loader's CSV rules: the first record is the header
 * and names the columns; every value is a string, an empty unquoted field null (an empty
 * quoted one ""); quoted fields hold commas, doubled quotes and line breaks; records end
 * with LF or CRLF; a blank line is no record. The same leniencies: a quote inside an
 * unquoted field is a character, text after a closing quote is appended. A record with
 * the wrong number of fields is a row problem (`csv_fields`), and so is a quote never
 * closed (`csv_quote`). Throws an Error for a header naming a column twice.
 * @returns {{ columns: string[] | null, items: { n: number, line: number, row?: object, error?: { code: string, message: string } }[] }}
 */
export function readCsv(input) {
  const text = stripBom(input);
  let columns = null;
  const items = [];
  let line = 1;
  let recordLine = 1;
  let started = false;
  let state = FIELD_START;
  let values = [];
  let quoted = [];
  let field = "";
  let fieldQuoted = false;
  let size = 0; // characters of the record, quotes and separators included

  const endField = (lineEnd) => {
    // A CR ending the last unquoted field is the first half of a CRLF.
    if (lineEnd && !fieldQuoted && field.endsWith("\r")) field = field.slice(0, -1);
    values.push(field);
    quoted.push(fieldQuoted);
    field = "";
    fieldQuoted = false;
  };

  const endRecord = () => {
    const fields = values.map((value, i) => (value === "" && !quoted[i] ? null : value));
    const blank = fields.length === 1 && fields[0] === null && size <= 1;
    const at = recordLine;
    values = [];
    quoted = [];
    size = 0;
    started = false;
    state = FIELD_START;
    if (blank) return;
    if (columns === null) {
      const names = fields.map((name) => name ?? "");
      const seen = new Set();
      for (const name of names) {
        if (seen.has(name)) throw new Error(`the CSV header names the column "${name}" twice`);
        seen.add(name);
      }
      columns = names;
      return;
    }
    const n = items.length + 1;
    if (fields.length !== columns.length) {
      items.push({ n, line: at, error: { code: "csv_fields", message: `line ${at}: ${plural(fields.length, "field")}, the header has ${columns.length}` } });
      return;
    }
    const row = Object.create(null); // as the loader's rows: a "__proto__" column is a column
    columns.forEach((name, i) => (row[name] = fields[i]));
    items.push({ n, line: at, row });
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (!started) {
      started = true;
      recordLine = line;
    }
    if (c === "\n") line++;
    switch (state) {
      case FIELD_START:
        size++;
        if (c === '"') {
          state = QUOTED;
          fieldQuoted = true;
          continue;
        }
        if (c === ",") {
          endField(false);
          continue;
        }
        if (c === "\n") break;
        field += c;
        state = UNQUOTED;
        continue;
      case UNQUOTED:
        size++;
        if (c === ",") {
          endField(false);
          state = FIELD_START;
          continue;
        }
        if (c === "\n") break;
        field += c;
        continue;
      case QUOTED:
        size++;
        if (c === '"') state = QUOTE_SEEN;
        else field += c;
        continue;
      case QUOTE_SEEN:
        size++;
        if (c === '"') {
          field += c;
          state = QUOTED;
          continue;
        }
        if (c === ",") {
          endField(false);
          state = FIELD_START;
          continue;
        }
        if (c === "\n") break;
        if (c === "\r") continue;
        field += c;
        state = UNQUOTED;
        continue;
    }
    // A line feed outside quotes: the record ends (the LF itself is not counted).
    size--;
    endField(true);
    endRecord();
  }

  if (state === QUOTED) {
    if (columns === null) throw new Error(`the CSV header (line ${recordLine}) has a quoted field that is never closed`);
    items.push({ n: items.length + 1, line: recordLine, error: { code: "csv_quote", message: `line ${recordLine}: a quoted field is not closed before the end of the text` } });
  } else if (started) {
    endField(true);
    endRecord();
  }
  return { columns, items };
}

/** "ndjson" or "csv": NDJSON when the first thing in the text is a JSON object or array. */
export function detectFormat(text) {
  return /^\uFEFF?\s*[{[]/.test(text) ? "ndjson" : "csv";
}

function stripBom(text) {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : typeof value === "bigint" ? "a number" : `a ${typeof value}`;
}

// ---- what the loader would do ---------------------------------------------------

/**
 * Each row's outcome under `mapping` (checked by checkMapping), as `cohort-sync load`
 * decides it before sending: `{ n, line, key, record, outcome: "send" | "rejected",
 * problems, warnings }`, each problem `{ stage, code, field, message }` (stage "read",
 * "mapping", "record" or "plan"). Unlike the loader, which reports a row's first
 * problem, every problem of a record is listed. `general`: problems of the whole batch.
 */
export function planRows(items, mapping, { now = Date.now() } = {}) {
  const mapper = createMapper(mapping, { token: "", insertId });
  const results = items.map((item) => ({ n: item.n, line: item.line, key: null, record: null, outcome: "send", problems: [], warnings: [] }));
  const mapped = [];
  items.forEach((item, i) => {
    const result = results[i];
    if (item.error) {
      result.problems.push({ stage: "read", code: item.error.code, field: "", message: item.error.message });
      return;
    }
    try {
      const { key, record } = mapper.map(item.row);
      Object.assign(result, { key, record });
      mapped.push(result);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      result.problems.push({ stage: "mapping", code: error.code, field: error.field ?? "", message: error.message });
    }
  });

  const general = [];
  if (mapped.length > 0) {
    const text = mapped.map((r) => r.record).join("\n");
    const report =
      mapping.object === "events"
        ? validateEvents(text, { now })
        : validateProfiles(text, mapping.object === "users" ? "user" : "group", { token: TOKEN_STAND_IN });
    for (const p of report.problems) {
      const problem = { stage: "record", code: p.code, field: p.field, message: p.message };
      if (p.index === null) general.push({ ...problem, severity: p.severity });
      else (p.severity === "error" ? mapped[p.index].problems : mapped[p.index].warnings).push(problem);
    }
    // A key twice in one run: the loader takes the first row and turns the others away.
    const valid = mapped.filter((r) => r.problems.length === 0);
    if (valid.length > 0) {
      const state = new LoadState();
      try {
        const codes = state.plan(ended(valid.map((r) => r.key), "\u0000"), ended(valid.map((r) => r.record), "\n"));
        valid.forEach((r, i) => {
          if (codes[i] === DUPLICATE) r.problems.push({ stage: "plan", code: "duplicate_key", field: "key", message: "another row of these rows has the same key; the first was taken" });
        });
      } finally {
        state.free();
      }
    }
  }
  for (const r of results) r.outcome = r.problems.length > 0 ? "rejected" : "send";
  return { results, general };
}

/** Each text ended by `end`, as UTF-8: how LoadState takes keys and records. */
function ended(texts, end) {
  return encoder.encode(texts.map((t) => t + end).join(""));
}

// ---- the panel -------------------------------------------------------------------

export function setupLoad() {
  const panel = $("panel-load");
  const rowsInput = $("load-rows");
  const mappingInput = $("load-mapping");
  const format = $("load-format");
  const list = $("load-results");
  const records = new Map(); // the record text of each folded record box, by its id
  let revision = 0;
  let listed = LIST_ROWS;
  let last = null; // the last results drawn, for "Show more"

  function update() {
    const started = performance.now();
    listed = LIST_ROWS;
    last = analyse();
    render(last);
    panel.dataset.revision = String(++revision);
    panel.dataset.updateMs = (performance.now() - started).toFixed(2);
  }

  /** Reads the mapping and the rows, and plans them: what render() draws. */
  function analyse() {
    const out = { mapping: null, mappingError: "", mappingHeadline: "The mapping is not valid", rowsError: "", rowsWhat: "", empty: false, plan: null };
    let given;
    try {
      given = JSON.parse(mappingInput.value);
    } catch (error) {
      out.mappingError = `The mapping is not valid JSON: ${error.message}`;
    }
    if (!out.mappingError) {
      try {
        out.mapping = checkMapping(given);
      } catch (error) {
        out.mappingError = `The mapping is not valid: ${error.message}`;
      }
      // Audiences make one update a user from all of that user's rows, not a record a row.
      if (out.mapping && !(out.mapping.object in ENDPOINT_WORDS)) {
        out.mappingError = `This tab shows events, users and groups, a record a row; "${out.mapping.object}" is not shown here (cohort-sync load --dry-run DIR writes what it would send).`;
        out.mappingHeadline = "The mapping is not shown here";
        out.mapping = null;
      }
    }

    const text = rowsInput.value;
    out.empty = text.trim() === "";
    let items = [];
    if (!out.empty) {
      const as = format.value === "auto" ? detectFormat(text) : format.value;
      try {
        if (as === "ndjson") {
          items = readNdjson(text);
          out.rowsWhat = `Read as NDJSON (one JSON object a line): ${plural(items.length, "row")}.`;
          if (/^\uFEFF?\s*\[/.test(text)) out.rowsWhat += " A JSON array is read a line at a time here: put one object on each line.";
        } else {
          const csv = readCsv(text);
          items = csv.items;
          out.rowsWhat = csv.columns
            ? `Read as CSV: ${plural(items.length, "row")}; ${plural(csv.columns.length, "column")} (${csv.columns.map((c) => c || '""').join(", ")}).`
            : "Read as CSV: no header row yet.";
        }
      } catch (error) {
        out.rowsError = `The rows cannot be read: ${error.message}`;
      }
    }
    if (out.mapping && !out.rowsError && !out.empty) out.plan = planRows(items, out.mapping);
    return out;
  }

  function render(a) {
    const rowsNote = $("load-rows-note");
    rowsNote.textContent = a.rowsError || a.rowsWhat || "Paste NDJSON (one JSON object a line) or CSV with a header row.";
    rowsNote.classList.toggle("error-text", Boolean(a.rowsError));
    const mappingNote = $("load-mapping-note");
    mappingNote.textContent = a.mappingError || describeMapping(a.mapping);
    mappingNote.classList.toggle("error-text", Boolean(a.mappingError));
    renderSummary(a);
    renderRows(a.plan);
  }

  function renderSummary(a) {
    let state = "empty";
    let headline = "Paste rows (NDJSON, or CSV with a header row) and a mapping.";
    let detail = "";
    if (a.mappingError || a.rowsError) {
      state = "invalid";
      headline = a.mappingError ? a.mappingHeadline : "The rows cannot be read";
      detail = [a.mappingError, a.rowsError].filter(Boolean).join(" ");
    } else if (a.plan) {
      const { results, general } = a.plan;
      const send = results.filter((r) => r.outcome === "send").length;
      const rejected = results.length - send;
      state = rejected === 0 ? "valid" : send === 0 ? "invalid" : "warning";
      headline = `${plural(results.length, "row")}: ${send.toLocaleString("en-US")} would be sent, ${rejected.toLocaleString("en-US")} rejected`;
      const codes = new Map();
      for (const r of results) if (r.outcome === "rejected") codes.set(r.problems[0].code, (codes.get(r.problems[0].code) ?? 0) + 1);
      const parts = [];
      if (codes.size > 0) parts.push(`Rejected for ${[...codes].map(([code, n]) => `${code} (${n})`).join(", ")}.`);
      for (const p of general) parts.push(`${p.severity === "warning" ? "Warning" : "Problem"} for all the rows: ${p.code}: ${p.message}.`);
      if (a.mapping.object !== "events") parts.push("$token is empty here: cohort-sync load fills it from MIXPANEL_TOKEN.");
      parts.push("Nothing was sent.");
      detail = parts.join(" ");
    } else if (!a.empty) {
      headline = "No rows yet";
    }
    showVerdict($("load-summary"), state, headline, detail);
  }

  function renderRows(plan) {
    const more = $("load-more");
    const results = plan?.results ?? [];
    $("load-count").textContent = plan ? results.length.toLocaleString("en-US") : "";
    $("load-results-empty").hidden = results.length > 0;
    $("load-results-empty").textContent = plan ? "No rows." : "Nothing yet.";
    if (listed === LIST_ROWS) records.clear();
    list.replaceChildren(...results.slice(0, listed).map(rowItem));
    const rest = results.length - listed;
    more.hidden = rest <= 0;
    more.textContent = rest > 0 ? `Show ${plural(Math.min(rest, LIST_ROWS), "more row")} (${rest.toLocaleString("en-US")} not shown)` : "";
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.disclosure");
    if (!button) return;
    const box = document.getElementById(button.getAttribute("aria-controls"));
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    // The pretty JSON is made when it is first opened.
    if (open && box.textContent === "") box.textContent = formatJson(records.get(box.id));
    box.hidden = !open;
  });

  $("load-more").addEventListener("click", () => {
    const first = listed;
    listed += LIST_ROWS;
    renderRows(last.plan);
    list.children[first]?.querySelector(".load-row-title")?.focus();
  });

  // ---- editors and examples -----------------------------------------------------
  const scheduled = debounce(update, 40);
  const examples = { rows: "", mapping: "" }; // the example each editor holds, "" for the user's text

  const rowsSelect = $("load-rows-example");
  const mappingSelect = $("load-mapping-example");
  for (const [name, example] of Object.entries(EXAMPLES)) {
    rowsSelect.append(new Option(example.rowsLabel, name));
    mappingSelect.append(new Option(example.label, name));
  }
  const keepers = {
    rows: createKeeper({
      select: rowsSelect,
      notice: $("load-rows-kept"),
      message: $("load-rows-kept-text"),
      undo: $("load-rows-undo"),
      read: () => ({ text: rowsInput.value, raw: null }),
      write: ({ text }) => setText("rows", text),
    }),
    mapping: createKeeper({
      select: mappingSelect,
      notice: $("load-mapping-kept"),
      message: $("load-mapping-kept-text"),
      undo: $("load-mapping-undo"),
      read: () => ({ text: mappingInput.value, raw: null }),
      write: ({ text }) => setText("mapping", text),
    }),
  };
  const inputs = { rows: rowsInput, mapping: mappingInput };
  const exampleText = { rows: (name) => EXAMPLES[name].rows, mapping: (name) => `${JSON.stringify(EXAMPLES[name].mapping, null, 2)}\n` };
  const labels = { rows: (name) => EXAMPLES[name].rowsLabel, mapping: (name) => EXAMPLES[name].label };

  function setText(which, text) {
    inputs[which].value = text;
    inputs[which].setSelectionRange(0, 0);
    inputs[which].scrollTop = 0;
    examples[which] = "";
  }

  /** Puts example `name` into an editor, keeping the user's text it replaces. */
  function showExample(which, name) {
    keepers[which].replacing(`the example “${labels[which](name)}”`);
    setText(which, exampleText[which](name));
    examples[which] = name;
    keepers[which].showing({ name });
  }

  for (const [which, select] of [["rows", rowsSelect], ["mapping", mappingSelect]]) {
    select.addEventListener("change", () => {
      const name = select.value;
      if (name === "own") {
        keepers[which].restore();
        return update();
      }
      showExample(which, name);
      // Rows and mapping go together: the other editor follows while it holds an
      // example too (never over the user's own text).
      const other = which === "rows" ? "mapping" : "rows";
      if (examples[other] && examples[other] !== name) showExample(other, name);
      update();
    });
    inputs[which].addEventListener("input", () => {
      examples[which] = "";
      keepers[which].edited();
      scheduled();
    });
  }
  format.addEventListener("change", update);

  showExample("rows", "events");
  showExample("mapping", "events");
  update();

  function rowItem(r) {
    const sent = r.outcome === "send";
    const id = `load-record-${r.n}`;
    const pretty = r.record === null ? "" : formatJson(r.record);
    const lines = pretty.split("\n").length;
    const head = el(
      "p",
      { className: "load-row-head" },
      el("span", { className: `badge${sent ? " ok" : ""}` }, sent ? "would be sent" : "rejected"),
      el("span", { className: "load-row-title", tabIndex: -1 }, `Row ${r.n.toLocaleString("en-US")}`),
      el("span", { className: "muted" }, `line ${r.line.toLocaleString("en-US")}`, r.key !== null && " · key ", r.key !== null && el("code", { className: "load-key" }, r.key)),
    );
    const problems = [...r.problems, ...r.warnings.map((p) => ({ ...p, warning: true }))];
    const problemList =
      problems.length > 0 &&
      el(
        "ul",
        { className: "load-problems" },
        problems.map((p) =>
          el(
            "li",
            { className: `load-problem${p.warning ? " is-warning" : ""}`, "data-code": p.code, "data-field": p.field, "data-stage": p.stage },
            el("span", { className: "problem-code" }, p.warning ? `${p.code} (warning)` : p.code),
            p.field && el("code", { className: "load-field" }, p.field),
            el("span", { className: "load-stage muted" }, STAGES[p.stage]),
            el("span", { className: "problem-message" }, p.message),
          ),
        ),
      );
    let record = null;
    if (r.record !== null) {
      const what = sent ? `The ${RECORD_WORDS[mappingObject()]} (${plural(lines, "line")})` : `The ${RECORD_WORDS[mappingObject()]} it would have been (${plural(lines, "line")})`;
      if (sent && lines <= LONG_RECORD_LINES) {
        record = el("pre", { className: "code load-record", id }, pretty);
      } else {
        record = [
          el("button", { type: "button", className: "disclosure", "aria-expanded": "false", "aria-controls": id }, what),
          el("pre", { className: "code load-record", id, hidden: true }),
        ];
        records.set(id, r.record);
      }
    }
    return el("li", { className: `load-row is-${r.outcome}`, "data-n": String(r.n), "data-outcome": r.outcome }, head, problemList, record);
  }

  function mappingObject() {
    return last?.mapping?.object ?? "events";
  }
}

const STAGES = {
  read: "reading the rows",
  mapping: "the mapping",
  record: "Mixpanel's rules",
  plan: "the load's plan",
};

const RECORD_WORDS = { events: "event", users: "user profile update", groups: "group profile update" };

/** What a checked mapping does, in a line. */
function describeMapping(mapping) {
  if (!mapping) return "";
  const parts = [`Makes ${ENDPOINT_WORDS[mapping.object]}`, `key: ${mapping.key.join(" + ")}`];
  if (mapping.object === "events") parts.push(mapping.insertId ? `$insert_id from the column "${mapping.insertId}" (derived when empty)` : "$insert_id derived from the event name and the key");
  if (mapping.object !== "events") parts.push(`null values ${mapping.nulls === "unset" ? "unset ($unset)" : "left out"}`);
  return `${parts.join(" · ")}.`;
}
