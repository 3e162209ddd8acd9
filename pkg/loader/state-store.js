// Where a load keeps what it sent between runs: a SQLite file (better-sqlite3, the
// default `.cohort-sync-load.db`), or a PostgreSQL database (`{ postgres: url | Pool }`)
// for loads run from more than one machine. It holds, per load name, the LoadState's bytes (the
// wasm's compact key → checksum table, in parts of at most 16 MB) and a journal of what
// each batch's 2xx (or its giving up) changed since those bytes were written. A batch
// is journalled only after its answer, and the journal is replayed on the next start:
// a process killed at any point loses at most the batches in flight, which the next run
// sends again (Mixpanel keeps one event per `$insert_id`). At the end of a run the
// bytes are written anew and the journal emptied, in one transaction.
import { createRequire } from "node:module";
import { openPostgresStateStore } from "./state-store-postgres.js";

const PART_BYTES = 16 * 1024 * 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS load_state (name TEXT NOT NULL, part INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (name, part)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS load_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, kind TEXT NOT NULL, keys BLOB NOT NULL, records BLOB);
CREATE TABLE IF NOT EXISTS load_keys (name TEXT NOT NULL, hash INTEGER NOT NULL, who TEXT NOT NULL, props TEXT NOT NULL, PRIMARY KEY (name, hash)) WITHOUT ROWID;
`;

/**
 * The store at `target` (a file name, an open better-sqlite3 Database, or `{ postgres }`)
 * for the load called `name`: `{ read(), journal(kind, keys, records), keepKeys(entries),
 * keyOf(hash), dropKeys(hashes), write(bytes), close() }`, each resolving when durable.
 */
export async function openStateStore(target, name) {
  if (target !== null && typeof target === "object" && "postgres" in target) return openPostgresStateStore(target.postgres, name);
  let db = target;
  if (typeof target === "string") {
    let Database;
    try {
      Database = createRequire(import.meta.url)("better-sqlite3");
    } catch (error) {
      throw new Error("the load's state file needs better-sqlite3 12.x: npm install better-sqlite3", { cause: error });
    }
    db = new Database(target);
    db.pragma("journal_mode = WAL");
    // A batch is journalled once Mixpanel took it: that must survive a power cut too.
    db.pragma("synchronous = FULL");
  }
  db.exec(SCHEMA);
  const parts = db.prepare("SELECT bytes FROM load_state WHERE name = ? ORDER BY part");
  const entries = db.prepare("SELECT kind, keys, records FROM load_journal WHERE name = ? ORDER BY seq");
  const append = db.prepare("INSERT INTO load_journal (name, kind, keys, records) VALUES (?, ?, ?, ?)");
  const clearState = db.prepare("DELETE FROM load_state WHERE name = ?");
  const clearJournal = db.prepare("DELETE FROM load_journal WHERE name = ?");
  const addPart = db.prepare("INSERT INTO load_state (name, part, bytes) VALUES (?, ?, ?)");
  const keepKey = db.prepare(
    "INSERT INTO load_keys (name, hash, who, props) VALUES (?, ?, ?, ?) ON CONFLICT (name, hash) DO UPDATE SET who = excluded.who, props = excluded.props",
  );
  const keyOf = db.prepare("SELECT who, props FROM load_keys WHERE name = ? AND hash = ?");
  const dropKey = db.prepare("DELETE FROM load_keys WHERE name = ? AND hash = ?");
  // SQLite's integers are signed: a 64-bit hash is kept as its two's complement.
  const signed = (hash) => BigInt.asIntN(64, hash);
  return {
    /** `{ bytes, journal }`: the state's bytes (null for a first run) and the entries since. */
    read() {
      const chunks = parts.all(name).map((row) => row.bytes);
      const bytes = chunks.length === 0 ? null : new Uint8Array(Buffer.concat(chunks));
      return { bytes, journal: entries.all(name) };
    },
    /** Records what a batch changed: `kind` "sent" (keys and records) or "failed" (keys). */
    journal(kind, keys, records = null) {
      append.run(name, kind, keys, records);
    },
    /**
     * Who each sent profile row is and which properties it set (`[{ hash, who, props }]`,
     * `who` the record's identity as JSON members): what a removal needs, since the state
     * keeps only hashes.
     */
    keepKeys(entries) {
      db.transaction(() => {
        for (const { hash, who, props } of entries) keepKey.run(name, signed(hash), who, JSON.stringify(props));
      })();
    },
    /** The kept identity of a key hash, or null. */
    keyOf(hash) {
      const row = keyOf.get(name, signed(hash));
      return row === undefined ? null : { who: row.who, props: JSON.parse(row.props) };
    },
    dropKeys(hashes) {
      db.transaction(() => {
        for (const hash of hashes) dropKey.run(name, signed(hash));
      })();
    },
    /** The state's new bytes, in place of the old ones and the journal. */
    write(bytes) {
      db.transaction(() => {
        clearState.run(name);
        clearJournal.run(name);
        for (let at = 0, part = 0; at < bytes.length || part === 0; at += PART_BYTES, part++) {
          addPart.run(name, part, bytes.subarray(at, at + PART_BYTES));
        }
      })();
    },
    close() {
      if (typeof target === "string") db.close();
    },
  };
}
