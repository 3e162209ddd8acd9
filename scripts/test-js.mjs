// JS tests of the package as users get it: `npm pack ./pkg`, install the tarball into a
// fresh scratch project under .scratch/ (offline: it is a local file with no
// dependencies), copy tests/js and tests/types there and run them with `node --test`.
// miniflare and typescript resolve from the repository root's node_modules, which is
// an ancestor of .scratch/.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// SCRATCH_NAME picks another folder under .scratch/ so two runs can go at once;
// arguments pick test files or tier folders (default: all of tests/js/: package/, worker/,
// receiver/, page/, cli/, hostile/; behaviour/ holds the suites every host runs, each
// run by small entry files in the host's tier; lib/ holds shared helpers).
const scratch = join(root, ".scratch", process.env.SCRATCH_NAME || "js");
const only = process.argv.slice(2);
const project = join(scratch, "project");

function run(cmd, args, cwd, capture = false) {
  const r = spawnSync(cmd, args, { cwd, stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`test-js: FAILED: ${cmd} ${args.join(" ")} (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  return r.stdout;
}

rmSync(scratch, { recursive: true, force: true });
mkdirSync(project, { recursive: true });

const [packed] = JSON.parse(run("npm", ["pack", "./pkg", "--json", "--pack-destination", scratch], root, true));
console.log(`test-js: packed ${packed.filename} (${packed.entryCount} files, ${packed.size} bytes)`);
for (const f of packed.files) console.log(`  ${f.path}`);

writeFileSync(
  join(project, "package.json"),
  JSON.stringify({ name: "scratch", private: true, type: "module", dependencies: { "cohort-sync": `file:../${packed.filename}` } }, null, 2),
);
run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
cpSync(join(root, "tests/js"), join(project, "tests/js"), { recursive: true });
cpSync(join(root, "tests/types"), join(project, "tests/types"), { recursive: true });
cpSync(join(root, "tests/fixtures/payloads"), join(project, "tests/fixtures/payloads"), { recursive: true });
cpSync(join(root, "tests/scenarios"), join(project, "tests/scenarios"), { recursive: true });
cpSync(join(root, "README.md"), join(project, "ROOT_README.md"));
cpSync(join(root, "worker"), join(project, "worker"), { recursive: true, filter: (p) => !p.includes("node_modules") && !p.includes(".wrangler") });

// node --test prints its own summary last; its exit code is ours.
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-concurrency=1", ...(only.length ? only : ["tests/js/"])], { cwd: project, stdio: "inherit" });
process.exit(r.status ?? 1);
