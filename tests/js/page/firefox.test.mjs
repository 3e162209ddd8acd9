// A smoke test of both pages in Firefox: Debian's firefox-esr (installed by
// scripts/setup.sh) driven headless by puppeteer-core over WebDriver BiDi. The validator
// (www/index.html) checks the body Mixpanel really sends and diffs the worked example; the
// operator's console (www/console.html) signs in to the real Worker in workerd
// (tests/js/worker/worker-harness.mjs) from another origin, as `npm start` serves it, and
// opens a cohort. axe-core runs on each, in light and dark. Firefox draws classic 12 px
// scrollbars, so the tab bar is checked here too: no scrollbar strip, no tab cut off.
// Firefox has no bypass for the page's CSP over BiDi: axe-core is evaluated through the
// protocol, which the CSP does not govern. Screenshots go to <root>/test-results/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { CREDENTIALS, startWorker } from "../worker/worker-harness.mjs";
import { requireFromRoot, root, startPageServer } from "../lib/browser-pages.mjs";

const FIREFOX = process.env.FIREFOX_BIN ?? "/usr/bin/firefox-esr";
const T = { timeout: 180_000 };
const COHORT = "31337";
const SCHEMES = ["light", "dark"];

const results = join(root, "test-results");
const axeSource = readFileSync(join(root, "node_modules/axe-core/axe.min.js"), "utf8");
// The body as Mixpanel's sender really sends it (no page_info, $-properties): the fixture
// the validator's Chromium test picks as the bundled example "real-sender-members".
const realSender = readFileSync(join(root, "tests/fixtures/payloads/valid/real_sender_members.json"), "utf8");

let server, worker;
const browsers = new Map(); // color scheme → a Firefox launched with it

