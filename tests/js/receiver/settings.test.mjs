// The receiver's settings (pkg/receiver/settings.js): described once, in docs/api.md's
// "Settings" table, which must list exactly the settings the code reads, with the same
// types and defaults; read and checked once, at start-up, so a bad value stops
// createReceiver and `cohort-sync serve` before a store is opened or a request taken,
// with an error naming the setting and the value. (The Worker's side is
// tests/js/worker/settings.test.mjs.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { SETTINGS, SettingError, createReceiver, readSettings } from "cohort-sync/receiver";
import { BIN } from "./serve-process.mjs";

const T = { timeout: 60_000 };
const tmp = mkdtempSync(join(tmpdir(), "cohort-sync-settings-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** docs/api.md of the repository: the nearest folder above this file that has it (the scratch project is inside the repository). */
function apiDoc() {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "docs/api.md"))) return readFileSync(join(dir, "docs/api.md"), "utf8");
    if (dirname(dir) === dir) throw new Error("no folder above this file holds docs/api.md");
  }
}

/** The rows of the table in docs/api.md's "Settings" section: `{ name, type, default }`, cells without backticks. */
function documentedSettings() {
  const doc = apiDoc();
  const section = /\n## Settings\n([\s\S]*?)(?=\n## )/.exec(doc)?.[1];
  assert.ok(section, 'docs/api.md has a "## Settings" section');
  const rows = section.split("\n").filter((line) => line.startsWith("| `"));
  assert.ok(rows.length > 0, "the Settings section has a table of settings");
  return rows.map((line) => {
    const [name, type, fallback] = line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("`", ""));
    return { name, type, default: fallback };
  });
}

describe("one description of the settings", () => {
  test("docs/api.md's table and settings.js list exactly the same settings, both ways, in the same order", () => {
    const documented = documentedSettings();
    const names = documented.map((row) => row.name);
    const code = SETTINGS.map((s) => s.name);
    assert.deepEqual(code.filter((name) => !names.includes(name)), [], "read by the code, missing from docs/api.md's table");
    assert.deepEqual(names.filter((name) => !code.includes(name)), [], "in docs/api.md's table, unknown to the code");
    assert.equal(new Set(names).size, names.length, "each setting once in the table");
    assert.deepEqual(names, code);
  });

  test("each setting's type and default are the same in docs/api.md and settings.js", () => {
    const documented = new Map(documentedSettings().map((row) => [row.name, row]));
    for (const s of SETTINGS) {
      assert.equal(documented.get(s.name).type, s.type, `${s.name}: type`);
      assert.equal(documented.get(s.name).default, s.defaultText, `${s.name}: default`);
    }
  });

  test("`cohort-sync serve --help` lists every setting it reads from the environment", T, async () => {
    const help = await run(["serve", "--help"]);
    assert.equal(help.code, 0);
    for (const s of SETTINGS.filter((s) => !s.workerOnly)) assert.match(help.stdout, new RegExp(`\n +${s.name} +${escape(s.type)}`), s.name);
    assert.doesNotMatch(help.stdout, /\bANALYTICS\b/);
  });
});

