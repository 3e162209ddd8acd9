// A JSON file holding one array of row objects. The bytes are cut into blocks of whole
// elements as they arrive (jsonArrayBlocks): a scanner follows strings and brackets to find
// where each element ends, and only the elements since the last cut are held (an element
// past the row limit is counted to its end and dropped). Each block is then read on its
// own (rowsOfJsonArrayBlock), on this thread or on a worker thread (the loader's
// prepare-worker.js): each element checked for UTF-8 and parsed. An element that is
// well-formed but wrong (not an object, too deep, too large, not UTF-8) is a row error and
// the next element follows. Broken JSON is different: once the structure is in doubt
// nothing says where the next element starts, so it is one row error and the end of the
// rows (`stopped`).
import { isUtf8 } from "node:buffer";
import { HASH_START, MAX_BLOCK, MIN_BLOCK, endsBlock, hashMore } from "./cuts.js";
import { describe } from "./ndjson.js";
import { RowProblem, asRow, isPlainObject, parseJson } from "./values.js";

const BEFORE = 0; // before the opening '['
const FIRST = 1; // after '[': an element or ']'
const NEXT = 2; // after ',': an element
const ELEMENT = 3; // inside an element
const AFTER = 4; // after the closing ']'

const STOPPED = "a JSON array cannot be read past broken JSON, so the rest of the file is not read";

/**
 * Blocks of whole elements of the JSON array in `chunks` (Buffers, BOM gone): `{ bytes,
 * ends, lines, problems }`: the elements' bytes back to back (a copy of their own, without
 * the whitespace and commas between them), where each ends in them and the line it
 * starts at, and what the scanner already knows is wrong with some (`{ at, code, message,
 * line }`, `at` the element's place in the block; such an element has no bytes). A cut
 * counts every element's bytes, kept or not. A block is
 * cut where the content says (cuts.js: the elements' sampled bytes), so a changed element
 * moves only its own block's cuts. After broken JSON the block ends with it, and no block
 * follows.
 */
export async function* jsonArrayBlocks(chunks, { maxRowBytes, maxDepth }) {
  let state = BEFORE;
  let line = 1;
  // The block being gathered: its elements' bytes (views of the chunks), as ends, lines
  // and problems will say.
  let held = [];
  let heldLength = 0;
  // The block's elements' bytes, those refused while cut (and not kept) included: what
  // decides a cut, so that a run of refused elements is cut like any other.
  let scanned = 0;
  let ends = [];
  let lines = [];
  let problems = [];
  // The element being scanned: its bytes so far (none kept past the limit), the hash of
  // every fourth of them, its depth.
  let parts = [];
  let length = 0;
  let hash = HASH_START;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let escaped = false;
  let startLine = 1;

  const cut = () => {
    const bytes = new Uint8Array(heldLength);
    let at = 0;
    for (const part of held) {
      bytes.set(part, at);
      at += part.length;
    }
    const block = { bytes, ends: Uint32Array.from(ends), lines: Uint32Array.from(lines), problems };
    held = [];
    heldLength = 0;
    scanned = 0;
    ends = [];
    lines = [];
    problems = [];
    return block;
  };
  const problem = (code, message, at = line) => {
    problems.push({ at: ends.length, code, message: `line ${at}: ${message}`, line: at });
    ends.push(heldLength);
    lines.push(at);
  };
  const broken = (message) => problem("invalid_json", `${message}; ${STOPPED}`);
  // The element now in `parts`, into the block; whether the block ends after it.
  const finish = () => {
    if (length > maxRowBytes) problem("row_too_large", `an element is ${length} bytes, over the limit of ${maxRowBytes}`, startLine);
    else if (deepest > maxDepth) problem("nesting_too_deep", `a value is nested deeper than ${maxDepth} levels`, startLine);
    else {
      for (const part of parts) held.push(part);
      heldLength += length;
      ends.push(heldLength);
      lines.push(startLine);
    }
    scanned += length;
    const ended = scanned >= MIN_BLOCK && (scanned >= MAX_BLOCK || (length <= maxRowBytes && endsBlock(hash)));
    parts = [];
    length = 0;
    hash = HASH_START;
    return ended;
  };
  // Holds bytes [start, end) of `chunk` as part of the element, none past the limit.
  const keep = (chunk, start, end) => {
    if (length + (end - start) <= maxRowBytes) {
      hash = hashMore(hash, length, chunk, start, end);
      parts.push(chunk.subarray(start, end));
    } else parts = [];
    length += end - start;
  };

  for await (const chunk of chunks) {
    const blocks = [];
    let from = 0; // where the element's bytes in this chunk start
    let backslash = -1; // the next backslash at or after i (chunk.length: none)
    for (let i = 0; i < chunk.length; i++) {
      if (state === ELEMENT && inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        // Inside a string only a quote or a backslash matters: jump to the next one.
        // (A line break in a string is broken JSON, which the parse reports, so the
        // lines skipped here need not be counted.)
        if (backslash < i) {
          backslash = chunk.indexOf(92, i);
          if (backslash === -1) backslash = chunk.length;
        }
        let quote = chunk.indexOf(34, i);
        if (quote === -1) quote = chunk.length;
        const stop = quote < backslash ? quote : backslash;
        i = stop;
        if (stop === chunk.length) break;
        if (stop === backslash) escaped = true;
        else inString = false;
        continue;
      }
      const b = chunk[i];
      if (b === 10) line++;
      if (state === ELEMENT) {
        if (b === 34) inString = true;
        else if (b === 123 || b === 91) {
          if (++depth > deepest) deepest = depth;
        } else if (b === 125 || (b === 93 && depth > 0)) {
          if (--depth < 0) {
            broken("a '}' closes nothing");
            yield* blocks;
            yield cut();
            return;
          }
        } else if (depth === 0 && (b === 44 || b === 93)) {
          // The element ends before this ',' or ']'.
          keep(chunk, from, i);
          if (finish()) blocks.push(cut());
          state = b === 44 ? NEXT : AFTER;
        }
        continue;
      }
      if (b === 32 || b === 10 || b === 13 || b === 9) continue;
      let wrong = null;
      if (state === BEFORE) {
        if (b === 91) state = FIRST;
        else wrong = "a .json file must hold an array of objects (for one object a line, use .ndjson)";
      } else if (state === FIRST && b === 93) {
        state = AFTER;
      } else if (state === FIRST || state === NEXT) {
        if (b === 44 || b === 93) wrong = b === 44 ? "a ',' with no element before it" : "a ',' before the closing ']'";
        else {
          // An element starts here; this byte is scanned again as its first.
          state = ELEMENT;
          depth = 0;
          deepest = 0;
          inString = false;
          escaped = false;
          startLine = line;
          from = i;
          i--;
        }
      } else if (state === AFTER) {
        wrong = "data after the array's closing ']'";
      }
      if (wrong !== null) {
        broken(wrong);
        yield* blocks;
        yield cut();
        return;
      }
    }
    if (state === ELEMENT) keep(chunk, from, chunk.length);
    yield* blocks;
  }
  if (state === ELEMENT || state === FIRST || state === NEXT) broken("the file ends inside the array");
  if (ends.length > 0) yield cut();
}

