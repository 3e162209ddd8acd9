// The Worker's settings in real workerd: read and checked once, when the script loads
// (worker/src/settings.js), so a bad value stops the Worker from starting — as it would
// stop `wrangler deploy` or `wrangler dev` — with an error naming the setting and the
// value, and no request is ever taken. Good values are taken as before.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { AUTH, eventually, startWorker } from "./worker-harness.mjs";

const T = { timeout: 120_000 };
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Starts the Worker with `vars`, keeping what the runtime prints (the harness passes on
 * everything but event lines); resolves to `{ worker }` or `{ error, output }`.
 */
async function start(vars) {
  let output = "";
  const writes = [process.stdout, process.stderr].map((stream) => [stream, stream.write]);
  for (const [stream, write] of writes) {
    stream.write = function (chunk, ...rest) {
      output += String(chunk);
      return write.call(this, chunk, ...rest);
    };
  }
  try {
    return { worker: await startWorker({ vars }) };
  } catch (error) {
    // The runtime's own report can come just after the start is refused.
    await eventually(() => output.includes("Uncaught"), 5_000, "the runtime's report").catch(() => {});
    return { error, output };
  } finally {
    for (const [stream, write] of writes) stream.write = write;
  }
}

describe("the Worker's settings", () => {
  for (const [name, value] of [["MAX_BODY_BYTES", "10MB"], ["CONSOLE_ORIGINS", "ops.example.com"], ["MIXPANEL_REGION", "EU"]]) {
    test(`${name} = ${JSON.stringify(value)}: the Worker does not start, and says which setting and what value`, T, async () => {
      const started = await start({ [name]: value });
      if (started.worker) {
        await started.worker.destroy();
        assert.fail(`the Worker started with ${name} = ${JSON.stringify(value)}`);
      }
      assert.match(started.output, new RegExp(`Uncaught .*the setting ${name} must be .*${escape(JSON.stringify(value))}`));
    });
  }

  test("good values are read as the settings say: MAX_BODY_BYTES as digits, origins with a trailing slash, blank numbers as unset", T, async () => {
    const { worker, output } = await start({ MAX_BODY_BYTES: "2000", CONSOLE_ORIGINS: "https://ops.example.com/", APPLY_DELAY_MS: "", MIXPANEL_REGION: "eu" });
    assert.ok(worker, output);
    try {
      const [page] = planSync(null, ["a"], { projectId: "1", cohortId: "settings", cohortName: "Settings", sessionId: "s1" });
      assert.equal((await worker.post(page)).status, 200);
      assert.equal((await worker.post(page.padEnd(2001))).status, 413);
      const cors = await fetch(`${worker.origin}/cohorts`, { headers: { origin: "https://ops.example.com", authorization: AUTH } });
      assert.equal(cors.headers.get("access-control-allow-origin"), "https://ops.example.com");
    } finally {
      await worker.destroy();
    }
  });
});
