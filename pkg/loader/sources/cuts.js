// Where NDJSON, JSON-array and CSV sources are cut into blocks (ndjson.js, json-array.js,
// csv.js): where the content says, not where a count of bytes falls. After at least
// MIN_BLOCK bytes, at the end of a row whose sampled bytes (every fourth, from the row's
// first) hash to a multiple of 32, and at the first row end at or past MAX_BLOCK (a block
// may hold one longer row). A row that changes, even in length, then moves only its own
// block's cuts, and a re-run finds the other blocks byte for byte as it read them before
// (load.js, the block memo).
// Blocks stay at 64 KB at most: reading a 94 MB file in blocks of 96 KB, or of 32 to
// 128, doubled its RSS against blocks of 64.

export const MIN_BLOCK = 32 * 1024;
export const MAX_BLOCK = 64 * 1024;

/** FNV-1a's start, for a row's hash (over its sampled bytes). */
export const HASH_START = 0x811c9dc5;

/** Whether a row whose sampled bytes hash to `hash` ends a block (once past MIN_BLOCK). */
export function endsBlock(hash) {
  return ((hash >>> 0) & 31) === 0;
}

/** The hash of the sampled bytes of the row in `bytes[from, to)`. */
export function rowHash(bytes, from, to) {
  return hashMore(HASH_START, 0, bytes, from, to);
}

/**
 * A row's `hash` so far, of its first `done` bytes, taken on over `bytes[from, to)`: for
 * a row that arrives in pieces (FNV-1a over every fourth byte from the row's first).
 */
export function hashMore(hash, done, bytes, from, to) {
  for (let i = from + ((4 - (done % 4)) % 4); i < to; i += 4) hash = Math.imul(hash ^ bytes[i], 16777619);
  return hash;
}
