// Rows of a DuckDB query (which reads Parquet, CSV and JSON files by name: `SELECT * FROM
// 'events.parquet'`), streamed: the result is a streaming one, fetched a chunk (about
// 2048 rows) at a time, so one chunk is in memory, never the whole result.
// @duckdb/node-api is loaded only when a DuckDB source is opened, from the user's own
// install. It is not declared as a peer: every version it publishes is a prerelease
// (1.5.6-r.1), which no npm peer range can follow from one release to the next.
//
// Values: integers of every width as numbers or bigints by size, DECIMALs as numbers
// when exact (else their text), TIMESTAMP*/DATE as Dates (their text when a Date cannot
// hold them), BLOB as Uint8Array, LIST/ARRAY as arrays, STRUCT as objects, MAP as an
// object when its keys are distinct strings (else an array of { key, value }), JSON
// columns parsed losslessly; TIME, INTERVAL, UUID, ENUM and BIT as their text.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { RowProblem, exactInteger, finiteOrText, newRow, numberFromDecimalText, parseJson, setProperty, sourceError } from "./values.js";

function loadDriver() {
  try {
    return createRequire(import.meta.url)("@duckdb/node-api");
  } catch (error) {
    throw sourceError("source_error", "the DuckDB source needs @duckdb/node-api: npm install @duckdb/node-api", error);
  }
}

/** `{ start(), rows(), close() }` of `{ duckdb, query, params }`; errors are thrown (source_error) by start() and rows(). */
export function openDuckdb(spec, { maxDepth }) {
  if (typeof spec.query !== "string" || spec.query.trim() === "") throw new TypeError("duckdb: `query` must be an SQL text");
  const target = spec.duckdb ?? ":memory:";
  if (typeof target === "string" && target !== ":memory:" && target !== "" && !existsSync(target)) {
    // DuckDB would create an empty database there; a source must not.
    throw sourceError("source_not_found", `no such DuckDB file: ${target}`);
  }

  let duckdb = null;
  let instance = null; // ours to close
  let connection = null;
  let ownConnection = false;
  let result = null;
  let started = null;
  let closed = false;

  async function begin() {
    duckdb = loadDriver();
    try {
      if (typeof target === "string") {
        const memory = target === ":memory:" || target === "";
        instance = await duckdb.DuckDBInstance.create(memory ? ":memory:" : target, memory ? {} : { access_mode: "READ_ONLY" });
        connection = await instance.connect();
        ownConnection = true;
      } else if (typeof target.stream === "function") {
        connection = target; // a DuckDBConnection, the caller's
      } else if (typeof target.connect === "function") {
        connection = await target.connect(); // a DuckDBInstance, the caller's
        ownConnection = true;
      } else {
        throw new TypeError("duckdb: give a file name, null (in memory), a DuckDBInstance or a DuckDBConnection");
      }
    } catch (error) {
      if (error instanceof TypeError) throw error;
      cleanup();
      throw sourceError("source_error", `cannot open DuckDB ${typeof target === "string" ? target : ""}: ${error.message}`, error);
    }
    try {
      result = await connection.stream(spec.query, spec.params);
    } catch (error) {
      cleanup();
      throw sourceError("source_error", `DuckDB query failed: ${error.message}`, error);
    }
  }

  function cleanup() {
    result = null;
    if (ownConnection) connection?.closeSync();
    connection = null;
    instance?.closeSync();
    instance = null;
  }

  const start = () => (started ??= begin());

  async function* rows() {
    await start();
    try {
      const names = result.columnNames();
      const types = names.map((_, i) => result.columnType(i));
      const convert = types.map((type) => columnConverter(duckdb, type, maxDepth));
      let n = 0;
      for (;;) {
        if (closed || result === null) return;
        let chunk;
        try {
          chunk = await result.fetchChunk();
        } catch (error) {
          if (closed) return;
          throw sourceError("source_error", `DuckDB query failed: ${error.message}`, error);
        }
        if (chunk === null || chunk.rowCount === 0) return;
        // One chunk's values, column by column; rows are built one at a time from them.
        const columns = [];
        for (let c = 0; c < names.length; c++) columns.push(columnValues(chunk, c, types[c]));
        const count = chunk.rowCount;
        for (let r = 0; r < count; r++) {
          n++;
          const row = newRow();
          try {
            for (let c = 0; c < names.length; c++) row[names[c]] = convert[c](columns[c][r]);
          } catch (error) {
            if (!(error instanceof RowProblem)) throw error;
            yield { n, error: { code: error.code, message: `row ${n}: ${error.message}` } };
            continue;
          }
          yield { n, row };
        }
      }
    } finally {
      cleanup();
    }
  }

  async function close() {
    closed = true;
    if (started !== null) await started.catch(() => {});
    cleanup();
  }

  return { start, rows, close };
}

// A column's converter.
function columnConverter(duckdb, type, maxDepth) {
  const convert = valueConverter(duckdb, maxDepth);
  return (value) => convert(value, type, convert);
}

