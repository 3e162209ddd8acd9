// Wording for people reading the commands' text output: why a file could not be read,
// and sizes in bytes. --json output keeps the raw numbers; only text goes through here.

const READ_ERRORS = {
  ENOENT: "no such file",
  ENOTDIR: "no such file (a folder in the path is a file)",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a folder, not a file",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the file name is too long",
};

/** "no such file: nope.json" for an error from reading `file` ("-" is stdin). */
export function describeReadError(error, file) {
  const name = file === "-" ? "stdin" : file;
  const known = READ_ERRORS[error?.code];
  if (known) return `${known}: ${name}`;
  // Node's message is "CODE: words, syscall 'path'": keep the words.
  const words = String(error?.message ?? error).replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
  return `cannot read ${name}: ${words}`;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** 10485760 → "10 MiB", 10800000 → "10.3 MiB", 512 → "512 bytes". */
export function formatBytes(n) {
  for (const [unit, size] of [["GiB", GiB], ["MiB", MiB], ["KiB", KiB]]) {
    if (n >= size) {
      const value = n / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${n} byte${n === 1 ? "" : "s"}`;
}

/**
 * Two sizes for "X; the limit is Y": in units, or also in bytes when the units would
 * make them look the same (10 MiB and 1 byte is "10.0 MiB").
 */
export function formatSizes(size, limit) {
  const [a, b] = [formatBytes(size), formatBytes(limit)];
  if (Number.parseFloat(a) === Number.parseFloat(b) && a.split(" ")[1] === b.split(" ")[1]) {
    return [`${a} (${size} bytes)`, `${b} (${limit} bytes)`];
  }
  return [a, b];
}

/** The wasm's body_too_large message ("the body is N bytes; the limit is M bytes") in units. */
export function humanizeSizes(message) {
  return message.replace(/(\d+) bytes; the limit is (\d+) bytes/, (_, size, limit) => {
    const [a, b] = formatSizes(Number(size), Number(limit));
    return `${a}; the limit is ${b}`;
  });
}

/** Failures before a connection was made: "could not connect to HOST:PORT (…)". */
const CONNECT_ERRORS = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name could not be looked up (try again)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "the connection timed out",
  ECONNABORTED: "the connection was aborted",
};

/** Failures once connected: "no answer from HOST:PORT (…)". */
const ANSWER_ERRORS = {
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was closed while sending",
  UND_ERR_SOCKET: "the connection was closed",
  UND_ERR_HEADERS_TIMEOUT: "no headers came back in time",
  UND_ERR_BODY_TIMEOUT: "the body stopped coming",
};

/** "127.0.0.1:8787" of a URL, with the scheme's port when the URL names none. */
function hostPort(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return String(url);
  }
  const port = u.port || (u.protocol === "https:" ? "443" : u.protocol === "http:" ? "80" : "");
  return port ? `${u.hostname}:${port}` : u.hostname;
}

/**
 * Why fetch got no answer from `url`, saying what was tried and what failed:
 * "could not connect to 127.0.0.1:8787 (connection refused)".
 */
export function describeNetworkError(error, url) {
  const cause = error?.cause ?? error;
  const target = url !== undefined ? hostPort(url) : cause?.address ? `${cause.address}${cause.port ? `:${cause.port}` : ""}` : (cause?.hostname ?? "the server");
  // fetch never dials the ports the Fetch standard blocks (1, 7, 25, 6000, …): undici's
  // whole message is "bad port", which says neither which port nor that nothing was tried.
  if (cause?.message === "bad port") {
    const port = url !== undefined ? hostPort(url).split(":").at(-1) : "";
    return `did not connect to ${target}: fetch refuses port ${port || "this port"}, a port browsers block too; use another`;
  }
  if (CONNECT_ERRORS[cause?.code]) return `could not connect to ${target} (${CONNECT_ERRORS[cause.code]})`;
  if (ANSWER_ERRORS[cause?.code]) return `no answer from ${target} (${ANSWER_ERRORS[cause.code]})`;
  const words = String(cause?.message ?? cause?.code ?? error?.message ?? error);
  return `no answer from ${target} (${words})`;
}
