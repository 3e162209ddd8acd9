// One structured line per event, for `wrangler tail` (JSON, so it can be filtered):
// `page` when the webhook answers a page, `applied` when the cohort's object applies it
// (a page is answered once logged and applied after, so these are two lines), and
// `delivery` for each attempt to send a request to a destination.

/** Writes one event line. */
export function logEvent(event, fields) {
  console.log(JSON.stringify({ event, ...fields }));
}
