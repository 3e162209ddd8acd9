// The Worker's suite tests/js/worker/recovery.test.mjs, run against the Node receiver on
// PostgreSQL (createReceiver on a throwaway cluster's database, behind a real http
// server): one behaviour, every host and store.
process.env.RECEIVER_HOST = "node";
process.env.RECEIVER_STORE = "postgres";
await import("../worker/recovery.test.mjs");
