// Loading rows into Mixpanel: the loader's memory of what it sent, and stable insert ids.

import type { CohortSyncError } from "./errors.js";

/**
 * What a load sent last time, kept compactly (a 64-bit key hash and a 63-bit record
 * checksum a key: about 23 bytes a key at 10M keys): each run plans its rows against it
 * and marks what Mixpanel took. Rows cross a batch at a time as two byte strings:
 * `keys`, each key's UTF-8 ended by a NUL; `records`, each record's JSON ended by a line
 * feed (the same count). docs/loading.md, "How a run is planned".
 */
export class LoadState {
  constructor();
  /** Throws {@link CohortSyncError} `invalid_snapshot` for corrupt bytes. */
  static fromBytes(bytes: Uint8Array): LoadState;
  /** The hashes {@link LoadState.removed} names keys by. */
  static keyHashes(keys: Uint8Array): BigUint64Array;
  /**
   * Each row's key hash and record checksum, one after the other (twice the rows):
   * rows hashed once, then planned, marked sent and journalled as these words.
   */
  static rowHashes(keys: Uint8Array, records: Uint8Array): BigUint64Array;
  /**
   * A snapshot read a part at a time, however its bytes are cut: `push` each part, then
   * `finish` (throws {@link CohortSyncError} `invalid_snapshot` for bad bytes). A reader
   * that threw is finished.
   */
  static reader(): { push(bytes: Uint8Array | ArrayBuffer | DataView): void; finish(): LoadState };
  toBytes(): Uint8Array;
  /**
   * The snapshot in parts of about `maxBytes` (2 MiB by default; whole runs, so a part
   * may be a little larger), which joined are {@link LoadState.toBytes}: a large state is
   * never copied whole. The state must not change until the last part is taken.
   */
  toParts(maxBytes?: number): Generator<Uint8Array, void, undefined>;
  /**
   * One outcome a row: 0 new, 1 changed, 2 unchanged (same record as sent last time),
   * 3 retry (its send failed last time), 4 duplicate (a key already planned this run).
   * The rows are given as keys and records, or as their {@link LoadState.rowHashes}.
   */
  plan(keys: Uint8Array, records: Uint8Array): Uint8Array;
  plan(rowHashes: BigUint64Array): Uint8Array;
  /** After Mixpanel's 2xx for these rows (keys and records, or their row hashes). */
  markSent(keys: Uint8Array, records: Uint8Array): void;
  markSent(rowHashes: BigUint64Array): void;
  /**
   * Their send failed for now (they are sent again next run): keys each ended by a NUL,
   * or their {@link LoadState.keyHashes}. Returns how many were known.
   */
  markFailed(keys: Uint8Array | BigUint64Array): number;
  /** The hashes of keys known but not planned in this run. */
  removed(): BigUint64Array;
  forget(hashes: BigUint64Array): number;
  readonly size: number;
  memoryBytes(): number;
  free(): void;
}

/** A stable `$insert_id` for a row without one: 36 characters (UUID-shaped) from the event name and the row's key. */
export function insertId(event: string, key: string): string;
