// NDJSON (JSON Lines): one JSON object a line. Lines are cut from the bytes as they
// arrive; only the line being read is held, and a line longer than the limit is skipped
// without being kept (its bytes are counted to its end and dropped). Every line is
// decoded and parsed on its own, so a bad line is one row error and the next line reads
// as if nothing happened.
import { isUtf8 } from "node:buffer";
import { RowProblem, asRow, isPlainObject, parseJson } from "./values.js";

/** Rows `{ n, row }` / `{ n, error }` of NDJSON `chunks` (Buffers, BOM already gone). */
export async function* ndjsonRows(chunks, { maxRowBytes, maxDepth }) {
  let parts = [];
  let length = 0;
  let line = 0;
  let n = 0;

  // The row of the line now in `parts` (null for a blank line).
  const finish = () => {
    line++;
    const tooLong = length > maxRowBytes;
    let bytes = parts.length === 1 ? parts[0] : tooLong ? null : Buffer.concat(parts, length);
    parts = [];
    const size = length;
    length = 0;
    if (tooLong) return { n: ++n, error: { code: "row_too_large", message: `line ${line} is ${size} bytes, over the limit of ${maxRowBytes}`, line } };
    if (bytes.length > 0 && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1);
    if (blank(bytes)) return null;
    if (!isUtf8(bytes)) return { n: ++n, error: { code: "invalid_utf8", message: `line ${line} is not valid UTF-8`, line } };
    try {
      const value = parseJson(bytes.toString("utf8"), maxDepth);
      if (!isPlainObject(value)) throw new RowProblem("not_an_object", `a row must be a JSON object, not ${describe(value)}`);
      return { n: ++n, row: asRow(value) };
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      return { n: ++n, error: { code: error.code, message: `line ${line}: ${error.message}`, line } };
    }
  };

  for await (const chunk of chunks) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      // Past the limit the line's bytes are only counted, never kept.
      if (length + (end - start) <= maxRowBytes) parts.push(chunk.subarray(start, end));
      else parts = [];
      length += end - start;
      if (newline === -1) break;
      start = newline + 1;
      const result = finish();
      if (result !== null) yield result;
    }
  }
  if (length > 0) {
    const result = finish();
    if (result !== null) yield result;
  }
}

// A line of only spaces and tabs (or nothing) is no row: files often end with one.
function blank(bytes) {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 32 && b !== 9 && b !== 13) return false;
  }
  return true;
}

export function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : typeof value === "bigint" ? "a number" : `a ${typeof value}`;
}
