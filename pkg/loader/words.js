// The loader's hashes as the stores keep them: bytes, 64-bit words little-endian (the
// state's journal, the block memo, the kept identities).

/** The 64-bit words in `bytes` (copied: a database's buffer may not be aligned for them). */
export function hashesOf(bytes) {
  const copy = new Uint8Array(bytes);
  return new BigUint64Array(copy.buffer, 0, copy.length >> 3);
}

/** A BigUint64Array's bytes, as the stores keep them (a view, not a copy). */
export function bytesOf(hashes) {
  return new Uint8Array(hashes.buffer, hashes.byteOffset, hashes.byteLength);
}
