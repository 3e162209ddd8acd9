// `cohort-sync load`: rows from a file or a query into Mixpanel (events, user or group
// profiles), sending only what changed since the last run and accounting for every row
// (pkg/loader/load.js; docs/loading.md). Credentials come from the environment only,
// and are never printed.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError, parseOptions, readCommandLine, usageError } from "./args.mjs";

export const HELP = `Usage: cohort-sync load --object OBJECT (--from FILE | --sqlite DB | --postgres URL | --duckdb DB) [options]

Moves rows into Mixpanel: events (/import), user profiles (/engage) or group profiles
(/groups). Each run sends only rows that are new, changed or failed last run; it
remembers what it sent in a state file. Every row read ends as one of: sent,
unchanged, rejected (before sending), refused (by Mixpanel) or pending (a transient
failure past the retries: sent again next run).

Source (one of):
  --from FILE          an NDJSON, JSON array or CSV file (also .gz); - for stdin (with --format)
  --format FORMAT      ndjson, json or csv, when the file's name does not say
  --sqlite DB          a SQLite file, with --query
  --postgres URL       a PostgreSQL database, with --query (read through a cursor)
  --duckdb DB          DuckDB (DB a file, or :memory:), with --query: it reads
                       Parquet and CSV files by name (SELECT * FROM 'x.parquet')
  --query SQL          the query whose rows are loaded

Mapping (a --mapping file, or these flags for the simple case):
  --object OBJECT      events, users, groups or audiences
  --mapping FILE       the mapping as JSON (docs/loading.md, "The mapping")
  --key COLUMN         the column that identifies a row (default: --insert-id for
                       events, --distinct-id for users, --group-id for groups)
  --distinct-id COLUMN, --event COLUMN, --event-name NAME, --time COLUMN,
  --insert-id COLUMN, --group-key NAME, --group-id COLUMN,
  --audience-id COLUMN, --audience-name COLUMN, --per-audience (audiences: rows of
                       user and audience become each user's SegmentMembership, and
                       with --per-audience one "In <name>" property per audience)

Sending:
  --region REGION      us (default), eu or in
  --api URL            another base URL (a proxy; tests)
  --concurrency N      requests in flight (10)
  --groups-per-request N  group updates a request (200)
  --threads N          worker threads reading, mapping and hashing NDJSON, JSON arrays
                       and CSV beside the sending (the cores but one, at most 4; 0 for
                       none; databases and audiences are read on the main thread)
  --removed HOW        profiles whose rows are gone from the source since they were
                       sent: unset (their properties) or delete (the profile); off
                       unless given
  --state FILE         where the last run's state is kept (.cohort-sync-load.db)
  --state-postgres URL keep it in a PostgreSQL database instead (loads run from
                       more than one machine)
  --dry-run DIR        plan only: write the request bodies to DIR, send nothing
  --results FILE       every row not sent, as NDJSON (its row number, outcome, why)
  --json               the summary as JSON on stdout
  -h, --help           this help

Credentials (environment): MIXPANEL_PROJECT_ID, MIXPANEL_SERVICE_ACCOUNT and
MIXPANEL_SERVICE_SECRET for events; MIXPANEL_TOKEN for profiles.

Exit status: 0 every row sent or unchanged, 1 some rows rejected, refused or pending,
2 usage error, 3 Mixpanel refused the credentials (nothing was marked as sent).`;

const OPTIONS = {
  from: { type: "string" },
  threads: { type: "string" },
  format: { type: "string" },
  sqlite: { type: "string" },
  postgres: { type: "string" },
  duckdb: { type: "string" },
  query: { type: "string" },
  object: { type: "string" },
  mapping: { type: "string" },
  key: { type: "string" },
  "distinct-id": { type: "string" },
  event: { type: "string" },
  "event-name": { type: "string" },
  time: { type: "string" },
  "insert-id": { type: "string" },
  "group-key": { type: "string" },
  "group-id": { type: "string" },
  "audience-id": { type: "string" },
  "audience-name": { type: "string" },
  "per-audience": { type: "boolean" },
  region: { type: "string" },
  api: { type: "string" },
  concurrency: { type: "string" },
  "groups-per-request": { type: "string" },
  removed: { type: "string" },
  state: { type: "string" },
  "state-postgres": { type: "string" },
  "dry-run": { type: "string" },
  results: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const usage = (message) => usageError("load", message);

const whole = (text, name, min, max) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
};

/** The source spec of the flags. */
function sourceOf(values) {
  const given = ["from", "sqlite", "postgres", "duckdb"].filter((name) => values[name] !== undefined);
  if (given.length !== 1) throw new UsageError("give one source: --from, --sqlite, --postgres or --duckdb");
  if (values.from !== undefined) {
    if (values.query !== undefined) throw new UsageError("--query is for --sqlite, --postgres and --duckdb");
    if (values.from === "-") {
      if (!values.format) throw new UsageError("--from - (stdin) needs --format ndjson, json or csv");
      return { stdin: true, format: values.format };
    }
    return { file: resolve(values.from), ...(values.format ? { format: values.format } : {}) };
  }
  if (!values.query) throw new UsageError(`--${given[0]} needs --query`);
  if (values.sqlite !== undefined) return { sqlite: resolve(values.sqlite), query: values.query };
  if (values.postgres !== undefined) return { postgres: values.postgres, query: values.query };
  return { duckdb: values.duckdb === ":memory:" || values.duckdb === "" ? null : resolve(values.duckdb), query: values.query };
}

