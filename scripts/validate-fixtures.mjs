// `npm start` (for now): validate every payload fixture with the freshly built package
// and print a readable verdict per file.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { validatePayload } from "../pkg/node.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "tests/fixtures/payloads");

let files = [];
try {
  files = readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(dir, f));
} catch (e) {
  if (e.code !== "ENOENT") throw e;
}
if (files.length === 0) console.log(`no payload fixtures under ${relative(root, dir)}/`);

const where = (p) => (p.line ? `${p.line}:${p.column}` : "-");
const describe = (p) => `  ${p.code}  ${p.path === "" ? '""' : p.path}  at ${where(p)}  ${p.message}`;

let valid = 0;
for (const file of files) {
  // Raw bytes, as a webhook receiver gets them (BOMs and bad UTF-8 included).
  const report = validatePayload(new Uint8Array(readFileSync(file)));
  const name = relative(root, file);
  if (report.valid) {
    valid++;
    const page = report.page ? `page ${report.page.count}/${report.page.total}` : "no page";
    console.log(`VALID    ${name}  (${report.action}, ${page}, ${report.memberCount} member${report.memberCount === 1 ? "" : "s"})`);
  } else {
    console.log(`INVALID  ${name}  (${report.errors.length} error(s))`);
    for (const p of report.errors) console.log(describe(p));
  }
  for (const p of report.warnings) console.log(`  warning:${describe(p).slice(1)}`);
}
console.log(`\n${files.length} file(s): ${valid} valid, ${files.length - valid} invalid`);
