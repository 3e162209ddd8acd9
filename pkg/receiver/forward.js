// Forwarding a cohort's real changes (members added or removed by a page) to the
// destinations configured in the settings (settings.js), with the package's builders.
// Requests go through the outbox (outbox.js); this file says what they are and how each
// destination's answer is read.
import { readCleverTapResponse } from "../api.js";
import { byStatus } from "./outbox.js";
import { settingsOf } from "./settings.js";

/**
 * The outbox entries for one page's changes, by `given`, the settings (settings.js; raw
 * values by name are read once per object). `page`: the page applied (page.js), whose
 * cohort changed and which builds the requests; `added` / `removed`: `[id, data, i]`,
 * `data` the member's text as the store keeps it (null when only the id is known), `i`
 * its place in the page when the page lists it. Returns `[dest, request]` pairs in the
 * order they must be delivered.
 */
export function changeRequests(given, page, added, removed) {
  const entries = [];
  const settings = settingsOf(given);
  const dests = settings.destinations;
  if (dests.length === 0) return entries;
  const options = {
    clevertap: dests.includes("clevertap") ? {} : null,
    braze: dests.includes("braze")
      ? { userIdProperty: settings.BRAZE_USER_ID_PROPERTY, simplifiedIdMerge: settings.BRAZE_SIMPLIFIED_ID_MERGE }
      : null,
  };
  const { cohortId, cohortName } = page.head;
  for (const [remove, changes] of [[false, added], [true, removed]]) {
    for (let i = 0; i < changes.length; i += 1000) {
      const chunk = changes.slice(i, i + 1000);
      // One call builds every destination's requests, from the page the wasm holds.
      const built = options.clevertap || options.braze ? page.requests(remove, chunk, options) : null;
      if (built?.clevertap) {
        const headers = {
          "content-type": "application/json",
          "x-clevertap-account-id": settings.CLEVERTAP_ACCOUNT_ID,
          "x-clevertap-passcode": settings.CLEVERTAP_PASSCODE,
        };
        for (const upload of built.clevertap) {
          entries.push(["clevertap", { url: settings.CLEVERTAP_UPLOAD_URL, headers, body: upload }]);
        }
      }
      if (built?.braze) {
        if (built.braze.skipped.length > 0) {
          console.warn(`cohort-sync: ${built.braze.skipped.length} members have no Braze user id; not sent`);
        }
        const headers = { "content-type": "application/json", authorization: `Bearer ${settings.BRAZE_API_KEY}` };
        for (const body of built.braze.requests) entries.push(["braze", { url: settings.BRAZE_COHORT_URL, headers, body }]);
      }
      if (dests.includes("profiles")) {
        entries.push(["profiles", {
          cohortId,
          cohortName: cohortName ?? "",
          member: !remove,
          ids: chunk.map(([id]) => id),
        }]);
      }
    }
  }
  return entries;
}

/** Sends one outbox request and reads the destination's answer (`host`: routes.js). */
export async function send(env, host, dest, request, key) {
  if (dest === "profiles") {
    // A hand-off to the profiles object, which owns SegmentMembership (profiles.js).
    await host.profiles().record(key, request);
    return { ok: true };
  }
  const response = await fetch(request.url, {
    method: "POST",
    headers: { ...request.headers, "idempotency-key": key },
    body: request.body,
  });
  const text = await response.text();
  if (dest === "clevertap") {
    // A whole request refused or failed: as any destination's (a refusal's dead letter
    // keeps the request and an excerpt of the answer).
    if (response.status < 200 || response.status >= 300) return byStatus(response.status, text);
    // CleverTap answers 200 with per-record failures: retry what can succeed, keep only that.
    const outcome = readCleverTapResponse(request.body, response.status, text);
    const deadLetter =
      outcome.failed.length > 0
        ? { request: { ...request, body: JSON.stringify({ d: outcome.failed.map((f) => f.record).filter(Boolean) }) }, error: JSON.stringify(outcome.failed.slice(0, 20)) }
        : undefined;
    if (outcome.retry.length > 0) {
      const reason = `CleverTap: ${outcome.retry.length} records to retry (HTTP ${response.status})`;
      // Everything again: the same request, under the same key. Only some records: a new
      // request of just those (which the outbox sends under a key of its own).
      const all = outcome.delivered === 0 && outcome.failed.length === 0;
      return all ? { retry: reason } : { retry: reason, request: { ...request, body: JSON.stringify({ d: outcome.retry }) }, deadLetter };
    }
    return { ok: true, deadLetter };
  }
  if (dest === "mixpanel") {
    // /engage answers 200 with `1` (or {"status":1}) when it took the updates.
    if (response.ok && !/^\s*(1|\{"status":\s*1.*)\s*$/.test(text)) return { dead: `Mixpanel: ${text.slice(0, 200)}` };
  }
  return byStatus(response.status, text);
}
