// The drivers of the receiver's transactions (database.js): a step function yields
// statements, and `yield*` runs another step function. `yield` where `yield*` was meant
// hands the driver a generator instead of a statement; the drivers refuse it (and
// anything else that is not a statement) with an error that says to use `yield*`,
// thrown into the steps so their `finally` blocks run and the transaction rolls back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSteps, runStepsAsync, sql, storageDatabase } from "../../../node_modules/cohort-sync/receiver/database.js";
import { openDatabase, sqliteSpace } from "../../../node_modules/cohort-sync/receiver/sqlite.js";

const HINT = /not a statement.*use yield\*/;
const fakeCursor = { rowsWritten: 1, toArray: () => [], one: () => ({}), [Symbol.iterator]: () => [][Symbol.iterator]() };

/** A step function whose inner step is run with `yield`, as if `*` were forgotten; `seen` says what ran. */
function forgetfulSteps(seen) {
  function* insert() {
    yield sql("INSERT INTO t (x) VALUES (?)", 2);
  }
  return function* () {
    try {
      yield sql("INSERT INTO t (x) VALUES (?)", 1);
      yield insert();
      seen.push("after");
      return "committed";
    } finally {
      seen.push("finally");
    }
  };
}

test("runSteps refuses a yielded generator, before exec sees it, and says to use yield*", () => {
  const seen = [];
  const executed = [];
  const exec = (statement) => (executed.push(statement), fakeCursor);
  assert.throws(() => runSteps(forgetfulSteps(seen)(), exec), (error) => error instanceof TypeError && HINT.test(error.message) && /generator/.test(error.message));
  assert.deepEqual(executed.map((s) => s.params), [[1]], "only the one real statement ran");
  assert.deepEqual(seen, ["finally"], "the error is thrown into the steps: their finally ran, the rest did not");
});

test("runStepsAsync refuses it the same way", async () => {
  const seen = [];
  const executed = [];
  const exec = async (statement) => (executed.push(statement), fakeCursor);
  await assert.rejects(runStepsAsync(forgetfulSteps(seen)(), exec), (error) => error instanceof TypeError && HINT.test(error.message));
  assert.deepEqual(executed.map((s) => s.params), [[1]]);
  assert.deepEqual(seen, ["finally"]);
});

test("anything else that is not a statement is refused too; statements of either form pass", async () => {
  const bad = [undefined, null, 42, "SELECT 1", [], {}, { text: "SELECT 1" }, { params: [] }, { text: { sqlite: "SELECT 1" }, params: [] }, Promise.resolve()];
  for (const value of bad) {
    const exec = () => assert.fail(`exec was given ${String(value)}`);
    assert.throws(() => runSteps((function* () { yield value; })(), exec), HINT, `sync: ${String(value)}`);
    await assert.rejects(runStepsAsync((function* () { yield value; })(), exec), HINT, `async: ${String(value)}`);
  }
  const good = [sql("SELECT 1"), sql({ sqlite: "SELECT 1", pg: "SELECT 1" }, 7)];
  const steps = function* () {
    const out = [];
    for (const statement of good) out.push((yield statement).rowsWritten);
    return out;
  };
  assert.deepEqual(runSteps(steps(), () => fakeCursor), [1, 1]);
  assert.deepEqual(await runStepsAsync(steps(), async () => fakeCursor), [1, 1]);
});

test("on SQLite, the transaction with the forgotten yield* rolls back whole", async () => {
  const file = openDatabase(":memory:");
  try {
    const db = storageDatabase(sqliteSpace(file, "steps_"));
    db.schema("CREATE TABLE IF NOT EXISTS t (x INTEGER)");
    const seen = [];
    await assert.rejects(db.transaction(forgetfulSteps(seen)), HINT);
    assert.deepEqual(seen, ["finally"]);
    const count = () => db.transaction(function* () {
      return (yield sql("SELECT count(*) AS n FROM t")).one().n;
    });
    assert.equal(await count(), 0, "the statement before the mistake was rolled back");
    // The same steps with yield* commit both rows.
    function* insert() {
      yield sql("INSERT INTO t (x) VALUES (?)", 2);
    }
    await db.transaction(function* () {
      yield sql("INSERT INTO t (x) VALUES (?)", 1);
      yield* insert();
    });
    assert.equal(await count(), 2);
  } finally {
    file.close();
  }
});
