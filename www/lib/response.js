// The reply the Worker sends for a report (docs/api.md, "The Cloudflare Worker"): 200 for a
// valid page, 413 for a body over the limit, 400 with the problems in the message for
// any other invalid page. The body itself comes from the package's webhookResponse().
import { classifyStatus, webhookResponse } from "../../pkg/web.js";
import { failureMessage } from "../../pkg/receiver/message.js";

const REASONS = { 200: "OK", 400: "Bad Request", 413: "Content Too Large" };

// What Mixpanel does with each class of status (docs/domain.md, "The sender's behaviour").
const EFFECT = {
  success: "Mixpanel counts the page as delivered.",
  retry: "Mixpanel retries (5 times over 60 s, then at the next sync).",
  pause: "Mixpanel pauses the sync and emails the project's users; it does not retry.",
};

// The Worker's own message format, from its source: the page shows what it sends.
export { failureMessage };

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
