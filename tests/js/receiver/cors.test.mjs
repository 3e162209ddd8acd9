// The Worker's suite tests/js/worker/cors.test.mjs, run against the Node receiver
// (createReceiver on a SQLite file behind a real http server): one behaviour, two hosts.
process.env.RECEIVER_HOST = "node";
await import("../worker/cors.test.mjs");
