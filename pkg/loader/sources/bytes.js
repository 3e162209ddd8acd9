// The bytes of a file or of stdin, as an async iterable of Buffers read as the consumer
// asks for them (a stream's own read-ahead is the only buffer), counted as they arrive
// (before gunzip, so progress over a .gz file is over its compressed size) and gunzipped
// when the name says .gz, the spec says gzip, or stdin starts with gzip's magic bytes.
import { createReadStream, statSync } from "node:fs";
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { sourceError } from "./values.js";

const CHUNK_BYTES = 64 * 1024;

/**
 * `{ chunks(), sizeBytes, bytesRead(), destroy() }` for `{ file }` or `{ stdin }`. A
 * missing or unreadable file throws here, before any read.
 */
export function openBytes(spec) {
  let sizeBytes = null;
  let open;
  let gzip = spec.gzip;
  if (spec.file !== undefined) {
    const path = String(spec.file);
    let stats;
    try {
      stats = statSync(path);
    } catch (error) {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") throw sourceError("source_not_found", `no such file: ${path}`, error);
      throw sourceError("source_error", `cannot read ${path}: ${error.message}`, error);
    }
    if (stats.isDirectory()) throw sourceError("source_error", `${path} is a folder, not a file`);
    // Pipes and devices have no size worth showing as progress.
    if (stats.isFile()) sizeBytes = stats.size;
    gzip ??= /\.gz$/i.test(path);
    open = () => createReadStream(path, { highWaterMark: CHUNK_BYTES });
  } else {
    const stream = spec.stream ?? process.stdin;
    if (typeof stream?.[Symbol.asyncIterator] !== "function") throw new TypeError("stdin: `stream` must be a Readable");
    open = () => stream;
  }

  let read = 0;
  let stream = null;
  let destroyed = false;
  async function* raw() {
    if (destroyed) return;
    stream = open();
    for await (const chunk of stream) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      read += bytes.length;
      yield bytes;
    }
  }

  return {
    sizeBytes,
    bytesRead: () => read,
    chunks: () => (gzip === true ? gunzip(raw()) : gzip === false ? raw() : sniffGzip(raw())),
    destroy() {
      destroyed = true;
      // A stream the caller gave us is theirs to end; ours (a file) is closed here.
      if (stream !== null && spec.file !== undefined) stream.destroy();
    },
  };
}

// Gunzip when the first bytes are gzip's magic (1f 8b): text never starts so (0x1f is a
// control character, 0x8b no UTF-8 lead byte), so stdin needs no flag for it.
async function* sniffGzip(chunks) {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  async function* all() {
    try {
      yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  const head = first.value;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) yield* gunzip(all());
  else yield* all();
}

// zlib's gunzip over an async iterable of Buffers; concatenated gzip members are read as
// one stream, as gunzip(1) does. Leaving early destroys the pipeline and so the source.
async function* gunzip(chunks) {
  const inflate = createGunzip({ chunkSize: CHUNK_BYTES });
  pipeline(Readable.from(chunks, { objectMode: false }), inflate, () => {});
  for await (const chunk of inflate) yield chunk;
}

/** Drops a UTF-8 byte order mark at the start of `chunks`, however the bytes are split. */
export async function* withoutBom(chunks) {
  let head = Buffer.alloc(0);
  let decided = false;
  for await (const chunk of chunks) {
    if (decided) {
      yield chunk;
      continue;
    }
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head.length < 3 && (head[0] === 0xef || head.length === 0) && (head.length < 2 || head[1] === 0xbb)) continue;
    decided = true;
    const bom = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    const rest = bom ? head.subarray(3) : head;
    head = null;
    if (rest.length > 0) yield rest;
  }
  if (!decided && head.length > 0) yield head;
}
