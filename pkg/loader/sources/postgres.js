// Rows of a PostgreSQL query through a server-side cursor: BEGIN READ ONLY, DECLARE a
// NO SCROLL cursor for the query, FETCH `batchRows` at a time until a short batch, CLOSE,
// COMMIT. Only one batch is in memory, whatever the table's size; the transaction holds
// one snapshot, so the rows are those of one moment. pg (node-postgres) is an optional
// peer dependency, loaded only when a PostgreSQL source is opened.
//
// Values are converted here from PostgreSQL's text format, not by pg's parsers (which
// round int8 through a string, parse json with JSON.parse and read a timestamp without a
// zone as local time): int8 and integral numerics as numbers or bigints by size, other
// numerics as numbers when exact, json and jsonb losslessly, timestamps as Dates (a
// timestamp without a zone is taken as UTC), a value a Date cannot hold (infinity, a year
// past 275760) as its text.
import { createRequire } from "node:module";
import { RowProblem, finiteOrText, integerFromText, newRow, numberFromDecimalText, parseJson, sourceError } from "./values.js";

const CURSOR = "cohort_sync_source";

function loadDriver() {
  try {
    return createRequire(import.meta.url)("pg");
  } catch (error) {
    throw sourceError("source_error", "the PostgreSQL source needs pg 8.x: npm install pg", error);
  }
}

/**
 * `{ start(), rows(), close(), fetches() }` of `{ postgres, query, params, batchRows }`.
 * start() connects and declares the cursor (idempotent); rows() starts if need be and
 * fetches. Connection and query errors are thrown (code source_error) by either.
 */
