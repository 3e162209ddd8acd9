// The receiver's objects run on two kinds of store: synchronous ones (a Durable Object's
// SQLite, better-sqlite3 in Node), whose transactions may not await anything, and
// PostgreSQL, where every statement is a round trip to await. So each transaction is
// written once, as a generator that yields the statements it runs and is handed back
// their rows:
//
//   const size = await db.transaction(function* () {
//     return (yield sql("SELECT count(*) AS n FROM page_log")).one().n;
//   });
//
// and each store drives it its own way: at once inside SQLite's transaction, or
// awaiting each statement between PostgreSQL's BEGIN and COMMIT. Inside one, `yield*`
// runs another such step function in the same transaction.
//
// A database (what Cohort, Profiles and Registry are given):
// - `transaction(start)`: runs the generator `start()` returns in one transaction;
//   resolves to what it returns; a throw rolls it back.
// - `schema(text)`: the tables the object needs, created before its first transaction
//   (and again after `deleteAll`), never before: a read of an object that was never
//   written asks `exists()` first, so it stores nothing.
// - `exists()`: whether the object's tables were ever made (by any process).
// - `getAlarm()`, `setAlarm(ms)`, `deleteAlarm()`: the object's one alarm; the host
//   calls the object's `alarm()` when it is due.
// - `exclusive(name, fn)`: runs `fn(renew)` unless another process of the same store
//   runs it (then resolves to undefined): delivery, which must not run twice at once.
// - `shared`: whether other processes write the same store (PostgreSQL), so that what
//   an object read in an earlier transaction may be out of date.
// - `deleteAll()`: forgets everything stored, the tables included.

/**
 * A statement: SQLite's text with `?` parameters (the PostgreSQL store translates
 * placeholders and types), or `{ sqlite, pg }` where the two dialects differ.
 */
export function sql(text, ...params) {
  return { text, params };
}

/**
 * `value` when it is a statement. Anything else yielded is a mistake, above all
 * `yield steps()` written for `yield* steps()`, which hands the driver a generator whose
 * statements never run. It is refused here, with an error that names the cause, before a
 * store's exec reads it (and fails, if it does, on a missing `text` that says nothing of why).
 */
function statement(value) {
  const text = value?.text;
  if (Array.isArray(value?.params) && (typeof text === "string" || (typeof text?.sqlite === "string" && typeof text?.pg === "string"))) return value;
  const what = typeof value?.next === "function" ? "a generator (or iterator)" : value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object that is no statement" : typeof value;
  throw new TypeError(`a transaction step yielded ${what}, not a statement (sql(…)): to run another step function, use yield* (not yield)`);
}

/**
 * Runs the steps of a transaction synchronously: `exec(statement)` gives each yielded
 * statement its cursor. A failed statement, or a yielded value that is no statement, is
 * thrown into the steps, so their `finally` blocks run before the store rolls back.
 */
export function runSteps(steps, exec) {
  let step = steps.next();
  while (!step.done) {
    let rows;
    try {
      rows = exec(statement(step.value));
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(rows);
  }
  return step.value;
}

/** runSteps for an asynchronous store: `exec(statement)` resolves to the cursor. */
export async function runStepsAsync(steps, exec) {
  let step = steps.next();
  while (!step.done) {
    let rows;
    try {
      rows = await exec(statement(step.value));
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(rows);
  }
  return step.value;
}

/** What workerd's SQL cursor offers, over rows in hand: iteration, `toArray()`, `one()`, `rowsWritten`. */
export function cursor(rows, rowsWritten) {
  return {
    rowsWritten,
    toArray: () => rows,
    one() {
      if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}`);
      return rows[0];
    },
    [Symbol.iterator]: () => rows[Symbol.iterator](),
  };
}

/**
 * A row as workerd gives it: BLOBs as ArrayBuffers (better-sqlite3 and pg give Buffers,
 * Bun and node:sqlite Uint8Arrays). Changed in place.
 */
export function withArrayBuffers(row) {
  for (const key in row) {
    const value = row[key];
    if (value instanceof Uint8Array) row[key] = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  }
  return row;
}

/**
 * A database over storage.md's synchronous interface: a Durable Object's `ctx.storage`
 * as it is, or the Node host's SQLite space (sqlite.js, whose `tableName(name)` gives a
 * table's name in the file).
 */
export function storageDatabase(storage) {
  const exec = ({ text, params }) => storage.sql.exec(typeof text === "string" ? text : text.sqlite, ...params);
  const schemas = [];
  let made = false;
  const make = () => {
    if (made) return;
    for (const text of schemas) storage.sql.exec(text);
    made = true;
  };
  return {
    dialect: "sqlite",
    transaction(start) {
      try {
        make();
        return Promise.resolve(storage.transactionSync(() => runSteps(start(), exec)));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    schema(text) {
      schemas.push(text);
      made = false;
    },
    async exists() {
      if (made) return true;
      const table = firstTable(schemas);
      if (table === null) return false;
      const name = storage.tableName?.(table) ?? table;
      return storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", name).one().n > 0;
    },
    getAlarm: () => storage.getAlarm(),
    setAlarm: (at) => storage.setAlarm(at),
    deleteAlarm: () => storage.deleteAlarm(),
    // One process holds the store (a Durable Object, or the Node host's file).
    exclusive: (name, fn) => fn(async () => true),
    shared: false,
    async deleteAll() {
      // Made first, so a store that learns its tables from the schema knows what to drop.
      make();
      await storage.deleteAll();
      made = false;
    },
  };
}

/** The first table the schemas create: the one whose presence says they were made. */
export function firstTable(schemas) {
  for (const text of schemas) {
    const found = /CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)/i.exec(text);
    if (found) return found[1];
  }
  return null;
}
