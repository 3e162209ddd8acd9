// `cohort-sync serve`: the receiver (the Worker's routes and guarantees) on one SQLite
// file or a PostgreSQL database, from the command line. Settings come from the environment under the Worker's
// names, credentials included, so a deployment moves between the two without renaming.
// The settings it reads, and the list its help prints, are the receiver's own
// (receiver/settings.js), checked before the store is opened.
import { resolve } from "node:path";
import { createServer } from "node:http";
import { UsageError, parseOptions, readCommandLine, usageError } from "./args.mjs";
import { SETTINGS, SettingError, readSettings } from "../receiver/settings.js";

/** The settings taken from the environment: all but the Worker's bindings. */
const FROM_ENVIRONMENT = SETTINGS.filter((setting) => !setting.workerOnly);

/** One line a setting: its name, type and default (docs/api.md, "Settings", says what each does). */
function settingLines() {
  const width = Math.max(...FROM_ENVIRONMENT.map((s) => s.name.length)) + 2;
  const lines = [];
  let group = null;
  for (const s of FROM_ENVIRONMENT) {
    if (s.group !== group) lines.push(`  ${(group = s.group)}:`);
    lines.push(`    ${s.name.padEnd(width)}${s.type}${s.defaultText === "none" ? "" : `; default ${s.defaultText}`}`);
  }
  return lines.join("\n");
}

export const HELP = `Usage: cohort-sync serve [options]

Runs the webhook receiver: POST /webhook for Mixpanel, and the operators' routes
(/cohorts…, /profiles…) of the Cloudflare Worker, with the same answers. Its state
is one SQLite file (better-sqlite3 must be installed next to cohort-sync), or a
PostgreSQL database that any number of receivers may share (pg must be installed).

Options:
  --db FILE        the SQLite file (cohorts.db); created when absent
  --postgres URL   a PostgreSQL connection string instead (postgres://user@host/db)
  --port N         the port to listen on (8787; 0 picks a free one)
  --host HOST      the address to listen on (127.0.0.1)
  -h, --help       this help

Settings are environment variables with the Worker's names; docs/api.md in
cohort-sync's source ("Settings") says what each does. A value that cannot be
right stops it before it starts.
${settingLines()}

SIGINT or SIGTERM stops it after the requests under way.

Exit status: 0 stopped by a signal, 1 the server could not start, 2 usage error or
a bad setting.`;

const OPTIONS = {
  db: { type: "string" },
  postgres: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  help: { type: "boolean", short: "h" },
};

const usage = (message) => usageError("serve", message);

function readArgs(argv) {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const portText = values.port ?? "8787";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(portText)}`);
  if (values.db === "") throw new UsageError("--db must name a file");
  if (values.db !== undefined && values.postgres !== undefined) throw new UsageError("give --db or --postgres, not both");
  if (values.postgres === "") throw new UsageError("--postgres must be a connection string");
  return { help: values.help, db: resolve(values.db ?? "cohorts.db"), postgres: values.postgres, port, host: values.host ?? "127.0.0.1" };
}

export async function main(argv) {
  const { args, exit } = readCommandLine("serve", argv, readArgs, HELP);
  if (exit !== undefined) return exit;
  const settings = Object.fromEntries(FROM_ENVIRONMENT.filter(({ name }) => process.env[name] !== undefined).map(({ name }) => [name, process.env[name]]));
  let mode;
  try {
    mode = readSettings(settings).auth.kind;
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    process.stderr.write(`cohort-sync serve: ${error.message.replace(/^cohort-sync: /, "")}\n`);
    return 2;
  }
  const { createReceiver } = await import("../receiver/node.js");
  // Where the state is, without a password a connection string may carry.
  const where = args.postgres === undefined ? args.db : redacted(args.postgres);
  let receiver;
  try {
    receiver = createReceiver(args.postgres === undefined ? { db: args.db, settings } : { postgres: args.postgres, settings });
    await receiver.ready();
  } catch (error) {
    await receiver?.close().catch(() => {});
    process.stderr.write(`cohort-sync serve: cannot open ${where}: ${error.message}\n`);
    return 1;
  }
  const server = createServer(receiver.nodeHandler);
  try {
    await new Promise((ok, fail) => server.once("error", fail).listen(args.port, args.host, ok));
  } catch (error) {
    await receiver.close();
    process.stderr.write(`cohort-sync serve: cannot listen on ${args.host}:${args.port}: ${error.message}\n`);
    return 1;
  }
  const { port } = server.address();
  const origin = `http://${args.host.includes(":") ? `[${args.host}]` : args.host}:${port}`;
  process.stdout.write(`cohort-sync serve: listening on ${origin} (webhook ${origin}/webhook), state in ${where}\n`);
  if (mode === "closed") {
    process.stderr.write("cohort-sync serve: no credentials configured: every request is refused (set WEBHOOK_USERNAME and WEBHOOK_PASSWORD)\n");
  } else if (mode === "open") {
    process.stderr.write("cohort-sync serve: ALLOW_UNAUTHENTICATED=true: anyone who can reach it may post and read\n");
  }
  const signal = await new Promise((ok) => {
    process.once("SIGINT", () => ok("SIGINT"));
    process.once("SIGTERM", () => ok("SIGTERM"));
  });
  // Requests under way finish; idle keep-alive connections are closed at once.
  const closed = new Promise((ok) => server.close(ok));
  server.closeIdleConnections();
  await closed;
  await receiver.close();
  process.stdout.write(`cohort-sync serve: stopped (${signal})\n`);
  return 0;
}

/** A connection string without its password. */
function redacted(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the PostgreSQL database";
  }
}