export function openPostgres(spec, { maxDepth }) {
  if (typeof spec.query !== "string" || spec.query.trim() === "") throw new TypeError("postgres: `query` must be an SQL text");
  const batchRows = spec.batchRows ?? 1000;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new TypeError("postgres: `batchRows` must be a positive integer");
  const target = spec.postgres;
  if (typeof target !== "string" && typeof target?.connect !== "function" && typeof target?.query !== "function") {
    throw new TypeError("postgres: give a connection string or a pg Pool");
  }
  // A trailing semicolon would end the DECLARE early.
  const query = spec.query.replace(/[\s;]+$/, "");

  let pg = null;
  let client = null;
  let release = async () => {};
  let inTransaction = false;
  let started = null;
  let closing = null;
  let fetchCount = 0;

  async function begin() {
    pg = loadDriver();
    try {
      if (typeof target === "string") {
        const own = new pg.Client({ connectionString: target });
        // A connection the server drops between fetches is an error event; the next
        // query fails with it, so the event itself needs no more than a listener.
        own.on("error", () => {});
        release = () => own.end().catch(() => {});
        await own.connect();
        client = own;
      } else if (typeof target.totalCount === "number" && typeof target.connect === "function") {
        // A Pool: one of its clients for the cursor's transaction, given back at the end
        // (destroyed if the transaction could not be ended cleanly).
        const pooled = await target.connect();
        client = pooled;
        release = (broken) => Promise.resolve(pooled.release(broken ? true : undefined));
      } else {
        client = target; // a connected Client, the caller's to end
      }
    } catch (error) {
      await release();
      throw sourceError("source_error", `cannot connect to PostgreSQL: ${error.message}`, error);
    }
    try {
      await client.query("BEGIN READ ONLY");
      inTransaction = true;
      // The text formats the converters below read.
      await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
      await client.query("SET LOCAL IntervalStyle = 'postgres'");
      await client.query({ text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query}`, values: spec.params ?? [] });
    } catch (error) {
      await end(true);
      throw sourceError("source_error", `PostgreSQL query failed: ${error.message}`, error);
    }
  }

  // Ends the transaction (rolled back unless it was committed) and gives the client back.
  async function end(broken = false) {
    const c = client;
    client = null;
    if (c === null) return;
    let clean = !broken;
    if (inTransaction) {
      inTransaction = false;
      try {
        await c.query("ROLLBACK");
      } catch {
        clean = false;
      }
    }
    await release(!clean);
  }

  const start = () => (started ??= begin());

  // Every value comes as text; `convert[i]` turns column i's into ours.
  const raw = { getTypeParser: () => (text) => text };

  async function* rows() {
    await start();
    try {
      let n = 0;
      let convert = null;
      let names = null;
      for (;;) {
        if (client === null) return; // closed
        let result;
        try {
          fetchCount++;
          result = await client.query({ text: `FETCH ${batchRows} FROM ${CURSOR}`, rowMode: "array", types: raw });
        } catch (error) {
          if (client === null) return;
          throw sourceError("source_error", `PostgreSQL query failed: ${error.message}`, error);
        }
        if (convert === null) {
          names = result.fields.map((field) => field.name);
          convert = result.fields.map((field) => converter(pg, field.dataTypeID, maxDepth));
        }
        for (const values of result.rows) {
          n++;
          const row = newRow();
          try {
            for (let i = 0; i < names.length; i++) {
              const text = values[i];
              row[names[i]] = text === null ? null : convert[i](text);
            }
          } catch (error) {
            if (!(error instanceof RowProblem)) throw error;
            yield { n, error: { code: error.code, message: `row ${n}: ${error.message}` } };
            continue;
          }
          yield { n, row };
        }
        if (result.rows.length < batchRows) break;
      }
      if (client === null) return;
      try {
        await client.query(`CLOSE ${CURSOR}`);
        await client.query("COMMIT");
        inTransaction = false;
      } catch (error) {
        throw sourceError("source_error", `PostgreSQL query failed: ${error.message}`, error);
      }
    } finally {
      // Done, failed or left early: the transaction (if still open) is rolled back and
      // the connection given back.
      await end();
    }
  }

  async function close() {
    closing ??= (async () => {
      // A connection still being made is waited for, so it is given back too.
      if (started !== null) await started.catch(() => {});
      await end();
    })();
    return closing;
  }

  return { start, rows, close, fetches: () => fetchCount };
}

// The converter of one column's text, by its type's OID.
function converter(pg, oid, maxDepth) {
  const textArray = pg.types.getTypeParser(1009, "text"); // text[]: nested arrays of strings
  const arrayOf = (each) => (text) => mapNested(textArray(text), each);
  // A json value sits inside the row, one level down.
  const json = (text) => parseJson(text, maxDepth - 1);
  switch (oid) {
    case 20: // int8
      return integerFromText;
    case 1700: // numeric
      return numberFromDecimalText;
    case 700: // float4
    case 701: // float8
      return (text) => finiteOrText(Number(text));
    case 114: // json
    case 3802: // jsonb
      return json;
    case 1082: // date
      return dateFromText;
    case 1114: // timestamp
    case 1184: // timestamptz
      return timestampFromText;
    case 1016: // int8[]
      return arrayOf(integerFromText);
    case 1231: // numeric[]
      return arrayOf(numberFromDecimalText);
    case 1021: // float4[]
    case 1022: // float8[]
      return arrayOf((text) => finiteOrText(Number(text)));
    case 199: // json[]
    case 3807: // jsonb[]
      return arrayOf(json);
    case 1182: // date[]
      return arrayOf(dateFromText);
    case 1115: // timestamp[]
    case 1185: // timestamptz[]
      return arrayOf(timestampFromText);
    case 1186: // interval: its text ("1 day 02:00:00")
      return (text) => text;
    case 1187: // interval[]
      return textArray;
    default: {
      // bool, int2/int4, bytea (a Buffer), text and the arrays of those: pg's own parsers.
      const parse = pg.types.getTypeParser(oid, "text");
      return (text) => parse(text);
    }
  }
}

function mapNested(value, each) {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => mapNested(item, each));
  return each(value);
}

const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;
const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;

/** A timestamp's ISO text (with or without an offset; without one it is UTC) as a Date, else the text. */
export function timestampFromText(text) {
  const m = TIMESTAMP.exec(text);
  if (m === null) return text; // infinity, -infinity
  const [, year, month, day, hour, minute, second, fraction = "", sign, offsetHours = "0", offsetMinutes = "0", offsetSeconds = "0", bc] = m;
  const ms = Number(fraction.padEnd(3, "0").slice(0, 3));
  let time = utc(year, bc, month, day, hour, minute, second, ms);
  if (sign !== undefined) {
    const offset = (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds)) * 1000;
    time -= sign === "+" ? offset : -offset;
  }
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? text : date;
}

/** A date's ISO text as a Date at UTC midnight, else the text. */
export function dateFromText(text) {
  const m = DATE.exec(text);
  if (m === null) return text;
  const date = new Date(utc(m[1], m[4], m[2], m[3], 0, 0, 0, 0));
  return Number.isNaN(date.getTime()) ? text : date;
}

function utc(year, bc, month, day, hour, minute, second, ms) {
  // 1 BC is year 0 in the proleptic calendar Date uses.
  const y = bc ? 1 - Number(year) : Number(year);
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  date.setUTCFullYear(y, Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), ms);
  return date.getTime();
}