describe("read once, at start-up", () => {
  test("the defaults, with nothing set", () => {
    const s = readSettings({});
    assert.ok(Object.isFrozen(s));
    for (const { name, default: fallback } of SETTINGS) assert.deepEqual(s[name], fallback, name);
    assert.equal(s.MAX_BODY_BYTES, 10 * 1024 * 1024);
    assert.deepEqual(s.auth, { kind: "closed" });
    assert.deepEqual(s.destinations, []);
  });

  test("values are read into their types; the destinations are worked out once, with the settings", () => {
    const s = readSettings({
      WEBHOOK_USERNAME: "u", MAX_BODY_BYTES: "1000", ACCEPT_COHORTS: " a, b ,,", CONSOLE_ORIGINS: " https://ops.example.com/ , http://127.0.0.1:8788",
      APPLY_DELAY_MS: "0", MAX_LOGGED_PAGES: 0, MIXPANEL_PER_AUDIENCE: "TRUE", BRAZE_SIMPLIFIED_ID_MERGE: true, MIXPANEL_REGION: "eu",
      CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", MIXPANEL_TOKEN: "t", BRAZE_API_KEY: "k", ACCEPT: "not a setting", COHORTS: {},
    });
    assert.equal(s.MAX_BODY_BYTES, 1000);
    assert.deepEqual(s.ACCEPT_COHORTS, ["a", "b"]);
    assert.deepEqual(s.CONSOLE_ORIGINS, ["https://ops.example.com", "http://127.0.0.1:8788"]);
    assert.equal(s.APPLY_DELAY_MS, 0);
    assert.equal(s.MAX_LOGGED_PAGES, 0);
    assert.equal(s.MIXPANEL_PER_AUDIENCE, true);
    assert.equal(s.BRAZE_SIMPLIFIED_ID_MERGE, true);
    assert.deepEqual(s.auth, { kind: "basic", user: "u", password: "" });
    // Braze needs its URL as well as its key.
    assert.deepEqual(s.destinations, ["clevertap", "profiles"]);
    assert.ok(Object.isFrozen(s.destinations) && Object.isFrozen(s.ACCEPT_COHORTS));
    // Only the word true opens the receiver; anything else leaves it closed, and starts.
    assert.deepEqual(readSettings({ ALLOW_UNAUTHENTICATED: "yes" }).auth, { kind: "closed" });
    assert.deepEqual(readSettings({ ALLOW_UNAUTHENTICATED: "true" }).auth, { kind: "open" });
  });

  test("a value that cannot be right throws a SettingError naming the setting and the value", () => {
    for (const [name, value] of [
      ["MAX_BODY_BYTES", "10MB"], ["MAX_BODY_BYTES", "0"], ["MAX_BODY_BYTES", "1e6"], ["APPLY_DELAY_MS", "-1"], ["APPLY_PAGES_PER_RUN", "five"],
      ["MAX_LOGGED_PAGES", "2.5"], ["DEAD_PAGE_ATTEMPTS", "0"], ["PAGE_RETRY_BASE_MS", "1s"], ["SWEEP_ORDINALS_PER_SCAN", "x"], ["ALARM_POLL_MS", "0"],
      ["FORWARD_RETRY_BASE_MS", "50ms"], ["FORWARD_RETRY_MAX_MS", " "], ["CONSOLE_ORIGINS", "ops.example.com"], ["CONSOLE_ORIGINS", "https://ops.example.com/console"],
      ["CLEVERTAP_UPLOAD_URL", "api.clevertap.com/1/upload"], ["BRAZE_COHORT_URL", "ftp://braze.test/"], ["MIXPANEL_ENGAGE_URL", "not a url"],
      ["MIXPANEL_REGION", "EU"], ["MIXPANEL_PER_AUDIENCE", "yes"], ["BRAZE_SIMPLIFIED_ID_MERGE", "1"], ["ANALYTICS", "cohort_sync"],
    ]) {
      assert.throws(() => readSettings({ [name]: value }), (error) => {
        assert.ok(error instanceof SettingError, `${name}=${value}`);
        assert.equal(error.setting, name);
        assert.ok(error.message.includes(name) && error.message.includes(JSON.stringify(value)), error.message);
        return true;
      }, `${name}=${JSON.stringify(value)}`);
    }
  });

  test("createReceiver throws on a bad setting before it opens its store", () => {
    const file = join(tmp, "never.db");
    assert.throws(() => createReceiver({ db: file, username: "u", password: "p", settings: { MAX_BODY_BYTES: "10MB" } }), (error) => {
      assert.ok(error instanceof SettingError);
      assert.match(error.message, /MAX_BODY_BYTES/);
      assert.match(error.message, /"10MB"/);
      return true;
    });
    assert.equal(existsSync(file), false, "no file was opened");
    // An option that stands for a setting is named as the caller wrote it.
    assert.throws(() => createReceiver({ db: file, maxBodyBytes: 1.5 }), /MAX_BODY_BYTES \(the option maxBodyBytes\).*"1\.5"/);
    assert.throws(() => createReceiver({ db: file, consoleOrigins: ["https://ops.example.com/", "ops.example.com"] }), /CONSOLE_ORIGINS \(the option consoleOrigins\)/);
    // A name that is no setting (a typo would leave its destination quietly off), with the nearest named.
    assert.throws(() => createReceiver({ db: file, settings: { CLEVERTAP_ACOUNT_ID: "acct", CLEVERTAP_PASSCODE: "pass" } }), (error) => {
      assert.ok(error instanceof SettingError);
      assert.equal(error.setting, "CLEVERTAP_ACOUNT_ID");
      assert.match(error.message, /names no setting "CLEVERTAP_ACOUNT_ID"; did you mean CLEVERTAP_ACCOUNT_ID\?/);
      return true;
    });
    assert.throws(() => createReceiver({ db: file, settings: { NOTHING_LIKE_IT: "1" } }), (error) => error instanceof SettingError && !/did you mean/.test(error.message) && /NOTHING_LIKE_IT/.test(error.message));
    // On PostgreSQL too, before any connection is tried.
    assert.throws(() => createReceiver({ postgres: "postgres://u@127.0.0.1:1/never", settings: { ALARM_POLL_MS: "1s" } }), /ALARM_POLL_MS.*"1s"/);
    assert.equal(existsSync(file), false);
  });

  test("`cohort-sync serve` with a bad setting exits 2 before it opens its store, naming the setting and the value", T, async () => {
    const file = join(tmp, "serve-never.db");
    const r = await run(["serve", "--db", file, "--port", "0"], { WEBHOOK_USERNAME: "u", WEBHOOK_PASSWORD: "p", FORWARD_RETRY_MAX_MS: "5min" });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^cohort-sync serve: the setting FORWARD_RETRY_MAX_MS must be .*"5min"\n$/);
    assert.equal(r.stdout, "");
    assert.equal(existsSync(file), false, "no file was opened");
  });
});

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs the installed bin with `env` (and PATH); resolves to `{ code, stdout, stderr }` (killed after 30 s). */
function run(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}
