// CORS for the operators' routes, so that the console page (www/console.html) can call
// them from another origin. Off unless CONSOLE_ORIGINS lists exact origins
// ("https://ops.example.com,http://127.0.0.1:8788"): with it unset no answer carries a
// CORS header, and /webhook never does (Mixpanel is a server; no browser needs it).
// The credentials still decide every request but the preflight, which browsers send
// without them; allowing an origin only lets a page there read what its user's own
// credentials may read.

const METHODS = "GET, POST, DELETE";

/** Whether `path` is one of the operators' routes (the read API included). */
export function isOperatorPath(path) {
  return /^\/(?:cohorts|profiles)(?:\/|$)/.test(path);
}

/**
 * The CORS headers for an answer to `request` on an operator route: `null` when
 * CONSOLE_ORIGINS is unset; `{ vary }` alone for an origin not listed (the answer still
 * depends on the Origin header, so caches must keep them apart); the allowed origin too
 * when it is listed. `settings`: settings.js's.
 */
export function corsHeaders(request, settings) {
  const allowed = settings.CONSOLE_ORIGINS;
  if (allowed.length === 0) return null;
  const origin = request.headers.get("origin");
  if (origin === null || !allowed.includes(origin)) return { vary: "Origin" };
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

/**
 * The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from a
 * listed origin, or null when this is not one (the request then goes on as any other).
 */
export function preflight(request, settings) {
  if (request.method !== "OPTIONS" || !request.headers.has("access-control-request-method")) return null;
  const headers = corsHeaders(request, settings);
  if (headers === null || !("access-control-allow-origin" in headers)) return null;
  return new Response(null, {
    status: 204,
    headers: {
      ...headers,
      "access-control-allow-methods": METHODS,
      "access-control-allow-headers": "Authorization",
      "access-control-max-age": "600",
    },
  });
}

/** `response` with `headers` added (a copy: answers from elsewhere may be immutable). */
export function withHeaders(response, headers) {
  if (headers === null) return response;
  const copy = new Response(response.body, response);
  for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
  return copy;
}
