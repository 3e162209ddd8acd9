// Assertions about thrown errors, shared by the test files.
import assert from "node:assert/strict";
import { CohortSyncError } from "cohort-sync";

/** The error `fn` throws; fails unless it is a CohortSyncError with `code`. */
export function thrown(fn, code) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected a CohortSyncError ${code}, nothing was thrown`);
  assert.ok(error instanceof CohortSyncError, `not a CohortSyncError: ${error?.stack ?? error}`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "CohortSyncError");
  assert.equal(error.code, code, error.message);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0);
  assert.ok(Array.isArray(error.problems));
  return error;
}

/** What `fn` throws (it must throw). */
export function captured(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected a throw");
}
