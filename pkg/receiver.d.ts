// Types of "cohort-sync/receiver": the webhook receiver (the Cloudflare Worker's routes
// and guarantees) outside Cloudflare. docs/api.md, "The receiver in Node".

/** The settings, by the Worker's variable names (worker/wrangler.toml); all text. */
export interface ReceiverSettings {
  WEBHOOK_USERNAME?: string;
  WEBHOOK_PASSWORD?: string;
  ALLOW_UNAUTHENTICATED?: string;
  MAX_BODY_BYTES?: string;
  ACCEPT_COHORTS?: string;
  CONSOLE_ORIGINS?: string;
  APPLY_DELAY_MS?: string;
  /** On PostgreSQL: how often a process looks for alarms due that no timer of its own holds (ms, 1000). */
  ALARM_POLL_MS?: string;
  APPLY_PAGES_PER_RUN?: string;
  MAX_LOGGED_PAGES?: string;
  /** Failures after which a logged page that cannot apply is set aside as dead (8). */
  DEAD_PAGE_ATTEMPTS?: string;
  /** The first wait before such a page is tried again (ms, 1000; doubling to 60 s). */
  PAGE_RETRY_BASE_MS?: string;
  FORWARD_RETRY_BASE_MS?: string;
  FORWARD_RETRY_MAX_MS?: string;
  CLEVERTAP_ACCOUNT_ID?: string;
  CLEVERTAP_PASSCODE?: string;
  CLEVERTAP_UPLOAD_URL?: string;
  BRAZE_API_KEY?: string;
  BRAZE_COHORT_URL?: string;
  BRAZE_USER_ID_PROPERTY?: string;
  BRAZE_SIMPLIFIED_ID_MERGE?: string;
  MIXPANEL_TOKEN?: string;
  MIXPANEL_REGION?: string;
  MIXPANEL_ENGAGE_URL?: string;
  MIXPANEL_PER_AUDIENCE?: string;
  [name: string]: string | undefined;
}

/**
 * A structured event: `page` (answered), `applied`, `delivery` (one send to a
 * destination), `page_failed` (a logged page failed to apply; tried again at `retryAt`)
 * or `dead_page` (one set aside after its last try).
 */
export interface ReceiverEvent {
  event: "page" | "applied" | "delivery" | "page_failed" | "dead_page";
  cohort?: string | null;
  session?: string | null;
  action?: string | null;
  status?: number | string;
  [field: string]: unknown;
}

export interface ReceiverOptions {
  /**
   * A SQLite file, opened with the runtime's SQLite (better-sqlite3 in Node, bun:sqlite in
   * Bun, node:sqlite in Deno) and closed by close(); or an open database of any of the
   * three (a better-sqlite3 or bun:sqlite Database, a node:sqlite DatabaseSync), left open.
   * Default "cohorts.db".
   */
  db?: string | object;
  /** A PostgreSQL connection string (a pg Pool is opened, and ended by close()) or a pg Pool (left open): several processes may share it. `db` is then not used. */
  postgres?: string | object;
  /** HTTP Basic credentials. With neither set, every request is refused unless allowUnauthenticated is true. */
  username?: string;
  password?: string;
  allowUnauthenticated?: boolean;
  /** The largest webhook body accepted (10 MiB); 413 past it. */
  maxBodyBytes?: number;
  /** The only cohorts accepted; another gets 404 (which pauses its sync in Mixpanel). */
  acceptCohorts?: string | string[];
  /** Origins whose pages may call the operators' routes (CORS). */
  consoleOrigins?: string | string[];
  /** Given each structured event (page answered, page applied, delivery attempt) as an object; a throw is logged and changes nothing. */
  onEvent?: (event: ReceiverEvent) => void;
  /** false: no JSON event lines on the console (default true). */
  logEvents?: boolean;
  /** Any other setting by the Worker's name (forwarding, retries, the page log); the options above win. */
  settings?: ReceiverSettings;
}

/**
 * A Node request listener (`req`: http.IncomingMessage, `res`: http.ServerResponse), or
 * Express-style middleware when given `next`. Typed loosely so that these declarations
 * need no @types/node.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NodeListener = (req: any, res: any, next?: (error?: unknown) => void) => Promise<void>;

export interface Receiver {
  /** The answer to a Web-standard Request (Deno, Bun, Hono, Next.js route handlers). */
  fetch(request: Request): Promise<Response>;
  /** `http.createServer(receiver.nodeHandler)`, or `app.use(receiver.nodeHandler)` before any body parser. */
  nodeHandler: NodeListener;
  /** Resolves once the store is open and every object with stored work has its alarm set; rejects on a bad file or connection. */
  ready(): Promise<void>;
  /** Stops the alarms (waiting for a run under way) and closes the file or pool it opened. */
  close(): Promise<void>;
}

export function createReceiver(options?: ReceiverOptions): Receiver;
export function toNodeListener(receiver: Pick<Receiver, "fetch">): NodeListener;

/** A setting's value that cannot be right: thrown at start-up, naming the setting and the value. */
export class SettingError extends Error {
  readonly name: "SettingError";
  /** The setting's name (e.g. "MAX_BODY_BYTES"). */
  readonly setting: string;
  /** The value as given. */
  readonly value: unknown;
}

/** One setting as docs/api.md ("Settings") lists it. */
export interface SettingDescriptor {
  readonly name: string;
  /** What the value must be, in words ("whole number ≥ 0", "URL", …). */
  readonly type: string;
  readonly default: unknown;
  /** The default as the docs and `serve --help` show it. */
  readonly defaultText: string;
  readonly group: string;
  readonly workerOnly?: boolean;
  /** The value from a given text (or number or boolean); throws for a value that cannot be right. */
  parse(value: unknown): unknown;
}

/** Every setting, in the order docs/api.md lists them. */
export const SETTINGS: readonly SettingDescriptor[];

/**
 * The settings from raw values by name (a Worker's `env`, the environment, createReceiver's
 * settings), checked and frozen: what every host reads once, at start-up. Throws
 * {@link SettingError} for a value that cannot be right. `aliases` names a setting as the
 * caller called it, for the message.
 */
export function readSettings(values?: Record<string, unknown>, options?: { aliases?: Record<string, string> }): Readonly<Record<string, unknown>>;
