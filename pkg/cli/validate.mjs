// `cohort-sync validate`: checks webhook request bodies, as a receiver gets them (raw
// bytes: BOMs and bad UTF-8 included), with the package's validatePayload.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { validatePayload } from "../node.js";
import { UsageError, parseOptions, readCommandLine, usageError } from "./args.mjs";
import { describeReadError, humanizeSizes } from "./human.mjs";
import { createCountProgress } from "./progress.mjs";

export const HELP = `Usage: cohort-sync validate [options] FILE…

Checks Mixpanel Cohort Sync webhook bodies and prints a verdict per file: each
problem with its code, message, JSON Pointer and line:column, or a summary of
the page. "-" reads stdin.

A FOLDER means every *.json file under it (.JSON too), in natural order (p2
before p10); other files in it are skipped, and the total counts them.
Symbolic links to folders inside it are not followed; node_modules
and folders whose name starts with "." are skipped.

Options:
  --json             one JSON document on stdout: [{ file, valid, problems, summary }]
  -q, --quiet        errors only: warnings are not listed; the total says how
                     many were hidden. --json still lists every problem
  --max-members N    most members a page may hold (1000)
  --max-bytes N      largest body accepted, in bytes (10485760, 10 MiB)
  -h, --help         this help

What every body Mixpanel really sends has (no page_info: a pageless page; no
description) is a note, not a warning: the text leaves it out (the verdict says
"pageless"), --json lists it with severity "info".

Files that cannot be read are reported on stderr. On a terminal, a run over
many files shows its progress on stderr after a second.

Exit status:
  0  every file is valid (warnings do not count)
  1  some file has errors
  2  usage error, or a file or folder that cannot be read`;

const OPTIONS = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  "max-members": { type: "string" },
  "max-bytes": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Natural order: "p2" before "p10". */
const naturally = new Intl.Collator("en", { numeric: true }).compare;
const isJsonName = (name) => name.toLowerCase().endsWith(".json");
/** Folders a search for webhook bodies never wants: dependencies, .git and other dot-folders. */
const isSkippedFolder = (name) => name === "node_modules" || name.startsWith(".");

/**
 * The *.json files under `dir`, depth first, each folder in natural order. A symbolic
 * link to a folder is not followed (`loop -> ..` would list the tree again and again);
 * a link to a file is read. Folders that cannot be listed are returned as `unreadable`;
 * other files (notes.txt, a .csv) as `skipped`, so the total can say they were passed over.
 */
export function findJsonFiles(dir) {
  const found = { files: [], unlinkedFolders: [], unreadable: [], skipped: [] };
  const walk = (folder) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (e) {
      found.unreadable.push({ folder, error: e });
      return;
    }
    entries.sort((a, b) => naturally(a.name, b.name));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!isSkippedFolder(entry.name)) walk(path);
      } else if (entry.isSymbolicLink()) {
        const target = statOrNull(path);
        if (target?.isDirectory()) found.unlinkedFolders.push(path);
        else if (isJsonName(entry.name)) found.files.push(path); // a broken link is reported when read
        else found.skipped.push(path);
      } else if (isJsonName(entry.name)) {
        found.files.push(path);
      } else {
        found.skipped.push(path);
      }
    }
  };
  walk(dir);
  return found;
}

function statOrNull(path) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** A file or folder that cannot be read, as a result (its words go to stderr in text output). */
function unreadableResult(file, error) {
  return {
    file,
    valid: false,
    unreadable: true,
    problems: [{ severity: "error", code: "unreadable_file", path: "", message: describeReadError(error, file) }],
    summary: null,
  };
}

/**
 * The command line's FILE… as work: `{ files, notes, unreadable, skipped }`. Folders
 * named on the command line are followed even when they are links: the user asked for them.
 */
