// `cohort-sync serve` as npm installs it (node_modules/.bin/cohort-sync): a receiver on a
// SQLite file that takes a sync, keeps it across a restart on the same file, fails closed
// without credentials and stops cleanly on SIGTERM and SIGINT.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { planSync } from "cohort-sync";
import { BIN, serve } from "./serve-process.mjs";

const tmp = mkdtempSync(join(tmpdir(), "cohort-sync-serve-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const T = { timeout: 60_000 };
const auth = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const CREDENTIALS = { WEBHOOK_USERNAME: "mixpanel", WEBHOOK_PASSWORD: "s3cret" };
const AUTH = auth("mixpanel", "s3cret");

test("serve takes a sync on a SQLite file and keeps it across a restart; SIGTERM and SIGINT stop it with 0", T, async () => {
  const db = join(tmp, "cohorts.db");
  const ids = Array.from({ length: 30 }, (_, i) => `user-${i}`);
  let s = await serve(["--db", db], CREDENTIALS);
  assert.match(s.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  for (const body of planSync(null, ids, { projectId: "1", cohortId: "served", cohortName: "Served", sessionId: "s1", batchSize: 10 })) {
    const r = await fetch(`${s.origin}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json" }, body });
    assert.equal(r.status, 200, await r.text());
  }
  let stopped = await s.stop("SIGTERM");
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /stopped \(SIGTERM\)/);

  s = await serve(["--db", db], CREDENTIALS);
  const info = await fetch(`${s.origin}/cohorts/served`, { headers: { authorization: AUTH } });
  assert.equal(info.status, 200);
  assert.equal((await info.json()).size, 30);
  const wrong = await fetch(`${s.origin}/cohorts/served`, { headers: { authorization: auth("mixpanel", "nope") } });
  assert.equal(wrong.status, 401);
  stopped = await s.stop("SIGINT");
  assert.equal(stopped.code, 0, stopped.stderr);
});

test("without credentials serve fails closed, with the Worker's message", T, async () => {
  const s = await serve(["--db", join(tmp, "closed.db")]);
  const r = await fetch(`${s.origin}/webhook`, { method: "POST", headers: { authorization: AUTH }, body: "{}" });
  assert.equal(r.status, 401);
  assert.match((await r.json()).error.message, /no credentials configured \(set WEBHOOK_USERNAME and WEBHOOK_PASSWORD\)/);
  assert.equal((await fetch(`${s.origin}/cohorts`)).status, 401);
  const stopped = await s.stop();
  assert.match(stopped.stderr, /no credentials configured: every request is refused/);
});

test("usage errors exit 2 with the command's words", T, async () => {
  const run = (args) =>
    new Promise((resolve) => {
      const child = spawn(BIN, ["serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (c) => (stderr += c));
      child.on("exit", (code) => resolve({ code, stderr }));
    });
  const bad = await run(["--port", "eighty"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^cohort-sync serve: --port must be a whole number from 0 to 65535, got "eighty"\nTry 'cohort-sync serve --help'\.\n$/);
  assert.match((await run(["--dbb", "x"])).stderr, /unknown option --dbb \(did you mean --db\?\)/);
  const both = await run(["--db", "x.db", "--postgres", "postgres://u@127.0.0.1/db"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give --db or --postgres, not both/);
  assert.equal((await run(["--postgres="])).code, 2);
});

test("a PostgreSQL server that cannot be reached: exit 1, the reason, and no password shown", T, async () => {
  const failed = await new Promise((resolve) => {
    const child = spawn(BIN, ["serve", "--postgres", "postgres://mixpanel:hunter2@127.0.0.1:1/cohorts"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /cannot open postgres:\/\/mixpanel:\*\*\*@127\.0\.0\.1:1\/cohorts: .*ECONNREFUSED/);
  assert.doesNotMatch(failed.stderr, /hunter2/);
});