/** The mapping: the --mapping file, with the flags over it. */
function mappingOf(values) {
  let mapping = {};
  if (values.mapping !== undefined) {
    try {
      mapping = JSON.parse(readFileSync(values.mapping, "utf8"));
    } catch (error) {
      throw new UsageError(`--mapping ${values.mapping}: ${error.message}`);
    }
  }
  const set = (name, value) => {
    if (value !== undefined) mapping[name] = value;
  };
  set("object", values.object);
  set("key", values.key);
  set("distinctId", values["distinct-id"]);
  set("event", values.event);
  if (values["event-name"] !== undefined) mapping.event = { value: values["event-name"] };
  set("time", values.time);
  set("insertId", values["insert-id"]);
  if (values["group-key"] !== undefined) mapping.groupKey = { value: values["group-key"] };
  set("groupId", values["group-id"]);
  set("audienceId", values["audience-id"]);
  set("audienceName", values["audience-name"]);
  if (values["per-audience"]) mapping.perAudience = true;
  return mapping;
}

function readArgs(argv) {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help) return { help: true };
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.region !== undefined && !["us", "eu", "in"].includes(values.region)) throw new UsageError(`--region must be us, eu or in, got ${JSON.stringify(values.region)}`);
  if (values.state !== undefined && values["state-postgres"] !== undefined) throw new UsageError("give --state or --state-postgres, not both");
  if (values.removed !== undefined && !["unset", "delete"].includes(values.removed)) throw new UsageError(`--removed must be unset or delete, got ${JSON.stringify(values.removed)}`);
  return {
    source: sourceOf(values),
    mapping: mappingOf(values),
    region: values.region,
    api: values.api,
    concurrency: whole(values.concurrency, "concurrency", 1, 100),
    groupsPerRequest: whole(values["groups-per-request"], "groups-per-request", 1, 2000),
    threads: whole(values.threads, "threads", 0, 64),
    removed: values.removed ?? null,
    state: values["state-postgres"] !== undefined ? { postgres: values["state-postgres"] } : resolve(values.state ?? ".cohort-sync-load.db"),
    dryRun: values["dry-run"] === undefined ? null : resolve(values["dry-run"]),
    results: values.results === undefined ? null : resolve(values.results),
    json: values.json === true,
  };
}

/** The credentials from the environment (never printed). */
function credentials(env = process.env) {
  return {
    projectId: env.MIXPANEL_PROJECT_ID,
    token: env.MIXPANEL_TOKEN,
    serviceAccount: { user: env.MIXPANEL_SERVICE_ACCOUNT, secret: env.MIXPANEL_SERVICE_SECRET },
  };
}

export async function main(argv) {
  const { args, exit } = readCommandLine("load", argv, readArgs, HELP);
  if (exit !== undefined) return exit;
  const { load } = await import("../loader/load.js");
  const progress = createLoadProgress();
  let summary;
  try {
    summary = await load({ ...args, credentials: credentials(), onProgress: progress.update });
  } catch (error) {
    progress.stop();
    if (error.code === "auth_refused") {
      process.stderr.write(`cohort-sync load: ${error.message}\n`);
      if (error.summary) report(error.summary, args);
      return 3;
    }
    process.stderr.write(`cohort-sync load: ${error.message}\n`);
    return error.code === "missing_credentials" || /^mapping/.test(error.message) ? 2 : 1;
  }
  progress.stop();
  report(summary, args);
  return summary.rejected + summary.refused + summary.pending === 0 ? 0 : 1;
}

function report(summary, args) {
  const { first, ...counts } = summary;
  if (args.json) {
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    return;
  }
  const verb = summary.dryRun ? "would send" : "sent";
  process.stdout.write(
    `${summary.read} rows read: ${summary.sent} ${verb}, ${summary.unchanged} unchanged, ${summary.rejected} rejected before sending, ` +
      `${summary.refused} refused by Mixpanel, ${summary.pending} pending${summary.removed ? `; ${summary.removed} profiles gone from the source removed` : ""} (${summary.requests} requests, ${(summary.ms / 1000).toFixed(1)} s)\n`,
  );
  for (const outcome of ["rejected", "refused", "pending"]) {
    for (const row of first[outcome]) process.stdout.write(`  ${outcome} row ${row.n}${row.key ? ` (${row.key})` : ""}: ${row.code ? `${row.code}: ` : ""}${row.message ?? row.reason ?? ""}\n`);
  }
  if (summary.removalsHeld) process.stdout.write("Removals held: some rows could not be read or keyed, and a key not seen may be in one of them. Nothing was removed; a run without such rows removes what is gone.\n");
  if (summary.dryRun) process.stdout.write(`The request bodies are in ${args.dryRun}; nothing was sent.\n`);
  if (args.results && summary.rejected + summary.refused + summary.pending > 0) process.stdout.write(`Every row not sent is in ${args.results}.\n`);
}

/**
 * A progress line on a terminal: rows and rows/s, MB/s, sent and not sent, and when the
 * source's size is known the time it should end (local, with how long until then);
 * nothing when `stream` is no terminal. Redrawn at most four times a second.
 */
export function createLoadProgress(stream = process.stderr, { now = Date.now } = {}) {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const started = now();
  let last = -Infinity;
  let shown = false;
  return {
    update(p) {
      const at = now();
      if (at - last < 250) return;
      last = at;
      const seconds = Math.max(0.001, (at - started) / 1000);
      let end = "";
      if (p.sizeBytes && p.bytesRead > 0) {
        const left = Math.round(((p.sizeBytes - p.bytesRead) / p.bytesRead) * seconds);
        end = ` · ends ~${new Date(at + left * 1000).toTimeString().slice(0, 8)} (in ${left} s)`;
      }
      stream.write(`\r\x1b[2K${p.read} rows (${Math.round(p.read / seconds)}/s, ${(p.bytesRead / 1e6 / seconds).toFixed(1)} MB/s) · ${p.sent} sent · ${p.rejected + p.refused + p.pending} not sent${end}`);
      shown = true;
    },
    stop() {
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}