/**
 * The rows of one block (as jsonArrayBlocks gives it): `{ rows, stopped }`, rows `{ n, row
 * }` / `{ n, error }` numbered from `firstN + 1`, ending at broken JSON when `stopped`.
 * Rows are null-prototype copies, or with `plainRows` JSON.parse's own objects (for a
 * reader that asks only for own columns, as the loader's mapping does). With `mapLine`
 * (a mapper's), an element it maps is `{ n, mapped }` and never parsed.
 */
export function rowsOfJsonArrayBlock(block, { maxDepth, firstN = 0, plainRows = false, mapLine = null }) {
  const { bytes, ends, lines, problems } = block;
  const rows = [];
  let n = firstN;
  let next = 0; // the next of `problems`
  for (let k = 0, start = 0; k < ends.length; start = ends[k++]) {
    const line = lines[k];
    const known = problems[next]?.at === k ? problems[next++] : null;
    let error = known && { code: known.code, message: known.message, line };
    if (error === null) {
      const element = Buffer.from(bytes.buffer, bytes.byteOffset + start, ends[k] - start);
      const text = isUtf8(element) ? element.toString("utf8") : null;
      const mapped = text === null ? null : mapLine?.(text);
      if (text === null) error = { code: "invalid_utf8", message: `line ${line}: an element is not valid UTF-8`, line };
      else if (mapped) rows.push({ n: ++n, mapped });
      else {
        try {
          const value = parseJson(text, maxDepth);
          if (isPlainObject(value)) rows.push({ n: ++n, row: plainRows ? value : asRow(value) });
          else error = { code: "not_an_object", message: `line ${line}: a row must be a JSON object, not ${describe(value)}`, line };
        } catch (thrown) {
          if (!(thrown instanceof RowProblem)) throw thrown;
          const message = thrown.code === "invalid_json" ? `${thrown.message}; ${STOPPED}` : thrown.message;
          error = { code: thrown.code, message: `line ${line}: ${message}`, line };
        }
      }
    }
    if (error !== null) {
      rows.push({ n: ++n, error });
      if (error.code === "invalid_json") return { rows, stopped: true };
    }
  }
  return { rows, stopped: false };
}

/**
 * The rows `{ n, row }` / `{ n, error }` of a JSON array in `chunks` (Buffers, BOM already
 * gone), in arrays, one a block.
 */
export async function* jsonArrayBatches(chunks, limits) {
  let n = 0;
  for await (const block of jsonArrayBlocks(chunks, limits)) {
    const { rows, stopped } = rowsOfJsonArrayBlock(block, { ...limits, firstN: n });
    if (rows.length > 0) {
      n = rows[rows.length - 1].n;
      yield rows;
    }
    if (stopped) return;
  }
}
