// The reply Mixpanel expects, and how its sender treats a reply's status.

/**
 * A failure to report back to Mixpanel: `message` is shown in Mixpanel's UI, `code`
 * becomes the HTTP status (400–599; default 500, which Mixpanel retries).
 */
export interface WebhookError {
  message: string;
  code?: number;
}

/** The HTTP reply Mixpanel expects; `body` is JSON text. */
export interface WebhookResponse {
  status: number;
  headers: { "content-type": "application/json" };
  body: string;
}

/** How a sender should treat an HTTP status from the receiver. */
export type StatusClass = "success" | "retry" | "pause";

/**
 * The reply Mixpanel expects: status 200 and `{"action":…,"status":"success"}`, or, given
 * `error`, status `error.code` and a body with `"status":"failure"` and the error.
 */
export function webhookResponse(action: string | null, error?: WebhookError | null): WebhookResponse;

/**
 * How Mixpanel treats an HTTP status (100–599): 2xx → `"success"`; 429 and 5xx →
 * `"retry"`; 400, 401, 403, 404 → `"pause"` (Mixpanel's documented non-transient errors),
 * and so does any other 4xx (retrying cannot fix it); 1xx/3xx → `"retry"`.
 */
export function classifyStatus(status: number): StatusClass;

/** The sender's backoff schedule in milliseconds: 5 growing delays summing to ≤ 60 000. */
export function retryDelays(): number[];