function expand(args) {
  const out = { files: [], notes: [], unreadable: [], skipped: [] };
  for (const arg of args) {
    if (arg === "-" || !statOrNull(arg)?.isDirectory()) {
      out.files.push(arg); // reading it reports what is wrong
      continue;
    }
    const found = findJsonFiles(arg);
    out.files.push(...found.files);
    out.skipped.push(...found.skipped);
    out.unreadable.push(...found.unreadable.map((u) => unreadableResult(u.folder, u.error)));
    if (found.unlinkedFolders.length) {
      const shown = found.unlinkedFolders.slice(0, 3).join(", ");
      const more = found.unlinkedFolders.length > 3 ? ` and ${found.unlinkedFolders.length - 3} more` : "";
      out.notes.push(`not following symbolic links to folders: ${shown}${more}`);
    }
  }
  return out;
}

/** One file's result: `{ file, valid, problems, summary }` (`summary` null when unreadable). */
export function validateFile(file, options = {}) {
  let bytes;
  try {
    bytes = new Uint8Array(file === "-" ? readFileSync(0) : readFileSync(file));
  } catch (e) {
    return unreadableResult(file, e);
  }
  const r = validatePayload(bytes, options);
  const problems = [
    ...r.errors.map((p) => ({ severity: "error", ...p })),
    ...r.warnings.map((p) => ({ severity: "warning", ...p })),
    ...r.info.map((p) => ({ severity: "info", ...p })),
  ];
  const summary = {
    action: r.action,
    projectId: r.projectId,
    cohortId: r.cohortId,
    cohortName: r.cohortName,
    cohortDescription: r.cohortDescription,
    sessionId: r.sessionId,
    page: r.page,
    memberCount: r.memberCount,
    bytes: bytes.length,
  };
  return { file, valid: r.valid, problems, summary };
}

/** Problems listed per file in the text output; --json has them all. */
const SHOWN = 20;
const where = (p) => (p.line ? ` (${p.line}:${p.column})` : "");
/** The empty pointer, named as the validator page names it. */
const WHOLE_BODY = '"" (whole body)';
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A problem's message for people: sizes in units (--json keeps the wasm's bytes). */
const readableMessage = (p) => (p.code === "body_too_large" ? humanizeSizes(p.message) : p.message);

/**
 * A readable file's result as text (unreadable ones are errors, on stderr). Notes
 * (severity "info": what Mixpanel's real sender always does) are left out: the verdict
 * line says "pageless". `quiet`: errors only, the warnings left out of the list and the
 * verdict line.
 */
export function formatResult(result, { quiet = false } = {}) {
  const name = result.file === "-" ? "<stdin>" : result.file;
  if (result.unreadable) return result.problems[0].message; // "no such file: nope.json"
  const lines = [];
  const errors = result.problems.filter((p) => p.severity === "error").length;
  const shown = result.problems.filter((p) => p.severity === "error" || (!quiet && p.severity === "warning"));
  const warnings = shown.length - errors;
  const s = result.summary;
  if (result.valid) {
    const page = s.page ? `page ${s.page.count} of ${s.page.total}` : "pageless (no page_info)";
    const cohort = `cohort ${s.cohortId}${s.cohortName ? ` "${s.cohortName}"` : ""}, project ${s.projectId}, session ${s.sessionId}`;
    lines.push(`${name}: valid: ${s.action}, ${page}, ${plural(s.memberCount, "member")}; ${cohort}${warnings ? `; ${plural(warnings, "warning")}` : ""}`);
  } else {
    lines.push(`${name}: INVALID: ${plural(errors, "error")}${warnings ? `, ${plural(warnings, "warning")}` : ""}`);
  }
  for (const p of shown.slice(0, SHOWN)) {
    lines.push(`  ${p.severity.padEnd(7)} ${p.code} at ${p.path === "" ? WHOLE_BODY : p.path}${where(p)}: ${readableMessage(p)}`);
  }
  if (shown.length > SHOWN) lines.push(`  … and ${shown.length - SHOWN} more (--json lists them all)`);
  return lines.join("\n");
}

