// The validator page's "Load rows" tab (www/lib/load.js) in real headless Chromium
// (playwright-core driving /usr/bin/chromium), served from the repository root by
// scripts/serve.mjs on 127.0.0.1: pasted rows mapped by the loader's own mapping module
// and checked by the wasm, with nothing sent. Chromium runs with classic scrollbars
// (without Playwright's default --hide-scrollbars), as a desktop browser shows them, so a
// scrollbar strip under the tab bar would be seen. The page's row readers are compared
// with the loader's own NDJSON and CSV sources. Screenshots go to a temporary directory
// (printed). The root, the server and Chromium are tests/js/lib/browser-pages.mjs', so it
// runs from the repository and from scripts/test-js.mjs' copy.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { insertId } from "cohort-sync";
import { launchChromium, root, startPageServer } from "../lib/browser-pages.mjs";

const T = { timeout: 90_000 };

const shots = mkdtempSync(join(tmpdir(), "load-tab-"));
let server;
let browser;

// Four event rows: one good, one whose time is no time, one with a placeholder distinct
// id, and one line that is not JSON.
const EVENT_ROWS = [
  '{"order_id":"o-1","user_id":"u-17","event":"Purchase","ts":"2024-05-01T12:00:00Z","amount":42.5}',
  '{"order_id":"o-2","user_id":"u-18","event":"Purchase","ts":"yesterday","amount":1}',
  '{"order_id":"o-3","user_id":"anon","event":"Purchase","ts":1714567200,"amount":2}',
  '{"order_id":"o-4","user_id":"u-19",',
].join("\n");
// No insertId: the $insert_id is derived from the event name and the key.
const EVENT_MAPPING = { object: "events", key: "order_id", event: "event", distinctId: "user_id", time: "ts" };

// Users as CSV: a comma, doubled quotes and a line break inside quotes; an empty
// unquoted field (null: unset, as this mapping says) and an empty quoted one ("").
const USER_CSV = 'user_id,name,note,plan\r\nu-1,"Lovelace, Ada","said ""hi""\nthen left",pro\r\nu-2,Grace,,""\r\n';

before(async () => {
  server = await startPageServer();
  browser = await launchChromium({ ignoreDefaultArgs: ["--hide-scrollbars"] });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page on the validator, recording console errors, page errors and requests. */
async function open({ width = 1280, height = 900, colorScheme = "light", bypassCSP = false } = {}) {
  // bypassCSP: for axe-core, injected as a script the page's CSP would refuse.
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, bypassCSP });
  const page = await context.newPage();
  const seen = { errors: [], requests: [] };
  page.on("console", (m) => m.type() === "error" && seen.errors.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => seen.errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => seen.requests.push(r.url()));
  await page.goto(`${server.url}www/index.html`);
  await page.waitForFunction(() => document.documentElement.dataset.ready || document.getElementById("boot").classList.contains("error-text"));
  assert.equal(await page.getAttribute("html", "data-ready"), "true", `the page did not start: ${await page.textContent("#boot")} ${seen.errors.join("; ")}`);
  page.seen = seen;
  page.finish = async () => {
    await context.close();
    assert.deepEqual(seen.errors, [], "no console errors or page errors");
    const foreign = seen.requests.filter((url) => !url.startsWith(server.url));
    assert.deepEqual(foreign, [], "no request leaves the origin");
  };
  return page;
}

/** Shows the Load rows tab and waits for it to be set up. */
async function showLoadTab(page) {
  await page.click("#tab-load");
  await page.waitForFunction(() => document.getElementById("panel-load").dataset.ready === "true");
}

/** Replaces an editor's text as typing would, and waits for the tab to update. */
async function fill(page, selector, text) {
  const revision = await page.getAttribute("#panel-load", "data-revision");
  await page.fill(selector, text);
  await page.waitForFunction((r) => document.getElementById("panel-load").dataset.revision !== r, revision);
}

async function chooseMapping(page, name) {
  const revision = await page.getAttribute("#panel-load", "data-revision");
  await page.selectOption("#load-mapping-example", name);
  await page.waitForFunction((r) => document.getElementById("panel-load").dataset.revision !== r, revision);
}

