// openSource: the rows `cohort-sync load` sends, from a file (NDJSON, a JSON array, CSV;
// each maybe gzipped), stdin, SQLite, PostgreSQL or DuckDB, each read as a stream so
// memory does not grow with the source. Every row read is yielded once, numbered from 1:
// `{ n, row }`, or `{ n, error: { code, message } }` for a row that cannot be one (the
// source goes on after it where it can). What cannot go on (a missing file, a bad query,
// a lost connection) is thrown, with `code` "source_not_found" or "source_error".
import { openBytes, withoutBom } from "./bytes.js";
import { csvBatches, csvBlocks } from "./csv.js";
import { openDuckdb } from "./duckdb.js";
import { jsonArrayBatches, jsonArrayBlocks } from "./json-array.js";
import { ndjsonBatches, ndjsonBlocks } from "./ndjson.js";
import { openPostgres } from "./postgres.js";
import { openSqlite } from "./sqlite.js";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_ROW_BYTES, sourceError } from "./values.js";

const FORMATS = { ndjson: "ndjson", jsonl: "ndjson", json: "json", csv: "csv", tsv: "tsv" };

/**
 * Opens a source.
 *
 * spec: `{ file, format?, gzip?, delimiter? }` | `{ stdin: true, format, stream?, gzip?,
 * delimiter? }` | `{ sqlite, query, params? }` | `{ postgres, query, params?, batchRows? }`
 * | `{ duckdb?, query, params? }`.
 * options: `{ maxRowBytes = 10 MiB, maxDepth = 64 }` (a larger line or element, a deeper
 * value, is a row error).
 *
 * Returns `{ rows, format, sizeBytes, bytesRead(), ready(), close() }`: `rows` an async
 * iterable (read once) of `{ n, row }` / `{ n, error: { code, message, line? } }` (`line`
 * for files); `sizeBytes` the file's size (null for stdin and databases); `bytesRead()`
 * the bytes consumed so far (compressed bytes of a .gz; 0 for databases); `ready()`
 * connects and runs a database's query so its errors come before the first row (files
 * and SQLite fail in openSource itself); `close()` ends the reading and frees what the
 * source holds (safe at any time, more than once; reading stops quietly after it).
 * A PostgreSQL source also has `fetches()`, the number of FETCHes its cursor has run.
 */
export function openSource(spec, options = {}) {
  if (spec === null || typeof spec !== "object") throw new TypeError("openSource: spec must be an object");
  const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(maxRowBytes) || maxRowBytes < 1) throw new TypeError("openSource: maxRowBytes must be a positive integer");
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) throw new TypeError("openSource: maxDepth must be a positive integer");
  const limits = { maxRowBytes, maxDepth };

  if (spec.file !== undefined || spec.stdin) return openTextSource(spec, limits);
  if (spec.sqlite !== undefined) {
    const sqlite = openSqlite(spec);
    return source("sqlite", null, () => 0, async () => {}, () => inBatches(sqlite.rows()), async () => sqlite.close());
  }
  if (spec.postgres !== undefined) {
    const pg = openPostgres(spec, limits);
    const opened = source("postgres", null, () => 0, pg.start, () => inBatches(pg.rows()), pg.close);
    // How many FETCHes the cursor has taken: a sign that the rows came in batches.
    opened.fetches = pg.fetches;
    return opened;
  }
  if ("duckdb" in spec) {
    const duck = openDuckdb(spec, limits);
    return source("duckdb", null, () => 0, duck.start, () => inBatches(duck.rows()), duck.close);
  }
  throw new TypeError("openSource: spec needs one of file, stdin, sqlite, postgres, duckdb");
}

