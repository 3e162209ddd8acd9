// Types of "cohort-sync/loader": rows from files and databases into Mixpanel.
// docs/loading.md has the whole story.

/** Where rows come from: a file (NDJSON, JSON array, CSV; also .gz), stdin, or a query. */
export type LoadSource =
  | { file: string; format?: "ndjson" | "json" | "csv"; gzip?: boolean }
  | { stdin: true; format: "ndjson" | "json" | "csv"; stream?: NodeJS.ReadableStream }
  | { sqlite: string | object; query: string; params?: unknown[] }
  | { postgres: string | object; query: string; params?: unknown[]; batchRows?: number }
  | { duckdb: string | null | object; query: string; params?: unknown[] };

/** A column, or a constant. */
export type Column = string | { value: string };

/** Which columns become what (docs/loading.md, "The mapping"). */
export interface LoadMapping {
  object: "events" | "users" | "groups" | "audiences";
  key?: string | string[];
  distinctId?: Column;
  event?: Column;
  time?: string;
  insertId?: string;
  groupKey?: Column;
  groupId?: Column;
  /** Audiences: the column of the audience's id, and of its name (for "In <name>"). */
  audienceId?: string;
  audienceName?: string;
  /** Audiences: one "In <name>" property per audience, true or false. */
  perAudience?: boolean;
  properties?: { include?: string[]; exclude?: string[]; rename?: Record<string, string> };
  nulls?: "drop" | "unset";
}

export interface LoadCounts {
  read: number;
  sent: number;
  unchanged: number;
  /**
   * Of the unchanged rows, those known unchanged without being read: their block of the
   * source (NDJSON, a JSON array or CSV, on worker threads, with a state) was byte for
   * byte one that an earlier run read under the same mapping.
   */
  unread: number;
  /** Not sent: unreadable, unmappable, against Mixpanel's rules, or a repeated key. */
  rejected: number;
  /** Refused by Mixpanel (failed_records, or a 4xx). */
  refused: number;
  /** A transient failure past the retries: sent again next run. */
  pending: number;
  /** Profiles gone from the source, removed as asked. */
  removed: number;
  requests: number;
}

export interface LoadSummary extends LoadCounts {
  /**
   * Removals (`removed`, or an audiences user who left every audience) were due but not
   * sent: some row was refused before it was planned (unreadable, unmappable), and a
   * key this run did not see may be in it; or the source had no row at all. The keys
   * stay in the state; a run without such rows removes them.
   */
  removalsHeld: boolean;
  dryRun: boolean;
  ms: number;
  /** The first few rows of each outcome: `{ n, key, code?, field?, message? }`. */
  first: Record<"sent" | "unchanged" | "rejected" | "refused" | "pending", Array<Record<string, unknown>>>;
}

export interface LoadOptions {
  source: LoadSource;
  mapping: LoadMapping;
  credentials: { projectId?: string; token?: string; serviceAccount?: { user?: string; secret?: string } };
  region?: "us" | "eu" | "in";
  api?: string;
  concurrency?: number;
  groupsPerRequest?: number;
  /**
   * Worker threads that read, map and hash an NDJSON, JSON-array or CSV source beside the
   * thread that plans and sends: by default the cores but one, at most 4; 0 reads on this
   * thread. Databases, and audiences from any source, are read on this thread.
   */
  threads?: number;
  /** The state file (".cohort-sync-load.db"), a PostgreSQL database (`{ postgres: url or pg Pool }`), or false for none. */
  state?: string | { postgres: string | object } | false;
  name?: string;
  dryRun?: string | null;
  results?: string | null;
  removed?: "unset" | "delete" | null;
  retry?: { baseMs?: number; maxMs?: number; jitterMs?: [number, number]; attempts?: number };
  onProgress?: (counts: LoadCounts & { bytesRead: number; sizeBytes: number | null }) => void;
}

/** Runs a load. Rejects with `code` "auth_refused" (and `summary`) on 401/403. */
export function load(options: LoadOptions): Promise<LoadSummary>;

export interface SourceRow {
  n: number;
  row?: Record<string, unknown>;
  error?: { code: string; message: string; line?: number };
}

export function openSource(spec: LoadSource, options?: { maxRowBytes?: number; maxDepth?: number }): {
  rows: AsyncIterable<SourceRow>;
  format: string;
  sizeBytes: number | null;
  bytesRead(): number;
  ready(): Promise<void>;
  close(): Promise<void>;
};

export function checkMapping(mapping: LoadMapping): LoadMapping;
export function createMapper(mapping: LoadMapping, options?: { token?: string; insertId?: (event: string, key: string) => string }): {
  map(row: Record<string, unknown>): { key: string; record: string; insertId?: string; who?: string; props?: string[] };
  /** The same as `map` of the row parsed, for a flat row's JSON text; null for any other row. */
  mapLine(text: string): { key: string; record: string; insertId?: string; props?: string[] | null } | null;
  /** An audiences row: its user, audience id and name. */
  audience(row: Record<string, unknown>): { user: string; id: string; name: string | null };
};
export class RowProblem extends Error {
  code: string;
  field: string;
}
export class AuthError extends Error {
  code: "auth_refused";
  status: number;
}
export const REGIONS: { us: string; eu: string; in: string };
