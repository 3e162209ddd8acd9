// One structured line per event, for `wrangler tail` (JSON, so it can be filtered):
// `page` when the webhook answers a page, `applied` when the cohort's object applies it
// (a page is answered once logged and applied after, so these are two lines), and
// `delivery` for each attempt to send a request to a destination. With a Workers
// Analytics Engine dataset bound as ANALYTICS, each event is also a data point there,
// for counts over time (README, "Watching a deployment", has the layout and a query).

/** Where each event's fields go in a data point: text as blobs, numbers as doubles. */
const DATA_POINTS = {
  page: { blobs: ["cohort", "action", "session", "problem"], doubles: ["status", "ms", "members", "page", "total"] },
  applied: { blobs: ["cohort", "action", "session"], doubles: ["added", "removed", "page", "total", "duplicate", "sessionComplete"] },
  delivery: { blobs: ["object", "destination", "status", "error"], doubles: ["attempt", "ms"] },
};

/** The Analytics Engine data point of an event: `blobs` [event, …], `doubles`, `indexes` [the cohort or object]. */
export function dataPoint(event, fields) {
  const shape = DATA_POINTS[event] ?? { blobs: [], doubles: [] };
  const text = (value) => (value === null || value === undefined ? "" : String(value).slice(0, 1024));
  const number = (value) => (typeof value === "boolean" ? Number(value) : Number.isFinite(value) ? value : 0);
  return {
    blobs: [event, ...shape.blobs.map((key) => text(fields[key]))],
    doubles: shape.doubles.map((key) => number(fields[key])),
    // Analytics Engine samples by index: one cohort (or object) per index.
    indexes: [text(fields.cohort ?? fields.object).slice(0, 96)],
  };
}

/** Writes one event line, and a data point when `analytics` (the ANALYTICS binding) is set. */
export function logEvent(event, fields, analytics) {
  console.log(JSON.stringify({ event, ...fields }));
  if (!analytics) return;
  try {
    analytics.writeDataPoint(dataPoint(event, fields));
  } catch (error) {
    // Counting must never fail a page or a delivery.
    console.error("cohort-sync: writing a data point failed", error?.stack ?? error);
  }
}
