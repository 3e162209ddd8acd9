// The validator page (www/) in real headless Chromium (playwright-core driving
// /usr/bin/chromium), served from the repository root by scripts/serve.mjs on
// 127.0.0.1. Runs from the repository (node --test tests/js/page/page.test.mjs) and from
// scripts/test-js.mjs' scratch copy (the root, the server and Chromium are
// tests/js/lib/browser-pages.mjs'). Screenshots go to <root>/test-results/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { member, payload } from "../lib/payloads.mjs";
import { launchChromium, root, startPageServer } from "../lib/browser-pages.mjs";

const T = { timeout: 90_000 };

const artifacts = join(root, "test-results");
let server;
let browser;

before(async () => {
  server = await startPageServer();
});

after(async () => {
  await server?.close();
});

/** A fresh page on the validator, recording console errors, page errors and requests. */
async function open({ width = 1280, height = 900, colorScheme = "light", clipboard = false, bypassCSP = false } = {}) {
  // bypassCSP: for axe-core, injected as a script the page's CSP would refuse.
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, bypassCSP });
  if (clipboard) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  const page = await context.newPage();
  const seen = { errors: [], requests: [] };
  page.on("console", (m) => m.type() === "error" && seen.errors.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => seen.errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => seen.requests.push(r.url()));
  await page.goto(`${server.url}www/index.html`);
  await page.waitForFunction(() => document.documentElement.dataset.ready || document.getElementById("boot").classList.contains("error-text"));
  const boot = await page.textContent("#boot");
  assert.equal(await page.getAttribute("html", "data-ready"), "true", `the page did not start: ${boot} ${seen.errors.join("; ")}`);
  page.finish = async () => {
    await context.close();
    assert.deepEqual(seen.errors, [], "no console errors or page errors");
    const foreign = seen.requests.filter((url) => !url.startsWith(server.url));
    assert.deepEqual(foreign, [], "no request leaves the origin");
    assert.ok(seen.requests.some((url) => url.endsWith("/pkg/dist/cohort_sync_bg.wasm")), "the wasm came from the package");
  };
  return page;
}

/** Replaces the editor's text as typing would, and waits for the page to update. */
async function setPayload(page, text) {
  const revision = await page.getAttribute("#panel-validate", "data-revision");
  await page.fill("#payload", text);
  await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision);
}

async function chooseExample(page, name) {
  const revision = await page.getAttribute("#panel-validate", "data-revision");
  await page.selectOption("#example", name);
  await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision);
}

/** The problems listed: `{ code, path, line, column, offset, text }`. */
function problems(page) {
  return page.$$eval("#problems button.problem", (buttons) =>
    buttons.map((b) => ({
      code: b.dataset.code,
      path: b.dataset.path,
      line: Number(b.dataset.line),
      column: Number(b.dataset.column),
      offset: Number(b.dataset.offset),
      text: b.textContent,
    })),
  );
}

async function reply(page) {
  const text = await page.textContent("#response-body");
  const [head, body] = text.split("\n\n");
  return { head, body: JSON.parse(body), raw: body, status: await page.textContent("#response-status") };
}

async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** The textarea index of 1-based line/column (columns in code points), computed here. */
function indexOf(text, line, column) {
  const lines = text.split("\n");
  const before = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  return before + [...lines[line - 1]].slice(0, column - 1).join("").length;
}

/** A realistic member with a UUID-shaped distinct id (the page shows ids in tables). */
function uuidMember(i) {
  return { ...member(i), mixpanel_distinct_id: `5f1c0b7e-${String(i).padStart(4, "0")}-4a8e-9c1d-8a7e6f5d4c3b` };
}

/** A one-page `members` body of `members` members, pretty-printed as a person pastes it. */
function body(members, edit = () => {}) {
  return JSON.stringify(payload(edit, { members, memberOf: uuidMember }), null, 2);
}

describe("the static server (scripts/serve.mjs)", () => {
  function get(path) {
    return new Promise((ok, fail) => {
      // A raw path: URL parsing in a client would normalise the `..` away.
      const req = request({ host: "127.0.0.1", port: new URL(server.url).port, path }, (res) => {
        res.resume();
        res.on("end", () => ok({ status: res.statusCode, type: res.headers["content-type"], location: res.headers.location }));
      });
      req.on("error", fail);
      req.end();
    });
  }

  test("MIME types, redirects, and no way out of the root", async () => {
    assert.equal((await get("/pkg/dist/cohort_sync_bg.wasm")).type, "application/wasm");
    assert.match((await get("/pkg/web.js")).type, /^text\/javascript/);
    assert.match((await get("/www/index.html")).type, /^text\/html/);
    assert.equal((await get("/")).location, "/www/");
    assert.equal((await get("/www")).location, "/www/");
    assert.equal((await get("/www/")).status, 200);
    for (const path of ["/../package.json", "/www/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/www/%2e%2e%2f..%2fetc/passwd", "/.git/config", "/www/..%5c..%5cetc"]) {
      assert.equal((await get(path)).status, 403, path);
    }
    assert.equal((await get("/no/such/file.js")).status, 404);
  });
});

