// What the page tests (tests/js/page/) share: the repository root, the static server
// that serves www/ as `npm start` does, and Debian's Chromium driven by playwright-core.
// The root is found by walking up from this file (or given as COHORT_SYNC_ROOT), so the
// tests run from the repository and from scripts/test-js.mjs' scratch copy.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

function findRoot() {
  if (process.env.COHORT_SYNC_ROOT) return resolve(process.env.COHORT_SYNC_ROOT);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "www/index.html")) && existsSync(join(dir, "scripts/serve.mjs"))) return dir;
    if (dirname(dir) === dir) throw new Error("no ancestor of tests/js/lib holds www/index.html and scripts/serve.mjs (set COHORT_SYNC_ROOT)");
  }
}

/** The repository root (its www/, scripts/, pkg/ and node_modules/). */
export const root = findRoot();

/** A package from the repository's node_modules (playwright-core, puppeteer-core). */
export const requireFromRoot = createRequire(join(root, "package.json"));

/** Fails, never skips, when Chromium is missing: setup installs it, and a missing browser must be seen. */
export function requireChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it (apt-get install -y chromium; scripts/setup.sh does)`);
}

/** Headless Chromium (playwright-core's `launch` options added to ours). */
export function launchChromium(options = {}) {
  requireChromium();
  return requireFromRoot("playwright-core").chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, ...options });
}

/** scripts/serve.mjs serving the root on 127.0.0.1, on a free port: `{ url, close() }`. */
export async function startPageServer() {
  const { startStaticServer } = await import(pathToFileURL(join(root, "scripts/serve.mjs")).href);
  return startStaticServer({ root, port: 0 });
}
