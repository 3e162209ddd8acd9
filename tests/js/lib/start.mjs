// What the tests of `npm start` (scripts/start.mjs) share: where the repository is, and a
// port nothing listens on.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root above this file (it holds scripts/start.mjs and the Worker). */
export function repoRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "scripts/start.mjs")) || !existsSync(join(dir, "worker/wrangler.toml"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found above the test");
    dir = up;
  }
  return dir;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
