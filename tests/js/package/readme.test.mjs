// The README's ```js examples, run as written against the installed package, so the
// documentation cannot drift from the code.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const here = dirname(fileURLToPath(import.meta.url));
const jsBlocks = (text) => [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

// The package's README, and the repository's (copied next to the tests by test-js.mjs).
const readmes = {
  package: { text: readFileSync(join(pkgDir, "README.md"), "utf8"), first: [
    /^true 98765 \{ count: 1, total: 1 \} 1$/m,
    /^200 \{"action":"add_members","status":"success"\}$/m,
    /^invalid_payload invalid_json line 1$/m,
  ] },
  repository: { text: readFileSync(join(here, "..", "..", "..", "ROOT_README.md"), "utf8"), first: [
    /^true 98765 \{ count: 1, total: 3 \}$/m,
    /^\{"action":"members","status":"success"\}$/m,
    /^page_out_of_range \/parameters\/page_info\/page_count 1:61$/m,
    /^true$/m,
    /^true 5$/m,
  ] },
};

for (const [which, { text, first, second = [] }] of Object.entries(readmes)) {
  const blocks = jsBlocks(text);
  test(`the ${which} README has examples`, () => assert.ok(blocks.length >= 1));
  blocks.forEach((code, i) => {
    test(`${which} README example ${i + 1} runs`, { timeout: 30_000 }, () => {
      const file = join(here, `readme-${which}-${i + 1}.mjs`);
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      if (i === 0) for (const line of first) assert.match(r.stdout, line);
      if (i === 1) for (const line of second) assert.match(r.stdout, line);
    });
  });
}

// The repository's README is its front door: every document is linked from it, and every
// relative link in it, and in the documents it links, names a file of the repository (and
// a heading there, when it names one). The repository is the nearest folder above this
// file that has README.md, docs/ and Cargo.toml (the scratch project is inside it).
function repositoryRoot() {
  for (let dir = here; ; dir = dirname(dir)) {
    if (["README.md", "docs/api.md", "Cargo.toml"].every((f) => existsSync(join(dir, f)))) return dir;
    if (dirname(dir) === dir) throw new Error("no folder above this file holds the repository");
  }
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replaceAll(" ", "-");

function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const [, heading] of text.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The relative links of a Markdown text, outside code: `[text](target)`. */
function relativeLinks(text) {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe("the repository README's links", () => {
  const root = repositoryRoot();
  const readme = join(root, "README.md");
  const linkedFrom = (file) => relativeLinks(readFileSync(file, "utf8")).map((target) => {
    const [path, fragment] = target.split("#");
    return { target, path: path ? resolve(dirname(file), decodeURIComponent(path)) : file, fragment };
  });

  test("every document of the repository is linked from the README", () => {
    const linked = new Set(linkedFrom(readme).map((l) => l.path));
    const docs = [
      ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => join(root, "docs", f)),
      ...readdirSync(join(root, "bench")).filter((f) => f.endsWith(".md")).map((f) => join(root, "bench", f)),
      ...["pkg/README.md", "worker/README.md", "www/README.md", "fuzz/README.md"].map((f) => join(root, f)),
    ];
    assert.deepEqual(docs.filter((d) => !linked.has(d)).map((d) => relative(root, d)), []);
  });

  test("every relative link in the README and the documents it links resolves inside the repository", () => {
    const files = [readme, ...new Set(linkedFrom(readme).map((l) => l.path).filter((p) => p.endsWith(".md") && existsSync(p)))];
    const broken = [];
    for (const file of files) {
      for (const { target, path, fragment } of linkedFrom(file)) {
        const where = `${relative(root, file)}: ${target}`;
        if (relative(root, path).startsWith("..")) broken.push(`${where} (outside the repository)`);
        else if (!existsSync(path)) broken.push(`${where} (no such file)`);
        else if (fragment && path.endsWith(".md") && !anchors(readFileSync(path, "utf8")).has(fragment)) broken.push(`${where} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });

  test("the two commands are the package.json scripts, and .ci/run runs the tests", () => {
    const text = readFileSync(readme, "utf8");
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
    for (const command of ["start", "test"]) {
      assert.match(text, new RegExp(`^\\| \`npm ${command}\` \\|`, "m"), `the README's table has \`npm ${command}\``);
      assert.ok(scripts[command], `package.json has a "${command}" script`);
    }
    assert.match(readFileSync(join(root, ".ci/run"), "utf8"), /^npm test$/m);
  });
});
