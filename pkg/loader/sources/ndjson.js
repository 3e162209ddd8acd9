// NDJSON (JSON Lines): one JSON object a line. Lines are cut from the bytes as they
// arrive; only the line being read is held, and a line longer than the limit is skipped
// without being kept (its bytes are counted to its end and dropped). Every line is
// parsed on its own, so a bad line is one row error and the next line reads as if
// nothing happened.
//
// The lines that lie whole inside one chunk are read as a block: the block is checked
// for UTF-8 and decoded once, then split, which costs a fraction of a check and a decode
// a line. A block that is not valid UTF-8 is read line by line, so the error names its
// line. Rows come out in arrays, one a chunk.
import { isUtf8 } from "node:buffer";
import { RowProblem, asRow, isPlainObject, parseJson } from "./values.js";

/** Arrays of rows `{ n, row }` / `{ n, error }` of NDJSON `chunks` (Buffers, BOM already gone). */
export async function* ndjsonBatches(chunks, { maxRowBytes, maxDepth }) {
  let parts = [];
  let length = 0;
  let line = 0;
  let n = 0;

  // The row of one line's text (null for a blank line).
  const rowOf = (text) => {
    line++;
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (blank(text)) return null;
    // A line's bytes are at most three times its UTF-16 length: only a long one is measured.
    if (text.length * 3 > maxRowBytes && Buffer.byteLength(text) > maxRowBytes) return tooLarge(Buffer.byteLength(text));
    try {
      const value = parseJson(text, maxDepth);
      if (!isPlainObject(value)) throw new RowProblem("not_an_object", `a row must be a JSON object, not ${describe(value)}`);
      return { n: ++n, row: asRow(value) };
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      return { n: ++n, error: { code: error.code, message: `line ${line}: ${error.message}`, line } };
    }
  };
  const tooLarge = (size) => ({ n: ++n, error: { code: "row_too_large", message: `line ${line} is ${size} bytes, over the limit of ${maxRowBytes}`, line } });
  // The row of a line's bytes.
  const rowOfBytes = (bytes, size) => {
    if (size > maxRowBytes) {
      line++;
      return tooLarge(size);
    }
    if (!isUtf8(bytes)) {
      line++;
      if (blank(bytes)) return null;
      return { n: ++n, error: { code: "invalid_utf8", message: `line ${line} is not valid UTF-8`, line } };
    }
    return rowOf(bytes.toString("utf8"));
  };
  // The row of the line held in `parts` (over more than one chunk, or cut by one).
  const finish = () => {
    const tooLong = length > maxRowBytes;
    const bytes = tooLong ? null : parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
    const size = length;
    parts = [];
    length = 0;
    return rowOfBytes(bytes, size);
  };

  for await (const chunk of chunks) {
    const rows = [];
    const add = (row) => {
      if (row !== null) rows.push(row);
    };
    const first = chunk.indexOf(10);
    if (first === -1) {
      // Past the limit the line's bytes are only counted, never kept.
      if (length + chunk.length <= maxRowBytes) parts.push(chunk);
      else parts = [];
      length += chunk.length;
      continue;
    }
    // The end of the line begun in an earlier chunk (or the first line of this one).
    if (length + first <= maxRowBytes) parts.push(chunk.subarray(0, first));
    else parts = [];
    length += first;
    add(finish());
    // The lines whole inside this chunk.
    const last = chunk.lastIndexOf(10);
    if (last > first) {
      const block = chunk.subarray(first + 1, last);
      if (isUtf8(block)) {
        for (const text of block.toString("utf8").split("\n")) add(rowOf(text));
      } else {
        for (let start = 0; start <= block.length; ) {
          const newline = block.indexOf(10, start);
          const end = newline === -1 ? block.length : newline;
          add(rowOfBytes(block.subarray(start, end), end - start));
          start = end + 1;
        }
      }
    }
    // The start of the line the next chunk ends.
    const tail = chunk.subarray(last + 1);
    if (tail.length <= maxRowBytes) parts.push(tail);
    length += tail.length;
    if (rows.length > 0) yield rows;
  }
  if (length > 0) {
    const row = finish();
    if (row !== null) yield [row];
  }
}

/** The rows of ndjsonBatches one by one. */
export async function* ndjsonRows(chunks, limits) {
  for await (const rows of ndjsonBatches(chunks, limits)) yield* rows;
}

// A line of only spaces and tabs (or nothing) is no row: files often end with one.
function blank(text) {
  for (let i = 0; i < text.length; i++) {
    const c = typeof text === "string" ? text.charCodeAt(i) : text[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

export function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : typeof value === "bigint" ? "a number" : `a ${typeof value}`;
}
