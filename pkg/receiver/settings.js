// The receiver's settings, read and checked in one place. Every host hands its raw values
// over once, at start-up — the Worker its `env` when its script loads (worker/src/settings.js),
// createReceiver its options, `cohort-sync serve` the environment — and gets back one
// frozen object that the routes and the objects read instead of the raw values. A value
// that cannot be right (a typo in a number, a URL that is not one) throws a SettingError
// naming the setting and the value, so a receiver never starts on it, rather than
// quietly running on a default.
//
// SETTINGS below lists every setting; docs/api.md ("Settings") describes each, and a test
// holds the two lists to the same names, types and defaults. This module imports only
// suggest.js, which imports nothing, so that `cohort-sync serve --help` can list the
// settings without loading the wasm.
import { suggestions } from "../suggest.js";

/** A value that cannot be right for its setting: `setting` names it, `value` is what was given. */
export class SettingError extends Error {
  constructor(setting, value, expected, alias) {
    const given = typeof value === "string" ? JSON.stringify(value) : typeof value === "object" ? "an object" : typeof value === "function" ? "a function" : String(value);
    super(`cohort-sync: the setting ${setting}${alias ? ` (${alias})` : ""} must be ${expected}; it is ${given}`);
    this.name = "SettingError";
    this.setting = setting;
    this.value = value;
  }
}

/** Thrown by a parser: what the setting must be (SettingError adds the name and value). */
class Expected {
  constructor(what) {
    this.what = what;
  }
}

const text = (value) => String(value);

