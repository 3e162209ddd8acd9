// The `cohort-sync` command as npm installs it (node_modules/.bin/cohort-sync from the
// packed tarball): `validate` over the payload fixtures, and `replay` against scripted
// webhook servers on 127.0.0.1 — pages, sessions, Basic auth, retries on the
// retryDelays schedule, pauses, restarts from the top, snapshot expiry and Mixpanel's documented
// worked example. Run by scripts/test-js.mjs from the scratch project.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CohortState, retryDelays, validatePayload, webhookResponse } from "cohort-sync";

const T = { timeout: 60_000 }; // a hang fails the test instead of the run
const BIN = join(process.cwd(), "node_modules/.bin/cohort-sync");
const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const SCENARIOS = join(pkgDir, "scenarios");

/** The repository: the scratch project sits at <repo>/.scratch/js/project. */
function findRoot() {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Cargo.toml")) && existsSync(join(dir, "tests/fixtures/payloads"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository above ${process.cwd()}`);
  }
}
const FIXTURES = join(findRoot(), "tests/fixtures/payloads");
const fixtures = (kind) => readdirSync(join(FIXTURES, kind)).filter((f) => f.endsWith(".json")).sort().map((f) => join(FIXTURES, kind, f));

const tmp = mkdtempSync(join(tmpdir(), "cohort-sync-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
function scenarioFile(scenario) {
  const file = join(tmp, `scenario-${++files}.json`);
  writeFileSync(file, typeof scenario === "string" ? scenario : JSON.stringify(scenario, null, 2));
  return file;
}

/** Runs the installed command; resolves to { code, stdout, stderr } (never blocks the event loop). */
function run(args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}
const json = (r) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
};

/**
 * A webhook server on 127.0.0.1, port 0. `answer(request, index)` returns an HTTP status
 * (the body is webhookResponse's) or `{ status, body }`. Every request is recorded with
 * its arrival time.
 */
async function webhook(answer = () => 200) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = JSON.parse(text);
      const p = body.parameters;
      const r = {
        t: performance.now(),
        method: req.method,
        path: req.url,
        headers: req.headers,
        text,
        action: body.action,
        session: p.mixpanel_session_id,
        page: p.page_info.page_count,
        total: p.page_info.total_pages,
        ids: p.members.map((m) => m.mixpanel_distinct_id),
        members: p.members,
      };
      requests.push(r);
      const a = answer(r, requests.length - 1);
      const { status, body: out } = typeof a === "number" ? { status: a } : a;
      r.status = status;
      const reply = status < 300 ? webhookResponse(body.action) : webhookResponse(body.action, { message: `scripted ${status}`, code: status });
      res.writeHead(status, reply.headers).end(out ?? reply.body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/webhook`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** `[action, ids]` of each request. */
const actions = (requests) => requests.map((r) => [r.action, r.ids]);
const small = (steps, extra = {}) => ({ name: "test", cohort: { projectId: "1", cohortId: "42", cohortName: "Test" }, steps, ...extra });

describe("cohort-sync (the installed bin)", () => {
  test("is installed by npm as node_modules/.bin/cohort-sync", T, async () => {
    assert.ok(existsSync(BIN), BIN);
    const r = await run(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /validate FILE…/);
    assert.match(r.stdout, /replay --url URL SCENARIO/);
    const v = await run(["--version"]);
    assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version);
    assert.match(r.stdout, /Exit status: 0 success, 1 .*\n2 usage error/);
    assert.equal((await run([])).code, 2);
  });

  test("an unknown command or option is one line on stderr with a hint to --help, not the whole usage", T, async () => {
    const cases = [
      [["frobnicate"], `cohort-sync: unknown command "frobnicate". Try 'cohort-sync --help'.\n`],
      [["valdate"], `cohort-sync: unknown command "valdate" (did you mean validate?). Try 'cohort-sync --help'.\n`],
      [["--bogus"], `cohort-sync: unknown option --bogus (options go after a command: validate, replay, serve or load). Try 'cohort-sync --help'.\n`],
      [["--verison"], `cohort-sync: unknown option --verison (did you mean --version?). Try 'cohort-sync --help'.\n`],
      [["help", "bogus"], `cohort-sync: unknown command "bogus". Try 'cohort-sync --help'.\n`],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, message);
    }
  });
});

describe("cohort-sync validate", () => {
  test("every valid fixture: exit 0, a verdict and summary per file", T, async () => {
    const valid = fixtures("valid");
    assert.ok(valid.length >= 5);
    const r = await run(["validate", ...valid]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const f of valid) assert.match(r.stdout, new RegExp(`${f.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: valid: `));
    assert.match(r.stdout, /members_page\.json: valid: members, page 2 of 3, 3 members; cohort 1234567 "Power users", project 2195193/);
    assert.match(r.stdout, /warning unknown_field at \/extra \(43:3\): /);
    // As the real sender sends it: valid and pageless, and nothing more to say: what
    // Mixpanel always leaves out (page_info, the description) is a note, not a warning.
    assert.match(r.stdout, /real_sender_members\.json: valid: members, pageless \(no page_info\), 2 members; cohort 5167408 "Registros Ultimas 24 horas", project 2201475, session 9b5bbfa4-1b9a-41fe-bf60-cd31274ef05d\n(?! )/);
    assert.doesNotMatch(r.stdout, /^ +\S+ +(no_page_info|missing_field) /m);
    assert.match(r.stdout, new RegExp(`${valid.length} files: ${valid.length} valid, 0 invalid`));
  });

  test("every invalid fixture: exit 1, and --json gives one document with problems", T, async () => {
    const invalid = fixtures("invalid");
    const r = await run(["validate", "--json", ...invalid]);
    assert.equal(r.code, 1, r.stderr);
    const out = json(r);
    assert.equal(out.length, invalid.length);
    for (const [i, entry] of out.entries()) {
      assert.deepEqual(Object.keys(entry), ["file", "valid", "problems", "summary"]);
      assert.equal(entry.file, invalid[i]);
      assert.equal(entry.valid, false);
      assert.ok(entry.problems.some((p) => p.severity === "error"), entry.file);
      for (const p of entry.problems) {
        assert.ok(["error", "warning", "info"].includes(p.severity));
        assert.match(p.code, /^[a-z][a-z0-9_]*$/);
        assert.ok(p.path === "" || p.path.startsWith("/"));
      }
    }
    const byName = (name) => out.find((e) => e.file.endsWith(`/${name}`));
    assert.deepEqual(byName("page_out_of_range.json").problems, [
      { severity: "error", code: "page_out_of_range", path: "/parameters/page_info/page_count", message: "page_count 7 is past total_pages 6", line: 11, column: 21, offset: byName("page_out_of_range.json").problems[0].offset },
    ]);
    const missing = byName("missing_field.json");
    assert.deepEqual(
      missing.problems.map((p) => [p.severity, p.code, p.path, p.line, p.column]).slice(0, 2),
      [
        ["error", "missing_field", "/parameters/members/0/mixpanel_distinct_id", 5, 7],
        ["error", "missing_field", "/parameters/mixpanel_project_id", 3, 17],
      ],
    );
    assert.equal(missing.summary.action, "members");
    assert.equal(byName("invalid_json.json").problems[0].code, "invalid_json");
    assert.equal(byName("too_many_problems.json").problems.length, 101); // the package's cap, all in JSON
  });

  test("a valid file's --json summary, and text output with line:column for problems", T, async () => {
    const file = join(FIXTURES, "valid/members_page.json");
    const r = await run(["validate", "--json", file]);
    assert.equal(r.code, 0);
    const [entry] = json(r);
    assert.deepEqual(entry.problems, []);
    assert.deepEqual(entry.summary, {
      action: "members",
      projectId: "2195193",
      cohortId: "1234567",
      cohortName: "Power users",
      cohortDescription: entry.summary.cohortDescription,
      sessionId: "sess-2026-11-22T05:00:00Z-1",
      page: { count: 2, total: 3 },
      memberCount: 3,
      bytes: readFileSync(file).length,
    });
    const bad = await run(["validate", join(FIXTURES, "invalid/page_out_of_range.json")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /page_out_of_range\.json: INVALID: 1 error\n  error   page_out_of_range at \/parameters\/page_info\/page_count \(11:21\): page_count 7 is past total_pages 6\n/);
  });

  test("mixed files exit 1; an unreadable file or a usage error exits 2", T, async () => {
    const good = join(FIXTURES, "valid/add_members.json");
    const bad = join(FIXTURES, "invalid/wrong_type.json");
    assert.equal((await run(["validate", good, bad])).code, 1);
    const missing = await run(["validate", "--json", good, join(tmp, "nope.json")]);
    assert.equal(missing.code, 2);
    const out = json(missing);
    assert.equal(out[0].valid, true);
    assert.deepEqual([out[1].valid, out[1].summary, out[1].problems[0].code], [false, null, "unreadable_file"]);
    assert.equal(out[1].problems[0].message, `no such file: ${join(tmp, "nope.json")}`);
    // In words, on stderr; stdout keeps the verdicts of the files that could be read.
    const text = await run(["validate", good, join(tmp, "nope.json")]);
    assert.equal(text.code, 2);
    assert.equal(text.stderr, `cohort-sync validate: no such file: ${join(tmp, "nope.json")}\n`);
    assert.doesNotMatch(text.stdout, /nope|ENOENT/);
    assert.match(text.stdout, /add_members\.json: valid: [^]*2 files: 1 valid, 0 invalid, 1 unreadable\n$/);
    const folder = await run(["validate", join(tmp, "nope.json", "deeper.json")]);
    assert.equal(folder.stderr, `cohort-sync validate: no such file: ${join(tmp, "nope.json", "deeper.json")}\n`);
    for (const args of [["validate"], ["validate", "--nope", good], ["validate", "--max-members", "x", good], ["validate", "-", "-"]]) {
      const u = await run(args);
      assert.equal(u.code, 2, args.join(" "));
      assert.match(u.stderr, /^cohort-sync validate: /);
    }
  });

  test("unknown options and option mistakes are told in the command's words, with a suggestion", T, async () => {
    const good = join(FIXTURES, "valid/add_members.json");
    const cases = [
      [["validate", "--jsn", good], "unknown option --jsn (did you mean --json?)"],
      [["validate", "--max", good], "unknown option --max (did you mean --max-members or --max-bytes?)"],
      [["validate", "--max-member", "3", good], "unknown option --max-member (did you mean --max-members?)"],
      [["validate", "--frobnicate", good], "unknown option --frobnicate"],
      [["validate", "-x", good], "unknown option -x"],
      [["validate", "--json=yes", good], "--json takes no value"],
      [["validate", good, "--max-bytes"], "--max-bytes needs a value"],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `cohort-sync validate: ${message}\nTry 'cohort-sync validate --help'.\n`);
    }
    const replayed = await run(["replay", "--urll", "http://127.0.0.1:1/", join(SCENARIOS, "seed-example.json")]);
    assert.equal(replayed.code, 2);
    assert.equal(replayed.stderr, "cohort-sync replay: unknown option --urll (did you mean --url?)\nTry 'cohort-sync replay --help'.\n");
    const swallowed = await run(["replay", "--url", "--json", join(SCENARIOS, "seed-example.json")]);
    assert.equal(swallowed.code, 2);
    assert.match(swallowed.stderr, /^cohort-sync replay: --url needs a value, not the option --json/);
  });

  test("a folder: no symlinked folders followed, node_modules and dot-folders skipped, .JSON read, natural order", T, async () => {
    const root = join(tmp, "folder");
    const body = readFileSync(join(FIXTURES, "valid/add_members.json"));
    const put = (rel) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), body);
    };
    for (const rel of ["p10.json", "p2.JSON", "p1.json", "notes.txt", "sub/a.json", "node_modules/dep/x.json", ".git/y.json", ".cache/z.json"]) put(rel);
    symlinkSync("..", join(root, "sub", "loop")); // a loop: following it lists the tree again and again
    symlinkSync(join(root, "p1.json"), join(root, "sub", "linked.json")); // a link to a file is read
    const r = await run(["validate", "--json", root]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      json(r).map((e) => e.file.slice(root.length + 1)),
      ["p1.json", "p2.JSON", "p10.json", "sub/a.json", "sub/linked.json"],
    );
    assert.equal(
      r.stderr,
      `cohort-sync validate: not following symbolic links to folders: ${join(root, "sub", "loop")}\n` +
        `cohort-sync validate: 1 file skipped: not .json (${join(root, "notes.txt")})\n`,
    );
    // Named on the command line, a folder inside one of the skipped kinds is read.
    const named = await run(["validate", "--json", join(root, "node_modules")]);
    assert.deepEqual(json(named).map((e) => e.file), [join(root, "node_modules/dep/x.json")]);
  });

  test("other files in a folder are counted as skipped, in the total and when nothing else is there", T, async () => {
    const root = join(tmp, "mixed");
    mkdirSync(join(root, "sub"), { recursive: true });
    cpSync(join(FIXTURES, "valid/add_members.json"), join(root, "a.json"));
    cpSync(join(FIXTURES, "valid/members_page.json"), join(root, "sub/b.json"));
    for (const name of ["notes.txt", "export.csv", "sub/README.md", "sub/page.json.bak"]) writeFileSync(join(root, name), "not a body");
    const r = await run(["validate", root]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const skipped = ["export.csv", "notes.txt", "sub/page.json.bak"].map((f) => join(root, f)).join(", ");
    assert.match(r.stdout, new RegExp(`\n\n2 files: 2 valid, 0 invalid; 4 files skipped: not \\.json \\(${skipped.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}, … 1 more\\)\n$`));
    // One body and one other file: still a total, since the verdicts do not show the skip.
    const one = join(tmp, "one");
    mkdirSync(one);
    cpSync(join(FIXTURES, "valid/add_members.json"), join(one, "a.json"));
    writeFileSync(join(one, "notes.txt"), "x");
    const single = await run(["validate", one]);
    assert.match(single.stdout, new RegExp(`\n\n1 file: 1 valid, 0 invalid; 1 file skipped: not \\.json \\(${join(one, "notes.txt").replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\)\n$`));
    // Nothing but other files: the usage error says what was passed over.
    const none = join(tmp, "none");
    mkdirSync(none);
    writeFileSync(join(none, "notes.txt"), "x");
    const empty = await run(["validate", none]);
    assert.equal(empty.code, 2);
    assert.equal(empty.stderr, `cohort-sync validate: no *.json file in ${none}; 1 file skipped: not .json (${join(none, "notes.txt")})\nTry 'cohort-sync validate --help'.\n`);
  });

  test("--quiet: errors only; the total says how many warnings were hidden; --json still has them; notes are never warnings", T, async () => {
    // A body as Mixpanel really sends it: nothing listed, nothing counted, nothing hidden.
    const real = join(FIXTURES, "valid/real_sender_members.json");
    for (const args of [[real], ["--quiet", real]]) {
      const r = await run(["validate", ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\S*real_sender_members\.json: valid: members, pageless \(no page_info\), 2 members; cohort 5167408 "Registros Ultimas 24 horas", project 2201475, session \S+\n$/, args.join(" "));
    }
    const odd = join(FIXTURES, "valid/unknown_field.json");
    const loud = await run(["validate", odd]);
    assert.match(loud.stdout, /; 1 warning\n  warning unknown_field /);
    for (const flag of ["--quiet", "-q"]) {
      const r = await run(["validate", flag, odd]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /^ +warning /m);
      assert.match(r.stdout, /^.*unknown_field\.json: valid: members, page 1 of 1, 3 members; cohort \S+ "[^"]*", project \S+, session \S+\n\n1 file: 1 valid, 0 invalid; 1 warning hidden \(--quiet\)\n$/);
    }
    // Errors stay, with their count; the warnings beside them are hidden and counted.
    const broken = join(FIXTURES, "invalid/duplicate_key.json");
    const both = await run(["validate", "--quiet", real, odd, broken]);
    assert.equal(both.code, 1);
    assert.match(both.stdout, /duplicate_key\.json: INVALID: 2 errors\n  error   duplicate_key at \/action .*\n  error   duplicate_key at /);
    assert.doesNotMatch(both.stdout, /^ +warning /m);
    const hidden = json(await run(["validate", "--json", real, odd, broken])).reduce((n, f) => n + f.problems.filter((p) => p.severity === "warning").length, 0);
    assert.match(both.stdout, new RegExp(`\n3 files: 2 valid, 1 invalid; ${hidden} warnings? hidden \\(--quiet\\)\n$`));
    // --json lists every problem, the notes with severity "info".
    const data = json(await run(["validate", "--quiet", "--json", real]));
    assert.deepEqual(data[0].problems.map((p) => [p.severity, p.code]), [["info", "missing_field"], ["info", "no_page_info"]]);
    // Nothing to hide: no total for one file.
    assert.doesNotMatch((await run(["validate", "--quiet", join(FIXTURES, "valid/add_members.json")])).stdout, /hidden/);
  });

  test("sizes: human units in text, bytes in --json", T, async () => {
    const over = join(tmp, "over.json");
    writeFileSync(over, " ".repeat(10_800_000));
    const text = await run(["validate", over]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /error {3}body_too_large at "" \(whole body\): the body is 10\.3 MiB; the limit is 10 MiB\n/);
    const data = await run(["validate", "--json", over]);
    assert.equal(json(data)[0].problems[0].message, "the body is 10800000 bytes; the limit is 10485760 bytes");
    assert.equal(json(data)[0].summary.bytes, 10_800_000);
    // One byte over: the units alone would read "10.0 MiB; the limit is 10 MiB".
    writeFileSync(over, " ".repeat(10 * 1024 * 1024 + 1));
    const barely = await run(["validate", over]);
    assert.match(barely.stdout, /the body is 10\.0 MiB \(10485761 bytes\); the limit is 10 MiB \(10485760 bytes\)\n/);
    const small = await run(["validate", "--max-bytes", "100", join(FIXTURES, "valid/add_members.json")]);
    assert.match(small.stdout, /the body is \d+ bytes; the limit is 100 bytes\n/);
    rmSync(over);
  });

  test("progress: on a terminal after a second, redrawn in place and cleared; nothing on a pipe or with --json", T, async () => {
    const { createCountProgress } = await import(pathToFileURL(join(pkgDir, "cli/progress.mjs")));
    const fake = (isTTY) => ({ isTTY, columns: 80, text: "", write(s) { this.text += s; } });
    let clock = 0;
    const now = () => clock;
    const tty = fake(true);
    const p = createCountProgress({ total: 5000, noun: "file", stream: tty, now });
    clock = 999;
    p.update(100);
    assert.equal(tty.text, "", "nothing in the first second");
    clock = 1001;
    p.update(1200);
    assert.equal(tty.text, "\r\x1b[2Kvalidating: 1200/5000 files (24%)");
    clock = 1050;
    p.update(1300);
    assert.equal(tty.text, "\r\x1b[2Kvalidating: 1200/5000 files (24%)", "at most every 100 ms");
    clock = 1200;
    p.update(5000);
    p.stop();
    assert.equal(tty.text, "\r\x1b[2Kvalidating: 1200/5000 files (24%)\r\x1b[2Kvalidating: 5000/5000 files (100%)\r\x1b[2K");
    const quick = fake(true);
    const q = createCountProgress({ total: 3, stream: quick, now: () => 0 });
    q.update(3);
    q.stop();
    assert.equal(quick.text, "", "a quick run leaves nothing behind");
    const pipe = fake(false);
    clock = 0;
    const n = createCountProgress({ total: 10, stream: pipe, now });
    clock = 5000;
    n.update(5);
    n.stop();
    assert.equal(pipe.text, "");

    // The command on a pipe, over many files: stderr stays empty.
    const many = join(tmp, "many");
    mkdirSync(many);
    for (let i = 1; i <= 300; i++) cpSync(join(FIXTURES, "valid/add_members.json"), join(many, `p${i}.json`));
    for (const args of [["validate", many], ["validate", "--json", many]]) {
      const r = await run(args);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, "", args.join(" "));
    }
    const listed = json(await run(["validate", "--json", many])).map((e) => e.file.slice(many.length + 1));
    assert.deepEqual(listed.slice(0, 3), ["p1.json", "p2.json", "p3.json"]);
    assert.equal(listed.at(-1), "p300.json");
  });

  test("- reads stdin; a directory means its *.json files; --help; --max-members", T, async () => {
    const body = readFileSync(join(FIXTURES, "valid/add_members.json"));
    const r = await run(["validate", "--json", "-"], { input: body });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r).map((e) => [e.file, e.valid, e.summary.action, e.summary.memberCount]), [["-", true, "add_members", 2]]);
    const garbage = await run(["validate", "-"], { input: "{nope" });
    assert.equal(garbage.code, 1);
    assert.match(garbage.stdout, /^<stdin>: INVALID: 1 error\n  error   invalid_json at "" \(whole body\) \(1:2\): /);
    const dir = await run(["validate", "--json", join(FIXTURES, "valid")]);
    assert.equal(dir.code, 0);
    assert.equal(json(dir).length, fixtures("valid").length);
    const limited = await run(["validate", "--json", "--max-members", "1", join(FIXTURES, "valid/add_members.json")]);
    assert.equal(limited.code, 1);
    assert.equal(json(limited)[0].problems[0].code, "too_many_members");
    const help = await run(["validate", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: cohort-sync validate/);
    assert.match(help.stdout, /Exit status:\n  0  every file is valid.*\n  1  some file has errors\n  2  usage error, or a file or folder that cannot be read/);
    assert.match(help.stdout, /Symbolic links to folders inside it are not followed; node_modules\nand folders whose name starts with "\." are skipped/);
    assert.match((await run(["help", "validate"])).stdout, /^Usage: cohort-sync validate/);
  });
});

describe("cohort-sync replay", () => {
  test("(a) a multi-page full sync then a diff: every page, numbered, one session per sync, Basic auth", T, async () => {
    const server = await webhook();
    try {
      const r = await run(["replay", "--url", server.url, "--user", "mixpanel", "--password", "s3cret:é", "--speed", "0", "--json", join(SCENARIOS, "multi-page.json")]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      const q = server.requests;
      assert.equal(q.length, 6);
      const auth = `Basic ${Buffer.from("mixpanel:s3cret:é", "utf8").toString("base64")}`;
      for (const req of q) {
        assert.equal(req.method, "POST");
        assert.equal(req.path, "/webhook");
        assert.equal(req.headers.authorization, auth);
        assert.equal(req.headers["content-type"], "application/json");
        const report = validatePayload(req.text);
        assert.equal(report.valid, true, JSON.stringify(report.errors));
        assert.deepEqual([report.projectId, report.cohortId, report.cohortName], ["2345678", "10001", "Power users"]);
      }
      assert.deepEqual(q.map((x) => [x.action, x.page, x.total, x.ids.length]), [
        ["members", 1, 3, 1000],
        ["members", 2, 3, 1000],
        ["members", 3, 3, 500],
        ["add_members", 1, 2, 1000],
        ["add_members", 2, 2, 200],
        ["remove_members", 1, 1, 10],
      ]);
      const full = q.slice(0, 3).flatMap((x) => x.ids);
      assert.equal(new Set(full).size, 2500);
      assert.deepEqual([full[0], full[2499]], ["user-00001", "user-02500"]);
      assert.deepEqual(q[0].members[0], { mixpanel_distinct_id: "user-00001", email: "user-00001@example.com", first_name: "User", last_name: "00001" });
      assert.deepEqual(q[5].ids, Array.from({ length: 10 }, (_, i) => `user-${String(i + 1).padStart(5, "0")}`));
      // One session per sync, the same on every page of it.
      assert.equal(new Set(q.slice(0, 3).map((x) => x.session)).size, 1);
      assert.equal(new Set(q.slice(3).map((x) => x.session)).size, 1);
      assert.notEqual(q[0].session, q[3].session);
      assert.deepEqual(s.syncs.map((x) => [x.at, x.kind, x.sessionId, x.outcome]), [
        ["T", "full", q[0].session, "success"],
        ["T+30m", "diff", q[3].session, "success"],
      ]);
      assert.deepEqual(
        [s.verdict, s.requests, s.pagesDelivered, s.membersDelivered, s.retries, s.pauses, s.restarts, s.failedSyncs, s.fullSyncs, s.diffSyncs, s.snapshotExpiries, s.members],
        ["completed", 6, 6, 3710, 0, 0, 0, 0, 1, 1, 0, 3690],
      );
      assert.deepEqual(s.snapshot, { at: "T+30m", members: 3690 });
      assert.deepEqual(s.answerProblems, []);
      // A receiver applying what arrived holds the cohort.
      const state = new CohortState();
      for (const x of q) state.apply(x.text);
      assert.equal(state.size, 3690);
      assert.equal(state.has("user-00001"), false);
      assert.equal(state.has("user-03700"), true);
      state.free();
      // Progress on a pipe is plain lines: no carriage returns, no escape codes.
      assert.doesNotMatch(r.stderr, /[\r\x1b]/);
      assert.match(r.stderr, /members 2\/3 \(1000 members\) → 200/);
    } finally {
      await server.close();
    }
  });

  test("(b) 500 twice then 200: retried on the retryDelays schedule (compressed), same request, 2 retries", T, async () => {
    const server = await webhook((_, i) => (i < 2 ? 500 : 200));
    try {
      const file = scenarioFile(small([{ at: "T", set: ["A", "B"] }]));
      const r = await run(["replay", "--url", server.url, "--speed", "100", "--json", file]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      const q = server.requests;
      assert.deepEqual(q.map((x) => x.status), [500, 500, 200]);
      assert.equal(new Set(q.map((x) => x.text)).size, 1, "a retry sends the same body (same session)");
      const [d1, d2] = retryDelays(); // 1875, 3750 ms of Mixpanel time → 18.75, 37.5 ms at 100×
      const gap1 = q[1].t - q[0].t;
      const gap2 = q[2].t - q[1].t;
      assert.ok(gap1 >= d1 / 100 - 1 && gap1 < d1, `first retry after ${gap1} ms`);
      assert.ok(gap2 >= d2 / 100 - 1 && gap2 < d2, `second retry after ${gap2} ms`);
      assert.deepEqual(s.syncs[0].pages[0].attempts, [
        { status: 500, error: null, outcome: "retry", afterMs: 0 },
        { status: 500, error: null, outcome: "retry", afterMs: d1 },
        { status: 200, error: null, outcome: "success", afterMs: d1 + d2 },
      ]);
      assert.deepEqual([s.verdict, s.retries, s.requests, s.pagesDelivered, s.restarts, s.failedSyncs], ["completed", 2, 3, 1, 0, 0]);
      assert.match(r.stderr, /members 1\/1 \(2 members\) → 500 "scripted 500": retry 1 in 1\.875 s/);
      assert.match(r.stderr, /→ 500 "scripted 500": retry 2 in 3\.75 s/);
    } finally {
      await server.close();
    }
  });

  test("(c) 401: the sync pauses at once, no retry, nothing more is sent, exit 1", T, async () => {
    const server = await webhook(() => ({ status: 401, body: JSON.stringify({ action: "add_members", status: "failure", error: { message: "bad credentials", code: 401 } }) }));
    try {
      const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", join(SCENARIOS, "seed-example.json")]);
      assert.equal(r.code, 1, r.stderr);
      const s = json(r);
      assert.equal(server.requests.length, 1);
      assert.deepEqual([s.verdict, s.pauses, s.retries, s.requests, s.pagesDelivered, s.syncs.length, s.syncsPlanned], ["paused", 1, 0, 1, 0, 1, 3]);
      assert.deepEqual(s.paused, { sync: 1, at: "T", sessionId: server.requests[0].session, action: "add_members", page: 1, total: 1, status: 401, message: "bad credentials" });
      assert.equal(s.syncs[0].outcome, "paused");
      assert.equal(s.snapshot, null);
      const text = await run(["replay", "--url", server.url, "--speed", "0", join(SCENARIOS, "seed-example.json")]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, / T {8}diff add_members 1 page \(4 members\), remove_members 1 page \(0 members\): PAUSED at add_members 1\/1 \(401\)/);
      assert.match(text.stdout, /verdict: PAUSED: the endpoint answered 401 .*\("bad credentials"\)/);
      assert.match(text.stderr, /sync PAUSED \(not retried\)/);
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test("(c'') a wrong password against the real receiver: the 401 alone, no answer problem; the member count is the scenario's", T, async () => {
    // The receiver refuses before reading the body, so its answer cannot echo the action.
    const { createReceiver } = await import("cohort-sync/receiver");
    const receiver = createReceiver({ db: join(tmp, "refusing.db"), username: "mixpanel", password: "right" });
    const server = createServer(receiver.nodeHandler);
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${server.address().port}/webhook`;
    try {
      const args = ["replay", "--url", url, "--user", "mixpanel", "--password", "wrong", "--speed", "0", join(SCENARIOS, "seed-example.json")];
      const data = json(await run([...args, "--json"]));
      assert.equal(data.verdict, "paused");
      assert.equal(data.paused.status, 401);
      assert.deepEqual(data.answerProblems, [], "a 401 with a null action is Mixpanel's shape for a refusal before the body");
      const r = await run([...args, "--quiet"]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /: PAUSED at add_members 1\/1 \(401\)\n/);
      assert.doesNotMatch(r.stdout, /answer problem|action_mismatch/);
      assert.match(r.stdout, /\nMixpanel's snapshot: none \(no sync succeeded\); the scenario's cohort has 4 members; none were delivered\n/);
      assert.match(r.stdout, /verdict: PAUSED: the endpoint answered 401 to add_members page 1\/1 at T/);
      // The right password: every member delivered, and the line says no more than the count.
      const ok = await run(["replay", "--url", url, "--user", "mixpanel", "--password", "right", "--speed", "0", "--quiet", join(SCENARIOS, "seed-example.json")]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /\nMixpanel's snapshot: 4 members as of T\+1h; the scenario's cohort has 4 members\n/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await receiver.close();
    }
  });

  test("(c') 400, 403 and 404 pause too; a 2xx page before the pause stays delivered", T, async () => {
    for (const status of [400, 403, 404]) {
      const server = await webhook((_, i) => (i === 0 ? 200 : status));
      try {
        const file = scenarioFile(small([{ at: "T", set: ["A", "B", "C"] }], { pageSize: 2 }));
        const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", file]);
        assert.equal(r.code, 1, `${status}: ${r.stderr}`);
        const s = json(r);
        assert.deepEqual(server.requests.map((x) => [x.page, x.status]), [[1, 200], [2, status]]);
        assert.deepEqual([s.verdict, s.paused.status, s.paused.page, s.pagesDelivered, s.retries], ["paused", status, 2, 1, 0]);
      } finally {
        await server.close();
      }
    }
  });

  test("(d) 429 is retried; 429 that never ends fails the sync after 5 retries (6 identical requests), exit 1", T, async () => {
    const once = await webhook((_, i) => (i === 0 ? 429 : 200));
    try {
      const file = scenarioFile(small([{ at: "T", set: ["A"] }]));
      const r = await run(["replay", "--url", once.url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      assert.deepEqual(once.requests.map((x) => x.status), [429, 200]);
      assert.deepEqual([s.verdict, s.retries, s.pagesDelivered], ["completed", 1, 1]);
    } finally {
      await once.close();
    }
    const always = await webhook(() => 429);
    try {
      const file = scenarioFile(small([{ at: "T", set: ["A"] }]));
      const r = await run(["replay", "--url", always.url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 1, r.stderr);
      const s = json(r);
      assert.equal(always.requests.length, 1 + retryDelays().length);
      assert.equal(new Set(always.requests.map((x) => x.text)).size, 1);
      assert.deepEqual([s.verdict, s.retries, s.failedSyncs, s.pauses, s.pagesDelivered], ["failed", 5, 1, 0, 0]);
      assert.deepEqual(s.syncs[0].pages[0].attempts.map((a) => a.afterMs), [0, 1875, 5625, 13125, 28125, 58125]);
      assert.equal(s.syncs[0].error, "HTTP 429");
    } finally {
      await always.close();
    }
  });

  test("(e) retries exhausted mid full sync: the next scheduled sync restarts from the top in a new session", T, async () => {
    let first = null;
    const server = await webhook((r) => {
      first ??= r.session;
      return r.session === first && r.page === 2 ? 503 : 200;
    });
    try {
      const file = scenarioFile(small([{ at: "T", set: { generate: { count: 2500, prefix: "u" } } }], { pageSize: 1000, until: "T+30m" }));
      const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      const q = server.requests;
      const second = q.at(-1).session;
      assert.notEqual(second, first);
      assert.deepEqual(q.map((x) => [x.session === first ? 1 : 2, x.action, x.page, x.total, x.status]), [
        [1, "members", 1, 3, 200],
        ...Array.from({ length: 6 }, () => [1, "members", 2, 3, 503]),
        [2, "members", 1, 3, 200], // page 1 arrives again: from the top
        [2, "members", 2, 3, 200],
        [2, "members", 3, 3, 200],
      ]);
      assert.deepEqual(q[7].ids, q[0].ids);
      assert.deepEqual(
        s.syncs.map((x) => [x.at, x.kind, x.restart, x.outcome]),
        [["T", "full", false, "failed"], ["T+30m", "full", true, "success"]],
      );
      assert.deepEqual([s.verdict, s.restarts, s.failedSyncs, s.retries, s.requests, s.pagesDelivered], ["completed", 1, 1, 5, 10, 4]);
      // The receiver ends exact: the new session replaced the unfinished one.
      const state = new CohortState();
      for (const x of q.filter((x) => x.status === 200)) state.apply(x.text);
      assert.deepEqual([state.size, state.pendingSession], [2500, null]);
      state.free();
      assert.match(r.stderr, /sync 1 FAILED: the next scheduled sync starts again from the top/);
      assert.match(r.stderr, /sync 2\/2: full, 3 pages, session \S+ \(restarting from the top after the failed sync\)/);
    } finally {
      await server.close();
    }
  });

  test("(e') a failed diff sync: the restart re-sends the diff against the last successful snapshot, with later changes", T, async () => {
    let failing = null;
    const server = await webhook((r, i) => {
      if (i === 2) failing = r.session; // the first page of the T+30m sync
      return r.session === failing && r.action === "remove_members" ? 500 : 200;
    });
    try {
      const file = scenarioFile(
        small(
          [
            { at: "T", set: ["A", "B", "C"] },
            { at: "T+10m", add: ["D", "E"], remove: ["A"] },
            { at: "T+45m", add: ["F"] },
          ],
          { until: "T+1h", firstSync: "diff" },
        ),
      );
      const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      assert.deepEqual(
        server.requests.map((x) => [x.action, x.ids, x.status]),
        [
          ["add_members", ["A", "B", "C"], 200],
          ["remove_members", [], 200],
          ["add_members", ["D", "E"], 200],
          ...Array.from({ length: 6 }, () => ["remove_members", ["A"], 500]),
          ["add_members", ["D", "E", "F"], 200], // from the top: D and E again, F since
          ["remove_members", ["A"], 200],
        ],
      );
      assert.deepEqual(s.syncs.map((x) => [x.at, x.restart, x.outcome]), [["T", false, "success"], ["T+30m", false, "failed"], ["T+1h", true, "success"]]);
      assert.deepEqual([s.restarts, s.failedSyncs, s.retries, s.verdict], [1, 1, 5, "completed"]);
    } finally {
      await server.close();
    }
  });

  test("(f) Mixpanel's documented T … T+1h example: add(A,B,C,D) remove(); add(E,F) remove(B,D); add() remove()", T, async () => {
    const server = await webhook();
    try {
      const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", join(SCENARIOS, "seed-example.json")]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      const q = server.requests;
      assert.deepEqual(actions(q), [
        ["add_members", ["A", "B", "C", "D"]],
        ["remove_members", []],
        ["add_members", ["E", "F"]],
        ["remove_members", ["B", "D"]],
        ["add_members", []],
        ["remove_members", []],
      ]);
      for (const x of q) assert.deepEqual([x.page, x.total], [1, 1]);
      assert.deepEqual([q[0].session === q[1].session, q[2].session === q[3].session, q[4].session === q[5].session], [true, true, true]);
      assert.equal(new Set(q.map((x) => x.session)).size, 3);
      assert.deepEqual(s.syncs.map((x) => [x.at, x.kind]), [["T", "diff"], ["T+30m", "diff"], ["T+1h", "diff"]]);
      assert.deepEqual([s.verdict, s.pagesDelivered, s.members, s.snapshot], ["completed", 6, 4, { at: "T+1h", members: 4 }]);
      assert.match(r.stderr, /T\+10m {4}cohort: 2 leave → 2 members \(B and D leave\)/);
    } finally {
      await server.close();
    }
  });

  test("(f') the schedule is compressed by --speed: at 3600× the syncs of T, T+30m, T+1h are 0.5 s apart", T, async () => {
    const server = await webhook();
    try {
      const started = performance.now();
      const r = await run(["replay", "--url", server.url, "--speed", "3600", "--quiet", join(SCENARIOS, "seed-example.json")]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, /at 3600× speed/);
      assert.match(r.stdout, /verdict: COMPLETED/);
      const q = server.requests;
      // The schedule is absolute from the start of the run (the first request may be slow
      // to leave: the first fetch sets up its client), so T+1h is ≥ 1 s after the spawn.
      // Lower bounds on times from the start only: a busy machine can send T+30m late
      // (shrinking its gap to T+1h), never early.
      assert.ok(q[4].t - started >= 1000, `T+1h came ${q[4].t - started} ms after the start`);
      assert.ok(q[2].t - started >= 500, `T+30m came ${q[2].t - started} ms after the start`);
      const gap = q[4].t - q[2].t;
      assert.ok(gap < 1500, `T+30m → T+1h took ${gap} ms`);
      assert.ok(q[2].t - q[0].t > 200, `T → T+30m took ${q[2].t - q[0].t} ms`);
    } finally {
      await server.close();
    }
  });

  test("(g) 429/5xx for more than 3 days: the snapshot expires and the next sync is a full one", T, async () => {
    let healthy = true;
    const server = await webhook((r, i) => {
      if (i === 1) healthy = false; // down after the first sync…
      if (r.action === "members" && i > 0) healthy = true; // …until Mixpanel falls back to a full sync
      return healthy ? 200 : 503;
    });
    try {
      const file = scenarioFile(small([{ at: "T", set: ["A", "B"] }, { at: "T+2d", add: ["C"] }], { interval: "1d", until: "T+5d" }));
      const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 0, r.stderr);
      const s = json(r);
      assert.deepEqual(
        s.syncs.map((x) => [x.at, x.kind, x.snapshotAgeMs, x.snapshotExpired, x.outcome]),
        [
          ["T", "full", null, false, "success"],
          ["T+1d", "diff", 86_400_000, false, "failed"],
          ["T+2d", "diff", 172_800_000, false, "failed"],
          ["T+3d", "diff", 259_200_000, false, "failed"], // exactly 3 days: still kept
          ["T+4d", "full", 345_600_000, true, "success"],
          ["T+5d", "diff", 86_400_000, false, "success"],
        ],
      );
      const q = server.requests;
      assert.deepEqual(actions(q.filter((x) => x.status === 200)), [
        ["members", ["A", "B"]],
        ["members", ["A", "B", "C"]],
        ["add_members", []],
        ["remove_members", []],
      ]);
      assert.equal(q.length, 1 + 3 * 6 + 1 + 2);
      assert.deepEqual([s.snapshotExpiries, s.failedSyncs, s.restarts, s.fullSyncs, s.diffSyncs, s.verdict], [1, 3, 3, 2, 4, "completed"]);
      assert.match(r.stderr, /snapshot expired \(4d old\): full sync/);
    } finally {
      await server.close();
    }
  });

  test("no answer at all (connection refused) is retried, then the sync fails; credentials in the URL become Basic auth", T, async () => {
    const gone = await webhook();
    const url = gone.url;
    await gone.close();
    const file = scenarioFile(small([{ at: "T", set: ["A"] }]));
    const r = await run(["replay", "--url", url, "--speed", "0", "--json", file]);
    assert.equal(r.code, 1);
    const s = json(r);
    assert.deepEqual([s.verdict, s.requests, s.retries, s.failedSyncs], ["failed", 6, 5, 1]);
    assert.equal(s.syncs[0].pages[0].attempts[0].error, `could not connect to ${new URL(url).hostname}:${new URL(url).port} (connection refused)`);
    assert.equal(s.syncs[0].pages[0].attempts[0].status, null);

    const server = await webhook();
    try {
      const withCreds = server.url.replace("http://", "http://us%40er:p%3Ass@");
      const ok = await run(["replay", "--url", withCreds, "--speed", "0", "--json", file]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(server.requests[0].headers.authorization, `Basic ${Buffer.from("us@er:p:ss").toString("base64")}`);
      assert.equal(json(ok).url, server.url, "credentials are not echoed");
    } finally {
      await server.close();
    }
  });

  test("no answer says what was tried and what failed: a port fetch will not use", T, async () => {
    const file = scenarioFile(small([{ at: "T", set: ["A"] }]));
    const cases = [
      // fetch blocks port 1 (and 7, 25, 6000, …) without trying it: undici says only "bad port".
      ["http://127.0.0.1:1/webhook", "did not connect to 127.0.0.1:1: fetch refuses port 1, a port browsers block too; use another"],
    ];
    for (const [url, error] of cases) {
      const r = await run(["replay", "--url", url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 1);
      assert.equal(json(r).syncs[0].pages[0].attempts[0].error, error);
      const text = await run(["replay", "--url", url, "--speed", "0", file]);
      assert.ok(text.stderr.includes(`(1 member) → ${error}: retry 1 in `), text.stderr);
      assert.ok(text.stdout.includes(`: FAILED at members 1/1: ${error}\n`), text.stdout);
      assert.ok(text.stdout.includes(`failed after 5 retries: ${error}; Mixpanel would try again`), text.stdout);
      assert.doesNotMatch(text.stdout + text.stderr, /\(bad port\)/);
    }
  });

  test("--help names the README it points to, and the file is there", T, async () => {
    const help = await run(["replay", "--help"]);
    assert.equal(help.code, 0);
    const readme = join(pkgDir, "README.md");
    assert.ok(help.stdout.includes(`its keys are\nin ${readme}, "Command line".`), help.stdout);
    assert.doesNotMatch(help.stdout, /see the README/);
    assert.match(readFileSync(readme, "utf8"), /\n## Command line\n[^]*A scenario is a JSON file/);
  });

  test("the same non-JSON 500 to every retry is reported once, with a count", T, async () => {
    const server = await webhook(() => ({ status: 500, body: "<html>Internal Server Error</html>" }));
    try {
      const file = scenarioFile(small([{ at: "T", set: ["A"] }], { until: "T+1h" }));
      const r = await run(["replay", "--url", server.url, "--speed", "0", file]);
      assert.equal(r.code, 1);
      assert.equal(server.requests.length, 18); // 3 syncs × 6 attempts
      assert.match(r.stdout, /18 answer problems:\n  18 answers were HTTP 500 \(T to T\+1h\): not_json: the body is not JSON: "<html>Internal Server Error<\/html>"\n/);
      assert.equal(r.stdout.match(/Internal Server Error/g).length, 1);
      assert.equal(r.stderr.match(/Internal Server Error/g).length, 1, r.stderr);
      const data = json(await run(["replay", "--url", server.url, "--speed", "0", "--json", file]));
      assert.equal(data.answerProblems.length, 18, "--json keeps every one");
    } finally {
      await server.close();
    }
  });

  test("answers not in Mixpanel's shape are reported; --strict makes them fail the run", T, async () => {
    const server = await webhook((r) => ({ status: 200, body: r.action === "add_members" ? "OK" : JSON.stringify({ action: "members", status: "success" }) }));
    try {
      const file = scenarioFile(small([{ at: "T", set: ["A"] }], { firstSync: "diff" }));
      const r = await run(["replay", "--url", server.url, "--speed", "0", "--json", file]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        json(r).answerProblems.map((p) => [p.action, p.code]),
        [["add_members", "not_json"], ["remove_members", "action_mismatch"]],
      );
      const strict = await run(["replay", "--url", server.url, "--speed", "0", "--strict", file]);
      assert.equal(strict.code, 1);
      assert.match(strict.stdout, /2 answer problems:/);
    } finally {
      await server.close();
    }
  });

  test("usage errors and invalid scenarios exit 2 with every problem and its JSON Pointer", T, async () => {
    const good = join(SCENARIOS, "seed-example.json");
    const cases = [
      [["replay", good], /--url is required/],
      [["replay", "--url", "http://127.0.0.1:1/"], /a scenario file is required/],
      [["replay", "--url", "ftp://127.0.0.1/", good], /must be http: or https:/],
      [["replay", "--url", "http://127.0.0.1:1/", "--speed", "fast", good], /speed must be a number/],
      [["replay", "--url", "http://127.0.0.1:1/", join(tmp, "missing.json")], /^cohort-sync replay: no such file: .*missing\.json\n$/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^cohort-sync replay: /);
    }
    const bad = scenarioFile({
      cohort: { projectId: "1", cohortId: 42 },
      pageSize: 1001,
      steps: [
        { at: "T+15x", add: ["A"] },
        { at: "T", remove: ["Z"] },
        { at: "T+1h", full: { members: [] } },
        { at: "T+2h", add: [{ email: "x@example.com" }, "A"] },
      ],
    });
    const r = await run(["replay", "--url", "http://127.0.0.1:1/", bad]);
    assert.equal(r.code, 2);
    for (const line of [
      /\/cohort\/cohortId: "cohortId" must be a non-empty string; got 42/,
      /\/pageSize: "pageSize" must be a whole number from 1 to 1000/,
      /\/steps\/0\/at: "at" must be a time such as "T", "T\+10m" or "T\+1h30m"; got "T\+15x"/,
      /\/steps\/1\/remove\/0: "Z" is not a member of the cohort at T/,
      /\/steps\/2\/full: unknown key "full"/,
      /\/steps\/2: a step needs "set" \(the whole membership\), "add" or "remove"/,
      /\/steps\/3\/add\/0\/mixpanel_distinct_id: a member needs a non-empty string "mixpanel_distinct_id"/,
    ]) {
      assert.match(r.stderr, line);
    }
    assert.match(r.stderr, /invalid scenario \(7 problems\)/);
    const unsendable = await run(["replay", "--url", "http://127.0.0.1:1/", scenarioFile(small([{ at: "T", set: ["A", { mixpanel_distinct_id: "B", email: 5 }] }]))]);
    assert.equal(unsendable.code, 2);
    assert.match(unsendable.stderr, /\/steps\/0\/set\/1\/email: a member cannot be sent as written: expected a string or null, found a number/);
    const notJson = await run(["replay", "--url", "http://127.0.0.1:1/", scenarioFile('{\n  "steps": [\n    {"at": "T",}\n  ]\n}')]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /not JSON at line 3, column 16/);
    const help = await run(["replay", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: cohort-sync replay --url URL/);
    // The bundled scenarios, by name, and where they are installed.
    assert.ok(help.stdout.includes(`Bundled scenarios, in ${join(SCENARIOS, "/")}\n`), help.stdout);
    for (const name of ["churn.json", "multi-page.json", "seed-example.json"]) assert.match(help.stdout, new RegExp(`\n  ${name} +\\S`));
    assert.match(help.stdout, /Exit status:\n  0  .*\n  1  .*\n(.*\n)*  2  usage error/);
    // A webhook body is the easiest file to pass by mistake.
    const body = await run(["replay", "--url", "http://127.0.0.1:1/", join(FIXTURES, "valid/add_members.json")]);
    assert.equal(body.code, 2);
    assert.match(body.stderr, /invalid scenario \(1 problem\)\n  "" \(whole body\): this is a webhook body, not a scenario: use `cohort-sync validate` to check it/);
  });

  test("replay() in code: the summary, and progress events in order", T, async () => {
    const { replay, parseScenario } = await import(pathToFileURL(join(pkgDir, "cli/replay.mjs")));
    const server = await webhook();
    try {
      const events = [];
      const scenario = JSON.parse(readFileSync(join(SCENARIOS, "churn.json"), "utf8"));
      const s = await replay(scenario, { url: server.url, user: "u", password: "p", speed: 0, onProgress: (e) => events.push(e) });
      assert.equal(s.verdict, "completed");
      assert.equal(events[0].type, "start");
      assert.equal(events.at(-1).type, "done");
      assert.equal(events.at(-1).summary, s);
      assert.deepEqual(events.filter((e) => e.type === "sync").map((e) => [e.atLabel, e.kind, e.pages]), [
        ["T", "full", 3],
        ["T+30m", "diff", 2],
        ["T+1h", "diff", 3],
        ["T+1h30m", "diff", 3],
        ["T+2h", "diff", 2],
      ]);
      assert.equal(events.filter((e) => e.type === "request").length, server.requests.length);
      assert.equal(server.requests[0].headers.authorization, `Basic ${Buffer.from("u:p").toString("base64")}`);
      // The receiver's view matches Mixpanel's final snapshot.
      const state = new CohortState();
      for (const x of server.requests) state.apply(x.text);
      assert.deepEqual([state.size, s.snapshot.members, s.members], [291, 291, 291]);
      assert.equal(state.has("trial-0100"), true); // left, came back
      assert.equal(state.has("trial-0001"), false);
      state.free();
      await assert.rejects(
        replay({ cohort: {}, steps: [] }, { url: server.url }),
        (e) => e.name === "CohortSyncError" && e.code === "invalid_scenario" && e.problems.some((p) => p.path === "/cohort/projectId"),
      );
      await assert.rejects(replay(scenario, { url: "nope" }), (e) => e.code === "invalid_argument");
      assert.equal(parseScenario(scenario).syncTimes.length, 5);
    } finally {
      await server.close();
    }
  });

  test("the README's scenario example is the shipped seed-example.json, and every shipped scenario is valid", T, async () => {
    const { parseScenario } = await import(pathToFileURL(join(pkgDir, "cli/scenario.mjs")));
    const readme = readFileSync(join(pkgDir, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Command line"));
    const blocks = [...section.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    assert.equal(blocks.length, 1);
    const fromReadme = parseScenario(blocks[0]);
    const shipped = parseScenario(readFileSync(join(SCENARIOS, "seed-example.json")));
    for (const k of ["pageSize", "intervalMs", "untilMs", "firstSync", "steps", "syncTimes"]) assert.deepEqual(fromReadme[k], shipped[k], k);
    assert.deepEqual(readdirSync(SCENARIOS).sort(), ["churn.json", "multi-page.json", "seed-example.json"]);
    const counts = Object.fromEntries(readdirSync(SCENARIOS).map((f) => [f, parseScenario(readFileSync(join(SCENARIOS, f))).syncTimes.length]));
    assert.deepEqual(counts, { "churn.json": 5, "multi-page.json": 2, "seed-example.json": 3 });
  });
});
