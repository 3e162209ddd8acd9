// `npm start`'s last step (scripts/start.mjs): wrangler dev serving the Worker on
// 127.0.0.1, the validator page and the operator's console served, a sample sync replayed
// into the Worker with a CleverTap stand-in that refuses every upload; --check stops
// after and exits 0 only when the cohort holds what the scenario sent and the console's
// origin may call the Worker (CORS). From empty storage, the refused uploads are dead
// letters for the console to show.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freePort, repoRoot } from "../lib/start.mjs";

test("start --check: the Worker under wrangler dev takes a replayed sync; the pages are served; the console has dead letters to show", { timeout: 240_000 }, async () => {
  const persist = mkdtempSync(join(tmpdir(), "cohort-sync-start-"));
  try {
    const [workerPort, pagePort] = [await freePort(), await freePort()];
    const r = spawnSync(process.execPath, ["scripts/start.mjs", "--check"], {
      cwd: repoRoot(),
      env: { ...process.env, WORKER_PORT: String(workerPort), PAGE_PORT: String(pagePort), START_PERSIST: persist },
      encoding: "utf8",
      timeout: 200_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /start --check: OK: the Worker holds 3690 members/);
    assert.match(r.stdout, new RegExp(`validator   http://127\\.0\\.0\\.1:${pagePort}/www/index\\.html`));
    const consoleUrl = `http://127.0.0.1:${pagePort}/www/console.html?worker=${encodeURIComponent(`http://127.0.0.1:${workerPort}`)}`;
    assert.ok(r.stdout.includes(`console     ${consoleUrl}\n`), "the console's URL, pointed at the Worker");
    const dead = Number(/; (\d+) dead letters; the console's origin is allowed/.exec(r.stdout)?.[1]);
    assert.ok(dead > 0, `the demo has dead letters (${dead})`);
    assert.match(r.stdout, new RegExp(`clevertap   http://127\\.0\\.0\\.1:\\d+/1/upload \\(a stand-in that refuses every upload: ${dead} dead letters`));
    assert.match(r.stdout, /HTTP Basic: \S+ \/ \S+/);
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
});
