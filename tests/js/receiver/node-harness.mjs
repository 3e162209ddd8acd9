// Runs the receiver in Node as `createReceiver` users do: a real http server on
// 127.0.0.1 with the receiver on a SQLite file in a temporary folder, with the shape of
// the Worker's harness (tests/js/worker/worker-harness.mjs), so the Worker's behaviour
// suites run against it unchanged. Stopping closes the server and the receiver; starting
// again on the same folder is a restart on the same file.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiver } from "cohort-sync/receiver";
import { TEST_SETTINGS, client } from "../worker/worker-harness.mjs";

export const storageDir = () => mkdtempSync(join(tmpdir(), "cohort-sync-receiver-"));

/**
 * Starts a receiver. `vars` are the Worker's settings (added to the test defaults);
 * `persist` the folder of its SQLite file. The Worker's fault hooks have no Node
 * counterpart; `analytics` is accepted and ignored (the Worker's local dataset keeps
 * nothing either).
 */
export async function startNodeReceiver({ vars = {}, persist = storageDir(), hooks = false } = {}) {
  if (hooks) throw new Error("fault hooks are the Worker harness's (worker-hooks.js)");
  const receiver = createReceiver({ db: join(persist, "cohorts.db"), settings: { ...TEST_SETTINGS, ...vars } });
  const server = createServer(receiver.nodeHandler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const events = captureEvents();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await receiver.close();
    events.release();
  };
  return {
    receiver,
    origin,
    persist,
    events: events.list,
    ...client(origin),
    /** A cohort's handle (the Cohort's methods, as the Worker's harness gives its object's). */
    async cohort(cohortId) {
      return receiver.cohort(cohortId);
    },
    async profiles() {
      return receiver.profiles();
    },
    stop,
    async destroy() {
      await stop();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/**
 * The receiver's structured event lines (`{"event":…}` on console.log), parsed, kept
 * for the tests and left out of the output, as the Worker's harness does with
 * workerd's output. Other lines print as before.
 */
function captureEvents() {
  const list = [];
  const print = console.log;
  console.log = (...args) => {
    if (args.length === 1 && typeof args[0] === "string" && args[0].startsWith('{"event":')) list.push(JSON.parse(args[0]));
    else print(...args);
  };
  return { list, release: () => void (console.log === print || (console.log = print)) };
}

