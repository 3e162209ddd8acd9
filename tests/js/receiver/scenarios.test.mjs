// The Worker's suite tests/js/worker/scenarios.test.mjs, run against the Node receiver
// (createReceiver on a SQLite file behind a real http server): one behaviour, two hosts.
process.env.RECEIVER_HOST = "node";
await import("../worker/scenarios.test.mjs");
