// Preload (node -r) for a peer's child process only: connections to Mixpanel's
// ingestion hosts (api.mixpanel.com, api-eu…, api-in…) on port 443 go to the local
// stand-in at 127.0.0.1:$MIXPANEL_REDIRECT_PORT instead. It patches tls.connect, which
// both undici (mixpanel-import's default transport) and Node's https.Agent (its `got`
// transport) call for every new connection, and dns.lookup for anything that resolves
// those names itself. Nothing else is touched; the child also runs with
// NODE_TLS_REJECT_UNAUTHORIZED=0 since the stand-in's certificate is for 127.0.0.1.
"use strict";
const tls = require("node:tls");
const dns = require("node:dns");

const port = Number(process.env.MIXPANEL_REDIRECT_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error("redirect-mixpanel: set MIXPANEL_REDIRECT_PORT");
const HOSTS = /^api(-eu|-in)?\.mixpanel\.com\.?$/i;
const stats = { redirected: 0 };
globalThis.__mixpanelRedirect = stats;

const connect = tls.connect;
tls.connect = function redirectedConnect(...args) {
  // tls.connect(options[, cb]) | (port[, host][, options][, cb]) | (path[, options][, cb])
  let options;
  let rest;
  if (args[0] !== null && typeof args[0] === "object") {
    options = { ...args[0] };
    rest = args.slice(1);
  } else if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    options = { port: Number(args[0]) };
    let k = 1;
    if (typeof args[k] === "string") options.host = args[k++];
    if (args[k] !== null && typeof args[k] === "object") options = { ...args[k++], ...options };
    rest = args.slice(k);
  } else {
    return connect.apply(this, args);
  }
  const host = options.host ?? options.hostname ?? "localhost";
  if (HOSTS.test(host) && Number(options.port ?? 443) === 443) {
    stats.redirected++;
    options = { ...options, host: "127.0.0.1", hostname: "127.0.0.1", port, servername: options.servername ?? host };
  }
  return connect.call(this, options, ...rest);
};

const lookup = dns.lookup;
dns.lookup = function redirectedLookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  if (typeof hostname === "string" && HOSTS.test(hostname)) {
    const all = typeof options === "object" && options?.all;
    process.nextTick(() => (all ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4)));
    return {};
  }
  return lookup.call(this, hostname, options, callback);
};
