// A JSON file holding one array of row objects, read element by element: a scanner
// follows strings and brackets over the bytes to find where each element ends, and only
// that element's bytes are held (none past the row limit) while it is parsed. An element
// that is well-formed but wrong (not an object, too deep, too large, not UTF-8) is a row
// error and the next element follows. Broken JSON is different: once the structure is
// in doubt nothing says where the next element starts, so it is one row error and the
// end of the rows.
import { isUtf8 } from "node:buffer";
import { RowProblem, asRow, isPlainObject, parseJson } from "./values.js";
import { describe } from "./ndjson.js";

const BEFORE = 0; // before the opening '['
const FIRST = 1; // after '[': an element or ']'
const NEXT = 2; // after ',': an element
const ELEMENT = 3; // inside an element
const AFTER = 4; // after the closing ']'

const STOPPED = "a JSON array cannot be read past broken JSON, so the rest of the file is not read";

/**
 * The rows `{ n, row }` / `{ n, error }` of a JSON array in `chunks` (Buffers, BOM already
 * gone), in arrays: those each chunk ends, and the last ones (a reader awaits a chunk,
 * not a row).
 */
export async function* jsonArrayBatches(chunks, { maxRowBytes, maxDepth }) {
  let state = BEFORE;
  let line = 1;
  let n = 0;
  // The element being scanned.
  let parts = [];
  let length = 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let escaped = false;
  let startLine = 1;

  const broken = (message, at = line) => ({ n: ++n, error: { code: "invalid_json", message: `line ${at}: ${message}; ${STOPPED}`, line: at } });

  // The row of the element now in `parts`; `stop` set after broken JSON, which ends the rows.
  const finish = () => {
    const size = length;
    const bytes = parts.length === 1 ? parts[0] : size > maxRowBytes ? null : Buffer.concat(parts, size);
    parts = [];
    length = 0;
    const where = startLine;
    if (size > maxRowBytes) return { n: ++n, error: { code: "row_too_large", message: `line ${where}: an element is ${size} bytes, over the limit of ${maxRowBytes}`, line: where } };
    if (deepest > maxDepth) return { n: ++n, error: { code: "nesting_too_deep", message: `line ${where}: a value is nested deeper than ${maxDepth} levels`, line: where } };
    if (!isUtf8(bytes)) return { n: ++n, error: { code: "invalid_utf8", message: `line ${where}: an element is not valid UTF-8`, line: where } };
    let value;
    try {
      value = parseJson(bytes.toString("utf8"), maxDepth);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      if (error.code === "invalid_json") return { stop: true, ...broken(error.message, where) };
      return { n: ++n, error: { code: error.code, message: `line ${where}: ${error.message}`, line: where } };
    }
    if (!isPlainObject(value)) return { n: ++n, error: { code: "not_an_object", message: `line ${where}: a row must be a JSON object, not ${describe(value)}`, line: where } };
    return { n: ++n, row: asRow(value) };
  };

  for await (const chunk of chunks) {
    const rows = [];
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
            yield [...rows, broken("a '}' closes nothing")];
            return;
          }
        } else if (depth === 0 && (b === 44 || b === 93)) {
          // The element ends before this ',' or ']'.
          keep(chunk, from, i);
          const { stop, ...result } = finish();
          rows.push(result);
          if (stop) {
            yield rows;
            return;
          }
          state = b === 44 ? NEXT : AFTER;
        }
        continue;
      }
      if (b === 32 || b === 10 || b === 13 || b === 9) continue;
      if (state === BEFORE) {
        if (b !== 91) {
          yield [...rows, broken("a .json file must hold an array of objects (for one object a line, use .ndjson)")];
          return;
        }
        state = FIRST;
      } else if (state === FIRST && b === 93) {
        state = AFTER;
      } else if (state === FIRST || state === NEXT) {
        if (b === 44 || b === 93) {
          yield [...rows, broken(b === 44 ? "a ',' with no element before it" : "a ',' before the closing ']'")];
          return;
        }
        // An element starts here; this byte is scanned again as its first.
        state = ELEMENT;
        depth = 0;
        deepest = 0;
        inString = false;
        escaped = false;
        startLine = line;
        from = i;
        i--;
      } else if (state === AFTER) {
        yield [...rows, broken("data after the array's closing ']'")];
        return;
      }
    }
    if (state === ELEMENT) keep(chunk, from, chunk.length);
    if (rows.length > 0) yield rows;
  }
  if (state === ELEMENT || state === FIRST || state === NEXT) {
    yield [broken("the file ends inside the array")];
  }

  // Holds bytes [start, end) of `chunk` as part of the element, none past the limit.
  function keep(chunk, start, end) {
    if (length + (end - start) <= maxRowBytes) parts.push(chunk.subarray(start, end));
    else parts = [];
    length += end - start;
  }
}
