// Rows of a SQLite query, stepped one at a time by better-sqlite3's iterate(), so only
// the current row is in memory. Integers come as bigints from SQLite (safeIntegers) and
// become numbers where that is exact; columns keep the query's order, and a name used
// twice keeps its last value. better-sqlite3 is an optional peer dependency, loaded only
// when a SQLite source is opened.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { exactInteger, finiteOrText, newRow, sourceError } from "./values.js";

function loadDriver() {
  try {
    return createRequire(import.meta.url)("better-sqlite3");
  } catch (error) {
    throw sourceError("source_error", "the SQLite source needs better-sqlite3 12.x: npm install better-sqlite3", error);
  }
}

/** `{ rows(), close() }` of `{ sqlite, query, params }`; a missing file or bad query throws here. */
export function openSqlite(spec) {
  if (typeof spec.query !== "string" || spec.query.trim() === "") throw new TypeError("sqlite: `query` must be an SQL text");
  let db = spec.sqlite;
  const owned = typeof db === "string";
  if (owned) {
    if (db !== ":memory:" && !existsSync(db)) throw sourceError("source_not_found", `no such SQLite file: ${db}`);
    const Database = loadDriver();
    try {
      // Read only: a source never writes, and opening it must not create a file.
      db = db === ":memory:" ? new Database(db) : new Database(db, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw sourceError("source_error", `cannot open the SQLite file ${spec.sqlite}: ${error.message}`, error);
    }
  } else if (typeof db?.prepare !== "function") {
    throw new TypeError("sqlite: give a file name or an open better-sqlite3 Database");
  }

  let statement;
  try {
    statement = db.prepare(spec.query);
    if (!statement.reader) throw new Error("the query returns no rows (a source's query must be a SELECT)");
    statement.safeIntegers(true);
    statement.raw(true);
  } catch (error) {
    if (owned) db.close();
    throw sourceError("source_error", `SQLite query failed: ${error.message}`, error);
  }
  const columns = statement.columns().map((column) => column.name);

  let iterator = null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    // An unfinished iterator keeps the connection busy; it is ended before the close.
    iterator?.return?.();
    if (owned) db.close();
  };

  function* rows() {
    if (closed) return;
    const params = spec.params;
    try {
      iterator = params === undefined ? statement.iterate() : Array.isArray(params) ? statement.iterate(...params) : statement.iterate(params);
    } catch (error) {
      throw sourceError("source_error", `SQLite query failed: ${error.message}`, error);
    }
    let n = 0;
    try {
      for (;;) {
        let next;
        try {
          next = iterator.next();
        } catch (error) {
          throw sourceError("source_error", `SQLite query failed: ${error.message}`, error);
        }
        if (next.done) return;
        const values = next.value;
        const row = newRow();
        for (let i = 0; i < columns.length; i++) row[columns[i]] = value(values[i]);
        yield { n: ++n, row };
      }
    } finally {
      // Left early or not, the statement is reset so the connection is free again.
      iterator?.return?.();
      iterator = null;
    }
  }

  return { rows, close, columns };
}

function value(v) {
  if (typeof v === "bigint") return exactInteger(v);
  if (typeof v === "number") return finiteOrText(v);
  return v; // null, string, Buffer (a Uint8Array)
}
