// The reply the Worker sends for a report (API.md, "The Cloudflare Worker"): 200 for a
// valid page, 413 for a body over the limit, 400 with the problems in the message for
// any other invalid page. The body itself comes from the package's webhookResponse().
import { classifyStatus, webhookResponse } from "../../pkg/web.js";

const REASONS = { 200: "OK", 400: "Bad Request", 413: "Content Too Large" };

// What Mixpanel does with each class of status (SPEC §1, sender behaviour).
const EFFECT = {
  success: "Mixpanel counts the page as delivered.",
  retry: "Mixpanel retries (5 times over 60 s, then at the next sync).",
  pause: "Mixpanel pauses the sync and emails the project's users; it does not retry.",
};

/** The failure message shown in Mixpanel's UI: the first problems, then how many more. */
export function failureMessage(errors, shown = 3) {
  const parts = errors.slice(0, shown).map((p) => `${p.code} at ${p.path === "" ? '""' : p.path}: ${p.message}`);
  const more = errors.length > shown ? ` (and ${errors.length - shown} more)` : "";
  return `invalid payload: ${parts.join("; ")}${more}`;
}

/** `{ response, statusLine, effect }` for a validation report. */
export function workerReply(report) {
  const status = report.valid ? 200 : report.errors.some((p) => p.code === "body_too_large") ? 413 : 400;
  const response = report.valid
    ? webhookResponse(report.action)
    : webhookResponse(report.action, { message: failureMessage(report.errors), code: status });
  return {
    response,
    statusLine: `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? ""}`.trimEnd(),
    effect: EFFECT[classifyStatus(response.status)],
  };
}