describe("the validator page in Chromium", () => {
  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  test("starts with the wasm module, a CSP and four tabs", T, async () => {
    const page = await open();
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.equal(await page.isHidden("#boot"), true);
    assert.deepEqual(await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.getAttribute("aria-label") ?? t.textContent)), [
      "Validate payload",
      "Diff members",
      "SegmentMembership",
      "Load rows",
    ]);
    assert.equal(await page.getAttribute("#verdict", "data-state"), "empty");
    assert.equal(await page.getAttribute("#verdict", "aria-live"), "polite");
    await page.finish();
  });

  test("a valid payload: verdict, summary and the 200 reply", T, async () => {
    const page = await open();
    await chooseExample(page, "valid-members-page");
    assert.equal(await page.getAttribute("#verdict", "data-state"), "valid");
    assert.match(await page.textContent("#verdict"), /Valid.*members · page 1 of 2 · 5 members/);
    const summary = await page.$$eval("#summary dt", (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    assert.deepEqual(summary, {
      Action: "members",
      Project: "2345678",
      "Cohort id": "98765",
      "Cohort name": "Power users",
      Description: "Active on 5 of the last 7 days",
      Session: "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
      Page: "1 of 2",
      Members: "5",
    });
    assert.deepEqual(await problems(page), []);
    const r = await reply(page);
    assert.equal(r.status, "HTTP/1.1 200 OK");
    assert.equal(r.head, "HTTP/1.1 200 OK\ncontent-type: application/json");
    assert.equal(r.raw, '{"action":"members","status":"success"}');
    await page.finish();
  });

  test("invalid payloads: each problem's code, JSON Pointer and line:column", T, async () => {
    const page = await open();
    const cases = [
      // [body, [code, path, "line:column"] of the first problem]
      ['{"action":"members","parameters":{"page_info":{"page_count":7,"total_pages":6}}}', ["page_out_of_range", "/parameters/page_info/page_count", "1:61"]],
      ['{\n  "action": "members",\n  "parameters": {,}\n}', ["invalid_json", "", "3:18"]],
      ['{\n  "action": "add_member",\n  "parameters": {}\n}', ["unknown_action", "/action", "2:13"]],
      [body(2, (p) => delete p.action), ["missing_field", "/action", "1:1"]],
      [body(2, (p) => (p.parameters.members = {})), ["wrong_type", "/parameters/members", "13:16"]],
      [body(2, (p) => delete p.parameters.members[1].mixpanel_distinct_id), ["missing_field", "/parameters/members/1/mixpanel_distinct_id", "22:7"]],
      [body(2, (p) => (p.parameters.members[0].mixpanel_distinct_id = 7)), ["wrong_type", "/parameters/members/0/mixpanel_distinct_id", "15:33"]],
      ["[]", ["not_an_object", "", "1:1"]],
    ];
    for (const [text, [code, path, at]] of cases) {
      await setPayload(page, text);
      assert.equal(await page.getAttribute("#verdict", "data-state"), "invalid", text);
      const [first] = await problems(page);
      assert.deepEqual([first.code, first.path, `${first.line}:${first.column}`], [code, path, at], text);
      // What a person reads: the code, the pointer (or where reading stopped) and the
      // position, as text; the empty pointer in the CLI's words.
      const where = code === "invalid_json" ? "reading stopped at " : path === "" ? '"" (whole body)' : path;
      assert.ok(first.text.includes(code) && first.text.includes(where), first.text);
      assert.ok(first.text.includes(`line ${first.line}, column ${first.column}`), first.text);
    }
    // A repeated distinct id is a warning: still valid, listed with its pointer.
    await setPayload(page, body(3, (p) => (p.parameters.members[2].mixpanel_distinct_id = p.parameters.members[0].mixpanel_distinct_id)));
    assert.equal(await page.getAttribute("#verdict", "data-state"), "warning");
    assert.deepEqual((await problems(page)).map((p) => [p.code, p.path]), [["duplicate_member", "/parameters/members/2/mixpanel_distinct_id"]]);
    await page.finish();
  });

  test("a body as Mixpanel really sends it (no page_info, $-properties) reads as fine: valid, notes not warnings, the rules a click away, answered 200; a too-long session id is 400", T, async () => {
    const page = await open();
    await chooseExample(page, "real-sender-members");
    assert.equal(await page.getAttribute("#verdict", "data-state"), "valid");
    assert.equal(await page.textContent("#verdict .verdict-headline"), "Valid");
    assert.match(await page.textContent("#verdict"), /members · pageless · 2 members/);
    assert.deepEqual(await problems(page), [], "no problems");
    assert.equal(await page.textContent("#problem-count"), "");
    assert.equal(await page.isVisible("#problems-empty"), true);
    // What Mixpanel always leaves out is noted, apart, and each note still selects its spot.
    const notes = await page.$$eval("#notes button.problem", (bs) => bs.map((b) => [b.dataset.code, b.dataset.path, b.querySelector(".badge").textContent]));
    assert.deepEqual(notes, [
      ["missing_field", "/parameters/mixpanel_cohort_description", "note"],
      ["no_page_info", "/parameters/page_info", "note"],
    ]);
    await page.click("#notes button.problem >> nth=1");
    assert.equal(await page.$eval("#payload", (t) => t.value[t.selectionStart]), "{", "the parameters object is selected");
    // "the rules for pageless bodies": a link to them, on this page.
    const link = page.locator('#notes a[href="#pageless"]');
    assert.equal(await link.count(), 1);
    await link.click();
    assert.equal(await page.evaluate(() => location.hash), "#pageless");
    assert.equal(await page.isVisible("#pageless"), true);
    assert.match(await page.textContent("#pageless"), /Pageless bodies: the rules[\s\S]*never remove anyone[\s\S]*next sync begins/);
    const top = await page.$eval("#pageless", (s) => Math.round(s.getBoundingClientRect().top));
    assert.ok(top >= 0 && top < (await page.evaluate(() => innerHeight)) / 2, `the rules scrolled into view (${top})`);
    const ok = await reply(page);
    assert.equal(ok.status, "HTTP/1.1 200 OK");
    assert.equal(ok.body.status, "success");
    await chooseExample(page, "too-long-session-id");
    const refused = await reply(page);
    assert.equal(refused.status, "HTTP/1.1 400 Bad Request");
    assert.match(refused.body.error.message, /too_long at \/parameters\/mixpanel_session_id/);
    await page.finish();
  });

  test("where reading stopped: invalid JSON points at the character; an oversized body's action is not called missing", T, async () => {
    const page = await open();
    const broken = '{\n  "action": "members",\n  "parameters": {,}\n}';
    await setPayload(page, broken);
    const [p] = await problems(page);
    assert.equal(p.code, "invalid_json");
    assert.match(p.text, /reading stopped at line 3, column 18$/);
    assert.ok(!p.text.includes("whole body"), p.text);
    await page.click("#problems button.problem");
    assert.equal(await page.$eval("#payload", (t) => t.value[t.selectionStart]), ",", "the caret is on the character where reading stopped");

    // The empty pointer reads the same everywhere: a bare array, and a diff side.
    await setPayload(page, "[]");
    assert.match((await problems(page))[0].text, /"" \(whole body\)/);
    await page.click("#tab-diff");
    await page.fill("#diff-prev", "{,}");
    await page.waitForFunction(() => /^invalid_json: .*, reading stopped at line 1, column 2$/.test(document.getElementById("diff-prev-note").textContent));
    await page.click("#tab-validate");

    // Over 10 MiB: 413, and the verdict does not say "no action" of a body that has one.
    const revision = await page.getAttribute("#panel-validate", "data-revision");
    const huge = JSON.stringify({ action: "add_members", parameters: { padding: "x".repeat(10.5 * 1024 * 1024) } });
    await page.setInputFiles("#file", { name: "huge.json", mimeType: "application/json", buffer: Buffer.from(huge) });
    await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision, { timeout: 60_000 });
    assert.equal((await problems(page))[0].code, "body_too_large");
    assert.equal(await page.textContent("#response-status"), "HTTP/1.1 413 Content Too Large");
    const verdict = await page.textContent("#verdict");
    assert.ok(!verdict.includes("no action"), verdict);
    assert.match(verdict, /action not read \(over the size limit\)/);
    await page.finish();
  });

  test("the reply for an invalid payload is 400, with the problems in its message", T, async () => {
    const page = await open();
    await chooseExample(page, "unknown-action");
    const r = await reply(page);
    assert.equal(r.status, "HTTP/1.1 400 Bad Request");
    assert.equal(r.body.action, "add_member");
    assert.equal(r.body.status, "failure");
    assert.equal(r.body.error.code, 400);
    assert.match(r.body.error.message, /unknown_action at \/action/);
    assert.match(await page.textContent("#response-class"), /pauses the sync/);
    await page.finish();
  });

  test("the Example list never drops the user's text: Undo brings it back, and the list names what the editor holds", T, async () => {
    const page = await open();
    const listed = () => page.$eval("#example", (s) => s.selectedOptions[0].textContent);
    const mine = '{"action": "members", "parameters": {"mine": true}}';
    await setPayload(page, mine);
    assert.equal(await listed(), "(your text)");
    assert.equal(await page.isVisible("#kept"), false);

    // The arrow keys move through the list: each step shows an example at once…
    await page.focus("#example");
    for (const label of ["members page 1 of 2 (5 members)", "add_members"]) {
      const revision = await page.getAttribute("#panel-validate", "data-revision");
      await page.keyboard.press("ArrowDown");
      await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision);
      assert.equal(await listed(), label);
      assert.notEqual(await page.inputValue("#payload"), mine);
      // …and the user's text is kept, with a way back.
      assert.equal(await page.isVisible("#kept"), true);
      assert.match(await page.textContent("#kept"), /Your text was replaced by the example “members page 1 of 2 \(5 members\)”\. It is kept/);
    }
    await page.click("#kept-undo");
    assert.equal(await page.inputValue("#payload"), mine);
    assert.equal(await listed(), "(your text)");
    assert.equal(await page.isVisible("#kept"), false);
    assert.match(await page.textContent("#verdict"), /Invalid/);

    // "(your text)" in the list brings it back too.
    await chooseExample(page, "valid-add-members");
    await chooseExample(page, "own");
    assert.equal(await page.inputValue("#payload"), mine);

    // Edit an example: the list no longer names it.
    await chooseExample(page, "valid-members-page");
    await page.focus("#payload");
    await page.keyboard.press("Control+End");
    await page.keyboard.type(" ");
    await page.waitForFunction(() => document.getElementById("example").selectedOptions[0].textContent === "(your text)");

    // Clear keeps it too; an example replacing an example keeps nothing.
    await page.click("#clear");
    assert.match(await page.textContent("#kept"), /replaced by Clear/);
    await page.click("#kept-undo");
    assert.match(await page.inputValue("#payload"), /"action": "members"[\s\S]* $/);
    await page.finish();
  });

  test("repeats are grouped with a count: twelve identical warnings are one entry, listed on request", T, async () => {
    const page = await open();
    // Twelve members known by $distinct_id alone: the same warning twelve times.
    const text = body(12, (p) => p.parameters.members.forEach((m) => ((m.$distinct_id = m.mixpanel_distinct_id), delete m.mixpanel_distinct_id)));
    await setPayload(page, text);
    assert.equal(await page.textContent("#verdict .verdict-headline"), "Valid, with 12 warnings");
    assert.equal(await page.textContent("#problem-count"), "12");
    const listed = await problems(page);
    assert.equal(listed.length, 1, "one entry");
    assert.equal(listed[0].code, "reserved_distinct_id");
    assert.equal(listed[0].path, "/parameters/members/0/$distinct_id");
    assert.match(listed[0].text, /12 times/);
    assert.match(listed[0].text, /and 11 more like it$/);
    assert.equal(await page.isHidden("#problems-more"), true, "nothing more to show");
    // Listed one by one on request, each selecting its own spot.
    const toggle = page.locator("#problems .repeats-toggle");
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    const each = await page.$$eval("#problems .repeats button.problem", (bs) => bs.map((b) => b.dataset.path));
    assert.deepEqual(each, Array.from({ length: 12 }, (_, i) => `/parameters/members/${i}/$distinct_id`));
    await page.click("#problems .repeats button.problem >> nth=7");
    const at = await page.$eval("#payload", (t) => t.selectionStart);
    assert.equal(at, (await problems(page)).find((p) => p.path === "/parameters/members/7/$distinct_id").offset);
    await toggle.click();
    assert.equal(await page.isHidden("#problems .repeats"), true);
    await page.finish();
  });

  test("many problems: the first five, the count, and a button for the rest; nothing hidden in a scrolling box", T, async () => {
    const page = await open();
    // Twelve different problems (repeats would be grouped).
    await setPayload(page, body(6, (p) => {
      for (const key of ["mixpanel_project_id", "mixpanel_cohort_id", "mixpanel_session_id"]) delete p.parameters[key];
      p.parameters.page_info = { page_count: 3, total_pages: 2 };
      p.parameters.members[0].mixpanel_distinct_id = 7;
      p.parameters.members[1].mixpanel_distinct_id = "";
      p.parameters.members[2].email = 5;
      p.parameters.a = p.parameters.b = p.parameters.c = p.parameters.d = 1;
      p.extra = 1;
    }));
    const total = Number(await page.textContent("#problem-count"));
    assert.ok(total >= 12, `${total} problems`);
    assert.equal((await problems(page)).length, 5);
    assert.equal(await page.textContent("#problems-more"), `Show ${total - 5} more problems`);
    assert.equal(await page.isVisible("#problems-more"), true);
    const scrolls = () => page.$eval("#problems", (ol) => ol.scrollHeight > ol.clientHeight + 1);
    assert.equal(await scrolls(), false, "the list does not scroll inside its own box");
    await page.click("#problems-more");
    assert.equal((await problems(page)).length, total);
    assert.equal(await page.isHidden("#problems-more"), true);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.index), "5", "focus on the first problem new to the list");
    assert.equal(await scrolls(), false);
    // Fixing all but one: the list is short again.
    await setPayload(page, body(3, (p) => delete p.parameters.members[0].mixpanel_distinct_id));
    assert.equal((await problems(page)).length, 1);
    assert.equal(await page.isHidden("#problems-more"), true);
    await page.finish();
  });

  test("clicking a problem (or Enter on it) selects its spot in the editor", T, async () => {
    const page = await open({ height: 600 });
    // ASCII: the textarea index is the problem's byte offset.
    const text = body(40, (p) => delete p.parameters.members[35].mixpanel_distinct_id);
    await setPayload(page, text);
    const [p] = await problems(page);
    await page.click("#problems button.problem");
    const sel = await page.$eval("#payload", (t) => ({ start: t.selectionStart, end: t.selectionEnd, focused: document.activeElement === t, top: t.scrollTop }));
    assert.equal(sel.start, p.offset);
    assert.equal(sel.start, indexOf(text, p.line, p.column));
    // The whole member object the field is missing from is selected, not its "{" alone.
    assert.deepEqual(JSON.parse(text.slice(sel.start, sel.end)), (({ mixpanel_distinct_id, ...rest }) => rest)(uuidMember(35)));
    assert.ok(sel.focused, "the editor has focus");
    assert.ok(sel.top > 0, "the editor scrolled to the spot");

    // Non-ASCII before the spot: "é" is 2 bytes but 1 unit, "😀" 4 bytes but 2 units.
    const wide =
      '{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_cohort_name":"Café 😀 users",' +
      '"mixpanel_session_id":"s","page_info":{"page_count":1,"total_pages":1},\n"members":[{"mixpanel_distinct_id":"é"},\n  {"email":"😀@x"}]}}';
    await setPayload(page, wide);
    const listed = await problems(page);
    const missing = listed.findIndex((q) => q.path === "/parameters/members/1/mixpanel_distinct_id");
    assert.deepEqual([listed[missing].line, listed[missing].column], [3, 3]);
    // Keyboard: focus the problem and press Enter.
    await page.focus(`#problems button.problem >> nth=${missing}`);
    await page.keyboard.press("Enter");
    const at = await page.$eval("#payload", (t) => [t.selectionStart, t.value.slice(t.selectionStart, t.selectionEnd)]);
    assert.deepEqual(at, [indexOf(wide, 3, 3), '{"email":"😀@x"}']);
    assert.notEqual(at[0], listed[missing].offset, "byte offsets were converted to textarea positions");
    assert.equal(await page.textContent("#caret"), "Ln 3, Col 3");
    await page.finish();
  });

  test("files: opened and dropped bodies are checked, bad UTF-8 as the bytes it is", T, async () => {
    const page = await open();
    let revision = await page.getAttribute("#panel-validate", "data-revision");
    await page.setInputFiles("#file", { name: "page.json", mimeType: "application/json", buffer: Buffer.from(body(3)) });
    await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision);
    assert.equal(await page.getAttribute("#verdict", "data-state"), "valid");
    assert.match(await page.textContent("#file-note"), /Opened page\.json/);

    revision = await page.getAttribute("#panel-validate", "data-revision");
    const bad = Buffer.concat([Buffer.from('{"action":"members","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    await page.setInputFiles("#file", { name: "bad.json", mimeType: "application/json", buffer: bad });
    await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision);
    assert.equal((await problems(page))[0].code, "invalid_utf8");
    assert.match(await page.textContent("#file-note"), /not valid UTF-8/);

    // Drag and drop: a drop event carrying a file, as the browser makes it.
    revision = await page.getAttribute("#panel-validate", "data-revision");
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], "dropped.json", { type: "application/json" }));
      const zone = document.getElementById("drop");
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }, body(1, (p) => (p.action = "remove_members")));
    await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, revision);
    assert.match(await page.textContent("#verdict"), /remove_members/);
    assert.match(await page.textContent("#file-note"), /dropped\.json/);

    // Format re-indents without changing what is checked.
    await setPayload(page, '{"action":"add_members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_session_id":"s","page_info":{"page_count":1,"total_pages":1},"members":[]}}');
    await page.click("#format");
    assert.match(await page.inputValue("#payload"), /^\{\n {2}"action": "add_members",\n/);
    assert.match(await page.inputValue("#payload"), /"members": \[\]/);
    assert.equal(await page.getAttribute("#verdict", "data-state"), "warning"); // no cohort name: a warning
    await page.finish();
  });

  test("members: identities under CleverTap, Braze and a custom chain; the records that go out", T, async () => {
    const page = await open();
    await chooseExample(page, "valid-members-page");
    const rows = () => page.$$eval("#identities tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));

    // CleverTap: $CleverTap_user_id, else the distinct id ("" does not count).
    assert.deepEqual(await rows(), [
      ["1", "5f1c0b7e-0000-4a8e-9c1d-8a7e6f5d4c3b", "ct-1001", "$CleverTap_user_id"],
      ["2", "5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b", "5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b", "mixpanel_distinct_id"],
      ["3", "986791", "123456", "$CleverTap_user_id"],
      ["4", "555001", "555001", "mixpanel_distinct_id"],
      ["5", "user-5", "user-5", "mixpanel_distinct_id"],
    ]);
    assert.match(await page.textContent("#records-h"), /CleverTap/);
    assert.match(await page.textContent("#records-note"), /^10 records in 1 upload/);
    const first = await page.$$eval("#records tbody tr:first-child td", (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(first.slice(0, 3), ["1", "ct-1001", "event"]);
    assert.match(first[3], /Partner Sync: Added · Power users \(98765\)/);

    // Braze: $braze_external_id, no fallback.
    await page.selectOption("#rule", "braze");
    assert.deepEqual((await rows()).map((r) => r.slice(1)), [
      ["5f1c0b7e-0000-4a8e-9c1d-8a7e6f5d4c3b", "bz-1001", "$braze_external_id"],
      ["5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b", "bz-1002", "$braze_external_id"],
      ["986791", "no identity", "not sent"],
      ["555001", "bz-1004", "$braze_external_id"],
      ["user-5", "no identity", "not sent"],
    ]);
    assert.match(await page.textContent("#members-note"), /3 with an identity, 2 without/);
    assert.match(await page.textContent("#records-h"), /Braze/);
    assert.match(await page.textContent("#records-note"), /1 request, 3 user ids; 2 members skipped/);
    // The JSON is made when its box is opened, not before.
    assert.equal(await page.textContent("#records-json-body"), "");
    await page.click("#records-json-toggle");
    assert.equal(await page.getAttribute("#records-json-toggle", "aria-expanded"), "true");
    const json = JSON.parse(await page.textContent("#records-json-body"));
    assert.deepEqual(json, { cohort_id: "98765", cohort_changes: [{ user_ids: ["bz-1001", "bz-1002", "bz-1004"], should_remove: false }] });

    // Braze under Simplified ID Merge: $user_id.
    await page.selectOption("#rule", "braze-sim");
    assert.deepEqual((await rows()).map((r) => r[2]), ["ada", "grace", "alan", "no identity", "no identity"]);

    // A custom chain of exported properties, without the fallback, then with it.
    await page.selectOption("#rule", "chain");
    await page.fill("#prop", "$user_id, $braze_external_id");
    await page.uncheck("#fallback");
    assert.deepEqual((await rows()).map((r) => r[2]), ["ada", "grace", "alan", "bz-1004", "no identity"]);
    await page.check("#fallback");
    assert.deepEqual((await rows()).at(-1).slice(2), ["user-5", "mixpanel_distinct_id"]);
    assert.match(await page.textContent("#records-note"), /custom chain/);
    // A bad rule is shown, not thrown.
    await page.fill("#prop", "");
    await page.selectOption("#rule", "braze-prop");
    assert.match(await page.textContent("#members-note"), /invalid_argument/);
    await page.finish();
  });

  test("at 360 px the tables' key columns (identity, from) are on screen", T, async () => {
    const page = await open({ width: 360, height: 780 });
    await chooseExample(page, "valid-members-page");
    const offscreen = (selector) =>
      page.$$eval(selector, (cells) => {
        const width = document.documentElement.clientWidth;
        return cells
          .map((td) => ({ text: td.textContent, rect: td.getBoundingClientRect() }))
          .filter(({ rect }) => rect.width === 0 || rect.left < 0 || rect.right > width)
          .map(({ text, rect }) => `${text} at ${Math.round(rect.left)}–${Math.round(rect.right)}`);
      });
    // The identity table: Identity and From; the CleverTap uploads: Identity.
    assert.deepEqual(await offscreen("#identities tbody td:nth-child(3), #identities tbody td:nth-child(4)"), []);
    assert.deepEqual(await offscreen("#records tbody td:nth-child(2)"), []);
    // Each value is labelled with its column.
    assert.equal(await page.$eval("#identities tbody td:nth-child(4)", (td) => getComputedStyle(td, "::before").content), '"From"');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0);
    await page.finish();
  });

  test("tabs: a real tablist, with the arrow keys", T, async () => {
    const page = await open();
    await page.focus("#tab-validate");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.getAttribute("#tab-diff", "aria-selected"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.id), "tab-diff");
    assert.equal(await page.isVisible("#panel-diff"), true);
    assert.equal(await page.isVisible("#panel-validate"), false);
    await page.keyboard.press("End");
    assert.equal(await page.getAttribute("#tab-load", "aria-selected"), "true");
    await page.keyboard.press("ArrowRight"); // wraps
    assert.equal(await page.getAttribute("#tab-validate", "aria-selected"), "true");
    assert.deepEqual(await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.tabIndex)), [0, -1, -1, -1]);
    await page.finish();
  });

  test("diff tab: added, removed and unchanged between two lists", T, async () => {
    const page = await open();
    await page.click("#tab-diff");
    await page.click("#diff-example");
    const counts = () => page.$$eval(".tile .n", (ns) => ns.map((n) => n.textContent));
    const list = (id) => page.$$eval(`#${id} li`, (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(await counts(), ["2", "2", "2"]);
    assert.deepEqual(await list("diff-added"), ["E", "F"]);
    assert.deepEqual(await list("diff-removed"), ["B", "D"]);
    assert.deepEqual(await list("diff-same"), ["A", "C"]);

    // A webhook body against a JSON array (repeats count once).
    await page.fill("#diff-prev", body(3));
    await page.fill("#diff-cur", JSON.stringify([uuidMember(1).mixpanel_distinct_id, "new-1", "new-1"]));
    await page.waitForFunction(() => document.getElementById("diff-added-n").textContent === "1");
    assert.deepEqual(await counts(), ["1", "2", "1"]);
    assert.deepEqual(await list("diff-added"), ["new-1"]);
    assert.match(await page.textContent("#diff-prev-note"), /3 members of a members page/);

    // A number among the ids: the package's error, with where it is.
    await page.fill("#diff-cur", '["a", 7]');
    await page.waitForSelector("#diff-error:not([hidden])");
    assert.match(await page.textContent("#diff-error"), /invalid_argument: current: .*\/1/);
    // An invalid body on one side: its problem, and the last results marked out of date.
    await page.fill("#diff-cur", "A\nC\nE\nF\n");
    await page.waitForSelector("#diff-error", { state: "hidden" });
    assert.equal(await page.isHidden("#diff-stale"), true);
    await page.fill("#diff-prev", '{"action":"members"}');
    await page.waitForFunction(() => /missing_field/.test(document.getElementById("diff-prev-note").textContent));
    assert.equal(await page.textContent("#diff-stale"), "Out of date: the previous list is not valid. The results below are for the last lists that could be compared.");
    assert.equal(await page.getAttribute("#diff-lists", "class"), "lists stale");
    assert.deepEqual(await page.$$eval("#diff-lists h2", (hs) => hs.map((h) => getComputedStyle(h, "::after").content)), Array(3).fill('"out of date"'));
    // Marked, not faded: nothing is drawn at reduced opacity (it failed contrast).
    const faded = await page.$$eval("#panel-diff *", (nodes) => nodes.filter((n) => getComputedStyle(n).opacity !== "1").map((n) => n.id || n.className));
    assert.deepEqual(faded, []);
    await page.fill("#diff-prev", "A\nB\n");
    await page.waitForSelector("#diff-stale", { state: "hidden" });
    assert.equal(await page.getAttribute("#diff-lists", "class"), "lists");
    await page.finish();
  });

  test("SegmentMembership tab: encode, decode, contains, and errors shown", T, async () => {
    const page = await open();
    await page.click("#tab-segment");
    assert.equal(await page.textContent("#enc-out"), "'11036','11034'");
    await page.fill("#enc-in", "11036\n11034\n11036\n42");
    assert.equal(await page.textContent("#enc-out"), "'11036','11034','42'");
    await page.fill("#enc-in", "11036\nit's");
    assert.equal(await page.getAttribute("#enc-out", "data-state"), "error");
    assert.equal(await page.getAttribute("#enc-out", "data-code"), "invalid_audience_id");
    assert.match(await page.textContent("#enc-out"), /invalid_audience_id.*it's/);

    await page.fill("#dec-in", "'a','b'");
    assert.deepEqual(await page.$$eval("#dec-out .chip", (c) => c.map((x) => x.textContent)), ["a", "b"]);
    await page.fill("#dec-in", "'a', 'b'");
    assert.equal(await page.getAttribute("#dec-out", "data-code"), "invalid_segment_membership");

    assert.match(await page.textContent("#has-out"), /^No/); // 1103 is not in '11036','11034'
    await page.fill("#has-id", "11034");
    assert.match(await page.textContent("#has-out"), /^Yes/);
    await page.finish();
  });

  test("a 1000-member page updates quickly (time printed, not asserted)", T, async () => {
    const page = await open();
    const text = body(1000);
    // Replace the whole text (a paste), then type at its end: the time from the input
    // event to the page updated (debounce included), and the page's own update time.
    const update = (value) =>
      page.evaluate(async (v) => {
        const panel = document.getElementById("panel-validate");
        const textarea = document.getElementById("payload");
        const before = panel.dataset.revision;
        const changed = new Promise((ok) => {
          const seen = new MutationObserver(() => panel.dataset.revision !== before && (seen.disconnect(), ok()));
          seen.observe(panel, { attributes: true, attributeFilter: ["data-revision"] });
        });
        textarea.focus();
        let inputAt = 0;
        textarea.addEventListener("input", () => (inputAt = performance.now()), { once: true, capture: true });
        let started;
        if (v === null) {
          textarea.setSelectionRange(textarea.value.length, textarea.value.length);
          started = performance.now();
          document.execCommand("insertText", false, " "); // a keystroke: fires "input" as typing does
        } else {
          started = performance.now();
          textarea.value = v;
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }
        await changed;
        const done = performance.now();
        return {
          keystroke: done - started, // includes the browser's own editing of a 264 KB textarea
          fromInput: done - inputAt, // the "input" event to the page updated: debounce + our work
          update: Number(panel.dataset.updateMs),
          validate: Number(panel.dataset.validateMs),
        };
      }, value);
    const first = await update(text);
    const edits = [];
    for (let i = 1; i <= 9; i++) edits.push(await update(null));
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const ms = (key) => median(edits.map((e) => e[key])).toFixed(1);
    console.log(
      `1000-member page (${(text.length / 1024).toFixed(0)} KB): first update ${first.update.toFixed(1)} ms ` +
        `(validatePayload ${first.validate.toFixed(2)} ms); per keystroke, median of ${edits.length}: ` +
        `page update ${ms("update")} ms (validatePayload ${ms("validate")} ms), input event to page updated ` +
        `${ms("fromInput")} ms (25 ms of it the debounce), keystroke to page updated ${ms("keystroke")} ms ` +
        "(with the browser's own textarea editing)",
    );
    assert.match(await page.textContent("#verdict"), /Valid.*1,000 members/);
    assert.match(await page.textContent("#members-note"), /1,000 members: 1,000 with an identity.*first 100/);
    assert.equal(await page.locator("#identities tbody tr").count(), 100);
    assert.match(await page.textContent("#records-note"), /^2,000 records in 2 uploads/);
    await page.finish();
  });

  test("pasting a 1000-member body over another shows its verdict at once", T, async () => {
    const page = await open({ clipboard: true });
    await chooseExample(page, "large-page");
    // While a closed <details> is in the page, Chromium takes seconds to select or replace
    // the editor's text; the page has none, in any tab.
    assert.equal(await page.locator("details:not([open])").count(), 0);
    // 999 members: the verdict's text changes, so its change marks the paste handled.
    const pasted = body(999);
    const figures = [];
    for (let run = 0; run < 3; run++) {
      const text = run % 2 ? body(1000) : pasted;
      const expected = run % 2 ? "1,000 members" : "999 members";
      await page.evaluate((t) => navigator.clipboard.writeText(t), text);
      await page.focus("#payload");
      await page.keyboard.press("Control+A");
      // From the paste event to the first frame painted after the verdict changed.
      await page.evaluate((want) => {
        const verdict = document.getElementById("verdict");
        const timing = (window.pasteTiming = { pastedAt: 0, ms: 0 });
        document.getElementById("payload").addEventListener("paste", () => (timing.pastedAt = performance.now()), { once: true, capture: true });
        const seen = new MutationObserver(() => {
          if (!timing.pastedAt || !verdict.textContent.includes(want)) return;
          seen.disconnect();
          requestAnimationFrame(() => setTimeout(() => (timing.ms = performance.now() - timing.pastedAt)));
        });
        seen.observe(verdict, { subtree: true, childList: true, characterData: true });
      }, expected);
      await page.keyboard.press("Control+V");
      const measured = await (await page.waitForFunction(() => window.pasteTiming.ms, null, { timeout: 60_000 })).jsonValue();
      figures.push(measured);
      assert.equal(await page.inputValue("#payload"), text, "the clipboard's text replaced the editor's");
      // The page's own figure is what the person waited: from the paste to the verdict
      // painted, not the check or the drawing alone.
      const own = await (await page.waitForFunction(() => {
        const panel = document.getElementById("panel-validate");
        return panel.dataset.shownRevision === panel.dataset.revision && Number(panel.dataset.waitMs);
      })).jsonValue();
      const line = await page.textContent("#timing");
      const said = line.match(/^verdict shown (\d+) ms after the paste \(the check: \d+\.\d ms\)$/);
      assert.ok(said && Math.abs(Number(said[1]) - own) <= 1, line);
      assert.ok(own >= measured * 0.8 && own >= Number(await page.getAttribute("#panel-validate", "data-update-ms")), `the page says ${own} ms; the paste to the verdict painted took ${measured.toFixed(0)} ms`);
    }
    console.log(`paste of a 1000-member body over another, paste to verdict shown: ${figures.map((ms) => `${ms.toFixed(0)} ms`).join(", ")}`);
    // Generous for a noisy 2-core machine; the freeze this guards against took seconds.
    for (const ms of figures) assert.ok(ms < 1500, `paste to verdict took ${ms.toFixed(0)} ms`);
    await page.finish();
  });

  test("typing: the wait shown runs from the last keystroke, the pause for typing included", T, async () => {
    const page = await open();
    await chooseExample(page, "valid-members-page");
    await page.waitForFunction(() => /after choosing the example/.test(document.getElementById("timing").textContent));
    const revision = await page.getAttribute("#panel-validate", "data-revision");
    await page.focus("#payload");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("  ");
    await page.waitForFunction((r) => {
      const panel = document.getElementById("panel-validate");
      return panel.dataset.revision !== r && panel.dataset.shownRevision === panel.dataset.revision;
    }, revision);
    const line = await page.textContent("#timing");
    assert.match(line, /^verdict shown \d+ ms after the keystroke, 25 ms of it a pause for typing to stop \(the check: \d+\.\d ms\)$/);
    assert.ok(Number(await page.getAttribute("#panel-validate", "data-wait-ms")) >= 25, line);
    await page.finish();
  });

  test("a body cut short says so, at the spot where it ends", T, async () => {
    const page = await open();
    const whole = body(3);
    const cut = whole.slice(0, whole.indexOf("user2@") + 3); // inside a member's email
    await setPayload(page, cut);
    assert.equal(await page.getAttribute("#verdict", "data-state"), "invalid");
    const [p] = await problems(page);
    assert.equal(p.code, "invalid_json");
    assert.match(p.text, /the body ends early, inside a string: it looks cut off/);
    const lines = cut.split("\n");
    const end = { line: lines.length, column: [...lines.at(-1)].length + 1 };
    assert.deepEqual([p.line, p.column], [end.line, end.column]);
    assert.match(p.text, new RegExp(`the body ends at line ${end.line}, column ${end.column}$`));
    assert.doesNotMatch(p.text, /unterminated/);
    await page.click("#problems button.problem");
    assert.equal(await page.$eval("#payload", (t) => t.selectionStart), cut.length, "the caret at the end of the body");
    await page.finish();
  });

  test("at 360 px a paste keeps the verdict in view, and a one-line body is shown from its start", T, async () => {
    const page = await open({ width: 360, height: 780, clipboard: true });
    // One line, far wider than the editor: as a body is copied from a log.
    const line = JSON.stringify(payload(() => {}, { members: 30, memberOf: uuidMember }));
    for (const text of [line, body(40)]) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.evaluate((t) => navigator.clipboard.writeText(t), text);
      await page.focus("#payload");
      await page.keyboard.press("Control+A");
      const revision = await page.getAttribute("#panel-validate", "data-revision");
      await page.keyboard.press("Control+V");
      await page.waitForFunction((r) => {
        const panel = document.getElementById("panel-validate");
        return panel.dataset.revision !== r && panel.dataset.shownRevision === panel.dataset.revision;
      }, revision);
      assert.equal(await page.inputValue("#payload"), text);
      const view = await page.evaluate(() => {
        const r = document.getElementById("verdict").getBoundingClientRect();
        const t = document.getElementById("payload");
        return { top: r.top, bottom: r.bottom, height: innerHeight, scrollLeft: t.scrollLeft, scrollTop: t.scrollTop, caret: t.selectionStart, wide: t.scrollWidth > t.clientWidth };
      });
      assert.ok(view.top >= 0 && view.bottom <= view.height + 1, `the verdict is in view: ${JSON.stringify(view)}`);
      assert.match(await page.textContent("#verdict"), /Valid/);
      assert.ok(view.wide, "the line is wider than the editor");
      assert.deepEqual([view.scrollLeft, view.scrollTop, view.caret], [0, 0, 0], "the editor shows the body from its start");
      assert.equal(await page.textContent("#caret"), "Ln 1, Col 1");
    }
    // A paste inside the text leaves the caret where the paste ended.
    await page.evaluate(() => navigator.clipboard.writeText("  "));
    await page.focus("#payload");
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Control+V");
    assert.equal(await page.$eval("#payload", (t) => t.selectionStart === t.value.length), true);
    await page.finish();
  });

  test("axe-core finds no violations on any tab, with valid and invalid input, light or dark", T, async () => {
    for (const colorScheme of ["light", "dark"]) {
      const page = await open({ colorScheme, bypassCSP: true });
      await page.addScriptTag({ path: join(root, "node_modules/axe-core/axe.min.js") });
      const check = async (what) => {
        const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
        assert.deepEqual(found, [], `${what}, ${colorScheme}`);
      };
      await check("validate, empty");
      await chooseExample(page, "valid-members-page");
      await page.click("#records-json-toggle");
      await check("validate, valid, the request's JSON open");
      await setPayload(page, body(12, (p) => p.parameters.members.forEach((m) => delete m.mixpanel_distinct_id)));
      await check("validate, many problems");
      await chooseExample(page, "invalid-json");
      await check("validate, invalid JSON, the user's text kept");
      await chooseExample(page, "warning-duplicate-member");
      await check("validate, valid with a warning");
      await chooseExample(page, "real-sender-members");
      await check("validate, as Mixpanel really sends it: notes");
      await setPayload(page, body(12, (p) => p.parameters.members.forEach((m) => ((m.$distinct_id = m.mixpanel_distinct_id), delete m.mixpanel_distinct_id))));
      await page.click("#problems .repeats-toggle");
      await check("validate, twelve repeats grouped and listed");
      await setPayload(page, body(3).slice(0, 200));
      await check("validate, a body cut short");

      await page.click("#tab-diff");
      await page.click("#diff-example");
      await check("diff, valid");
      await page.fill("#diff-prev", '{"action":"members"}');
      await page.waitForSelector("#diff-stale:not([hidden])");
      await check("diff, one side invalid, results out of date");

      await page.click("#tab-segment");
      await check("segment, valid");
      await page.fill("#enc-in", "11036\nit's");
      await page.fill("#dec-in", "'a', 'b'");
      await check("segment, invalid");
      await page.finish();
    }
  });

  test("screenshots: 1280 px, 360 px, light and dark", T, async () => {
    for (const [device, width, height] of [["desktop", 1280, 900], ["mobile", 360, 780]]) {
      for (const colorScheme of ["light", "dark"]) {
        const name = (what) => `validator-${device}-${colorScheme}-${what}.png`;
        const page = await open({ width, height, colorScheme });
        await chooseExample(page, "valid-members-page");
        await page.click("#records-json-toggle");
        await shot(page, name("valid"));
        await chooseExample(page, "member-without-distinct-id");
        await page.click("#problems button.problem");
        await shot(page, name("invalid"));
        // The user's text with many problems, then replaced by an example (kept, with Undo).
        await setPayload(page, body(12, (p) => p.parameters.members.forEach((m) => delete m.mixpanel_distinct_id)));
        await shot(page, name("many-problems"));
        await chooseExample(page, "real-sender-members");
        await shot(page, name("real-sender"));
        await chooseExample(page, "invalid-json");
        await shot(page, name("kept"));
        await page.click("#tab-diff");
        await page.click("#diff-example");
        await page.fill("#diff-prev", '{"action":"members"}');
        await page.waitForSelector("#diff-stale:not([hidden])");
        await shot(page, name("diff-stale"));
        await page.click("#tab-segment");
        await page.fill("#enc-in", "11036\nit's");
        await shot(page, name("segment"));
        // Nothing sticks out sideways at 360 px.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `no horizontal page scroll at ${width}px`);
        await page.finish();
      }
    }
  });
});
