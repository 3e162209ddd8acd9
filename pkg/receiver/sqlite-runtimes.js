// The SQLite store in Bun and Deno, on the runtime's own SQLite: better-sqlite3 is a
// native Node addon, which Bun may load but Deno does not, and each runtime carries a
// synchronous SQLite of its own (`bun:sqlite`; `node:sqlite`, which Deno 2 has). Each
// is shown to sqliteSpace as the part of better-sqlite3's API it uses: `prepare(text)`
// giving statements with `reader`, `all`, `get` and `run` (with `changes`), `exec(text)`
// running several statements, `transaction(fn)` that nests, and `close()`. BLOBs come
// back from both as Uint8Arrays, which sqlite.js turns into ArrayBuffers as it does
// better-sqlite3's Buffers.
//
// The runtime's module is required only when a file is opened in that runtime, so Node
// never looks for `bun:sqlite`, and neither runtime for better-sqlite3.
import { createRequire } from "node:module";
import process from "node:process";

/** Which runtime runs this: "bun", "deno" or "node". */
export function runtime() {
  if (process.versions?.bun) return "bun";
  if (process.versions?.deno) return "deno";
  return "node";
}

/**
 * `file` opened with the runtime's own SQLite, adapted (null in Node, whose store is
 * better-sqlite3). The pragmas are sqlite.js's, for the same reasons.
 */
export function openRuntimeDatabase(file) {
  const which = runtime();
  if (which === "node") return null;
  const require = createRequire(import.meta.url);
  const db = which === "bun" ? new (require("bun:sqlite").Database)(file) : new (require("node:sqlite").DatabaseSync)(file);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  return adaptDatabase(db);
}

/**
 * An open database as sqliteSpace uses it: better-sqlite3's Database as it is, Bun's
 * Database or a node:sqlite DatabaseSync adapted. `close()` closes the database given.
 */
export function adaptDatabase(db) {
  if (db === null || typeof db !== "object" || typeof db.prepare !== "function" || typeof db.exec !== "function") {
    throw new TypeError("db: expected a file name or an open SQLite database (better-sqlite3, bun:sqlite or node:sqlite)");
  }
  // better-sqlite3 alone has pragma(); Bun's Database has transaction() too, node:sqlite's neither.
  if (typeof db.pragma === "function") return db;
  if (typeof db.transaction === "function") return bunDatabase(db);
  return nodeSqliteDatabase(db);
}

/** bun:sqlite: its transaction() nests with savepoints as better-sqlite3's does. */
function bunDatabase(db) {
  return {
    prepare(text) {
      const statement = db.prepare(text);
      return {
        // columnNames, as older Bun statements have no `reader`.
        reader: statement.columnNames.length > 0,
        all: (...params) => statement.all(...params),
        // Bun's get() gives null for no row; better-sqlite3's, undefined.
        get: (...params) => statement.get(...params) ?? undefined,
        run: (...params) => statement.run(...params),
      };
    },
    exec: (text) => db.exec(text),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}

/** node:sqlite's DatabaseSync, which has no transaction helper: BEGIN, then SAVEPOINTs inside. */
function nodeSqliteDatabase(db) {
  let depth = 0;
  return {
    prepare(text) {
      const statement = db.prepare(text);
      return {
        reader: returnsRows(statement, text),
        all: (...params) => statement.all(...params),
        get: (...params) => statement.get(...params),
        run: (...params) => statement.run(...params),
      };
    },
    exec: (text) => db.exec(text),
    transaction: (fn) => (...args) => {
      const savepoint = `cohort_sync_${depth}`;
      const outer = depth === 0;
      db.exec(outer ? "BEGIN" : `SAVEPOINT ${savepoint}`);
      depth++;
      let result;
      try {
        result = fn(...args);
      } catch (error) {
        depth--;
        rollback(db, outer, savepoint);
        throw error;
      }
      depth--;
      try {
        db.exec(outer ? "COMMIT" : `RELEASE ${savepoint}`);
      } catch (error) {
        // A COMMIT that fails (a busy file) may leave the transaction open.
        rollback(db, outer, savepoint);
        throw error;
      }
      return result;
    },
    close: () => db.close(),
  };
}

function rollback(db, outer, savepoint) {
  if (outer) {
    // SQLite may have rolled back already (some errors end the transaction); the
    // error thrown is the one that ended it.
    if (db.isTransaction === false) return;
    try {
      db.exec("ROLLBACK");
    } catch {}
  } else {
    db.exec(`ROLLBACK TO ${savepoint}`);
    db.exec(`RELEASE ${savepoint}`);
  }
}

/** Whether a statement gives rows: its result columns, or, before node:sqlite had columns(), its text. */
function returnsRows(statement, text) {
  if (typeof statement.columns === "function") return statement.columns().length > 0;
  return /^\s*(?:SELECT|WITH|VALUES|PRAGMA)\b/i.test(text) || /\bRETURNING\b/i.test(text);
}
