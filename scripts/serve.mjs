// A small static file server for the repository root, so that the validator page
// (www/index.html) can load the built package by relative path (../pkg/web.js).
//
//   node scripts/serve.mjs [port]        (or PORT=… node scripts/serve.mjs; default 8788)
//
// It listens on 127.0.0.1 only, answers GET and HEAD, sends the right MIME types
// (application/wasm included, which WebAssembly.instantiateStreaming requires), refuses
// paths that leave the root (`..`, encoded or not, and symlinks pointing outside) and
// hidden files (.git, .scratch, …). Tests import startStaticServer() from here.
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * Serves `root` (default: the repository root) on 127.0.0.1.
 * @param {{ root?: string, port?: number, host?: string }} [options] port 0 picks a free one.
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>} `url` is
 *   the origin with a trailing slash, e.g. `http://127.0.0.1:8788/`.
 */
export async function startStaticServer({ root = REPO_ROOT, port = 8788, host = "127.0.0.1" } = {}) {
  const base = await realpath(resolve(root));
  const server = createServer((req, res) => {
    handle(base, req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, `internal error: ${error.message}`);
      else res.destroy();
    });
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, ok);
  });
  const actual = server.address().port;
  return {
    url: `http://${host}:${actual}/`,
    port: actual,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections?.(); // keep-alive sockets would hold close() open
      }),
  };
}

async function handle(base, req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, "method not allowed");
  }
  const file = await locate(base, req.url ?? "/");
  if (file === null) return send(res, 404, "not found");
  if (file === "forbidden") return send(res, 403, "forbidden");
  if (file.redirect) {
    res.writeHead(301, { location: file.redirect });
    return res.end();
  }
  res.writeHead(200, {
    "content-type": MIME[extname(file.path).toLowerCase()] ?? "application/octet-stream",
    "content-length": file.size,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file.path).pipe(res);
}

// The file a request path names, `null` (absent), `"forbidden"` (outside the root or
// hidden), or a redirect for a directory asked for without its trailing slash.
async function locate(base, url) {
  // The raw target, not a normalised URL: "/../x" is refused, not quietly read as "/x".
  let pathname;
  try {
    pathname = decodeURIComponent(url.split(/[?#]/)[0]);
  } catch {
    return "forbidden"; // malformed %-escapes
  }
  if (!pathname.startsWith("/") || pathname.includes("\0")) return "forbidden";
  const segments = pathname.split("/").filter(Boolean);
  // ".", ".." and hidden files (.git, .scratch, …); a backslash is a separator on Windows.
  if (segments.some((s) => s.startsWith(".") || s.includes("\\"))) return "forbidden";
  if (pathname === "/") return { redirect: "/www/" };

  let path = resolve(base, ...segments);
  if (path !== base && !path.startsWith(base + sep)) return "forbidden";
  let info;
  try {
    path = await realpath(path); // a symlink must not lead outside either
    if (path !== base && !path.startsWith(base + sep)) return "forbidden";
    info = await stat(path);
    if (info.isDirectory()) {
      if (!pathname.endsWith("/")) return { redirect: `${encodeURI(pathname)}/` };
      path = join(path, "index.html");
      info = await stat(path);
    }
  } catch (error) {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return null;
    throw error;
  }
  return info.isFile() ? { path, size: info.size } : null;
}

function send(res, status, text) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(`${text}\n`);
}

// Run as a script: serve the repository root and say where the page is.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8788);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: not a port: ${process.argv[2] ?? process.env.PORT}`);
    process.exit(2);
  }
  try {
    await stat(join(REPO_ROOT, "pkg/dist/cohort_sync_bg.wasm"));
  } catch {
    console.warn("serve: pkg/dist/ is not built yet; run `npm run build` first, or the page cannot load");
  }
  const { url } = await startStaticServer({ port });
  console.log(`serving ${REPO_ROOT}\nopen ${url}www/index.html  (Ctrl+C to stop)`);
}
