// What a host has stored, counted from outside the receiver: every table and the number
// of rows in each, as a Map of "place/table" to rows ("place" the Durable Object's file
// in the Worker's persist folder, "" for the one SQLite file or PostgreSQL database).
// A Durable Object's file with no tables still counts (as "file/"), so one created by a
// request shows up. Read-only throughout: the receiver under test is the only writer.
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";

const require = createRequire(import.meta.url);

/** The tables and row counts of one SQLite file, opened read-only, into `into` under `place`. */
function countSqlite(file, place, into) {
  const Database = require("better-sqlite3");
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    into.set(`${place}/`, tables.length);
    for (const name of tables) {
      into.set(`${place}/${name}`, db.prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}"`).pluck().get());
    }
  } finally {
    db.close();
  }
}

/** The serve process's SQLite file. */
export function sqliteSnapshot(file) {
  return async () => {
    const counts = new Map();
    if (existsSync(file)) countSqlite(file, "", counts);
    return counts;
  };
}

/** Every Durable Object's SQLite file under Miniflare's persist folder. */
export function persistSnapshot(folder) {
  return async () => {
    const counts = new Map();
    const files = readdirSync(folder, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".sqlite"))
      .sort();
    for (const file of files) {
      // The file's tables under its path; a locked file still counts as present.
      const place = relative(folder, join(folder, file));
      try {
        countSqlite(join(folder, file), place, counts);
      } catch (error) {
        counts.set(`${place}/`, `unreadable: ${error.code ?? error.message}`);
      }
    }
    return counts;
  };
}

/** Every table of the PostgreSQL database at `url` outside the system schemas. */
export function postgresSnapshot(url) {
  const pg = require("pg");
  return async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
      );
      const counts = new Map([["/", rows.length]]);
      const quote = (name) => `"${name.replaceAll('"', '""')}"`;
      for (const { schemaname, tablename } of rows) {
        const { rows: [{ n }] } = await client.query(`SELECT count(*)::int AS n FROM ${quote(schemaname)}.${quote(tablename)}`);
        counts.set(`/${schemaname === "public" ? "" : `${schemaname}.`}${tablename}`, n);
      }
      return counts;
    } finally {
      await client.end();
    }
  };
}

/**
 * What changed from `before` to `after`: lines such as `+ c3_members (2 rows)`,
 * `c1_sync_stats 4 -> 5`, `- …`. `allowed(key, from, to)` says which changes are
 * accepted (they are left out).
 */
export function changes(before, after, allowed = () => false) {
  const out = [];
  for (const [key, to] of after) {
    const from = before.get(key);
    if (from === to) continue;
    if (allowed(key, from, to)) continue;
    out.push(from === undefined ? `+ ${label(key)} (${describe(key, to)})` : `${label(key)} ${from} -> ${to}`);
  }
  for (const [key, from] of before) if (!after.has(key)) out.push(`- ${label(key)} (${describe(key, from)})`);
  return out;
}

const label = (key) => (key.endsWith("/") ? `${key.slice(0, -1) || "store"} tables` : key.replace(/^\//, ""));
const describe = (key, n) => (key.endsWith("/") ? `${n} tables` : `${n} rows`);
