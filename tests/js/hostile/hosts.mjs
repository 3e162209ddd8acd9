// The three hosts of the receiver, each started with the test credentials and settings
// (worker-harness.mjs TEST_SETTINGS) and given the same shape: `{ name, origin,
// snapshot(), stop() }`, `snapshot()` counting what its store holds (stores.mjs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_SETTINGS, startWorker } from "../worker/worker-harness.mjs";
import { serve } from "../receiver/serve-process.mjs";
import { persistSnapshot, postgresSnapshot, sqliteSnapshot } from "./stores.mjs";

/** The Worker in workerd (Miniflare), its Durable Objects persisted as SQLite files. */
export async function workerHost() {
  const worker = await startWorker();
  return { name: "worker", origin: worker.origin, snapshot: persistSnapshot(worker.persist), stop: () => worker.destroy() };
}

/** `cohort-sync serve --db FILE`. */
export async function serveSqliteHost() {
  const dir = mkdtempSync(join(tmpdir(), "cohort-sync-hostile-"));
  const file = join(dir, "cohorts.db");
  const server = await serve(["--db", file], TEST_SETTINGS);
  return {
    name: "serve --db",
    origin: server.origin,
    snapshot: sqliteSnapshot(file),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `cohort-sync serve --postgres URL` on a database of its own in a throwaway cluster. */
export async function servePostgresHost() {
  const { databaseUrl, postgresCluster } = await import("../receiver/node-harness.mjs");
  const url = await databaseUrl(`pg:hostile_${process.pid}`);
  const server = await serve(["--postgres", url], { ...TEST_SETTINGS, ALARM_POLL_MS: "200" });
  return {
    name: "serve --postgres",
    origin: server.origin,
    snapshot: postgresSnapshot(url),
    async stop() {
      await server.stop();
      await (await postgresCluster()).stop();
    },
  };
}
