// CSV as RFC 4180 has it, read record by record from the bytes as they arrive: a
// byte-level state machine (the structure is ASCII, so UTF-8 text needs no decoding to
// be split), which holds only the record being read and none of it past the row limit.
// The first record is the header and names the columns; each later record is a row of
// strings, an empty unquoted field null (an empty quoted one ""). Quoted fields may hold
// the delimiter, doubled quotes and line breaks; records end with LF or CRLF. Leniencies,
// as most writers' readers have them: a quote inside an unquoted field is a character,
// text after a closing quote is appended, and a blank line is no record.
import { isUtf8 } from "node:buffer";
import { MAX_BLOCK, endsBlock, rowHash } from "./cuts.js";
import { newRow, sourceError } from "./values.js";

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3; // a quote inside a quoted field: its end, or the first of a pair

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Rows `{ n, row }` / `{ n, error }` of CSV `chunks` (Buffers, BOM already gone). */
export async function* csvRows(chunks, options) {
  for await (const rows of csvBatches(chunks, options)) yield* rows;
}

/** The same rows, in arrays: those each chunk ends (a few hundred), or the last ones. */
export async function* csvBatches(chunks, options) {
  const reader = createCsvReader(options);
  for await (const chunk of chunks) {
    const rows = reader.feed(chunk);
    if (rows.length > 0) yield rows;
  }
  const rows = reader.end();
  if (rows.length > 0) yield rows;
}

/**
 * A CSV reader fed chunk by chunk: `feed(chunk)` and `end()` each give the rows (and row
 * errors) whose records they finished. `columns`: the header's names, when the bytes
 * start after the header (a block read on another thread); `firstLine`: the line the
 * bytes start at. Throws a source error for a header that cannot be one.
 */
export function createCsvReader({ maxRowBytes, delimiter = ",", columns: given = null, firstLine = 1 }) {
  const DELIMITER = delimiterByte(delimiter);

  let columns = given;
  let n = 0;
  let line = firstLine;
  // The record being read: its bytes (unquoted), and where each field ends and whether
  // it was quoted.
  let record = Buffer.allocUnsafe(4096);
  let used = 0;
  let size = 0; // bytes of the record, kept or not
  const ends = [];
  const quoted = [];
  let fieldQuoted = false;
  let state = FIELD_START;
  let recordLine = firstLine;
  let started = false;

  const push = (b) => {
    size++;
    if (size > maxRowBytes) return;
    if (used === record.length) {
      const bigger = Buffer.allocUnsafe(Math.min(record.length * 2, maxRowBytes + 1));
      record.copy(bigger, 0, 0, used);
      record = bigger;
    }
    record[used++] = b;
  };

  const endField = (lineEnd) => {
    // A CR ending the last unquoted field is the first half of a CRLF.
    if (lineEnd && !fieldQuoted && used > (ends.length ? ends[ends.length - 1] : 0) && record[used - 1] === CR && size <= maxRowBytes) {
      used--;
    }
    ends.push(used);
    quoted.push(fieldQuoted);
    fieldQuoted = false;
  };

  // The row (or row error) of the record now held; null for a blank line or the header.
  const endRecord = () => {
    const at = recordLine;
    const fieldCount = ends.length;
    const blank = fieldCount === 1 && ends[0] === 0 && !quoted[0] && size <= 1;
    const tooLarge = size > maxRowBytes;
    const utf8 = tooLarge || isUtf8(record.subarray(0, used));
    let values = null;
    if (!tooLarge && utf8 && !blank) {
      values = new Array(fieldCount);
      let start = 0;
      for (let i = 0; i < fieldCount; i++) {
        const end = ends[i];
        values[i] = end === start && !quoted[i] ? null : record.toString("utf8", start, end);
        start = end;
      }
    }
    ends.length = 0;
    quoted.length = 0;
    used = 0;
    const bytes = size;
    size = 0;
    started = false;
    state = FIELD_START;
    if (record.length > 65536) record = Buffer.allocUnsafe(4096); // a large record's buffer is not kept
    if (blank) return null;

    if (columns === null) {
      if (tooLarge) throw headerTooLarge(bytes, maxRowBytes);
      if (!utf8) throw sourceError("source_error", "the CSV header is not valid UTF-8");
      const names = values.map((v) => v ?? "");
      const seen = new Set();
      for (const name of names) {
        if (seen.has(name)) throw sourceError("source_error", `the CSV header names the column "${name}" twice`);
        seen.add(name);
      }
      columns = names;
      return null;
    }
    n++;
    if (tooLarge) return { n, error: recordTooLarge(at, bytes, maxRowBytes) };
    if (!utf8) return { n, error: { code: "invalid_utf8", message: `line ${at} is not valid UTF-8`, line: at } };
    if (fieldCount !== columns.length) {
      return { n, error: { code: "csv_fields", message: `line ${at}: ${fieldCount} field${fieldCount === 1 ? "" : "s"}, the header has ${columns.length}`, line: at } };
    }
    const row = newRow();
    for (let i = 0; i < fieldCount; i++) row[columns[i]] = values[i];
    return { n, row };
  };

  const feed = (chunk) => {
    const rows = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (!started) {
        started = true;
        recordLine = line;
      }
      if (b === LF) line++;
      switch (state) {
        case FIELD_START:
          if (b === QUOTE) {
            state = QUOTED;
            fieldQuoted = true;
            size++;
            continue;
          }
          if (b === DELIMITER) {
            size++;
            endField();
            continue;
          }
          if (b === LF) break;
          push(b);
          state = UNQUOTED;
          continue;
        case UNQUOTED:
          if (b === DELIMITER) {
            size++;
            endField();
            state = FIELD_START;
            continue;
          }
          if (b === LF) break;
          push(b);
          continue;
        case QUOTED:
          if (b === QUOTE) {
            size++;
            state = QUOTE_SEEN;
          } else push(b);
          continue;
        case QUOTE_SEEN:
          if (b === QUOTE) {
            push(b);
            state = QUOTED;
            continue;
          }
          if (b === DELIMITER) {
            size++;
            endField();
            state = FIELD_START;
            continue;
          }
          if (b === LF) break;
          if (b === CR) {
            size++;
            continue;
          }
          push(b);
          state = UNQUOTED;
          continue;
      }
      // A line feed outside quotes: the record ends.
      endField(true);
      const result = endRecord();
      if (result !== null) rows.push(result);
    }
    return rows;
  };

  const end = () => {
    if (state === QUOTED) {
      const at = recordLine;
      if (columns === null) throw headerUnclosed(at);
      return [{ n: ++n, error: quoteUnclosed(at) }];
    }
    if (!started) return [];
    endField(true);
    const result = endRecord();
    return result === null ? [] : [result];
  };

  return {
    feed,
    end,
    /** The header's names, once read. */
    get columns() {
      return columns;
    },
  };
}

