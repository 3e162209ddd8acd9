// Where a load keeps what it sent between runs: a SQLite file (better-sqlite3, the
// default `.cohort-sync-load.db`), or a PostgreSQL database (`{ postgres: url | Pool }`)
// for loads run from more than one machine. It holds, per load name, the LoadState's bytes (the
// wasm's compact key → checksum table, in parts of about 2 MiB) and a journal of what
// each batch's 2xx (or its giving up) changed since those bytes were written. A batch
// is journalled only after its answer, and the journal is replayed on the next start:
// a process killed at any point loses at most the batches in flight, which the next run
// sends again (Mixpanel keeps one event per `$insert_id`). At the end of a run the
// bytes are written anew and the journal emptied, in one transaction.
import { createRequire } from "node:module";
import { openPostgresStateStore } from "./state-store-postgres.js";
import { bytesOf, hashesOf } from "./words.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS load_state (name TEXT NOT NULL, part INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (name, part)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS load_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, kind TEXT NOT NULL, keys BLOB NOT NULL, records BLOB);
CREATE TABLE IF NOT EXISTS load_identities (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, count INTEGER NOT NULL, hashes BLOB NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS load_identities_name ON load_identities (name, seq);
CREATE TABLE IF NOT EXISTS load_blocks (name TEXT NOT NULL, key BLOB NOT NULL, run INTEGER NOT NULL, hashes BLOB NOT NULL, PRIMARY KEY (name, key)) WITHOUT ROWID;
`;

/** Identities a compaction reads into memory at once, at most (about 150 bytes each). */
const COMPACT_ENTRIES = 500_000;
/** Identities a compacted row holds. */
const COMPACTED_ROW = 10_000;

/**
 * The store at `target` (a file name, an open better-sqlite3 Database, or `{ postgres }`)
 * for the load called `name` (`compactEntries`: see COMPACT_ENTRIES): `{ read(), journal(kind, keys, records), keepKeys(entries),
 * keysOf(hashes), dropKeys(hashes), compact(liveKeys), write(bytes), close() }`, each
 * resolving when durable.
 */
export async function openStateStore(target, name, { compactEntries = COMPACT_ENTRIES } = {}) {
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
    // In WAL mode NORMAL loses no commit to a killed process, only to a power cut, and a
    // journal entry lost so is a batch sent again next run: Mixpanel keeps one event per
    // `$insert_id`, and a profile's `$set` sent twice sets the same values. (FULL, with
    // each record's text journalled, was 9% of a 200k-event load's CPU profile.)
    db.pragma("synchronous = NORMAL");
  }
  db.exec(SCHEMA);
  const parts = db.prepare("SELECT bytes FROM load_state WHERE name = ? ORDER BY part");
  const entries = db.prepare("SELECT kind, keys, records FROM load_journal WHERE name = ? ORDER BY seq");
  const append = db.prepare("INSERT INTO load_journal (name, kind, keys, records) VALUES (?, ?, ?, ?)");
  const clearState = db.prepare("DELETE FROM load_state WHERE name = ?");
  const clearJournal = db.prepare("DELETE FROM load_journal WHERE name = ?");
  const addPart = db.prepare("INSERT INTO load_state (name, part, bytes) VALUES (?, ?, ?)");
  const addIdentities = db.prepare("INSERT INTO load_identities (name, count, hashes, data) VALUES (?, ?, ?, ?)");
  const identityRows = db.prepare("SELECT seq, hashes, data FROM load_identities WHERE name = ? ORDER BY seq DESC");
  const identityCount = db.prepare("SELECT coalesce(sum(count), 0) AS count, coalesce(max(seq), 0) AS last FROM load_identities WHERE name = ?");
  const clearIdentities = db.prepare("DELETE FROM load_identities WHERE name = ? AND seq <= ?");
  const blockHashes = db.prepare("SELECT hashes FROM load_blocks WHERE name = ? AND key = ?").pluck();
  const touchBlock = db.prepare("UPDATE load_blocks SET run = ? WHERE name = ? AND key = ?");
  const putBlock = db.prepare("INSERT OR REPLACE INTO load_blocks (name, key, run, hashes) VALUES (?, ?, ?, ?)");
  const dropBlocks = db.prepare("DELETE FROM load_blocks WHERE name = ? AND run <> ?");
  const run = Date.now();
  // A load with no block kept (a first run) asks for none: every lookup would miss.
  const blocksKept = db.prepare("SELECT EXISTS (SELECT 1 FROM load_blocks WHERE name = ?) AS any").get(name).any === 1;
  // Memo writes, 64 at a time in one transaction (a commit a block was a tenth of a first
  // run's CPU): a block read (bytes) or found again (null, marked as this run's). One lost
  // to a crash is only a block read again next time.
  let blockWrites = [];
  const writeBlocks = db.transaction(() => {
    for (const [key, bytes] of blockWrites) {
      if (bytes === null) touchBlock.run(run, name, key);
      else putBlock.run(name, key, run, bytes);
    }
    blockWrites = [];
  });
  const queueBlock = (key, bytes) => {
    blockWrites.push([key, bytes]);
    if (blockWrites.length >= 64) writeBlocks();
  };
  const keep = (entries) => {
    const hashes = BigUint64Array.from(entries, (e) => e.hash);
    addIdentities.run(name, entries.length, bytesOf(hashes), identityData(entries));
  };
  // Each identity row's entries, newest row first (within a row, later entries are newer).
  function* identities() {
    for (const row of identityRows.iterate(name)) yield { hashes: hashesOf(row.hashes), data: () => JSON.parse(row.data) };
  }
  return {
    /**
     * `{ parts, journal }`: the state's bytes as an iterable of parts, read one at a time
     * (none for a first run), and the journal's entries since.
     */
    read() {
      return { parts: (function* () {
        for (const row of parts.iterate(name)) yield row.bytes;
      })(), journal: entries.all(name) };
    },
    /**
     * Records what a batch changed: `kind` "sent-hashes" (its rows' key hash and record
     * checksum pairs) or "failed-hashes" (key hashes), as bytes.
     */
    journal(kind, keys, records = null) {
      append.run(name, kind, keys, records);
    },
    /**
     * Who each sent profile row is and which properties it set (`[{ hash, who, props }]`,
     * `who` the record's identity as JSON members): what a removal needs, since the state
     * keeps only hashes. One row a batch, appended: a row a key, upserted at random
     * places in a B-tree, wrote ~40 µs of pages a key here (more than the load itself).
     */
    keepKeys(entries) {
      if (entries.length > 0) keep(entries);
    },
    /** The kept identities of `hashes` (a Set of bigints): a Map of those found. */
    keysOf(hashes) {
      const found = new Map();
      if (hashes.size === 0) return found;
      for (const row of identities()) {
        let data = null;
        for (let i = row.hashes.length - 1; i >= 0; i--) {
          const hash = row.hashes[i];
          if (!hashes.has(hash) || found.has(hash)) continue;
          data ??= row.data();
          found.set(hash, identityAt(data, i));
        }
        if (found.size === hashes.size) break;
      }
      return found;
    },
    /**
     * The block memo (load.js, blocks): the key hash and record checksum pairs a block of
     * source bytes gave (a pure function of the bytes, the mapping and the code), so that
     * a later run can plan a block it has read before without reading its rows. Never a
     * record of what was sent: the plan against the state says that.
     */
    blocks: {
      get(key) {
        if (!blocksKept) return undefined;
        const bytes = blockHashes.get(name, key);
        if (bytes === undefined) return undefined;
        queueBlock(key, null);
        return hashesOf(bytes);
      },
      put(key, hashes) {
        queueBlock(key, bytesOf(hashes));
      },
      /** Forgets the blocks this run did not read. */
      keepRead() {
        writeBlocks();
        dropBlocks.run(name, run);
      },
    },
    /** Forgotten keys need nothing dropped: only keys the state knows are ever looked up. */
    dropKeys() {},
    /**
     * Keeps one identity a key once the rows hold more than twice `liveKeys` (resent
     * rows append theirs again): read in passes of at most COMPACT_ENTRIES by the top
     * bits of the hash, newest first, written back in rows of COMPACTED_ROW.
     */
    compact(liveKeys) {
      const { count, last } = identityCount.get(name);
      if (count <= 2 * liveKeys + COMPACTED_ROW) return false;
      db.transaction(() => {
        const passes = 2 ** Math.ceil(Math.log2(Math.max(1, count / compactEntries)));
        const shift = BigInt(64 - Math.log2(passes));
        for (let pass = 0; pass < passes; pass++) {
          const kept = new Map();
          for (const row of identities()) {
            let data = null;
            for (let i = row.hashes.length - 1; i >= 0; i--) {
              const hash = row.hashes[i];
              if ((passes > 1 && Number(hash >> shift) !== pass) || kept.has(hash)) continue;
              data ??= row.data();
              kept.set(hash, identityAt(data, i));
            }
          }
          const entries = [...kept].map(([hash, { who, props }]) => ({ hash, who, props }));
          for (let at = 0; at < entries.length; at += COMPACTED_ROW) keep(entries.slice(at, at + COMPACTED_ROW));
        }
        clearIdentities.run(name, last);
      })();
      return true;
    },
    /**
     * The state's new bytes, in place of the old ones and the journal: an iterable of
     * parts (LoadState.toParts), each stored as it comes, so the whole is never held.
     */
    write(bytesParts) {
      db.transaction(() => {
        clearState.run(name);
        clearJournal.run(name);
        let part = 0;
        for (const bytes of bytesParts) addPart.run(name, part++, bytes);
      })();
    },
    close() {
      if (typeof target === "string") db.close();
    },
  };
}

// A batch's identities as one JSON text: each row's `who`, and its property names as an
// index into the distinct lists (a table's rows mostly set the same properties).
function identityData(entries) {
  const lists = [];
  const index = new Map();
  const of = entries.map(({ props }) => {
    const key = JSON.stringify(props);
    if (!index.has(key)) {
      index.set(key, lists.length);
      lists.push(props);
    }
    return index.get(key);
  });
  return JSON.stringify({ who: entries.map((e) => e.who), lists, of });
}

function identityAt(data, i) {
  return { who: data.who[i], props: data.lists[data.of[i]] };
}
