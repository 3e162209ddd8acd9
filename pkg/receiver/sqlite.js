// The storage interface of storage.md over better-sqlite3 (or Bun's or Deno's own SQLite),
// for the Node host: one SQLite file holds the registry, the profiles and every cohort,
// each in tables of its own (a "space": its tables' names carry its prefix,
// `c17_members`). Tables rather than one file per cohort, so the receiver is the one
// file an operator copies or backs up, and a cohort's transaction is still a
// transaction of that file; tables rather than a cohort column in shared tables, so the
// SQL and its query plans are exactly the Durable Object's, where each cohort has a
// database of its own.
//
// better-sqlite3 is loaded only here, and only when a receiver opens a file by name in
// Node: it is an optional peer dependency of the package, needed by the SQLite store
// alone. Bun and Deno open the file with their own SQLite (sqlite-runtimes.js).
import { createRequire } from "node:module";
import { cursor, withArrayBuffers } from "./database.js";
import { tableNames } from "./space.js";
import { adaptDatabase, openRuntimeDatabase } from "./sqlite-runtimes.js";

/**
 * A database as sqliteSpace uses it (better-sqlite3's API): `db` itself when it is an open
 * database (bun:sqlite's and node:sqlite's adapted), else the file it names, opened with
 * the runtime's SQLite: better-sqlite3 in Node, bun:sqlite in Bun, node:sqlite in Deno.
 */
export function openDatabase(db) {
  if (typeof db !== "string") return adaptDatabase(db);
  const own = openRuntimeDatabase(db);
  if (own !== null) return own;
  let Database;
  try {
    Database = createRequire(import.meta.url)("better-sqlite3");
  } catch (error) {
    throw new Error('the SQLite store needs better-sqlite3 12.x: npm install better-sqlite3', { cause: error });
  }
  const opened = new Database(db);
  // WAL: reads do not wait for a writer. FULL: a commit is on disk when it returns, so a
  // 200 (sent after the commit) survives a power cut, as a Durable Object's write does.
  opened.pragma("journal_mode = WAL");
  opened.pragma("synchronous = FULL");
  return opened;
}

/** One space of `db`: `{ sql, transactionSync, deleteAll }` (storage.md), its tables named `${prefix}…`. */
export function sqliteSpace(db, prefix) {
  // Each statement is rewritten for the space's tables and prepared once.
  const { tables, learn, local } = tableNames(prefix, () => statements.clear());
  const statements = new Map();
  const prepared = (text) => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(local(text));
      statements.set(text, statement);
    }
    return statement;
  };
  const sql = {
    exec(text, ...params) {
      if (params.length === 0 && /^\s*CREATE\s/i.test(text)) {
        // A schema: several statements, which only db.exec runs.
        learn(text);
        db.exec(local(text));
        return cursor([], 0);
      }
      const statement = prepared(text);
      const bound = params.map(bindable);
      if (statement.reader) return cursor(statement.all(...bound).map(withArrayBuffers), 0);
      return cursor([], statement.run(...bound).changes);
    },
  };
  return {
    sql,
    tableName: (name) => prefix + name,
    transactionSync: (fn) => db.transaction(fn)(),
    deleteAll() {
      db.transaction(() => {
        for (const name of tables) {
          if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(prefix + name)) {
            db.exec(`DROP TABLE ${prefix}${name}`);
          }
        }
      })();
      statements.clear();
    },
  };
}

/** A parameter as better-sqlite3 binds it: BLOBs come as ArrayBuffers (as workerd takes them). */
function bindable(value) {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

