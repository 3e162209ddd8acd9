// Worker threads that prepare NDJSON, JSON-array or CSV blocks (prepare-worker.js), taken
// in turn. Each block's answer is a promise; the loader awaits them in the order it sent
// the blocks, so rows are planned in the source's order whichever thread finished first.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** Threads a load uses by default: the cores but one (the main thread's), at most 4. */
export function defaultThreads() {
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

/**
 * `size` workers given `workerData` ({ mapping, token, limits }):
 * `{ run(block) → Promise<{ read, prepared }>, close() }`.
 */
export function createPreparePool({ size, workerData }) {
  const waiting = new Map();
  let next = 0;
  let ids = 0;
  let broken = null;
  const fail = (error) => {
    broken ??= error;
    for (const { reject } of waiting.values()) reject(broken);
    waiting.clear();
  };
  const workers = Array.from({ length: size }, () => {
    const worker = startWorker(workerData);
    worker.on("message", (message) => {
      const pending = waiting.get(message.id);
      if (pending === undefined) return;
      waiting.delete(message.id);
      if (message.error) pending.reject(Object.assign(new Error(message.error.message), { code: message.error.code, stack: message.error.stack }));
      else pending.resolve(message);
    });
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (waiting.size > 0) fail(new Error(`a loader thread stopped (exit code ${code}) with blocks unread`));
    });
    return worker;
  });
  return {
    run(block) {
      if (broken) {
        // As below: the loader sees the failure when it awaits this block, if it ever does.
        const failed = Promise.reject(broken);
        failed.catch(() => {});
        return failed;
      }
      const id = ++ids;
      const worker = workers[next++ % workers.length];
      const answer = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
      // Handled here so that a failure while earlier blocks are awaited is not "unhandled";
      // the loader still sees it when it awaits this block.
      answer.catch(() => {});
      worker.postMessage({ id, block }, block.bytes ? [block.bytes.buffer] : []);
      return answer;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/**
 * A worker given the process's flags (a `--require` or `--import` hook the user relies
 * on), less --input-type, which a worker started from a file refuses (a loader started by
 * `node --input-type=module -e …`). A worker refuses V8's flags too (`node
 * --max-old-space-size=…`): those are the whole process's already, and this worker needs
 * no flag of its own, so it then starts with none.
 */
function startWorker(workerData) {
  // A young generation of 16 MB rather than V8's default (about 32 here): a 1M-event
  // load's RSS was 20 MB lower, no slower. At 8 MB (30 MB lower) CSV, whose reader makes a
  // string a field, spent a quarter of its thread in the collector and loaded a fifth slower.
  const resourceLimits = { maxYoungGenerationSizeMb: 16 };
  const url = new URL("./prepare-worker.js", import.meta.url);
  const execArgv = process.execArgv.filter((flag) => !flag.startsWith("--input-type"));
  try {
    return new Worker(url, { workerData, execArgv, resourceLimits });
  } catch (error) {
    if (error?.code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw error;
    return new Worker(url, { workerData, execArgv: [], resourceLimits });
  }
}