function delimiterByte(delimiter) {
  if (typeof delimiter !== "string" || Buffer.byteLength(delimiter) !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new TypeError("csv: the delimiter must be one ASCII character other than a quote or a line break");
  }
  return delimiter.charCodeAt(0);
}

// What a record or header that cannot be read is told, by the reader or by the block
// cutter below (which must say it the same way).
const recordTooLarge = (at, bytes, max) => ({ code: "row_too_large", message: `line ${at}: a record of ${bytes} bytes, over the limit of ${max}`, line: at });
const quoteUnclosed = (at) => ({ code: "csv_quote", message: `line ${at}: a quoted field is not closed before the end of the file`, line: at });
const headerTooLarge = (bytes, max) => sourceError("source_error", `the CSV header is ${bytes} bytes, over the limit of ${max}`);
const headerUnclosed = (at) => sourceError("source_error", `the CSV header (line ${at}) has a quoted field that is never closed`);

/** Blocks are cut where the content says (cuts.js), at record ends, by MAX_BLOCK by default. */
const BLOCK_BYTES = MAX_BLOCK;

/**
 * Blocks of whole records of CSV `chunks` (Buffers, BOM gone), to be read elsewhere
 * (rowsOfCsvBlock, on the loader's worker threads): `{ bytes, firstLine, columns }`, or
 * `{ oversized: { line, size } }` for a record past `maxRowBytes` (counted to its end,
 * never held), or `{ unclosed: { line } }` for such a record whose quote the file never
 * closes. The header is read here, by the reader itself (so a bad one throws as it does
 * there). Records are found by the reader's own states, as far as they decide where a
 * record ends: a quote opens a quoted field only at a field's start, and a line feed
 * inside one is data.
 */
