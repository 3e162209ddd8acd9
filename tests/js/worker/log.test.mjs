// The Worker's events as Analytics Engine data points (the receiver's log.js): which field
// goes where, so that a query written against the layout README documents keeps working.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dataPoint, eventSinks, logEvent } from "cohort-sync/receiver";

test("each event's fields go to the documented blobs, doubles and index", () => {
  assert.deepEqual(dataPoint("page", { cohort: "98765", session: "s-1", action: "members", page: 2, total: 3, members: 1000, status: 200, ms: 4 }), {
    blobs: ["page", "98765", "members", "s-1", ""],
    doubles: [200, 4, 1000, 2, 3],
    indexes: ["98765"],
  });
  assert.deepEqual(dataPoint("applied", { cohort: "98765", session: "s-1", action: "add_members", page: null, total: null, added: 10, removed: 2, duplicate: false, sessionComplete: true }), {
    blobs: ["applied", "98765", "add_members", "s-1"],
    doubles: [10, 2, 0, 0, 0, 1],
    indexes: ["98765"],
  });
  assert.deepEqual(dataPoint("delivery", { object: "cohort:abc", destination: "clevertap", status: "dead", attempt: 1, ms: 12, error: "HTTP 400: no" }), {
    blobs: ["delivery", "cohort:abc", "clevertap", "dead", "HTTP 400: no"],
    doubles: [1, 12],
    indexes: ["cohort:abc"],
  });
});

test("a refused page names its problem; long text is cut to what a data point holds", () => {
  const point = dataPoint("page", { cohort: "x".repeat(500), status: 400, problem: "too_long", ms: 1 });
  assert.equal(point.blobs[4], "too_long");
  assert.equal(point.indexes[0].length, 96);
  assert.equal(point.blobs[1].length, 500);
});

test("a dataset that throws never fails the event, and none at all writes only the line", (t) => {
  const lines = [];
  t.mock.method(console, "log", (line) => lines.push(line));
  t.mock.method(console, "error", () => {});
  const written = [];
  logEvent("page", { cohort: "c", status: 200 }, eventSinks({ ANALYTICS: { writeDataPoint: (point) => written.push(point) } }));
  logEvent("page", { cohort: "c", status: 200 }, eventSinks({ ANALYTICS: { writeDataPoint: () => { throw new Error("quota"); } } }));
  logEvent("page", { cohort: "c", status: 200 }, eventSinks({}));
  assert.equal(lines.length, 3);
  assert.equal(written.length, 1);
  assert.deepEqual(written[0].blobs.slice(0, 2), ["page", "c"]);
});

test("onEvent gets each event as an object; one that throws never fails the event; EVENT_LINES=false leaves the line out", (t) => {
  const lines = [];
  t.mock.method(console, "log", (line) => lines.push(line));
  const errors = [];
  t.mock.method(console, "error", (...args) => errors.push(args));
  const seen = [];
  logEvent("applied", { cohort: "c", added: 3 }, eventSinks({ ON_EVENT: (event) => seen.push(event), EVENT_LINES: "false" }));
  logEvent("applied", { cohort: "c", added: 1 }, eventSinks({ ON_EVENT: () => { throw new Error("theirs"); } }));
  assert.deepEqual(seen, [{ event: "applied", cohort: "c", added: 3 }]);
  assert.equal(lines.length, 1, "the second event's line only");
  assert.equal(errors.length, 1);
  assert.match(String(errors[0][0]), /onEvent threw/);
});
