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

const NETWORK_ERRORS = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "the connection was reset",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name could not be looked up (try again)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "the connection timed out",
  EPIPE: "the connection was closed while sending",
  UND_ERR_SOCKET: "the connection was closed",
};

/** Why fetch got no answer, in words: "connection refused by 127.0.0.1:8787". */
export function describeNetworkError(error) {
  const cause = error?.cause ?? error;
  const words = NETWORK_ERRORS[cause?.code];
  if (!words) return String(cause?.message ?? cause?.code ?? error?.message ?? error);
  const where = cause.address ? ` by ${cause.address}${cause.port ? `:${cause.port}` : ""}` : cause.hostname ? `: ${cause.hostname}` : "";
  return `${words}${where}`;
}