export async function* csvBlocks(chunks, { maxRowBytes, delimiter = ",", blockBytes = BLOCK_BYTES }) {
  const DELIMITER = delimiterByte(delimiter);
  const header = createCsvReader({ maxRowBytes, delimiter });
  let columns = null;
  // The bytes not yet in a block, the line they start at, how far the states have read
  // them, and where the last record ended in them, each with the line feeds before it.
  let pending = Buffer.alloc(0);
  let line = 1;
  let scanned = 0;
  let feeds = 0;
  let lastEnd = 0;
  let feedsAtEnd = 0;
  let state = FIELD_START;
  // A record past the limit, counted to its end and dropped: its line, bytes, line feeds.
  let skip = null;

  // Drops the first `end` bytes of `pending` (holding `endFeeds` line feeds): a block when
  // the header is known.
  const cut = (end, endFeeds) => {
    const block = columns === null ? null : { bytes: new Uint8Array(pending.subarray(0, end)), firstLine: line, columns };
    pending = pending.subarray(end);
    scanned -= end;
    feeds -= endFeeds;
    lastEnd -= end;
    feedsAtEnd -= endFeeds;
    line += endFeeds;
    return block;
  };

  // A record ends at the line feed at `at` (outside quotes): a skipped record is reported,
  // a header read, or the record joins the block in the making. Where to scan next.
  const recordEnd = (at, blocks) => {
    feeds++;
    state = FIELD_START;
    if (skip !== null) {
      const size = skip.size + at;
      if (columns === null) throw headerTooLarge(size, maxRowBytes);
      blocks.push({ oversized: { line: skip.line, size } });
      line = skip.line + skip.feeds + feeds;
      skip = null;
    } else if (columns === null) {
      // The header, or a blank line before it (the reader tells which): no block's.
      header.feed(pending.subarray(0, at + 1));
      columns = header.columns;
      line += feeds;
    } else {
      const start = lastEnd;
      lastEnd = at + 1;
      feedsAtEnd = feeds;
      if (lastEnd < blockBytes / 2 || (lastEnd < blockBytes && !endsBlock(rowHash(pending, start, at)))) return at + 1;
      blocks.push(cut(lastEnd, feedsAtEnd));
      return 0;
    }
    pending = pending.subarray(at + 1);
    feeds = lastEnd = feedsAtEnd = 0;
    return 0;
  };

  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const blocks = [];
    // The states move only at quotes, delimiters and line feeds, so the scan jumps from
    // one to the next with indexOf rather than reading a byte at a time (the threads read
    // a block faster than this thread could cut it so).
    let i = scanned;
    while (i < pending.length) {
      if (state === QUOTED) {
        // Inside quotes a line feed is data, counted for the line numbers.
        const quote = pending.indexOf(QUOTE, i);
        const stop = quote === -1 ? pending.length : quote;
        for (let at = pending.indexOf(LF, i); at !== -1 && at < stop; at = pending.indexOf(LF, at + 1)) feeds++;
        if (quote === -1) break;
        state = QUOTE_SEEN;
        i = quote + 1;
        continue;
      }
      if (state === QUOTE_SEEN || (state === FIELD_START && pending[i] === QUOTE)) {
        const b = pending[i];
        if (b === LF) {
          i = recordEnd(i, blocks);
          continue;
        }
        if (b === QUOTE) state = QUOTED;
        else if (b === DELIMITER) state = FIELD_START;
        else if (!(b === CR && state === QUOTE_SEEN)) state = UNQUOTED;
        i++;
        continue;
      }
      // Unquoted: the record ends at the next line feed, unless a quote opens a field first
      // (a quote inside an unquoted field is data).
      const lf = pending.indexOf(LF, i);
      const limit = lf === -1 ? pending.length : lf;
      let opens = -1;
      for (let q = pending.indexOf(QUOTE, i); q !== -1 && q < limit; q = pending.indexOf(QUOTE, q + 1)) {
        if (pending[q - 1] === DELIMITER) {
          opens = q;
          break;
        }
      }
      if (opens !== -1) {
        state = QUOTED;
        i = opens + 1;
      } else if (lf !== -1) {
        i = recordEnd(lf, blocks);
      } else {
        state = pending[pending.length - 1] === DELIMITER ? FIELD_START : UNQUOTED;
        break;
      }
    }
    scanned = pending.length;
    if (skip !== null) {
      skip.size += pending.length;
      skip.feeds += feeds;
      pending = Buffer.alloc(0);
      scanned = feeds = 0;
    } else if (pending.length - lastEnd > maxRowBytes) {
      // The record being read is past the limit: what came before it is a block, and the
      // record itself is counted to its end and dropped.
      const before = cut(lastEnd, feedsAtEnd);
      if (before !== null && before.bytes.length > 0) blocks.push(before);
      skip = { line, size: pending.length, feeds };
      pending = Buffer.alloc(0);
      scanned = feeds = lastEnd = feedsAtEnd = 0;
    }
    yield* blocks;
  }

  if (skip !== null) {
    if (state === QUOTED) {
      if (columns === null) throw headerUnclosed(skip.line);
      yield { unclosed: { line: skip.line } };
    } else {
      const size = skip.size + pending.length;
      if (columns === null) throw headerTooLarge(size, maxRowBytes);
      yield { oversized: { line: skip.line, size } };
    }
    return;
  }
  if (columns === null) {
    // The header never ended with a line feed (or there is none): the reader reads it.
    header.feed(pending);
    header.end();
    return;
  }
  if (pending.length > 0) yield cut(pending.length, feeds);
}

/**
 * The rows of one block (as csvBlocks gives it): `{ n, row }` / `{ n, error }`, numbered
 * from 1, read by the same reader as a whole file.
 */
export function rowsOfCsvBlock(block, { maxRowBytes, delimiter }) {
  if (block.oversized) return [{ n: 1, error: recordTooLarge(block.oversized.line, block.oversized.size, maxRowBytes) }];
  if (block.unclosed) return [{ n: 1, error: quoteUnclosed(block.unclosed.line) }];
  const reader = createCsvReader({ maxRowBytes, delimiter, columns: block.columns, firstLine: block.firstLine });
  return [...reader.feed(block.bytes), ...reader.end()];
}
