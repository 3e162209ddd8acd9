// `cohort-sync validate`: checks webhook request bodies, as a receiver gets them (raw
// bytes: BOMs and bad UTF-8 included), with the package's validatePayload.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { validatePayload } from "../node.js";

export const HELP = `Usage: cohort-sync validate [options] FILE…

Checks Mixpanel Cohort Sync webhook bodies and prints a verdict per file: each
problem with its code, message, JSON Pointer and line:column, or a summary of
the page. "-" reads stdin; a directory means every *.json file under it.

Options:
  --json             one JSON document on stdout: [{ file, valid, problems, summary }]
  --max-members N    most members a page may hold (1000)
  --max-bytes N      largest body accepted, in bytes (10485760)
  -h, --help         this help

Exit status: 0 every file is valid, 1 some file has problems,
2 usage error or a file that cannot be read.`;

/** `FILE…` → files, directories expanded to their *.json files (sorted). */
function expand(args) {
  const out = [];
  for (const arg of args) {
    let dir = false;
    try {
      dir = arg !== "-" && statSync(arg).isDirectory();
    } catch {
      // Not there: reading it reports the error.
    }
    if (!dir) out.push(arg);
    else {
      const found = readdirSync(arg, { recursive: true }).filter((f) => f.endsWith(".json")).sort();
      out.push(...found.map((f) => join(arg, f)));
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
    return {
      file,
      valid: false,
      unreadable: true,
      problems: [{ severity: "error", code: "unreadable_file", path: "", message: `cannot read ${file === "-" ? "stdin" : file}: ${e.code ?? e.message}` }],
      summary: null,
    };
  }
  const r = validatePayload(bytes, options);
  const problems = [
    ...r.errors.map((p) => ({ severity: "error", ...p })),
    ...r.warnings.map((p) => ({ severity: "warning", ...p })),
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

/** A result as text. */
export function formatResult(result) {
  const name = result.file === "-" ? "<stdin>" : result.file;
  const lines = [];
  const errors = result.problems.filter((p) => p.severity === "error").length;
  const warnings = result.problems.length - errors;
  if (result.unreadable) {
    lines.push(`${name}: UNREADABLE: ${result.problems[0].message}`);
    return lines.join("\n");
  }
  const s = result.summary;
  if (result.valid) {
    const page = s.page ? `page ${s.page.count} of ${s.page.total}` : "pageless (no page_info)";
    const cohort = `cohort ${s.cohortId}${s.cohortName ? ` "${s.cohortName}"` : ""}, project ${s.projectId}, session ${s.sessionId}`;
    lines.push(`${name}: valid: ${s.action}, ${page}, ${s.memberCount} member${s.memberCount === 1 ? "" : "s"}; ${cohort}${warnings ? `; ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`);
  } else {
    lines.push(`${name}: INVALID: ${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`);
  }
  for (const p of result.problems.slice(0, SHOWN)) {
    lines.push(`  ${p.severity.padEnd(7)} ${p.code} at ${p.path === "" ? '"" (the document)' : p.path}${where(p)}: ${p.message}`);
  }
  if (result.problems.length > SHOWN) lines.push(`  … and ${result.problems.length - SHOWN} more (--json lists them all)`);
  return lines.join("\n");
}

function usage(message) {
  process.stderr.write(`cohort-sync validate: ${message}\nTry 'cohort-sync validate --help'.\n`);
  return 2;
}

function positiveInt(text, name) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return n;
}

export function main(argv) {
  let args;
  let options;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        "max-members": { type: "string" },
        "max-bytes": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    options = {};
    const maxMembers = positiveInt(args.values["max-members"], "--max-members");
    const maxBytes = positiveInt(args.values["max-bytes"], "--max-bytes");
    if (maxMembers !== undefined) options.maxMembers = maxMembers;
    if (maxBytes !== undefined) options.maxBytes = maxBytes;
  } catch (e) {
    return usage(e.message);
  }
  if (args.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.positionals.length === 0) return usage("no FILE given (use - for stdin)");
  if (args.positionals.filter((f) => f === "-").length > 1) return usage("stdin (-) can be read once");

  const files = expand(args.positionals);
  if (files.length === 0) return usage(`no *.json file in ${args.positionals.join(", ")}`);
  const results = files.map((f) => validateFile(f, options));
  if (args.values.json) {
    process.stdout.write(`${JSON.stringify(results.map(({ unreadable, ...r }) => r), null, 2)}\n`);
  } else {
    process.stdout.write(`${results.map(formatResult).join("\n")}\n`);
    if (results.length > 1) {
      const valid = results.filter((r) => r.valid).length;
      const unreadable = results.filter((r) => r.unreadable).length;
      process.stdout.write(`\n${results.length} files: ${valid} valid, ${results.length - valid - unreadable} invalid${unreadable ? `, ${unreadable} unreadable` : ""}\n`);
    }
  }
  if (results.some((r) => r.unreadable)) return 2;
  return results.every((r) => r.valid) ? 0 : 1;
}
