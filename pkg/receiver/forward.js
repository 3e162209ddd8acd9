// Forwarding a cohort's real changes (members added or removed by a page) to the
// destinations configured in the settings (settings.js), with the package's builders.
// Requests go through the outbox (outbox.js); this file says what they are and how each
// destination's answer is read.
import { forwardingRequests, readCleverTapResponse } from "../api.js";
import { byStatus } from "./outbox.js";
import { settingsOf } from "./settings.js";

/**
 * A webhook body of `members` (`[id, data]`: data is the member's text as sent, or null
 * when only the id is known), for the builders. The members' texts go in as they are:
 * the builders read each member's id by the same rules as the page it came in.
 */
function changeBody(action, cohort, members) {
  const head = JSON.stringify({
    action,
    parameters: {
      mixpanel_project_id: cohort.projectId,
      mixpanel_cohort_id: cohort.cohortId,
      mixpanel_cohort_name: cohort.cohortName ?? "",
      mixpanel_cohort_description: "",
      mixpanel_session_id: cohort.sessionId,
      page_info: { page_count: 1, total_pages: 1 },
      members: [],
    },
  });
  const list = members.map(([id, data]) => data ?? `{"mixpanel_distinct_id":${JSON.stringify(id)}}`).join(",");
  return `${head.slice(0, -"]}}".length)}${list}]}}`;
}

/**
 * The outbox entries for one page's changes, by `given`, the settings (settings.js; raw
 * values by name are read once per object): `added` / `removed` are `[id, data]`
 * (data: the member's text as Mixpanel sent it, or null when only the id is known).
 * Returns `[dest, request]` pairs in the order they must be delivered.
 */
export function changeRequests(given, cohort, added, removed) {
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
  for (const [action, changes] of [["add_members", added], ["remove_members", removed]]) {
    for (let i = 0; i < changes.length; i += 1000) {
      const chunk = changes.slice(i, i + 1000);
      // One read of the changes builds every destination's requests.
      const built = options.clevertap || options.braze ? forwardingRequests(changeBody(action, cohort, chunk), options) : null;
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
          cohortId: cohort.cohortId,
          cohortName: cohort.cohortName ?? "",
          member: action === "add_members",
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