function openTextSource(spec, limits) {
  const format = formatOf(spec);
  const delimiter = spec.delimiter ?? (format === "tsv" ? "\t" : ",");
  if (typeof delimiter !== "string" || delimiter.length !== 1 || delimiter.charCodeAt(0) > 127 || '"\r\n'.includes(delimiter)) {
    throw new TypeError("openSource: delimiter must be one ASCII character other than a quote or a line break");
  }
  const bytes = openBytes(spec);
  const parse = () => {
    const chunks = withoutBom(bytes.chunks());
    if (format === "ndjson") return ndjsonBatches(chunks, limits);
    if (format === "json") return jsonArrayBatches(chunks, limits);
    return csvBatches(chunks, { ...limits, delimiter });
  };
  const opened = source(format === "tsv" ? "csv" : format, bytes.sizeBytes, bytes.bytesRead, async () => {}, parse, async () => bytes.destroy(), spec.file ?? "stdin");
  // Blocks of whole lines, elements or records, to be read elsewhere (ndjson.js
  // rowsOfBlock, json-array.js rowsOfJsonArrayBlock, csv.js rowsOfCsvBlock): how the
  // loader spreads the reading over worker threads.
  if (format === "ndjson") {
    opened.limits = limits;
    opened.blocks = opened.reader(() => ndjsonBlocks(withoutBom(bytes.chunks()), limits));
  } else if (format === "json") {
    opened.limits = { ...limits, json: true };
    opened.blocks = opened.reader(() => jsonArrayBlocks(withoutBom(bytes.chunks()), limits));
  } else {
    opened.limits = { ...limits, csvDelimiter: delimiter };
    opened.blocks = opened.reader(() => csvBlocks(withoutBom(bytes.chunks()), { ...limits, delimiter }));
  }
  return opened;
}

function formatOf(spec) {
  if (spec.format !== undefined) {
    const format = FORMATS[String(spec.format).toLowerCase()];
    if (format === undefined) throw new TypeError(`openSource: unknown format "${spec.format}" (ndjson, jsonl, json, csv or tsv)`);
    return format;
  }
  if (spec.stdin) throw new TypeError("openSource: stdin needs a format (ndjson, json or csv)");
  const name = String(spec.file).toLowerCase().replace(/\.gz$/, "");
  const extension = /\.([a-z]+)$/.exec(name)?.[1];
  const format = FORMATS[extension];
  if (format === undefined) {
    throw sourceError("source_error", `cannot tell the format of ${spec.file} from its name: name it .ndjson, .jsonl, .json, .csv or .tsv (maybe .gz), or give a format`);
  }
  return format;
}

// The source object; `generate()` makes the generator of its rows in arrays, once.
function source(format, sizeBytes, bytesRead, start, generate, release, name = format) {
  let used = false;
  let closed = false;
  let closing = null;
  const close = () => {
    closed = true;
    return (closing ??= release());
  };
  async function* batches(make = generate) {
    try {
      for await (const rows of make()) {
        if (closed) return;
        yield rows;
      }
    } catch (error) {
      // Reading stopped by close() is the end of the rows, not an error.
      if (closed) return;
      throw asSourceError(error, name);
    }
  }
  const once = () => {
    if (used) throw new Error("a source's rows can be read once");
    used = true;
  };
  return {
    format,
    sizeBytes,
    bytesRead,
    ready: async () => {
      try {
        await start();
      } catch (error) {
        throw asSourceError(error, name);
      }
    },
    close,
    rows: {
      async *[Symbol.asyncIterator]() {
        once();
        for await (const rows of batches()) {
          for (const row of rows) {
            // A close() while the consumer held a row ends the rows there.
            if (closed) return;
            yield row;
          }
        }
      },
    },
    /** The same rows in arrays (a few thousand at most): fewer awaits for a fast reader. */
    batches: {
      [Symbol.asyncIterator]() {
        once();
        return batches();
      },
    },
    /** Another view of the rows, from `make()`, read once like the others. */
    reader: (make) => ({
      [Symbol.asyncIterator]() {
        once();
        return batches(make);
      },
    }),
  };
}

function asSourceError(error, name) {
  if (error instanceof TypeError && error.code === undefined) return error;
  if (error?.code === "source_error" || error?.code === "source_not_found") return error;
  if (error?.code === "ENOENT") return sourceError("source_not_found", `no such file: ${name}`, error);
  return sourceError("source_error", `cannot read ${name}: ${error?.message ?? error}`, error);
}

/** Rows in arrays of at most BATCH_ROWS: a sync iterable's taken without awaiting between rows. */
const BATCH_ROWS = 2000;
async function* inBatches(rows) {
  if (typeof rows[Symbol.iterator] === "function") {
    const iterator = rows[Symbol.iterator]();
    try {
      for (;;) {
        const batch = [];
        let next;
        while (batch.length < BATCH_ROWS && !(next = iterator.next()).done) batch.push(next.value);
        if (batch.length > 0) yield batch;
        if (batch.length < BATCH_ROWS) return;
      }
    } finally {
      iterator.return?.();
    }
  }
  // An async source's rows are passed on as they come: a batch never waits for more rows.
  for await (const row of rows) yield [row];
}