before(async () => {
  // Fail, never skip: setup installs Firefox, and a missing browser must be seen.
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: install it (apt-get install -y firefox-esr; scripts/setup.sh does)`);
  server = await startPageServer();
  worker = await startWorker({ vars: { CONSOLE_ORIGINS: new URL(server.url).origin } });
  const ids = Array.from({ length: 7 }, (_, i) => `ff-${i}`);
  const pages = planSync(null, ids, { projectId: "2345678", cohortId: COHORT, cohortName: "Firefox users", sessionId: "ff-full-1", batchSize: 3 });
  for (const body of pages) assert.equal((await worker.post(body)).status, 200);
});

after(async () => {
  for (const browser of browsers.values()) await browser.close();
  await worker?.destroy();
  await server?.close();
});

/**
 * Firefox with `scheme` as the preferred color scheme (a pref: emulating media features
 * needs Chrome's protocol), launched once per scheme.
 */
async function firefox(scheme) {
  if (!browsers.has(scheme)) {
    const puppeteer = requireFromRoot("puppeteer-core");
    const browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      // 0 dark, 1 light: what prefers-color-scheme matches in pages.
      extraPrefsFirefox: { "layout.css.prefers-color-scheme.content-override": scheme === "dark" ? 0 : 1 },
    });
    browsers.set(scheme, browser);
  }
  return browsers.get(scheme);
}

/** A page at `path` under the server, its errors recorded; `page.finish()` closes and checks them. */
async function open(path, { scheme = "light", width = 1280, height = 900, ready = "html[data-ready]" } = {}) {
  const page = await (await firefox(scheme)).newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await page.setViewport({ width, height });
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector(ready);
  assert.equal(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches), scheme === "dark", `Firefox prefers ${scheme}`);
  page.finish = async () => {
    await page.close();
    assert.deepEqual(errors, [], "no console errors or page errors");
  };
  return page;
}

/** axe-core over the whole document: no violations. */
async function axe(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
  assert.deepEqual(violations, [], what);
}

async function shot(page, name) {
  mkdirSync(results, { recursive: true });
  const path = join(results, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

const text = (page, selector) => page.$eval(selector, (node) => node.textContent);
const isShown = (page, selector) => page.$eval(selector, (node) => !node.closest("[hidden]"));

/** Replaces the validator's text as a paste does, and waits for the verdict to follow. */
async function paste(page, body) {
  const revision = await page.$eval("#panel-validate", (p) => p.dataset.revision);
  await page.$eval(
    "#payload",
    (area, value) => {
      area.value = value;
      area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
    },
    body,
  );
  await page.waitForFunction((r) => document.getElementById("panel-validate").dataset.revision !== r, {}, revision);
}

/** The tab bar measured: what would show a scrollbar strip or a tab cut off. */
function measureTabs(page) {
  return page.$eval('[role="tablist"]', (list) => {
    const box = list.getBoundingClientRect();
    const style = getComputedStyle(list);
    return {
      overflow: style.overflowX,
      sideways: list.scrollWidth - list.clientWidth,
      scrolled: list.scrollLeft,
      // A scrollbar's room: what the box's height holds besides its content and borders.
      strip: list.offsetHeight - list.clientHeight - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth),
      scrollbar: window.innerWidth - document.documentElement.clientWidth,
      pageSideways: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      cut: [...list.querySelectorAll('[role="tab"]')]
        .filter((t) => {
          const r = t.getBoundingClientRect();
          return r.left < box.left - 0.5 || r.right > box.right + 0.5 || t.scrollWidth > t.clientWidth;
        })
        .map((t) => t.id),
    };
  });
}

describe("the pages in Firefox (firefox-esr over WebDriver BiDi)", () => {
  test("the validator: the real sender's body is valid, with notes and no warnings, and answered 200; the Diff tab; axe-core, light and dark", T, async () => {
    for (const scheme of SCHEMES) {
      const page = await open("www/index.html", { scheme });
      assert.equal(await page.$eval("html", (h) => h.dataset.ready), "true", await text(page, "#boot"));
      await axe(page, `${scheme}: empty`);

      await paste(page, realSender);
      assert.equal(await page.$eval("#verdict", (v) => v.dataset.state), "valid", "valid, with no warnings");
      assert.match(await text(page, "#verdict"), /\bValid members · pageless · 2 members/);
      assert.equal(await page.$$eval("#problems button.problem", (bs) => bs.length), 0, "no problems");
      const codes = await page.$$eval("#notes button.problem", (bs) => bs.map((b) => b.dataset.code));
      assert.deepEqual(codes, ["missing_field", "no_page_info"], "what Mixpanel leaves out is noted");
      assert.equal(await text(page, "#response-status"), "HTTP/1.1 200 OK");
      const [, reply] = (await text(page, "#response-body")).split("\n\n");
      assert.equal(JSON.parse(reply).status, "success");
      assert.ok((await page.$$eval("#identities tbody tr", (rows) => rows.length)) === 2, "both members' identities");
      await axe(page, `${scheme}: the real sender's body`);
      await shot(page, `firefox-validator-1280-${scheme}.png`);

      await page.click("#tab-diff");
      await page.click("#diff-example");
      await page.waitForFunction(() => document.getElementById("diff-added-n").textContent === "2");
      assert.deepEqual(await page.$$eval(".tile .n", (ns) => ns.map((n) => n.textContent)), ["2", "2", "2"]);
      assert.deepEqual(await page.$$eval("#diff-added li", (lis) => lis.map((li) => li.textContent)), ["E", "F"]);
      assert.deepEqual(await page.$$eval("#diff-removed li", (lis) => lis.map((li) => li.textContent)), ["B", "D"]);
      await axe(page, `${scheme}: the Diff tab`);
      await page.finish();
    }
  });

  test("the tab bar with Firefox's classic scrollbars: no scrollbar strip, every tab whole, selecting one scrolls nothing (1280 and 360 px, light and dark)", T, async () => {
    for (const scheme of SCHEMES) {
      for (const [width, height] of [[1280, 900], [360, 780]]) {
        const what = `${width}px ${scheme}`;
        const page = await open("www/index.html", { scheme, width, height });
        for (const tab of ["tab-validate", "tab-diff", "tab-segment", "tab-load"]) {
          await page.click(`#${tab}`);
          const bar = await measureTabs(page);
          assert.equal(bar.overflow, "visible", `${what}, ${tab}: the tab bar is no scrolling box`);
          assert.equal(bar.sideways, 0, `${what}, ${tab}: nothing to scroll sideways`);
          assert.equal(bar.scrolled, 0, `${what}, ${tab}: the first tab stays in view`);
          assert.equal(bar.strip, 0, `${what}, ${tab}: no scrollbar strip under the tabs`);
          assert.deepEqual(bar.cut, [], `${what}, ${tab}: every tab whole inside the bar`);
          assert.equal(bar.pageSideways, 0, `${what}, ${tab}: no sideways page scroll`);
          if (width === 360 && tab === "tab-validate") assert.ok(bar.scrollbar > 0, "Firefox draws classic scrollbars, which take room");
        }
        await page.click("#tab-segment");
        if (width === 360) await shot(page, `firefox-tabs-360-${scheme}.png`);
        await page.finish();
      }
    }
  });

  test("the console against the Worker in workerd: sign in, the cohorts, one cohort; axe-core, light and dark", T, async () => {
    for (const scheme of SCHEMES) {
      const page = await open(`www/console.html?worker=${encodeURIComponent(worker.origin)}`, { scheme });
      assert.equal(await page.$eval("#worker-url", (i) => i.value), worker.origin);
      await axe(page, `${scheme}: sign-in`);

      await page.type("#user", CREDENTIALS.user);
      await page.type("#password", CREDENTIALS.password);
      await page.click("#connect");
      await page.waitForFunction(() => !document.getElementById("signin-error").hidden || !document.getElementById("view-cohorts").hidden);
      assert.equal(await isShown(page, "#signin-error"), false, await text(page, "#signin-error"));
      await page.waitForSelector(`#cohorts tr[data-cohort="${COHORT}"]`);
      const row = await page.$eval(`#cohorts tr[data-cohort="${COHORT}"]`, (tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, " ").trim()));
      assert.equal(row[0], `Firefox users${COHORT}`);
      assert.equal(row[1], "7");
      assert.equal(await page.$eval("#password", (i) => i.value), "", "the password field is emptied");
      await axe(page, `${scheme}: the cohorts`);

      await page.click(`#cohorts tr[data-cohort="${COHORT}"] a`);
      await page.waitForFunction((id) => !document.getElementById("view-cohort").hidden && document.querySelector("#cohort-summary dd .mono")?.textContent === id, {}, COHORT);
      await page.waitForSelector("#syncs li");
      await page.waitForFunction(() => !document.getElementById("main").hasAttribute("aria-busy"));
      assert.match(await text(page, "#cohort-h"), /Firefox users/);
      assert.match(await text(page, "#syncs"), /ff-full-1/);
      await axe(page, `${scheme}: one cohort`);
      await shot(page, `firefox-console-cohort-${scheme}.png`);
      await page.finish();
    }
  });
});
