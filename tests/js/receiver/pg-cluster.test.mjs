// The throwaway PostgreSQL cluster the receiver's PostgreSQL tests and benches run on
// (scripts/pg-cluster.mjs): a real server that answers, reachable on 127.0.0.1 only,
// and gone, folder and all, once stopped. Runs from the repository and from
// scripts/test-js.mjs' scratch copy: the root is found by walking up from this file (or
// given as COHORT_SYNC_ROOT); `pg` resolves from the root's node_modules.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";

function findRoot() {
  if (process.env.COHORT_SYNC_ROOT) return resolve(process.env.COHORT_SYNC_ROOT);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "scripts/pg-cluster.mjs"))) return dir;
    if (dirname(dir) === dir) throw new Error("pg-cluster.test: no ancestor of this file holds scripts/pg-cluster.mjs (set COHORT_SYNC_ROOT)");
  }
}

const { startCluster } = await import(pathToFileURL(join(findRoot(), "scripts/pg-cluster.mjs")).href);
const T = { timeout: 60_000 };

let cluster;
after(() => cluster?.stop());

async function query(url, sql) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

test("a started cluster answers on its url: PostgreSQL 13 or later, on 127.0.0.1 only, fsync as asked", T, async (t) => {
  const started = performance.now();
  cluster = await startCluster({ fsync: false });
  t.diagnostic(`start: ${Math.round(performance.now() - started)} ms`);
  assert.equal(cluster.database, "cohort_sync");
  assert.equal(cluster.url, `postgres://postgres@127.0.0.1:${cluster.port}/cohort_sync`);
  assert.ok(existsSync(cluster.dir));

  const client = new pg.Client(cluster.url);
  await client.connect();
  try {
    assert.deepEqual((await client.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
    const [{ server_version_num: version }] = (await client.query("SHOW server_version_num")).rows;
    assert.ok(Number(version) >= 130000, `server_version_num ${version}`);
    assert.deepEqual((await client.query("SHOW listen_addresses")).rows, [{ listen_addresses: "127.0.0.1" }]);
    assert.deepEqual((await client.query("SHOW fsync")).rows, [{ fsync: "off" }]);
    assert.deepEqual((await client.query("SELECT current_database() AS db, current_user AS usr")).rows, [{ db: "cohort_sync", usr: "postgres" }]);
    assert.deepEqual((await client.query("SHOW server_encoding")).rows, [{ server_encoding: "UTF8" }]);
  } finally {
    await client.end();
  }
});

test("stop() shuts the server down and deletes its folder; a second stop() is a no-op", T, async (t) => {
  assert.ok(cluster, "the cluster started");
  const { url, dir } = cluster;
  const started = performance.now();
  await cluster.stop();
  t.diagnostic(`stop: ${Math.round(performance.now() - started)} ms`);
  assert.equal(existsSync(dir), false);
  await assert.rejects(query(url, "SELECT 1"), (error) => error.code === "ECONNREFUSED");
  await cluster.stop();
});
