// NDJSON (JSON Lines): one JSON object a line. The bytes are cut into blocks of whole
// lines as they arrive (ndjsonBlocks); only the line being read is held across chunks,
// and a line longer than the limit is skipped without being kept (its bytes are counted
// to its end and dropped). Each block is then read on its own (rowsOfBlock), on this
// thread or on a worker thread (the loader's prepare-worker.js): checked for UTF-8 and
// decoded once, split, and each line parsed on its own, so a bad line is one row error
// and the next line reads as if nothing happened. A block that is not valid UTF-8 is
// read line by line, so the error names its line.
import { isUtf8 } from "node:buffer";
import { RowProblem, asRow, isPlainObject, parseJson } from "./values.js";

/** A block's size once it has a line end to be cut at (it may hold one longer line). */
const BLOCK_BYTES = 64 * 1024;

/**
 * Blocks of whole lines of NDJSON `chunks` (Buffers, BOM gone): `{ bytes, firstLine,
 * lines }` (`bytes` a copy of its own, ending where its last line ends, without that
 * line feed), or `{ oversized: { line, size } }` for a line past `maxRowBytes`.
 */
export async function* ndjsonBlocks(chunks, { maxRowBytes }) {
  let parts = [];
  let length = 0;
  // Bytes since the last line feed held in `parts` (the line being read).
  let open = 0;
  // Skipping a line past the limit: its size so far.
  let skipping = -1;
  let line = 1;

  const cut = (end) => {
    // The bytes of `parts` up to `end` (a line feed's offset in the whole), as a block.
    const whole = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.length;
    }
    const bytes = whole.subarray(0, end);
    // A copy: the block's buffer may be handed to another thread whole.
    const rest = whole.slice(end + 1);
    let lines = 1;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
    const block = { bytes, firstLine: line, lines };
    line += lines;
    parts = rest.length > 0 ? [rest] : [];
    length = rest.length;
    open = rest.length;
    return block;
  };

  for await (const chunk of chunks) {
    let start = 0;
    if (skipping >= 0) {
      const newline = chunk.indexOf(10);
      if (newline === -1) {
        skipping += chunk.length;
        continue;
      }
      yield { oversized: { line: line++, size: skipping + newline } };
      skipping = -1;
      start = newline + 1;
    }
    const piece = start === 0 ? chunk : chunk.subarray(start);
    const last = piece.lastIndexOf(10);
    parts.push(piece);
    length += piece.length;
    if (last === -1) {
      open += piece.length;
    } else {
      open = piece.length - last - 1;
      if (length >= BLOCK_BYTES) yield cut(length - open - 1);
    }
    if (open > maxRowBytes) {
      // The line being read is past the limit: what came before it is a block, and the
      // line itself is counted to its end and dropped.
      if (length > open) yield cut(length - open - 1);
      skipping = open;
      parts = [];
      length = 0;
      open = 0;
    }
  }
  if (skipping >= 0) {
    yield { oversized: { line, size: skipping } };
    return;
  }
  if (length > 0) {
    // The last line, with no line feed after it.
    parts.push(Buffer.from([10]));
    length++;
    yield cut(length - 1);
  }
}

/**
 * The rows of one block (as ndjsonBlocks gives it): `{ n, row }` / `{ n, error }`,
 * numbered from `firstN + 1` (blank lines are no rows). Rows are null-prototype copies,
 * or with `plainRows` JSON.parse's own objects (for a reader that asks only for own
 * columns, as the loader's mapping does: the copy was 7% of a load's reading thread).
 */
export function rowsOfBlock(block, { maxRowBytes, maxDepth, firstN = 0, plainRows = false }) {
  let n = firstN;
  if (block.oversized) {
    const { line, size } = block.oversized;
    return [{ n: n + 1, error: { code: "row_too_large", message: `line ${line} is ${size} bytes, over the limit of ${maxRowBytes}`, line } }];
  }
  const rows = [];
  let line = block.firstLine;
  const tooLarge = (size) => ({ n: ++n, error: { code: "row_too_large", message: `line ${line} is ${size} bytes, over the limit of ${maxRowBytes}`, line } });
  const rowOf = (text) => {
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (blank(text)) return null;
    // A line's bytes are at most three times its UTF-16 length: only a long one is measured.
    if (text.length * 3 > maxRowBytes && Buffer.byteLength(text) > maxRowBytes) return tooLarge(Buffer.byteLength(text));
    try {
      const value = parseJson(text, maxDepth);
      if (!isPlainObject(value)) throw new RowProblem("not_an_object", `a row must be a JSON object, not ${describe(value)}`);
      return { n: ++n, row: plainRows ? value : asRow(value) };
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      return { n: ++n, error: { code: error.code, message: `line ${line}: ${error.message}`, line } };
    }
  };
  const { bytes } = block;
  if (isUtf8(bytes)) {
    for (const text of Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8").split("\n")) {
      const row = rowOf(text);
      if (row !== null) rows.push(row);
      line++;
    }
    return rows;
  }
  for (let start = 0; start <= bytes.length; line++) {
    const newline = bytes.indexOf(10, start);
    const end = newline === -1 ? bytes.length : newline;
    const piece = bytes.subarray(start, end);
    start = end + 1;
    let row;
    if (piece.length > maxRowBytes) row = tooLarge(piece.length);
    else if (!isUtf8(piece)) row = blank(piece) ? null : { n: ++n, error: { code: "invalid_utf8", message: `line ${line} is not valid UTF-8`, line } };
    else row = rowOf(Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString("utf8"));
    if (row !== null) rows.push(row);
  }
  return rows;
}

/** Arrays of rows `{ n, row }` / `{ n, error }` of NDJSON `chunks` (Buffers, BOM already gone), one a block. */
export async function* ndjsonBatches(chunks, limits) {
  let n = 0;
  for await (const block of ndjsonBlocks(chunks, limits)) {
    const rows = rowsOfBlock(block, { ...limits, firstN: n });
    if (rows.length > 0) {
      n = rows[rows.length - 1].n;
      yield rows;
    }
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