const usage = (message) => usageError("validate", message);

function positiveInt(text, name) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return n;
}

function readArgs(argv) {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  const limits = {};
  const maxMembers = positiveInt(values["max-members"], "--max-members");
  const maxBytes = positiveInt(values["max-bytes"], "--max-bytes");
  if (maxMembers !== undefined) limits.maxMembers = maxMembers;
  if (maxBytes !== undefined) limits.maxBytes = maxBytes;
  return { values, positionals, limits };
}

/** Every file validated in order, with a progress line on a terminal for long runs. */
function validateAll(files, limits, { showProgress }) {
  const progress = createCountProgress({ total: files.length, noun: "file", quiet: !showProgress });
  const results = [];
  for (const file of files) {
    results.push(validateFile(file, limits));
    progress.update(results.length);
  }
  progress.stop();
  return results;
}

/** "3 files skipped: not .json (a.txt, b.csv, notes.md)", or "" when none were. */
function skippedNote(skipped) {
  if (!skipped.length) return "";
  const shown = skipped.slice(0, 3).join(", ");
  const more = skipped.length > 3 ? `, … ${skipped.length - 3} more` : "";
  return `${plural(skipped.length, "file")} skipped: not .json (${shown}${more})`;
}

/**
 * Each file's verdict, then a total when there is more than one file or something the
 * verdicts do not show: files skipped in a folder, warnings hidden by --quiet.
 */
function printText(results, { quiet, skipped }) {
  const readable = results.filter((r) => !r.unreadable);
  if (readable.length) process.stdout.write(`${readable.map((r) => formatResult(r, { quiet })).join("\n")}\n`);
  const hidden = quiet ? readable.reduce((n, r) => n + r.problems.filter((p) => p.severity === "warning").length, 0) : 0;
  if (results.length > 1 || hidden || skipped.length) {
    const valid = results.filter((r) => r.valid).length;
    const unreadable = results.length - readable.length;
    const parts = [
      `${plural(results.length, "file")}: ${valid} valid, ${readable.length - valid} invalid${unreadable ? `, ${unreadable} unreadable` : ""}`,
      hidden ? `${plural(hidden, "warning")} hidden (--quiet)` : "",
      skippedNote(skipped),
    ];
    process.stdout.write(`\n${parts.filter(Boolean).join("; ")}\n`);
  }
}

export function main(argv) {
  const { args, exit } = readCommandLine("validate", argv, readArgs, HELP);
  if (exit !== undefined) return exit;
  const { values, positionals, limits } = args;
  if (positionals.length === 0) return usage("no FILE given (use - for stdin)");
  if (positionals.filter((f) => f === "-").length > 1) return usage("stdin (-) can be read once");

  const work = expand(positionals);
  for (const note of work.notes) process.stderr.write(`cohort-sync validate: ${note}\n`);
  if (work.files.length === 0 && work.unreadable.length === 0) {
    return usage(`no *.json file in ${positionals.join(", ")}${work.skipped.length ? `; ${skippedNote(work.skipped)}` : ""}`);
  }
  const results = [...work.unreadable, ...validateAll(work.files, limits, { showProgress: !values.json })];
  for (const r of results.filter((x) => x.unreadable)) process.stderr.write(`cohort-sync validate: ${formatResult(r)}\n`);
  if (values.json) {
    // stdout stays one JSON document: what was passed over is said on stderr.
    if (work.skipped.length) process.stderr.write(`cohort-sync validate: ${skippedNote(work.skipped)}\n`);
    process.stdout.write(`${JSON.stringify(results.map(({ unreadable, ...r }) => r), null, 2)}\n`);
  } else {
    printText(results, { quiet: values.quiet, skipped: work.skipped });
  }
  if (results.some((r) => r.unreadable)) return 2;
  return results.every((r) => r.valid) ? 0 : 1;
}
