// Which receiver the behaviour suites run against: the Worker in workerd (default), or
// the Node receiver on SQLite when RECEIVER_HOST=node (the suites in tests/js/receiver/
// set it and import the Worker's). Both harnesses have the same shape.
import * as worker from "./worker-harness.mjs";

export { AUTH, basic, CREDENTIALS, eventually, startRecorder } from "./worker-harness.mjs";

export const HOST = process.env.RECEIVER_HOST === "node" ? "node" : "worker";
const node = HOST === "node" ? await import("../receiver/node-harness.mjs") : null;

export const startWorker = node ? node.startNodeReceiver : worker.startWorker;
export const storageDir = node ? node.storageDir : worker.storageDir;
