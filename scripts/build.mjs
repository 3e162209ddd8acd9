// Build the npm package's wasm: cargo (release, wasm32) → wasm-bindgen (--target web, into
// pkg/dist/) → wasm-opt -O3 in place → print the size raw / gzip / brotli, every time, so
// growth is seen. Any failing step stops the build with its exit code.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const input = join(root, "target/wasm32-unknown-unknown/release/cohort_sync.wasm");
const outDir = join(root, "pkg/dist");
const wasm = join(outDir, "cohort_sync_bg.wasm");
// cargo-installed tools (wasm-bindgen) live here even when the shell's PATH lacks it.
const env = { ...process.env, PATH: `${join(homedir(), ".cargo/bin")}:${process.env.PATH}` };

function run(cmd, args) {
  console.log(`build: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  if (r.error) throw new Error(`build: could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    console.error(`build: FAILED: ${cmd} exited with ${r.status ?? r.signal}`);
    process.exit(r.status || 1);
  }
}

// The console's chart library (uPlot, pinned in package.json) goes beside the page, so
// www/ served alone, or copied anywhere, has everything it loads.
const vendor = join(root, "www/vendor/uplot");
mkdirSync(vendor, { recursive: true });
for (const [from, to] of [["dist/uPlot.iife.min.js", "uPlot.iife.min.js"], ["dist/uPlot.min.css", "uPlot.min.css"], ["LICENSE", "LICENSE"]]) {
  copyFileSync(join(root, "node_modules/uplot", from), join(vendor, to));
}
console.log("build: www/vendor/uplot/ from node_modules/uplot");

// --locked: the versions are the ones pinned in Cargo.lock.pinned (scripts/setup.sh).
run("cargo", ["build", "--locked", "--release", "--target", "wasm32-unknown-unknown"]);

// Start from an empty dist/ so no stale file from an older build can ship.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
// --no-typescript: the package ships its own hand-written declarations (index.d.ts).
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", outDir, input]);

// The features rustc emits by default for wasm32 must be enabled, or wasm-opt rejects
// the module; SIMD128 because the Rust side may use it. The producers and
// target_features sections say how the module was built, which no runtime reads: 198
// bytes of the gzip budget.
run(join(root, "node_modules/binaryen/bin/wasm-opt"), [
  "-O3",
  "--strip-producers",
  "--strip-target-features",
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-reference-types",
  "--enable-multivalue",
  "--enable-simd",
  wasm,
  "-o",
  wasm,
]);

const bytes = readFileSync(wasm);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gzip = gzipSync(bytes, { level: 9 }).length;
const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`build: pkg/dist/cohort_sync_bg.wasm ${kb(bytes.length)} raw, ${kb(gzip)} gzip, ${kb(brotli)} brotli`);