const wholeNumber = (min) => (value) => {
  const n = typeof value === "number" ? value : /^[0-9]{1,15}$/.test(String(value).trim()) ? Number(String(value).trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new Expected(`a whole number of ${min} or more`);
  return n;
};

const trueOrFalse = (value) => {
  if (typeof value === "boolean") return value;
  const word = String(value).trim().toLowerCase();
  if (word === "true" || word === "false") return word === "true";
  throw new Expected("true or false");
};

const list = (value) =>
  Object.freeze(
    String(value)
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

// A browser sends its page's origin exactly (`scheme://host[:port]`, lower case, no
// default port, no path), so an entry written any other way could never match.
const origins = (value) => {
  const entries = list(value).map((entry) => entry.replace(/\/$/, ""));
  for (const entry of entries) {
    let origin = null;
    try {
      origin = new URL(entry).origin;
    } catch {
      // not a URL at all
    }
    if (origin !== entry) {
      throw new Expected(`a comma-separated list of origins (scheme://host[:port]), but ${JSON.stringify(entry)} is not one${origin && origin !== "null" ? ` (did you mean ${origin}?)` : ""}`);
    }
  }
  return Object.freeze(entries);
};

const url = (value) => {
  const given = String(value).trim();
  let parsed;
  try {
    parsed = new URL(given);
  } catch {
    throw new Expected("an http:// or https:// URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Expected("an http:// or https:// URL");
  return given;
};

const region = (value) => {
  const given = String(value).trim();
  if (given !== "us" && given !== "eu") throw new Expected('"us" or "eu"');
  return given;
};

const binding = (value) => {
  if (typeof value?.writeDataPoint !== "function") throw new Expected("an Analytics Engine dataset binding");
  return value;
};

const TYPES = {
  text: { type: "text", parse: text },
  secret: { type: "text, a secret", parse: text },
  count: { type: "whole number ≥ 1", parse: wholeNumber(1) },
  countOrZero: { type: "whole number ≥ 0", parse: wholeNumber(0) },
  flag: { type: "true or false", parse: trueOrFalse },
  list: { type: "comma-separated list", parse: list },
  origins: { type: "comma-separated origins", parse: origins },
  url: { type: "URL", parse: url },
  region: { type: "us or eu", parse: region },
  binding: { type: "Analytics Engine binding", parse: binding },
};

/** A setting: `defaultText` is the default as docs/api.md and `serve --help` show it. */
function setting(name, kind, value, defaultText = value === null ? "none" : String(value), more = {}) {
  return Object.freeze({ name, type: TYPES[kind].type, default: value, defaultText, parse: TYPES[kind].parse, ...more });
}

/**
 * Every setting, in the order docs/api.md lists them: `{ name, type, default,
 * defaultText, parse, group, workerOnly? }`. `parse(value)` turns a given value (text, or
 * a number or boolean where the host passes one) into the setting's value, or throws
 * (readSettings names the setting in the SettingError it throws then).
 */
export const SETTINGS = Object.freeze([
  ...group("credentials", [
    setting("WEBHOOK_USERNAME", "text", null),
    setting("WEBHOOK_PASSWORD", "secret", null),
    // Fails closed rather than failing to start: only the word true opens the receiver to
    // anyone, and any other value leaves it shut.
    Object.freeze({
      ...setting("ALLOW_UNAUTHENTICATED", "flag", false),
      type: "true, or anything else for false",
      parse: (value) => String(value).trim().toLowerCase() === "true",
    }),
  ]),
  ...group("the webhook", [
    setting("MAX_BODY_BYTES", "count", 10 * 1024 * 1024, "10485760 (10 MiB)"),
    setting("ACCEPT_COHORTS", "list", Object.freeze([]), "none"),
    setting("CONSOLE_ORIGINS", "origins", Object.freeze([]), "none"),
  ]),
  ...group("the page log", [
    setting("APPLY_DELAY_MS", "countOrZero", 100),
    setting("APPLY_PAGES_PER_RUN", "count", 5),
    setting("MAX_LOGGED_PAGES", "countOrZero", 20),
    setting("DEAD_PAGE_ATTEMPTS", "count", 8),
    setting("PAGE_RETRY_BASE_MS", "countOrZero", 1000),
  ]),
  ...group("storage", [
    // Unset, the store covers as many as one statement may bind (store.js says why).
    setting("SWEEP_ORDINALS_PER_SCAN", "count", null, "12000000"),
    setting("ALARM_POLL_MS", "count", 1000),
  ]),
  ...group("forwarding", [
    setting("FORWARD_RETRY_BASE_MS", "count", 1000),
    setting("FORWARD_RETRY_MAX_MS", "count", 300_000, "300000 (5 min)"),
  ]),
  ...group("CleverTap", [
    setting("CLEVERTAP_ACCOUNT_ID", "text", null),
    setting("CLEVERTAP_PASSCODE", "secret", null),
    setting("CLEVERTAP_UPLOAD_URL", "url", "https://api.clevertap.com/1/upload"),
  ]),
  ...group("Braze", [
    setting("BRAZE_API_KEY", "secret", null),
    setting("BRAZE_COHORT_URL", "url", null),
    setting("BRAZE_USER_ID_PROPERTY", "text", null),
    setting("BRAZE_SIMPLIFIED_ID_MERGE", "flag", false),
  ]),
  ...group("Mixpanel profiles", [
    setting("MIXPANEL_TOKEN", "text", null),
    setting("MIXPANEL_REGION", "region", "us"),
    setting("MIXPANEL_ENGAGE_URL", "url", null, "by MIXPANEL_REGION"),
    setting("MIXPANEL_PER_AUDIENCE", "flag", false),
  ]),
  ...group("watching", [setting("ANALYTICS", "binding", null, "none", { workerOnly: true })]),
]);

function group(name, settings) {
  return settings.map((s) => Object.freeze({ ...s, group: name }));
}

// What createReceiver's `onEvent` and `logEvents` options become: values a host passes
// in code, never read from an environment, so they are not among SETTINGS.
const HOST_VALUES = [
  { name: "ON_EVENT", parse: (value) => (typeof value === "function" ? value : fail("a function")), default: null },
  { name: "EVENT_LINES", parse: trueOrFalse, default: true },
];

function fail(what) {
  throw new Expected(what);
}

/** Whether a setting counts as given: an empty text (a blank `[vars]` entry) does not. */
const given = (value) => value !== undefined && value !== null && value !== "";

const made = new WeakSet();

/**
 * The settings from `values` (an object of raw values by name: a Worker's `env`, the
 * environment, createReceiver's settings), checked and frozen. Names it does not know
 * (bindings, other variables) are left alone. `aliases` maps a setting's name to what the
 * caller called it (createReceiver's option names), for the error message. Throws a
 * SettingError for a value that cannot be right.
 */
export function readSettings(values = {}, { aliases = {} } = {}) {
  const settings = {};
  for (const { name, parse, default: fallback } of [...SETTINGS, ...HOST_VALUES]) {
    const value = values[name];
    if (!given(value)) {
      settings[name] = fallback;
      continue;
    }
    try {
      settings[name] = parse(value);
    } catch (error) {
      if (!(error instanceof Expected)) throw error;
      throw new SettingError(name, value, error.what, aliases[name]);
    }
  }
  const user = settings.WEBHOOK_USERNAME ?? "";
  const password = settings.WEBHOOK_PASSWORD ?? "";
  settings.auth = Object.freeze(
    user !== "" || password !== "" ? { kind: "basic", user, password } : settings.ALLOW_UNAUTHENTICATED ? { kind: "open" } : { kind: "closed" },
  );
  // Each destination is on when its settings are present.
  const destinations = [];
  if (settings.CLEVERTAP_ACCOUNT_ID && settings.CLEVERTAP_PASSCODE) destinations.push("clevertap");
  if (settings.BRAZE_API_KEY && settings.BRAZE_COHORT_URL) destinations.push("braze");
  if (settings.MIXPANEL_TOKEN) destinations.push("profiles");
  settings.destinations = Object.freeze(destinations);
  settings.events = Object.freeze({ analytics: settings.ANALYTICS ?? undefined, onEvent: settings.ON_EVENT, lines: settings.EVENT_LINES });
  Object.freeze(settings);
  made.add(settings);
  return settings;
}

/**
 * Throws a SettingError for a name in `values` that is no setting (a typo would otherwise
 * leave its setting at the default, a destination quietly off), naming the nearest one.
 * For hosts whose values hold settings only: a Worker's `env` holds its bindings too.
 */
export function checkSettingNames(values, where) {
  const names = SETTINGS.map((setting) => setting.name);
  for (const name of Object.keys(values)) {
    if (names.includes(name)) continue;
    const error = new SettingError(name, values[name], "");
    const near = suggestions(name.toUpperCase(), names);
    error.message = `cohort-sync: ${where} names no setting ${JSON.stringify(name)}${near.length ? `; did you mean ${near.join(" or ")}?` : ""} (the settings: docs/api.md, "Settings")`;
    throw error;
  }
}

const read = new WeakMap();

/**
 * `given` when it is already a settings object (readSettings'), else the settings read
 * from it, once per object: for callers that still hand over raw values.
 */
export function settingsOf(given) {
  if (made.has(given)) return given;
  if (given === null || typeof given !== "object") return readSettings(given ?? {});
  let settings = read.get(given);
  if (settings === undefined) {
    settings = readSettings(given);
    read.set(given, settings);
  }
  return settings;
}
