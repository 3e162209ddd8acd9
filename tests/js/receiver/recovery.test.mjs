// The Worker's suite tests/js/worker/recovery.test.mjs, run against the Node receiver
// on a SQLite file: one behaviour, two hosts.
process.env.RECEIVER_HOST = "node";
await import("../worker/recovery.test.mjs");
