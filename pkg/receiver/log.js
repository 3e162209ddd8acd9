// One structured line per event, for `wrangler tail` (JSON, so it can be filtered):
// `page` when the webhook answers a page, `applied` when the cohort's object applies it
// (a page is answered once logged and applied after, so these are two lines), and
// `delivery` for each attempt to send a request to a destination; `page_failed` and
// `dead_page` when a logged page fails to apply (docs/rules.md). With a Workers
// Analytics Engine dataset bound as ANALYTICS, each event is also a data point there,
// for counts over time (worker/README.md, "Watching a deployment", has the layout and a query).
// The Node receiver may hand each event to a function of its user's instead (ON_EVENT,
// createReceiver's `onEvent`), and leave the lines out (EVENT_LINES=false).
import { settingsOf } from "./settings.js";

/** Where each event's fields go in a data point: text as blobs, numbers as doubles. */
const DATA_POINTS = {
  page: { blobs: ["cohort", "action", "session", "problem"], doubles: ["status", "ms", "members", "page", "total"] },
  applied: { blobs: ["cohort", "action", "session"], doubles: ["added", "removed", "page", "total", "duplicate", "sessionComplete"] },
  delivery: { blobs: ["object", "destination", "status", "error"], doubles: ["attempt", "ms"] },
  page_failed: { blobs: ["cohort", "reason"], doubles: ["seq", "attempts", "retryAt"] },
  dead_page: { blobs: ["cohort", "reason"], doubles: ["seq", "attempts"] },
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

/** Where an object's events go, from its settings (settings.js): `{ analytics, onEvent, lines }`. */
export function eventSinks(settings) {
  return settingsOf(settings).events;
}

/**
 * Writes one event line (unless `sinks.lines` is false), hands the event to
 * `sinks.onEvent`, and writes a data point to `sinks.analytics` (the ANALYTICS binding).
 */
export function logEvent(event, fields, sinks = {}) {
  if (sinks.lines !== false) console.log(JSON.stringify({ event, ...fields }));
  // Watching must never fail a page or a delivery.
  if (sinks.onEvent) {
    try {
      sinks.onEvent({ event, ...fields });
    } catch (error) {
      console.error("cohort-sync: onEvent threw", error?.stack ?? error);
    }
  }
  if (!sinks.analytics) return;
  try {
    sinks.analytics.writeDataPoint(dataPoint(event, fields));
  } catch (error) {
    console.error("cohort-sync: writing a data point failed", error?.stack ?? error);
  }
}
