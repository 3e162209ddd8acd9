// Rows for bench/load.bench.mjs, the same bytes every time for the same (i, base):
// - events: flat rows as a warehouse export gives them (event name, distinct_id, time
//   in ms, an `event_id` uuid that serves as $insert_id, and 8 properties);
// - users: one profile a distinct_id with 8 properties.
// As a program it writes N rows of NDJSON to a file or stdout, in large writes:
//   node bench/load/generate.mjs events 1000000 /tmp/x.ndjson [baseMs]
//   node bench/load/generate.mjs users 10000000 - | …
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";

const EVENTS = ["Page Viewed", "Signed Up", "Added To Cart", "Checkout Started", "Purchase Completed", "Search", "Video Played", "Logged In"];
const PAGES = ["/", "/pricing", "/docs/getting-started", "/blog/2026/launch", "/account/settings", "/checkout", "/search", "/product/12345"];
const BROWSERS = ["Chrome", "Safari", "Firefox", "Edge"];
const OSES = ["macOS", "Windows", "iOS", "Android", "Linux"];
const COUNTRIES = ["US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "AU", "NL"];
const PLANS = ["free", "starter", "pro", "enterprise"];
const REFERRERS = ["https://www.google.com/", "https://twitter.com/", "$direct", "https://news.ycombinator.com/", "https://www.bing.com/"];

/** A 32-bit mix of i (murmur3's finaliser): scattered but fixed. */
export function mix(i, salt = 0) {
  let a = Math.imul((i ^ salt ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0;
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35) >>> 0;
  return (a ^ (a >>> 16)) >>> 0;
}
const hex8 = (n) => n.toString(16).padStart(8, "0");

/** A uuid-shaped id, 36 characters of [0-9a-f-]: a valid $insert_id. */
export function eventId(i) {
  const a = hex8(mix(i, 1));
  const b = hex8(mix(i, 2));
  const c = hex8(i);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-a${c.slice(0, 3)}-${c.slice(3)}${hex8(mix(i, 3)).slice(0, 7)}`;
}

/** The distinct_id of user u. */
export const userId = (u) => `user-${String(u).padStart(8, "0")}`;

/** Event row i (one NDJSON line without its newline); times over the 30 days before base. */
export function eventLine(i, baseMs, users = 200_000) {
  const h = mix(i, 7);
  const time = baseMs - 3_600_000 - (mix(i, 11) % (30 * 86_400_000));
  return `{"event":"${EVENTS[h & 7]}","distinct_id":"${userId(mix(i, 13) % users)}","time":${time},"event_id":"${eventId(i)}","page":"${PAGES[(h >>> 3) & 7]}","referrer":"${REFERRERS[(h >>> 6) % 5]}","browser":"${BROWSERS[(h >>> 9) & 3]}","os":"${OSES[(h >>> 11) % 5]}","country":"${COUNTRIES[(h >>> 14) % 10]}","plan":"${PLANS[(h >>> 18) & 3]}","duration_ms":${(h >>> 20) % 60_000},"is_mobile":${(h & 0x10) === 0}}`;
}

/** User row u. */
export function userLine(u) {
  const h = mix(u, 17);
  return `{"distinct_id":"${userId(u)}","$email":"user${u}@example.com","$name":"User ${u}","plan":"${PLANS[h & 3]}","country":"${COUNTRIES[(h >>> 2) % 10]}","signup_ms":${1_700_000_000_000 + (h % 31_536_000) * 1000},"sessions":${(h >>> 8) % 500},"is_paying":${(h & 3) > 1},"team_size":${(h >>> 12) % 50}}`;
}

/** Writes N rows of `kind` to `out` (a stream), in writes of about 1 MB, minding backpressure. */
export async function writeRows(kind, n, out, baseMs = Date.now()) {
  const line = kind === "users" ? (i) => userLine(i) : (i) => eventLine(i, baseMs);
  let buffer = "";
  for (let i = 0; i < n; i++) {
    buffer += `${line(i)}\n`;
    if (buffer.length >= 1 << 20) {
      const ok = out.write(buffer);
      buffer = "";
      if (!ok) await new Promise((resolve) => out.once("drain", resolve));
    }
  }
  if (buffer) out.write(buffer);
  if (out !== process.stdout) await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind = "events", n = "1000", target = "-", base] = process.argv.slice(2);
  const out = target === "-" ? process.stdout : createWriteStream(target);
  out.on("error", (error) => {
    // A reader that stopped early (EPIPE) ends the generator quietly.
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  await writeRows(kind, Number(n), out, base ? Number(base) : Date.now());
}
