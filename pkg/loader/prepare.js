// A chunk of source rows made ready to plan and send: each row mapped to its Mixpanel
// record and its key and record hashed, with the records and keys kept as bytes (one
// buffer each) rather than as a string a row; then, once planned, the rows to send
// checked by Mixpanel's rules (an unchanged row was checked when it was sent).
import { LoadState, validateEvents, validateProfiles } from "../node.js";
import { RowProblem } from "./mapping.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Prepares `items` (`{ n, row }`, `{ n, error }`, or `{ n, rows, mapped }` for an
 * audiences user) with `mapper`. Returns
 * `{ count, n, many, keys, keyEnds, records, recordEnds, hashes, propLists, propsOf, rejected }`:
 * the rows ready to plan (row numbers; each row's source rows for audiences; keys each
 * ended by NUL and records each ended by a line feed, with where each ends; the key
 * hash and record checksum pairs; for profiles, the distinct lists of property names
 * set and each row's list in them), and the rows rejected here, in order
 * (`{ n, rows?, key, code, field, message }`).
 */
export function prepareRows(items, { mapper }) {
  const rejected = [];
  const mapped = [];
  for (const item of items) {
    if (item.error) {
      rejected.push({ n: item.n, key: null, code: item.error.code, field: null, message: item.error.message });
      continue;
    }
    if (item.mapped) {
      mapped.push({ n: item.n, rows: item.rows, ...item.mapped });
      continue;
    }
    try {
      const row = mapper.map(item.row);
      row.n = item.n;
      mapped.push(row);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      rejected.push({ n: item.n, key: null, code: error.code, field: error.field, message: error.message });
    }
  }
  const records = lineEnded(mapped);
  // Rows of one shape share a list (mapping.js), so a chunk holds few, each passed once.
  let propLists = null;
  let propsOf = null;
  if (mapped.some((row) => row.props)) {
    const index = new Map();
    propLists = [];
    propsOf = Int32Array.from(mapped, ({ props = [] }) => {
      let at = index.get(props);
      if (at === undefined) index.set(props, (at = propLists.push(props) - 1));
      return at;
    });
  }
  const keys = encoder.encode(mapped.length === 0 ? "" : `${mapped.map((row) => row.key).join("\u0000")}\u0000`);
  return {
    count: mapped.length,
    n: Float64Array.from(mapped, (row) => row.n),
    many: mapped.some((row) => row.rows) ? mapped.map((row) => row.rows ?? null) : null,
    keys,
    keyEnds: ends(keys, 0, mapped.length),
    records,
    recordEnds: ends(records, 10, mapped.length),
    hashes: mapped.length === 0 ? new BigUint64Array(0) : LoadState.rowHashes(keys, records),
    propLists,
    propsOf,
    rejected,
  };
}

/**
 * Mixpanel's rules over rows `indexes` (ascending) of a prepared chunk, for `object`
 * ("events", "users" or "groups"): a Map from a position in `indexes` to the first
 * error found in that row.
 */
export function checkRows(prepared, indexes, object, now = Date.now()) {
  const all = indexes.length === prepared.count;
  const records = all ? prepared.records : Buffer.concat(indexes.map((i) => prepared.records.subarray(i === 0 ? 0 : prepared.recordEnds[i - 1] + 1, prepared.recordEnds[i] + 1)));
  const report = object === "events" ? validateEvents(records, { now }) : validateProfiles(records, object === "users" ? "user" : "group");
  const problems = new Map();
  for (const problem of report.problems) {
    if (problem.severity === "error" && problem.index !== null && !problems.has(problem.index)) problems.set(problem.index, problem);
  }
  return problems;
}

function lineEnded(rows) {
  return encoder.encode(rows.length === 0 ? "" : `${rows.map((row) => row.record).join("\n")}\n`);
}

// Where each of `count` pieces of `bytes` ends (the offset of its `end` byte).
function ends(bytes, end, count) {
  const out = new Uint32Array(count);
  let at = -1;
  for (let i = 0; i < count; i++) out[i] = at = bytes.indexOf(end, at + 1);
  return out;
}

/** The buffers of a prepared chunk, to hand it to another thread without copying. */
export function transferables(prepared) {
  return [prepared.n, prepared.keys, prepared.keyEnds, prepared.records, prepared.recordEnds, prepared.hashes, prepared.propsOf].filter(Boolean).map((array) => array.buffer);
}

/** Row `i`'s key, as text. */
export function keyOf(prepared, i) {
  return decoder.decode(prepared.keys.subarray(i === 0 ? 0 : prepared.keyEnds[i - 1] + 1, prepared.keyEnds[i]));
}

/** Row `i`'s record: where its bytes start and end (without the line feed). */
export function recordRange(prepared, i) {
  return [i === 0 ? 0 : prepared.recordEnds[i - 1] + 1, prepared.recordEnds[i]];
}

/** Row `i`'s record, as text. */
export function recordOf(prepared, i) {
  const [start, end] = recordRange(prepared, i);
  return decoder.decode(prepared.records.subarray(start, end));
}

/**
 * Who profile row `i` is and which properties it set (`{ who, props }`: the record's
 * identity as JSON members, and the names under `$set`), what a later removal of it
 * needs; asked only for rows sent. `prefix` is the length of the records' shared start,
 * `{"$token":"…",`. The identity runs from there to `,"$set":`, which no JSON string in
 * it can hold (a quote inside a string is escaped, so `,"` never occurs in one).
 */
export function identityOf(prepared, i, prefix) {
  const [start, end] = recordRange(prepared, i);
  const { buffer, byteOffset } = prepared.records;
  const record = Buffer.from(buffer, byteOffset + start + prefix, end - start - prefix);
  const who = record.toString("utf8", 0, record.indexOf(',"$set":'));
  return { who, props: prepared.propsOf === null ? [] : prepared.propLists[prepared.propsOf[i]] };
}

/**
 * A request body of prepared rows (`[{ prepared, i }]`, in order): for events, NDJSON
 * (each record and a line feed); for profiles, a JSON array. Runs of rows that lie one
 * after another in one chunk are copied as one piece.
 */
export function requestBody(object, rows) {
  const pieces = [];
  let size = 0;
  for (let r = 0; r < rows.length; ) {
    const { prepared, i } = rows[r];
    let last = i;
    let next = r + 1;
    while (next < rows.length && rows[next].prepared === prepared && rows[next].i === last + 1) {
      last++;
      next++;
    }
    const start = i === 0 ? 0 : prepared.recordEnds[i - 1] + 1;
    const piece = prepared.records.subarray(start, prepared.recordEnds[last] + 1);
    pieces.push(piece);
    size += piece.length;
    r = next;
  }
  if (object === "events") return Buffer.concat(pieces, size);
  // "[" + the records, a comma in place of each line feed but the last + "]".
  const body = Buffer.allocUnsafe(size + 1);
  body[0] = 0x5b;
  let at = 1;
  for (const piece of pieces) {
    body.set(piece, at);
    at += piece.length;
  }
  for (let i = 1; i < body.length - 1; i++) if (body[i] === 10) body[i] = 0x2c;
  body[body.length - 1] = 0x5d;
  return body;
}
