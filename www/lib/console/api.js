// The console's client for the Worker's operators' routes (docs/api.md). Credentials live
// in this closure only; each failure becomes an ApiError whose message says in plain
// words what happened and what to do.

/** A failed call: `kind` is "url", "blocked", "network", "cors", "credentials", "not-found" or "http". */
export class ApiError extends Error {
  constructor(kind, message, status = null) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
  }
}

// Hosts the page's CSP lets it reach over plain http (console.html says why).
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost"]);

/**
 * The Worker's base URL from what the operator typed: `https://host[/prefix]` without a
 * trailing slash. Throws ApiError "url" or "blocked" (a URL this page's CSP would refuse).
 */
export function workerBase(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ApiError("url", `"${text.trim()}" is not a URL: write it in full, e.g. https://cohort-sync.example.workers.dev`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ApiError("url", `${url.protocol} is not a web address: use https://`);
  if (url.username || url.password) throw new ApiError("url", "put the user and password in their own fields, not in the URL");
  const sameOrigin = url.origin === location.origin;
  if (url.protocol === "http:" && !LOCAL_HOSTS.has(url.hostname) && !sameOrigin) {
    throw new ApiError("blocked", `this page connects to a Worker over https:// only (plain http:// is allowed on this computer alone), so that the password never travels unencrypted: use https://${url.host}${url.pathname === "/" ? "" : url.pathname}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * A client for the Worker at `base` (from workerBase) with HTTP Basic credentials.
 * `get`, `post`, `del` resolve to the parsed JSON answer; a status listed in `accept`
 * resolves too (e.g. the member lookup's 404 for a non-member); anything else rejects
 * with an ApiError.
 */
export function connect(base, user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  const authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;

  async function send(method, path) {
    try {
      // credentials "omit": the header is ours; the browser adds no cookies and, on a 401,
      // shows no password prompt of its own.
      return await fetch(`${base}${path}`, { method, headers: { authorization }, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
    } catch {
      throw await unreachable(base);
    }
  }

  async function call(method, path, { accept = [] } = {}) {
    const response = await send(method, path);
    const text = await response.text();
    let body = null;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: not the cohort-sync Worker, or a proxy's error page; said below.
    }
    if (response.ok || accept.includes(response.status)) {
      if (body === null) throw new ApiError("http", `${base}${path} answered ${response.status} without JSON: is this a cohort-sync Worker?`, response.status);
      return body;
    }
    throw refused(response.status, body?.error?.message, path);
  }

  /** The ApiError for an answer that is not 2xx (`said`: the Worker's own words, if any). */
  function refused(status, said, path) {
    if (status === 401) {
      const why = said === "wrong credentials" ? "wrong user or password" : said ?? "no reason given";
      return new ApiError("credentials", `The Worker refused these credentials: ${why}.`, 401);
    }
    if (status === 404) return new ApiError("not-found", said ? `Not found: ${said}.` : `${base}${path} is not a route of a cohort-sync Worker (404).`, 404);
    return new ApiError("http", `The Worker answered ${status}${said ? `: ${said}` : ""}.`, status);
  }

  /** GET `path` as a stream (the members' NDJSON): the Response once it answered 2xx. */
  async function stream(path) {
    const response = await send("GET", path);
    if (response.ok) return response;
    let said;
    try {
      said = JSON.parse(await response.text())?.error?.message;
    } catch {
      // Said by its status alone.
    }
    throw refused(response.status, said, path);
  }

  return {
    base,
    user,
    stream,
    get: (path, options) => call("GET", path, options),
    post: (path, options) => call("POST", path, options),
    del: (path, options) => call("DELETE", path, options),
  };
}

/**
 * Why a fetch failed, as the browser will not say: a request the page cannot read
 * (`no-cors`) still succeeds when the Worker is up, so then the Worker answered but did
 * not allow this origin (CORS); when that fails too, nothing answered at all.
 */
async function unreachable(base) {
  try {
    await fetch(`${base}/cohorts`, { mode: "no-cors", credentials: "omit", cache: "no-store" });
  } catch {
    return new ApiError("network", `Could not reach ${base}: nothing answered. Check the URL, that the Worker is running, and your network.`);
  }
  return new ApiError(
    "cors",
    `${base} answered, but did not let this page read the answer (CORS). Add this page's origin, ${location.origin}, to the Worker's CONSOLE_ORIGINS setting, or open the console from an origin listed there.`,
  );
}

/** A path segment for an id (cohort or member ids may hold any character). */
export const segment = (id) => encodeURIComponent(id);
