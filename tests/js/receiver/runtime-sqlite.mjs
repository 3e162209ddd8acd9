// Run by runtimes.test.mjs in Bun or Deno: the runtime's own SQLite as sqliteSpace uses
// it (sqlite-runtimes.js, from the installed package), and a receiver on a database the
// caller opened. Prints one JSON line of what it saw; the test compares.
import { createRequire } from "node:module";
import { planSync } from "cohort-sync";
import { createReceiver } from "cohort-sync/receiver";
// Not an export of the package: the adapter itself, as the installed package has it.
import { adaptDatabase } from "../../../node_modules/cohort-sync/receiver/sqlite-runtimes.js";

const require = createRequire(import.meta.url);
const open = () => (typeof Bun !== "undefined" ? new (require("bun:sqlite").Database)(":memory:") : new (require("node:sqlite").DatabaseSync)(":memory:"));
const seen = {};

const db = adaptDatabase(open());
db.exec("CREATE TABLE t (n INTEGER NOT NULL); CREATE TABLE u (b BLOB)");
const insert = db.prepare("INSERT INTO t VALUES (?)");
seen.reader = [insert.reader, db.prepare("SELECT n FROM t").reader, db.prepare("INSERT INTO t VALUES (?) RETURNING n").reader, db.prepare("UPDATE t SET n = n").reader];
// An inner transaction that throws is undone alone; the outer one commits the rest.
db.transaction(() => {
  insert.run(1);
  try {
    db.transaction(() => {
      insert.run(2);
      throw new Error("inner");
    })();
  } catch {}
  insert.run(3);
})();
// An outer one that throws undoes everything, its inner transactions' work included.
try {
  db.transaction(() => {
    insert.run(4);
    db.transaction(() => insert.run(5))();
    throw new Error("outer");
  })();
} catch {}
seen.rows = db.prepare("SELECT n FROM t ORDER BY n").all().map((row) => row.n);
seen.changes = db.prepare("UPDATE t SET n = n + 10").run().changes;
seen.missing = String(db.prepare("SELECT n FROM t WHERE n = ?").get(99));
db.prepare("INSERT INTO u VALUES (?)").run(new Uint8Array([0, 1, 255]));
const blob = db.prepare("SELECT b FROM u").all()[0].b;
seen.blob = [blob instanceof Uint8Array, [...blob]];
db.close();

// A database opened by the caller: used as it is, and left open by close().
const raw = open();
const receiver = createReceiver({ db: raw, username: "u", password: "p", logEvents: false });
const auth = `Basic ${btoa("u:p")}`;
for (const body of planSync(null, ["a", "b", "c"], { projectId: "1", cohortId: "open", sessionId: "s1", batchSize: 2 })) {
  const res = await receiver.fetch(new Request("http://receiver.test/webhook", { method: "POST", headers: { authorization: auth }, body }));
  seen.statuses = [...(seen.statuses ?? []), res.status];
}
seen.members = (await (await receiver.fetch(new Request("http://receiver.test/cohorts/open/members", { headers: { authorization: auth } }))).json()).members;
await receiver.close();
seen.leftOpen = Number(raw.prepare("SELECT count(*) AS n FROM c1_members").get().n);
raw.close();

console.log(JSON.stringify(seen));
