// NDJSON (JSON Lines): one JSON object a line. The bytes are cut into blocks of whole
// lines as they arrive (ndjsonBlocks); only the line being read is held across chunks,
// and a line longer than the limit is skipped without being kept (its bytes are counted
// to its end and dropped). Each block is then read on its own (rowsOfBlock), on this
// thread or on a worker thread (the loader's prepare-worker.js): checked for UTF-8 and
// decoded once, split, and each line parsed on its own, so a bad line is one row error
// and the next line reads as if nothing happened. A block that is not valid UTF-8 is
// read line by line, so the error names its line.
import { isUtf8 } from "node:buffer";
import { HASH_START, MAX_BLOCK, MIN_BLOCK, endsBlock, hashMore } from "./cuts.js";
import { RowProblem, asRow, isPlainObject, parseJson } from "./values.js";

// Blocks are cut where the content says (cuts.js).

/**
 * Blocks of whole lines of NDJSON `chunks` (Buffers, BOM gone): `{ bytes, firstLine,
 * lines }` (`bytes` a copy of its own, ending where its last line ends, without that
 * line feed), or `{ oversized: { line, size } }` for a line past `maxRowBytes`. Only the
 * bytes since the last cut are held, as the chunks came.
 */
export async function* ndjsonBlocks(chunks, { maxRowBytes }) {
  let parts = [];
  let length = 0;
  let line = 1; // the line `parts` start at
  let ended = 0; // line ends in `parts`
  // The line being read: its bytes so far and the hash of every fourth of them (FNV-1a),
  // which decides whether its end is a cut.
  let lineBytes = 0;
  let lineHash = HASH_START;
  // Skipping a line past the limit: its size so far, and its last byte (a CR before the
  // line feed is no part of the line's size, as a line read whole has it).
  let skipping = -1;
  let skippedLast = 0;

  // The whole lines before `end` (the offset of the line feed that ends the last), as a
  // block: its bytes copied once into a buffer of their own (which may be handed to
  // another thread), the rest kept as views of the chunks.
  const cut = (end, lines) => {
    const bytes = new Uint8Array(end);
    const rest = [];
    let at = 0;
    for (const part of parts) {
      if (at >= end + 1) rest.push(part);
      else {
        if (at < end) bytes.set(part.subarray(0, Math.min(part.length, end - at)), at);
        if (at + part.length > end + 1) rest.push(part.subarray(end + 1 - at));
      }
      at += part.length;
    }
    parts = rest;
    length -= end + 1;
    const block = { bytes, firstLine: line, lines };
    line += lines;
    ended -= lines;
    return block;
  };
  // Hashes the line's bytes in piece[from, to).
  const hashLine = (piece, from, to) => {
    lineHash = hashMore(lineHash, lineBytes, piece, from, to);
    lineBytes += to - from;
  };

  for await (const chunk of chunks) {
    let start = 0;
    if (skipping >= 0) {
      const newline = chunk.indexOf(10);
      if (newline === -1) {
        skipping += chunk.length;
        if (chunk.length > 0) skippedLast = chunk[chunk.length - 1];
        continue;
      }
      const cr = (newline > 0 ? chunk[newline - 1] : skippedLast) === 13 ? 1 : 0;
      yield { oversized: { line: line++, size: skipping + newline - cr } };
      skipping = -1;
      start = newline + 1;
    }
    const piece = start === 0 ? chunk : chunk.subarray(start);
    let base = length; // where `piece` starts in the bytes held
    parts.push(piece);
    length += piece.length;
    const blocks = [];
    let from = 0;
    for (let at = piece.indexOf(10); at !== -1; at = piece.indexOf(10, at + 1)) {
      hashLine(piece, from, at);
      from = at + 1;
      ended++;
      const end = base + at;
      const cuts = end >= MIN_BLOCK && (end >= MAX_BLOCK || endsBlock(lineHash));
      lineBytes = 0;
      lineHash = HASH_START;
      if (cuts) {
        blocks.push(cut(end, ended));
        base -= end + 1;
      }
    }
    hashLine(piece, from, piece.length);
    // Past the limit even if its last byte is the CR of a CRLF.
    if (lineBytes > maxRowBytes + 1) {
      // The line being read is past the limit: the lines before it are a block, and the
      // line itself is counted to its end and dropped.
      if (length > lineBytes) blocks.push(cut(length - lineBytes - 1, ended));
      skipping = lineBytes;
      skippedLast = piece[piece.length - 1];
      parts = [];
      length = ended = lineBytes = 0;
      lineHash = HASH_START;
    }
    yield* blocks;
  }
  if (skipping >= 0) {
    yield { oversized: { line, size: skipping - (skippedLast === 13 ? 1 : 0) } };
    return;
  }
  // The rest, and the last line, with no line feed after it.
  if (length > 0) {
    parts.push(Buffer.from([10]));
    length++;
    yield cut(length - 1, ended + 1);
  }
}

/**
 * The rows of one block (as ndjsonBlocks gives it): `{ n, row }` / `{ n, error }`,
 * numbered from `firstN + 1` (blank lines are no rows). Rows are null-prototype copies,
 * or with `plainRows` JSON.parse's own objects (for a reader that asks only for own
 * columns, as the loader's mapping does: the copy was 7% of a load's reading thread).
 * With `mapLine` (a mapper's), a line it maps is `{ n, mapped }` and never parsed.
 */
export function rowsOfBlock(block, { maxRowBytes, maxDepth, firstN = 0, plainRows = false, mapLine = null }) {
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
    const mapped = mapLine?.(text);
    if (mapped) return { n: ++n, mapped };
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
    const size = piece.length > 0 && piece[piece.length - 1] === 13 ? piece.length - 1 : piece.length;
    let row;
    if (size > maxRowBytes) row = tooLarge(size);
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
