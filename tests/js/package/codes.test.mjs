// The codes the shipped declarations list against the codes the code gives. `ProblemCode`
// and `CohortSyncErrorCode` end in an open `string & {}`, so a code missing from them
// would compile without a word: here each union's literals must be exactly the codes
// made — problem codes by the wasm's ProblemCode (src/problem.rs; every Problem the wasm
// makes has one), error codes by the Rust that throws (`fn code` of each error, and
// BindingError's literal codes) and by the package's JavaScript (`new CohortSyncError`).
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));

/** The repository: the scratch project sits at <repo>/.scratch/<name>/project. */
function findRoot() {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Cargo.toml")) && existsSync(join(dir, "src/problem.rs"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository above ${process.cwd()}`);
  }
}
const root = findRoot();

/** Files under `dir` (recursively) whose names end in one of `endings`, skipping `skip` folders. */
function filesUnder(dir, endings, skip = []) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && endings.some((end) => e.name.endsWith(end)))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((file) => !relative(dir, file).split(/[\\/]/).some((part) => skip.includes(part)))
    .sort();
}

/** A Rust file without its comments and its `#[cfg(test)]` tail (tests come last in this crate). */
function rustSource(file) {
  const text = readFileSync(file, "utf8");
  const cut = text.indexOf("#[cfg(test)]");
  return (cut === -1 ? text : text.slice(0, cut)).replace(/\/\/[^\n]*/g, "");
}

/** The text between the brace at `open` and its match. */
function braced(text, open) {
  assert.equal(text[open], "{");
  for (let depth = 0, i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`no closing brace after offset ${open}`);
}

const dts = join(pkgDir, "index.d.ts");
const program = ts.createProgram([dts], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 });
const checker = program.getTypeChecker();
const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(dts)));

/** The string literals of a union type exported by the shipped declarations, and whether it is open. */
function declared(name) {
  const symbol = exported.find((s) => s.name === name);
  assert.ok(symbol, `${name} is not exported by index.d.ts`);
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const members = type.isUnion() ? type.types : [type];
  return {
    codes: new Set(members.filter((t) => t.isStringLiteral()).map((t) => t.value)),
    open: members.some((t) => !t.isStringLiteral()),
  };
}

/** Both ways: what is made but not declared, and what is declared but never made. */
function assertSameCodes(made, listed, what) {
  const missing = [...made].filter((c) => !listed.has(c)).sort();
  const stale = [...listed].filter((c) => !made.has(c)).sort();
  assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, `${what}: "missing" are made but not declared, "stale" declared but never made`);
}

/** The codes of src/problem.rs's ProblemCode: its `as_str`, checked against the enum's variants. */
function rustProblemCodes() {
  const source = rustSource(join(root, "src/problem.rs"));
  const enumAt = source.indexOf("pub enum ProblemCode");
  const implAt = source.indexOf("impl ProblemCode");
  assert.ok(enumAt >= 0 && implAt >= 0, "src/problem.rs no longer has `pub enum ProblemCode` and `impl ProblemCode`: update this test");
  const variants = braced(source, source.indexOf("{", enumAt)).replace(/#\[[^\]]*\]/g, "").match(/\b[A-Z]\w*\b/g) ?? [];
  const arms = [...braced(source, source.indexOf("{", implAt)).matchAll(/\b([A-Z]\w*)\s*=>\s*"([^"]*)"/g)];
  // The compiler makes `as_str` cover every variant; this makes sure the reading above did.
  assert.deepEqual(arms.map((m) => m[1]).sort(), [...variants].sort(), "ProblemCode::as_str as read here does not name each variant once");
  assert.ok(arms.length >= 20, `only ${arms.length} problem codes read from src/problem.rs`);
  return new Set(arms.map((m) => m[2]));
}

/** The codes the Rust throws: `fn code(&self) -> &'static str` bodies and `BindingError { code: "…" }`. */
function rustErrorCodes() {
  const codes = new Set();
  let codeFns = 0;
  for (const file of filesUnder(join(root, "src"), [".rs"])) {
    const source = rustSource(file);
    for (const m of source.matchAll(/fn code\(&self\)\s*->\s*&'static str\s*\{/g)) {
      codeFns++;
      for (const [, code] of braced(source, m.index + m[0].length - 1).matchAll(/"([^"]*)"/g)) codes.add(code);
    }
    for (const [, code] of source.matchAll(/BindingError\s*\{\s*code:\s*"([^"]*)"/g)) codes.add(code);
  }
  assert.ok(codeFns >= 3, `only ${codeFns} \`fn code\` found under src/: update this test`);
  return codes;
}

/** The codes the package's JavaScript throws: the literal first argument of each `new CohortSyncError(`. */
function jsErrorCodes() {
  const codes = new Set();
  for (const file of filesUnder(pkgDir, [".js", ".mjs"], ["dist", "node_modules"])) {
    const source = readFileSync(file, "utf8");
    for (const m of source.matchAll(/new CohortSyncError\(\s*([^,)]*)/g)) {
      const literal = /^"([a-z0-9_]+)"$/.exec(m[1].trim());
      assert.ok(literal, `${relative(pkgDir, file)}: new CohortSyncError(${m[1].trim()}, …): a code that is not a literal cannot be checked here`);
      codes.add(literal[1]);
    }
  }
  return codes;
}

test("ProblemCode lists exactly the problem codes of src/problem.rs", () => {
  const { codes } = declared("ProblemCode");
  assertSameCodes(rustProblemCodes(), codes, "ProblemCode");
});

test("CohortSyncErrorCode lists exactly the codes the Rust and the package's JavaScript throw", () => {
  const { codes } = declared("CohortSyncErrorCode");
  const made = new Set([...rustErrorCodes(), ...jsErrorCodes()]);
  assertSameCodes(made, codes, "CohortSyncErrorCode");
});

test("the comparisons can fail (a check that can fail)", () => {
  assert.throws(() => assertSameCodes(new Set(["a", "b"]), new Set(["a"]), "t"), /missing/);
  assert.throws(() => assertSameCodes(new Set(["a"]), new Set(["a", "b"]), "t"), /stale/);
  const { codes, open } = declared("ProblemCode");
  assert.ok(codes.has("missing_field") && codes.size >= 20, "the union's literals are read");
  assert.equal(open, true, "the open `string & {}` member is told apart from the literals");
});