/** Each row as shown: outcome, the record's text when it is on screen, the problems. */
function rows(page) {
  return page.$$eval("#load-results > li", (items) =>
    items.map((li) => {
      const pre = li.querySelector("pre.load-record");
      return {
        n: Number(li.dataset.n),
        outcome: li.dataset.outcome,
        head: li.querySelector(".load-row-head").textContent,
        record: pre && !pre.hidden ? pre.textContent : null,
        folded: Boolean(pre?.hidden),
        problems: [...li.querySelectorAll(".load-problem")].map((p) => ({ code: p.dataset.code, field: p.dataset.field, stage: p.dataset.stage, text: p.textContent })),
      };
    }),
  );
}

async function axe(page, what) {
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(found, [], what);
}

describe("the Load rows tab in Chromium", () => {
  test("events from NDJSON: the record as it would be sent, and each problem with its code", T, async () => {
    const page = await open();
    await showLoadTab(page);
    assert.match(await page.textContent("#panel-load .load-intro"), /Nothing is sent anywhere/);
    // Prefilled: an events mapping and rows for it, already checked.
    assert.equal(JSON.parse(await page.inputValue("#load-mapping")).object, "events");
    assert.match(await page.textContent("#load-summary"), /^\s*\d+ rows: \d+ would be sent, \d+ rejected/);

    const requestsBefore = page.seen.requests.length;
    await fill(page, "#load-mapping", JSON.stringify(EVENT_MAPPING, null, 2));
    await fill(page, "#load-rows", EVENT_ROWS);
    assert.equal(await page.getAttribute("#load-summary", "role"), "status");
    assert.equal(await page.getAttribute("#load-summary", "data-state"), "warning");
    assert.match(await page.textContent("#load-summary"), /4 rows: 1 would be sent, 3 rejected/);
    assert.match(await page.textContent("#load-rows-note"), /Read as NDJSON.*4 rows/);
    assert.match(await page.textContent("#load-mapping-note"), /\$insert_id derived from the event name and the key/);

    const [good, badTime, anon, malformed] = await rows(page);
    assert.deepEqual([good, badTime, anon, malformed].map((r) => r.outcome), ["send", "rejected", "rejected", "rejected"]);
    // The record, pretty-printed, exactly as the loader writes it, with a derived
    // 36-character $insert_id: the wasm's, from the event name and the row's key.
    const record = JSON.parse(good.record);
    const derived = insertId("Purchase", "o-1");
    assert.equal(derived.length, 36);
    assert.deepEqual(record, {
      event: "Purchase",
      properties: { time: Date.parse("2024-05-01T12:00:00Z"), distinct_id: "u-17", $insert_id: derived, order_id: "o-1", amount: 42.5 },
    });
    assert.match(good.record, /^\{\n {2}"event": "Purchase",\n {2}"properties": \{\n {4}"time": /);
    assert.deepEqual(good.problems, []);
    assert.match(good.head, /Row 1.*line 1 · key o-1/);

    // The mapping's problem, the wasm's problem (code and field) and the reader's.
    assert.deepEqual(badTime.problems.map((p) => [p.code, p.field, p.stage]), [["bad_time", "time", "mapping"]]);
    assert.match(badTime.problems[0].text, /yesterday/);
    assert.deepEqual(anon.problems.map((p) => [p.code, p.field, p.stage]), [["placeholder_distinct_id", "distinct_id", "record"]]);
    assert.match(anon.problems[0].text, /anon/);
    assert.equal(anon.record, null, "a rejected record is behind its button");
    assert.equal(anon.folded, true);
    assert.deepEqual(malformed.problems.map((p) => [p.code, p.stage]), [["invalid_json", "read"]]);
    assert.match(malformed.problems[0].text, /line 4: invalid JSON/);
    assert.match(await page.textContent("#load-summary"), /bad_time \(1\).*placeholder_distinct_id \(1\).*invalid_json \(1\)/);

    // The same key twice: the loader's plan takes the first row only.
    await fill(page, "#load-rows", `${EVENT_ROWS.split("\n")[0]}\n${EVENT_ROWS.split("\n")[0]}`);
    assert.deepEqual((await rows(page)).map((r) => [r.outcome, r.problems.map((p) => p.code).join()]), [["send", ""], ["rejected", "duplicate_key"]]);

    // A long record is one click away.
    const wide = { order_id: "o-9", user_id: "u-9", event: "Viewed", ts: 1714567200 };
    for (let i = 0; i < 20; i++) wide[`p${i}`] = i;
    await fill(page, "#load-rows", JSON.stringify(wide));
    const [long] = await rows(page);
    assert.equal(long.outcome, "send");
    assert.equal(long.folded, true);
    const toggle = page.locator("#load-results button.disclosure");
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    assert.match(await toggle.textContent(), /The event \(\d+ lines\)/);
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    const opened = JSON.parse((await rows(page))[0].record);
    assert.equal(opened.properties.p19, 19);
    assert.equal(opened.properties.$insert_id, insertId("Viewed", "o-9"));

    // A mapping that is not valid says why, and no row is planned.
    await fill(page, "#load-mapping", JSON.stringify({ object: "events", key: "order_id", event: "event", distinctId: "user_id" }));
    assert.equal(await page.getAttribute("#load-summary", "data-state"), "invalid");
    assert.match(await page.textContent("#load-summary"), /The mapping is not valid.*mapping\.time must name a column/);
    assert.equal(await page.locator("#load-results > li").count(), 0);
    // Audiences make one update a user from many rows: said, not drawn as a record a row.
    await fill(page, "#load-mapping", JSON.stringify({ object: "audiences", distinctId: "user_id", audienceId: "order_id" }));
    assert.match(await page.textContent("#load-summary"), /The mapping is not shown here.*"audiences" is not shown here/);
    assert.equal(await page.locator("#load-results > li").count(), 0);

    assert.equal(page.seen.requests.length, requestsBefore, "checking rows makes no request at all");
    await page.finish();
  });

  test("users from CSV: quotes, doubled quotes, commas and line breaks in quotes, nulls unset", T, async () => {
    const page = await open();
    await showLoadTab(page);
    await fill(page, "#load-rows", USER_CSV);
    await chooseMapping(page, "users");
    // The user's rows stay (the mapping, an example, was replaced without a note); the
    // textarea keeps line ends as LF (CRLF is read by the same rules: the next test).
    assert.equal(await page.inputValue("#load-rows"), USER_CSV.replaceAll("\r\n", "\n"));
    assert.equal(await page.isVisible("#load-mapping-kept"), false);
    const mapping = JSON.parse(await page.inputValue("#load-mapping"));
    assert.equal(mapping.object, "users");
    assert.equal(mapping.nulls, "unset");
    assert.match(await page.textContent("#load-rows-note"), /Read as CSV: 2 rows; 4 columns \(user_id, name, note, plan\)/);
    assert.match(await page.textContent("#load-summary"), /2 rows: 2 would be sent, 0 rejected/);
    assert.match(await page.textContent("#load-summary"), /\$token is empty here/);
    assert.equal(await page.getAttribute("#load-summary", "data-state"), "valid");
    const [ada, grace] = await rows(page);
    assert.deepEqual(JSON.parse(ada.record), { $token: "", $distinct_id: "u-1", $set: { $name: "Lovelace, Ada", note: 'said "hi"\nthen left', plan: "pro" } });
    assert.deepEqual(JSON.parse(grace.record), { $token: "", $distinct_id: "u-2", $set: { $name: "Grace", plan: "" }, $unset: ["note"] });
    assert.match(ada.head, /line 2 · key u-1/);
    assert.match(grace.head, /line 4 · key u-2/, "a row's line is where its record starts");

    // A record with the wrong number of fields is a row problem; the others go on.
    await fill(page, "#load-rows", "user_id,name\nu-1,Ada,extra\nu-2,Grace\n");
    assert.deepEqual((await rows(page)).map((r) => [r.outcome, r.problems.map((p) => p.code).join()]), [["rejected", "csv_fields"], ["send", ""]]);
    // The user's own mapping text is kept when an example replaces it.
    await fill(page, "#load-mapping", '{"object":"users","distinctId":"user_id"}');
    await chooseMapping(page, "groups");
    assert.equal(await page.isVisible("#load-mapping-kept"), true);
    await page.click("#load-mapping-undo");
    assert.equal(await page.inputValue("#load-mapping"), '{"object":"users","distinctId":"user_id"}');
    await page.finish();
  });

  test("the page's row readers read as the loader's NDJSON and CSV sources do", T, async () => {
    const { csvRows } = await import(pathToFileURL(join(root, "pkg/loader/sources/csv.js")).href);
    const { ndjsonRows } = await import(pathToFileURL(join(root, "pkg/loader/sources/ndjson.js")).href);
    // bigints as tagged text: the page's and Node's values compared as JSON.
    const plain = (items) => JSON.parse(JSON.stringify(items.map(({ n, row, error }) => (error ? { n, code: error.code } : { n, row })), (_, v) => (typeof v === "bigint" ? `big:${v}` : v)));
    const loader = async (rowsOf, text, options) => {
      const out = [];
      for await (const item of rowsOf([Buffer.from(text)], { maxRowBytes: 1 << 20, maxDepth: 64, ...options })) out.push(item);
      return plain(out);
    };
    const csvCases = [
      'a,b\n1,2\n"x, y","say ""hi"""\n',
      "a,b\r\n1,\r\n,\r\n\r\n\"\",\"\"\r\n",
      'a,b\n"line\none",2\nlast,"no newline at the end"',
      'a,b\nx"y,2\n"q"tail,3\n',
      "a,b\n1\n1,2,3\n\n   \n",
      'a,b\n1,"never closed\n2,3\n',
      "a\n__proto__\n",
      "__proto__,constructor\n1,2\n",
      "only,a,header\n",
    ];
    const ndjsonCases = [
      '{"a":1}\n\n  \n{"b":[1,2]}\r\n[1]\n"text"\n{bad\n{"big":12345678901234567890}\n',
      '{"__proto__":{"x":1},"n":null}',
      `${"[".repeat(70)}${"]".repeat(70)}\n{"ok":true}`,
    ];
    const page = await open();
    await page.evaluate(async () => (window.loadLib = await import("./lib/load.js")));
    const inPage = (fn, text) =>
      page.evaluate(
        ([name, t]) => {
          const out = name === "csv" ? window.loadLib.readCsv(t).items : window.loadLib.readNdjson(t);
          return JSON.stringify(out.map(({ n, row, error }) => (error ? { n, code: error.code } : { n, row })), (_, v) => (typeof v === "bigint" ? `big:${v}` : v));
        },
        [fn, text],
      );
    for (const text of csvCases) assert.deepEqual(JSON.parse(await inPage("csv", text)), await loader(csvRows, text), JSON.stringify(text));
    for (const text of ndjsonCases) assert.deepEqual(JSON.parse(await inPage("ndjson", text)), await loader(ndjsonRows, text), JSON.stringify(text));
    // A header naming a column twice is an error of the whole text, in both.
    await assert.rejects(loader(csvRows, "a,a\n1,2\n"), /twice/);
    assert.match(await page.evaluate(() => { try { window.loadLib.readCsv("a,a\n1,2\n"); return "read"; } catch (e) { return e.message; } }), /twice/);
    await page.finish();
  });

  test("keyboard: the tab is reached with the arrow keys from the other tabs", T, async () => {
    const page = await open();
    const selected = () => page.$$eval('[role="tab"]', (tabs) => tabs.filter((t) => t.getAttribute("aria-selected") === "true").map((t) => t.id));
    await page.focus("#tab-validate");
    await page.keyboard.press("ArrowLeft"); // wraps to the last tab
    assert.deepEqual(await selected(), ["tab-load"]);
    assert.equal(await page.evaluate(() => document.activeElement.id), "tab-load");
    await page.waitForFunction(() => document.getElementById("panel-load").dataset.ready === "true");
    assert.equal(await page.isVisible("#panel-load"), true);
    assert.equal(await page.isVisible("#panel-validate"), false);
    assert.deepEqual(await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.tabIndex)), [-1, -1, -1, 0]);
    await page.keyboard.press("ArrowLeft");
    assert.deepEqual(await selected(), ["tab-segment"]);
    await page.keyboard.press("ArrowRight");
    assert.deepEqual(await selected(), ["tab-load"]);
    await page.keyboard.press("ArrowRight"); // wraps to the first
    assert.deepEqual(await selected(), ["tab-validate"]);
    await page.keyboard.press("End");
    assert.deepEqual(await selected(), ["tab-load"]);
    // Tab moves from the tab into its panel.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.getElementById("panel-load").contains(document.activeElement)), true);
    await page.finish();
  });

  test("the tab bar: four tabs whole at every width, light and dark, whichever is chosen; no scrollbar strip (classic scrollbars)", T, async () => {
    const cases = [320, 360, 414, 480, 481, 560, 640, 760, 761, 1024, 1280].map((width) => [width, "light"]);
    // Dark mode is where a stray scrollbar strip glares.
    cases.push([360, "dark"], [1280, "dark"]);
    for (const [width, colorScheme] of cases) {
      const page = await open({ width, height: 780, colorScheme });
      // Choosing a tab must not scroll the bar: a scrolling bar once showed "lidate".
      for (const tab of ["tab-validate", "tab-diff", "tab-segment", "tab-load"]) {
        await page.click(`#${tab}`);
        const what = `${width}px ${colorScheme}, ${tab} chosen`;
        const bar = await page.$eval('[role="tablist"]', (list) => {
          const box = list.getBoundingClientRect();
          return {
            scrollWidth: list.scrollWidth,
            clientWidth: list.clientWidth,
            scrollLeft: list.scrollLeft,
            // A scrollbar's room: what the box's height holds besides its content and borders.
            scrollbarStrip: list.offsetHeight - list.clientHeight - parseFloat(getComputedStyle(list).borderTopWidth) - parseFloat(getComputedStyle(list).borderBottomWidth),
            overflow: getComputedStyle(list).overflow,
            scrollbar: window.innerWidth - document.documentElement.clientWidth,
            pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            outside: [...list.querySelectorAll('[role="tab"]')]
              .filter((t) => {
                const r = t.getBoundingClientRect();
                return r.left < box.left - 0.5 || r.right > box.right + 0.5 || t.scrollWidth > t.clientWidth;
              })
              .map((t) => t.id),
          };
        });
        assert.equal(bar.scrollWidth, bar.clientWidth, `${what}: the tab bar does not scroll sideways`);
        assert.equal(bar.scrollLeft, 0, `${what}: the bar is not scrolled`);
        // Not a scrolling box at all (the tabs' -1px margin, which draws the chosen tab's
        // underline over the bar's border, once made one), so no scrollbar strip.
        assert.equal(bar.overflow, "visible", `${what}: the tab bar is no scrolling box`);
        assert.equal(bar.scrollbarStrip, 0, `${what}: no scrollbar strip under the tabs`);
        assert.deepEqual(bar.outside, [], `${what}: every tab whole inside the bar`);
        assert.equal(bar.pageOverflow, 0, `${what}: no sideways page scroll`);
        if (width === 360) assert.ok(bar.scrollbar > 0, "classic scrollbars take room (Chromium runs without --hide-scrollbars)");
      }
      if (width === 360 || width === 1280) {
        await page.click("#tab-segment");
        const path = join(shots, `tab-bar-${width}-${colorScheme}.png`);
        await page.screenshot({ path, clip: { x: 0, y: 0, width, height: 420 } });
        console.log(`screenshot: ${path}`);
      }
      await page.finish();
    }
  });

  test("axe-core: no violations on the tab at 1280 px and 360 px, light and dark; screenshots", T, async () => {
    for (const [width, height, colorScheme] of [[1280, 900, "light"], [360, 780, "light"], [1280, 900, "dark"], [360, 780, "dark"]]) {
      const what = `${width}px ${colorScheme}`;
      const page = await open({ width, height, colorScheme, bypassCSP: true });
      await page.addScriptTag({ path: join(root, "node_modules/axe-core/axe.min.js") });
      await showLoadTab(page);
      await axe(page, `${what}, the example`);
      await fill(page, "#load-mapping", JSON.stringify(EVENT_MAPPING, null, 2));
      await fill(page, "#load-rows", EVENT_ROWS);
      await page.click("#load-results > li:nth-child(3) button.disclosure");
      await axe(page, `${what}, events with problems, a rejected record open`);
      const bar = await page.$eval('[role="tablist"]', (list) => [list.scrollWidth, list.clientWidth]);
      assert.equal(bar[0], bar[1], `${what}: the tab bar's scrollWidth is its clientWidth`);
      if (colorScheme === "light" || width === 1280) {
        const path = join(shots, `load-tab-${width}-${colorScheme}.png`);
        await page.screenshot({ path, fullPage: true });
        console.log(`screenshot: ${path}`);
      }
      await fill(page, "#load-rows", USER_CSV);
      await chooseMapping(page, "users");
      await axe(page, `${what}, users from CSV, the user's mapping kept`);
      await fill(page, "#load-mapping", "{ not json");
      await axe(page, `${what}, a mapping that is not JSON`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `${what}: no sideways page scroll`);
      await page.finish();
    }
  });
});