// The values of column c of a chunk. A STRUCT column is read field by field from its
// vector: the driver's own struct values are objects keyed by field name, where a field
// named __proto__ is lost (its assignment sets the object's prototype instead).
function columnValues(chunk, c, type) {
  if (type.typeId !== STRUCT_TYPE_ID) return chunk.getColumnValues(c);
  const vector = chunk.getColumnVector(c);
  const values = new Array(chunk.rowCount);
  for (let r = 0; r < values.length; r++) {
    if (vector.getItem(r) === null) {
      values[r] = null;
      continue;
    }
    values[r] = new FieldValues(type.entryNames.map((_, i) => vector.getItemValue(r, i)));
  }
  return values;
}

const STRUCT_TYPE_ID = 25;

// A struct's field values in the order of its type's fields.
class FieldValues {
  constructor(values) {
    this.values = values;
  }
}

// A value converter (@duckdb/node-api's DuckDBValueConverter) giving the values above.
function valueConverter(duckdb, maxDepth) {
  const id = duckdb.DuckDBTypeId;
  const v = duckdb;
  const integer = (value) => (typeof value === "bigint" ? exactInteger(value) : value);
  const text = (value) => String(value);
  // A Date, or the value's text when it is out of a Date's range (infinity too).
  const dateOr = (fn) => (value) => {
    try {
      const date = fn(value);
      return Number.isNaN(date.getTime()) ? String(value) : date;
    } catch {
      return String(value);
    }
  };
  const list = (value, type, convert) => value.items.map((item) => convert(item, type.valueType, convert));
  const byId = {
    [id.BOOLEAN]: v.booleanFromValue,
    [id.TINYINT]: v.numberFromValue,
    [id.SMALLINT]: v.numberFromValue,
    [id.INTEGER]: v.numberFromValue,
    [id.UTINYINT]: v.numberFromValue,
    [id.USMALLINT]: v.numberFromValue,
    [id.UINTEGER]: v.numberFromValue,
    [id.BIGINT]: integer,
    [id.UBIGINT]: integer,
    [id.HUGEINT]: integer,
    [id.UHUGEINT]: integer,
    [id.BIGNUM]: integer,
    [id.FLOAT]: (value) => finiteOrText(value),
    [id.DOUBLE]: (value) => finiteOrText(value),
    [id.DECIMAL]: (value) => numberFromDecimalText(value.toString()),
    [id.TIMESTAMP]: dateOr(v.dateFromTimestampValue),
    [id.TIMESTAMP_S]: dateOr(v.dateFromTimestampSecondsValue),
    [id.TIMESTAMP_MS]: dateOr(v.dateFromTimestampMillisecondsValue),
    [id.TIMESTAMP_NS]: dateOr(v.dateFromTimestampNanosecondsValue),
    [id.TIMESTAMP_TZ]: dateOr(v.dateFromTimestampTZValue),
    [id.DATE]: dateOr(v.dateFromDateValue),
    [id.TIME]: text,
    [id.TIME_NS]: text,
    [id.TIME_TZ]: text,
    [id.INTERVAL]: text,
    // JSON is VARCHAR with an alias; a JSON value sits inside the row, one level down.
    [id.VARCHAR]: (value, type) => (type.alias === "JSON" ? parseJson(String(value), maxDepth - 1) : String(value)),
    [id.ENUM]: text,
    [id.UUID]: text,
    [id.BIT]: text,
    [id.BLOB]: v.bytesFromBlobValue,
    [id.GEOMETRY]: v.bytesFromGeometryValue,
    [id.LIST]: list,
    [id.ARRAY]: list,
    [id.STRUCT]: (value, type, convert) => {
      // Field by field in the type's order, each set as an own property (__proto__ too).
      // Nested structs come as the driver's values, where a __proto__ field is lost: null.
      const object = {};
      const names = type.entryNames;
      for (let i = 0; i < names.length; i++) {
        const item = value instanceof FieldValues ? value.values[i] : Object.hasOwn(value.entries, names[i]) ? value.entries[names[i]] : null;
        setProperty(object, names[i], convert(item, type.entryTypes[i], convert));
      }
      return object;
    },
    [id.MAP]: (value, type, convert) => {
      const entries = value.entries.map((entry) => ({ key: convert(entry.key, type.keyType, convert), value: convert(entry.value, type.valueType, convert) }));
      const keys = new Set(entries.map((entry) => entry.key));
      if (keys.size !== entries.length || entries.some((entry) => typeof entry.key !== "string")) return entries;
      const object = {};
      for (const entry of entries) setProperty(object, entry.key, entry.value);
      return object;
    },
    [id.UNION]: (value, type, convert) => convert(value.value, type.memberTypes[type.memberIndexForTag(value.tag)], convert),
    [id.VARIANT]: v.fromVariantValue,
    [id.SQLNULL]: () => null,
  };
  return (value, type, convert) => {
    if (value === null || value === undefined) return null;
    const fn = byId[type.typeId];
    return fn === undefined ? String(value) : fn(value, type, convert);
  };
}
