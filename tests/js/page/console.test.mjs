// The operator console (www/console.html) in real headless Chromium against the real
// Worker in workerd (tests/js/worker/worker-harness.mjs), the page served by
// scripts/serve.mjs from another origin, as `npm start` does, so every call goes through
// the Worker's CORS (CONSOLE_ORIGINS). Real syncs are POSTed to /webhook; the CleverTap
// and Mixpanel destinations are recorders on 127.0.0.1 that refuse (400) until told
// otherwise, so real dead letters appear. Also: keyboard only, axe-core in every view
// (1280 and 360 px, light and dark, a card failed and out of date), and screenshots
// (1280 px, 360 px, dark; the charts close up) in <root>/test-results/ (git-ignored).
// The chart library must be in www/vendor/uplot/ (scripts/build.mjs copies it there).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { CREDENTIALS, eventually, startRecorder, startWorker } from "../worker/worker-harness.mjs";
import { launchChromium, requireChromium, root, startPageServer } from "../lib/browser-pages.mjs";

const T = { timeout: 120_000 };

const results = join(root, "test-results");
const POWER = "98765"; // a full sync in 3 pages, then a diff: 22 members, dead letters
const TRIAL = "4242"; // a full sync with a page missing, and a refused page
const ZONE = "Europe/Paris"; // the browser's time zone: the page must say it
const ids = (n, prefix) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);
const options = (cohortId, cohortName, sessionId, extra = {}) => ({ projectId: "2345678", cohortId, cohortName, sessionId, ...extra });

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

let server, worker, clevertap, mixpanel, browser;
let refuse = true; // the destinations refuse for good (400) until a test says otherwise

before(async () => {
  requireChromium();
  if (!existsSync(join(root, "www/vendor/uplot/uPlot.iife.min.js"))) throw new Error("www/vendor/uplot/ is missing: run npm run build (scripts/build.mjs copies the chart library there)");
  server = await startPageServer();
  clevertap = await startRecorder(() => (refuse ? [400, '{"status":"fail","error":"Invalid account id"}'] : [200, '{"status":"success","processed":1,"unprocessed":[]}']));
  mixpanel = await startRecorder(() => (refuse ? [400, '{"error":"invalid token"}'] : [200, "1"]));
  worker = await startWorker({
    vars: {
      CONSOLE_ORIGINS: new URL(server.url).origin,
      CLEVERTAP_ACCOUNT_ID: "A",
      CLEVERTAP_PASSCODE: "P",
      CLEVERTAP_UPLOAD_URL: `${clevertap.url}/1/upload`,
      MIXPANEL_TOKEN: "t",
      MIXPANEL_ENGAGE_URL: `${mixpanel.url}/engage`,
    },
  });
  // Power users: a full sync of 25 in 3 pages, then a diff that removes 3.
  const everyone = ids(25, "u");
  for (const body of planSync(null, everyone, options(POWER, "Power users", "full-1", { batchSize: 10 }))) assert.equal((await worker.post(body)).status, 200);
  for (const body of planSync(everyone, everyone.slice(3), options(POWER, "Power users", "diff-1"))) assert.equal((await worker.post(body)).status, 200);
  // Trial users: pages 1 and 3 of 3 (waiting for page 2), then a page refused (400).
  const trial = planSync(null, ids(12, "t"), options(TRIAL, "Trial users", "trial-full", { batchSize: 4 }));
  for (const body of [trial[0], trial[2]]) assert.equal((await worker.post(body)).status, 200);
  const bad = JSON.parse(trial[1]);
  bad.parameters.members[0].mixpanel_distinct_id = 5;
  assert.equal((await worker.post(JSON.stringify(bad))).status, 400);
  await eventually(async () => (await worker.get(`/cohorts/${POWER}`)).json.outbox.dead >= 4, 20_000, "the Power users' dead letters");
  await eventually(async () => (await worker.get("/profiles")).json.outbox.dead >= 1, 20_000, "a profiles dead letter");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await worker?.destroy();
  await Promise.all([server, clevertap, mixpanel].map((s) => s?.close()));
});

// Chromium reports each refused or failed request as a console error of its own; those are
// expected where the test makes them (401, a closed port, CORS). Anything else fails.
const EXPECTED_CONSOLE = /Failed to load resource|CORS policy|net::ERR_/;

/** A page on the console, `?worker=` pointing at `workerUrl`; `page.finish()` checks for errors. */
async function open({ width = 1280, height = 900, colorScheme = "light", workerUrl = worker.origin, pageOrigin = server.url, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, bypassCSP, timezoneId: ZONE, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && !EXPECTED_CONSOLE.test(m.text()) && errors.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(`${pageOrigin}www/console.html?worker=${encodeURIComponent(workerUrl)}`);
  await page.waitForSelector("html[data-ready]");
  page.finish = async () => {
    await context.close();
    assert.deepEqual(errors, [], "no page errors");
  };
  return page;
}

/** Fills the sign-in form and submits it; waits until the answer is shown. */
async function signIn(page, { user = CREDENTIALS.user, password = CREDENTIALS.password } = {}) {
  await page.fill("#user", user);
  await page.fill("#password", password);
  await page.click("#connect");
  await page.waitForFunction(() => !document.getElementById("signin-error").hidden || !document.getElementById("view-cohorts").hidden);
  await idle(page);
}

/** Waits until the page has no request of the Worker's under way. */
const idle = (page) => page.waitForFunction(() => !document.getElementById("main").hasAttribute("aria-busy") && document.getElementById("connect").textContent === "Connect");

async function openCohort(page, cohortId) {
  await page.click(`#cohorts tr[data-cohort="${cohortId}"] a`);
  await page.waitForFunction((id) => !document.getElementById("view-cohort").hidden && document.querySelector("#cohort-summary dd .mono")?.textContent === id, cohortId);
  await idle(page);
  await page.waitForSelector("#syncs li");
  await page.waitForSelector("#sync-chart canvas");
}

/** Each node's text as rendered (badges are in capitals), white space collapsed. */
const texts = (page, selector) => page.$$eval(selector, (nodes) => nodes.map((n) => n.innerText.replace(/\s+/g, " ").trim()));
const letterIds = (page, list) => page.$$eval(`${list} .letter`, (items) => items.map((li) => Number(li.dataset.id)));

async function lookup(page, distinctId) {
  await page.fill("#lookup-id", distinctId);
  await page.click("#lookup button[type=submit]");
  await page.waitForFunction(() => ["member", "not-member", "error"].includes(document.getElementById("lookup-result").dataset.state));
  return (await page.textContent("#lookup-result")).replace(/\s+/g, " ");
}

async function shot(page, name) {
  mkdirSync(results, { recursive: true });
  const path = join(results, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

describe("the operator console in Chromium against the Worker in workerd", () => {
  test("sign in: wrong credentials are refused in plain words; the right ones show the cohorts; nothing is stored", T, async () => {
    const page = await open();
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.match(csp, /default-src 'self'; script-src 'self';/);
    assert.match(csp, /connect-src 'self' https: http:\/\/127\.0\.0\.1:\*/);
    assert.equal(await page.inputValue("#worker-url"), worker.origin, "the Worker from ?worker=");
    assert.equal(await page.evaluate(() => document.activeElement.id), "user", "the first field left to fill has focus");

    await signIn(page, { password: "not the password" });
    assert.match(await page.textContent("#signin-error"), /^The Worker refused these credentials: wrong user or password\.$/);
    assert.equal(await page.isVisible("#view-cohorts"), false);
    // The refused password is selected: typing replaces it.
    assert.deepEqual(
      await page.evaluate(() => [document.activeElement.id, document.activeElement.selectionStart, document.activeElement.selectionEnd, document.activeElement.value.length]),
      ["password", 0, "not the password".length, "not the password".length],
    );
    // An empty password is refused in the form: nothing is sent.
    const asked = [];
    page.on("request", (r) => r.url().startsWith(worker.origin) && asked.push(r.url()));
    await page.fill("#password", "");
    await page.click("#connect");
    assert.equal(await page.textContent("#signin-error"), "Type the password too: the Worker refuses an empty one.");
    assert.equal(await page.evaluate(() => document.activeElement.id), "password");
    await page.fill("#user", "");
    await page.fill("#password", "x");
    await page.click("#connect");
    assert.equal(await page.textContent("#signin-error"), "Type the Worker's user.");
    assert.deepEqual(asked, [], "no request for an incomplete form");

    await signIn(page);
    assert.equal(await page.isVisible("#signin-error"), false);
    assert.equal(await page.isVisible("#view-cohorts"), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "cohorts-h", "focus moves to the new view");
    assert.equal(await page.textContent("#session-url"), worker.origin);
    assert.equal(await page.inputValue("#password"), "", "the password field is emptied");
    const rows = await page.$$eval("#cohorts tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, " ").trim())));
    assert.deepEqual(await texts(page, "#cohorts thead th"), ["Cohort", "Members", "Trend", "Outbox (requests to destinations)", "Full sync under way", "Last page received", "Last full sync completed"]);
    const power = rows.find((r) => r[0].startsWith("Power users"));
    const trial = rows.find((r) => r[0].startsWith("Trial users"));
    assert.equal(power[0], `Power users${POWER}`);
    assert.equal(power[1], "22");
    assert.equal(power[2], "", "a chart, named by its label");
    assert.equal(
      await page.getAttribute(`#cohorts tr[data-cohort="${POWER}"] .spark`, "aria-label"),
      "Members after the last 1 sync, then now: 25, 22",
      "the kept count after full-1, then the count now",
    );
    await page.waitForSelector(`#cohorts tr[data-cohort="${POWER}"] .spark canvas`);
    assert.match(power[3], /^\d+ requests? waiting to be sent · [4-9] dead letters$/);
    assert.equal(power[4], "no");
    assert.match(power[5], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \((just now|\d+ s ago)\)$/);
    assert.match(power[6], /full-1$/, "the last full sync completed (diffs are not full syncs)");
    assert.equal(trial[1], "8");
    assert.equal(trial[2], "no earlier count kept");
    assert.equal(trial[4], "trial-full3 pages", "the full sync under way");
    assert.equal(trial[6], "none yet");
    assert.match(await page.textContent("#profiles-outbox"), /^Outbox: \d+ requests? waiting to be sent · \d+ dead letters?$/);
    // Times: the zone is said, each time's date, zone and UTC are on hover, and "… ago" moves.
    assert.equal(await page.textContent("#session-zone"), `${ZONE} (UTC+01:00)`);
    assert.match(await page.getAttribute(`#cohorts tr[data-cohort="${POWER}"] time`, "title"), /^\w+day, \d+ \w+ \d{4}(,| at) \d\d:\d\d:\d\d Europe\/Paris \(UTC\+01:00\); \d\d:\d\d:\d\d UTC$/);
    const age = await page.textContent(`#cohorts tr[data-cohort="${POWER}"] .ago`);
    await page.waitForFunction(([id, before]) => document.querySelector(`#cohorts tr[data-cohort="${id}"] .ago`).textContent !== before, [POWER, age], { timeout: 5000 });
    assert.ok((await letterIds(page, "#profiles-dead")).length >= 1, "the profiles object's dead letters");
    // The credentials are in no storage and not in the address.
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ""]);
    assert.ok(!page.url().includes(encodeURIComponent(CREDENTIALS.password)) && !page.url().includes(CREDENTIALS.user));

    await page.click("#sign-out");
    assert.equal(await page.isVisible("#view-signin"), true);
    assert.match(await page.textContent("#signin-error"), /Signed out/);
    await page.finish();
  });

  test("errors in plain words: nothing listening, an origin the Worker does not list (CORS), plain http to another host; the empty state", T, async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    let page = await open({ workerUrl: closed });
    await signIn(page);
    assert.equal(await page.textContent("#signin-error"), `Could not reach ${closed}: nothing answered. Check the URL, that the Worker is running, and your network.`);
    assert.equal(await page.evaluate(() => document.activeElement.id), "worker-url");

    await page.fill("#worker-url", "http://example.com");
    await signIn(page);
    assert.match(await page.textContent("#signin-error"), /over https:\/\/ only .* use https:\/\/example\.com$/);
    await page.fill("#worker-url", "not a url");
    await signIn(page);
    assert.match(await page.textContent("#signin-error"), /^"not a url" is not a URL/);
    await page.finish();

    // The same page from http://localhost:<port>: another origin, not in CONSOLE_ORIGINS.
    const localhost = server.url.replace("127.0.0.1", "localhost");
    page = await open({ pageOrigin: localhost });
    await signIn(page);
    assert.equal(
      await page.textContent("#signin-error"),
      `${worker.origin} answered, but did not let this page read the answer (CORS). Add this page's origin, ${localhost.slice(0, -1)}, to the Worker's CONSOLE_ORIGINS setting, or open the console from an origin listed there.`,
    );
    await page.finish();

    // A Worker nothing has been synced to yet.
    const empty = await startWorker({ vars: { CONSOLE_ORIGINS: new URL(server.url).origin } });
    try {
      page = await open({ workerUrl: empty.origin });
      await signIn(page);
      assert.equal(await page.isVisible("#cohorts-empty"), true);
      assert.match(await page.textContent("#cohorts-empty"), /^No cohorts yet\./);
      assert.equal(await page.isVisible("#cohorts-wrap"), false);
      assert.match(await page.textContent("#profiles-dead"), /No dead letters/);
      assert.match(await page.textContent("#profiles-outbox"), /0 requests waiting to be sent · 0 dead letters/);
      await page.finish();
    } finally {
      await empty.destroy();
    }
  });

  test("a cohort: its chart and its table, one sync per session, the member lookup (spaces left out), the members downloaded", T, async () => {
    const page = await open();
    await signIn(page);
    await openCohort(page, TRIAL);
    assert.equal(await page.evaluate(() => document.activeElement.id), "cohort-h");
    assert.ok(page.url().endsWith(`#cohort/${TRIAL}`), "the view has an address");
    const trial = await texts(page, "#syncs li");
    assert.equal(trial.length, 1);
    assert.match(trial[0], /^WAITING trial-full · full sync: members The full sync is under way: its removals happen when the last page lands\. Missing page 2\. Pages 2 of 3 pages/);
    assert.match(trial[0], /Changes \+8 added · 0 removed · 0 pages replayed · 1 page refused Members after 8 members now \(the latest sync\) Last refusal .*wrong_type/);

    await page.click(".back a");
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    await openCohort(page, POWER);
    const summary = Object.fromEntries(
      await page.$$eval("#cohort-summary dt", (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent.replace(/\s+/g, " ").trim()])),
    );
    assert.equal(summary["Cohort id"], POWER);
    assert.equal(summary.Members, "22");
    assert.match(summary["Last page received"], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(/);
    assert.equal(summary["Latest session"], "diff-1");
    assert.equal(summary["Full sync under way"], "no");
    assert.equal(summary["Dead pages"], "none");
    assert.equal(await page.isHidden("#cohort-dead-pages"), true, "the dead pages card shows only when one is held");
    // A diff's adds and removals are one sync with both actions, not two cards.
    const syncs = await page.$$eval("#syncs li", (lis) => lis.map((li) => [li.dataset.session, li.dataset.status, li.dataset.actions, li.querySelector(".figures").textContent, li.querySelector(".pages").textContent, li.querySelector(".size-after").textContent]));
    assert.deepEqual(syncs, [
      ["diff-1", "complete", "add_members remove_members", "0 added · −3 removed · 0 pages replayed · 0 pages refused", "add_members: 1 of 1 page; remove_members: 1 of 1 page", "22 members now (the latest sync)"],
      ["full-1", "complete", "members", "+25 added · 0 removed · 0 pages replayed · 0 pages refused", "3 of 3 pages", "25"],
    ]);
    assert.match(await page.textContent("#syncs li:last-child .sync-why"), /Every page arrived and was applied\./);

    // The chart, and the same numbers as a table beside it.
    const table = await page.$$eval("#sync-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.deepEqual(table.map((r) => [r[0], r[2], r[3], r[4], r[5], r[6]]), [
      ["full-1", "25", "25", "0", "0", "Complete"],
      ["diff-1", "22", "0", "3", "0", "Complete"],
    ]);
    assert.match(await page.getAttribute("#sync-chart", "aria-label"), /^Members after each of the last 2 syncs: from 25 to 22; 25 added, 3 removed, 0 pages refused, 0 syncs not complete\./);
    // The numbers on hover.
    const plot = await page.locator("#sync-chart .u-over").boundingBox();
    await page.mouse.move(plot.x + plot.width * 0.75, plot.y + plot.height / 2);
    await page.waitForSelector("#sync-chart .chart-tip:not([hidden])");
    assert.match((await page.textContent("#sync-chart .chart-tip")).replace(/\s+/g, " "), /^diff-1add_members \+ remove_members · Completelast page \d{4}-.+22 members after0 added · 3 removed0 pages refused$/);
    await page.mouse.move(plot.x + plot.width * 0.25, plot.y + plot.height / 2);
    await page.waitForFunction(() => document.querySelector("#sync-chart .chart-tip").textContent.startsWith("full-1"));
    // The same from the keyboard: the chart is a slider over the syncs. Focused, it is on
    // its last sync (none is under the pointer); the arrows, Home and End move it, the
    // hover box shows, and the value text says the sync.
    const tipStarts = (text) => page.waitForFunction((t) => document.querySelector("#sync-chart .chart-tip:not([hidden])")?.textContent.startsWith(t), text);
    const valueText = () => page.getAttribute("#sync-chart", "aria-valuetext");
    assert.deepEqual(await page.$eval("#sync-chart", (e) => [e.getAttribute("role"), e.getAttribute("aria-valuemin"), e.getAttribute("aria-valuemax"), e.tabIndex]), ["slider", "1", "2", 0]);
    await page.mouse.move(0, 0);
    await page.waitForSelector("#sync-chart .chart-tip[hidden]", { state: "attached" });
    await page.focus("#sync-chart");
    await tipStarts("diff-1");
    assert.match(await valueText(), /^Sync 2 of 2: diff-1; add_members \+ remove_members · Complete; last page \d{4}-.+; 22 members after; 0 added · 3 removed; 0 pages refused$/);
    await page.keyboard.press("ArrowLeft");
    await tipStarts("full-1");
    assert.match(await valueText(), /^Sync 1 of 2: full-1; members · Complete; .+; 25 members after; 25 added · 0 removed; /);
    assert.equal(await page.getAttribute("#sync-chart", "aria-valuenow"), "1");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowRight");
    await tipStarts("diff-1");
    assert.match(await valueText(), /^Sync 2 of 2: /, "the first sync is as far as it goes: one step right is the second");
    await page.keyboard.press("Home");
    await tipStarts("full-1");
    await page.keyboard.press("End");
    await tipStarts("diff-1");
    // The pointer moves the focused slider too, and the arrows go on from there.
    await page.mouse.move(plot.x + plot.width * 0.25, plot.y + plot.height / 2);
    await tipStarts("full-1");
    assert.equal(await page.getAttribute("#sync-chart", "aria-valuenow"), "1");
    await page.keyboard.press("ArrowRight");
    await tipStarts("diff-1");
    await page.focus("#lookup-id");
    await page.waitForSelector("#sync-chart .chart-tip[hidden]", { state: "attached" });

    assert.match(await lookup(page, "u-010"), /^In the cohort\. u-010 has been a member since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(.+\) \(session full-1\)\.$/);
    assert.match(await lookup(page, "u-001"), /^Not in the cohort\. u-001 is not a member\. It last left \d{4}-.+ \(session diff-1\)\.$/);
    assert.match(await lookup(page, "nobody here/?#"), /^Not in the cohort\. nobody here\/\?# is not a member\. No departure is recorded/);
    // An id pasted with spaces around it is found, and the answer says they were left out.
    assert.match(await lookup(page, "  u-011 "), /^In the cohort\. u-011 has been a member since .+ The spaces around what you typed were left out: looked up “u-011”\.$/);
    assert.equal(await lookup(page, "   "), "Only spaces were typed: type a distinct id.");

    // The members, downloaded: the route's NDJSON, as a file.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    assert.equal(download.suggestedFilename(), `cohort-${POWER}-members.ndjson`);
    const saved = (await readFile(await download.path(), "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(saved, ids(25, "u").slice(3));
    assert.equal(await page.textContent("#download-state"), `Saved 22 ids (${saved.map((id) => JSON.stringify(id).length + 1).reduce((a, b) => a + b)} B) as cohort-${POWER}-members.ndjson.`);
    await page.finish();
  });

  test("each card says its own state: a slow read shows in its card, a failed refresh marks what is shown out of date, a failed first read says why", T, async () => {
    const page = await open();
    await signIn(page);
    // A slow /syncs: the figures and letters are drawn; the syncs and chart cards say they are loading.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route(`${worker.origin}/cohorts/${POWER}/syncs*`, async (route) => {
      await held;
      await route.continue();
    });
    await page.click(`#cohorts tr[data-cohort="${POWER}"] a`);
    await page.waitForFunction(() => document.getElementById("summary-card").dataset.state === "ready" && document.getElementById("cohort-dead").closest("section").dataset.state === "ready");
    assert.equal(await page.getAttribute("#syncs-card", "data-state"), "loading");
    assert.equal(await page.getAttribute("#syncs-card", "aria-busy"), "true");
    assert.equal(await page.textContent("#syncs-card .card-state"), "Loading the syncs…");
    assert.equal(await page.textContent("#chart-card .card-state"), "Loading the syncs chart…");
    assert.doesNotMatch(await page.textContent("#status"), /Refreshed/);
    release();
    await idle(page);
    await page.waitForSelector("#syncs li");
    assert.equal(await page.getAttribute("#syncs-card", "data-state"), "ready");
    assert.equal(await page.isHidden("#syncs-card .card-state"), true);
    await page.unroute(`${worker.origin}/cohorts/${POWER}/syncs*`);

    // Refresh with the Worker unreachable: every card keeps what it showed, marked out of date, saying why.
    const shown = await page.$$eval("#syncs li", (lis) => lis.length);
    await page.route(`${worker.origin}/**`, (route) => route.abort());
    await page.click("#refresh");
    await page.waitForFunction(() => /^Refreshed at .+, but some cards could not be read/.test(document.getElementById("status").textContent));
    for (const card of ["#summary-card", "#chart-card", "#syncs-card"]) {
      assert.equal(await page.getAttribute(card, "data-state"), "stale", card);
      assert.match(await page.textContent(`${card} .card-state`), new RegExp(`^Out of date\\. Refreshing .+ failed at \\d\\d:\\d\\d:\\d\\d: Could not reach ${worker.origin.replace(/[.]/g, "\\.")}: nothing answered\\..* Shown: what was read at \\d{4}-.+\\. Try again$`), card);
    }
    assert.equal(await page.$$eval("#syncs li", (lis) => lis.length), shown, "what was read stays");
    assert.equal(await page.isHidden("#problem"), true, "one message, not a banner above a contradicting status");
    await page.unroute(`${worker.origin}/**`);
    await page.click("#syncs-card .card-state button");
    await page.waitForFunction(() => document.getElementById("syncs-card").dataset.state === "ready");
    assert.equal(await page.isHidden("#syncs-card .card-state"), true);
    await page.click("#refresh");
    await page.waitForFunction(() => /^Refreshed at \d\d:\d\d:\d\d\.$/.test(document.getElementById("status").textContent));
    assert.equal(await page.$$eval("[data-state=stale]", (n) => n.length), 0);

    // A first read that fails: the card says why, with nothing stale to show.
    await page.route(`${worker.origin}/cohorts/${TRIAL}/dead-letters*`, (route) => route.fulfill({ status: 503, contentType: "application/json", headers: { "access-control-allow-origin": new URL(server.url).origin }, body: '{"error":{"message":"storage failed","code":503}}' }));
    await page.click(".back a");
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    await page.click(`#cohorts tr[data-cohort="${TRIAL}"] a`);
    await page.waitForFunction(() => document.getElementById("cohort-dead").closest("section").dataset.state === "error");
    assert.equal(await page.textContent("#cohort-dead-h + .card-state"), "Could not load the dead letters. The Worker answered 503: storage failed. Try again");
    assert.equal(await page.getAttribute("#summary-card", "data-state"), "ready", "the other cards are drawn");
    await page.finish();
  });

  test("axe-core finds no violations in any view, at 1280 and 360 px, light or dark, a card failed or out of date", T, async () => {
    for (const [width, height, colorScheme] of [[1280, 900, "light"], [1280, 900, "dark"], [360, 780, "light"], [360, 780, "dark"]]) {
      // bypassCSP: axe is injected as a script the page's CSP would refuse.
      const page = await open({ width, height, colorScheme, bypassCSP: true });
      const check = async (what) => {
        await page.addScriptTag({ path: join(root, "node_modules/axe-core/axe.min.js") });
        const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
        assert.deepEqual(found, [], `${what}, ${width} px, ${colorScheme}`);
      };
      await check("sign in");
      await signIn(page, { password: "wrong" });
      await check("sign in, refused");
      await signIn(page);
      await page.waitForSelector("#cohorts .spark canvas");
      await check("cohorts");
      await page.fill("#cohort-filter", "power");
      if (width >= 600) await page.click("#cohorts thead th[data-sort=size] button");
      await check("cohorts, found and sorted");
      await page.fill("#cohort-filter", "");
      await openCohort(page, POWER);
      await lookup(page, " u-010");
      await page.click("#cohort-dead .letter-raw summary");
      await page.click("#cohort-dead .letter-list > summary");
      await page.click("#cohort-dead .letter-request summary");
      await page.click("#cohort-dead .letter-group > .letter-actions .danger-outline");
      await check("a cohort: chart, lookup, a group of dead letters open, a drop being confirmed");
      await page.route(`${worker.origin}/**`, (route) => route.abort());
      await page.click("#refresh");
      await page.waitForFunction(() => document.getElementById("syncs-card").dataset.state === "stale");
      await check("a cohort, out of date");
      await page.unroute(`${worker.origin}/**`);
      await page.finish();
    }
  });

  test("screenshots: 1280 px, 360 px and dark, the charts close up; nothing overflows sideways; on a phone the tables stack and the lookup comes first", T, async () => {
    for (const [name, width, height, colorScheme] of [["desktop", 1280, 900, "light"], ["mobile", 360, 780, "light"], ["desktop-dark", 1280, 900, "dark"], ["mobile-dark", 360, 780, "dark"]]) {
      const page = await open({ width, height, colorScheme });
      await shot(page, `console-${name}-signin.png`);
      await signIn(page);
      await page.waitForSelector("#cohorts .spark canvas");
      await shot(page, `console-${name}-cohorts.png`);
      await page.locator("#cohorts-card").screenshot({ path: join(results, `console-${name}-trends.png`) });
      const phone = width < 600;
      // The cohorts: no sideways scroll; every cell, times included, on screen.
      const table = await page.evaluate(() => {
        const wrap = document.getElementById("cohorts-wrap");
        const cells = [...document.querySelectorAll("#cohorts tbody td, #cohorts tbody th")].map((c) => c.getBoundingClientRect().right);
        return { scroll: wrap.scrollWidth - wrap.clientWidth, right: Math.max(...cells), header: document.querySelector("header.site").getBoundingClientRect().height };
      });
      assert.equal(table.scroll, 0, `the cohorts table does not scroll sideways at ${width}px`);
      assert.ok(table.right <= width, `every cell on screen at ${width}px (${table.right})`);
      if (phone) {
        assert.ok(table.header < 150, `the header leaves the first screen to the console (${table.header}px)`);
        // Each value has its column's name beside it.
        assert.deepEqual(
          await page.$eval(`#cohorts tr[data-cohort="${POWER}"] td[data-label="Last page received"]`, (td) => [getComputedStyle(td, "::before").content, td.innerText.trim().slice(0, 4)]),
          ['"Last page received"', String(new Date().getFullYear())],
        );
      }
      await openCohort(page, POWER);
      await page.locator("#chart-card").screenshot({ path: join(results, `console-${name}-chart.png`) });
      console.log(`screenshot: ${join(results, `console-${name}-chart.png`)}`);
      if (phone) {
        const [lookupTop, syncsTop] = await page.evaluate(() => ["lookup-card", "syncs-card"].map((id) => document.getElementById(id).getBoundingClientRect().top));
        assert.ok(lookupTop < syncsTop, "the lookup comes before the sync list");
      }
      await lookup(page, "u-001");
      if (phone) {
        const box = await page.evaluate(() => document.getElementById("lookup-result").getBoundingClientRect().toJSON());
        assert.ok(box.top >= 0 && box.bottom <= 781, `the lookup's answer is on screen (${box.top}–${box.bottom})`);
      }
      await page.click("#cohort-dead .letter-raw summary");
      await shot(page, `console-${name}-cohort.png`);
      await page.locator("#cohort-dead-h").locator("..").screenshot({ path: join(results, `console-${name}-letters.png`) });
      // The confirm step, and the sign-in's refusal, close up.
      await page.click("#cohort-dead .letter-group > .letter-actions .danger-outline");
      await page.locator("#cohort-dead .letter-group").first().screenshot({ path: join(results, `console-${name}-confirm.png`) });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `no horizontal page scroll at ${width}px`);
      await page.click("#sign-out");
      await signIn(page, { password: "wrong" });
      await page.locator("#signin").screenshot({ path: join(results, `console-${name}-refused.png`) });
      await page.finish();
    }
  });

  test("many cohorts: found by name or id, sorted by any column, every column on screen at 1280 px", T, async () => {
    const many = await startWorker({ vars: { CONSOLE_ORIGINS: new URL(server.url).origin } });
    try {
      for (let i = 0; i < 60; i++) {
        const id = `campaign-${String(i).padStart(2, "0")}-${"x".repeat(i % 7 === 0 ? 40 : 4)}`;
        const name = `Spring campaign audience number ${i} (re-engagement, high-value users)`;
        for (const body of planSync(null, ids(1 + (i % 9), "m"), options(id, name, `full-${i}-with-a-long-session-identifier-${"s".repeat(20)}`))) assert.equal((await many.post(body)).status, 200);
      }
      const page = await open({ workerUrl: many.origin });
      await signIn(page);
      assert.equal(await page.textContent("#cohort-count"), "60");
      const fit = await page.evaluate(() => {
        const wrap = document.getElementById("cohorts-wrap");
        const last = document.querySelector("#cohorts thead th:last-child").getBoundingClientRect();
        return { scroll: wrap.scrollWidth - wrap.clientWidth, right: last.right, page: document.documentElement.clientWidth };
      });
      assert.equal(fit.scroll, 0, "no sideways scroll");
      assert.ok(fit.right <= fit.page, `the last column is on screen (${fit.right} of ${fit.page})`);

      await page.fill("#cohort-filter", "number 17 ");
      assert.deepEqual(await page.$$eval("#cohorts tbody tr", (trs) => trs.map((tr) => tr.dataset.cohort)), ["campaign-17-xxxx"]);
      assert.equal(await page.textContent("#cohorts-found"), "1 of 60 cohorts shown.");
      await page.fill("#cohort-filter", "CAMPAIGN-0");
      assert.equal(await page.$$eval("#cohorts tbody tr", (trs) => trs.length), 10, "ids match too, in any case");
      await page.fill("#cohort-filter", "nothing like it");
      assert.equal(await page.textContent("#cohorts-found"), "No cohort's name or id holds “nothing like it”.");
      await page.fill("#cohort-filter", "");

      // Sorted by members, most first, then fewest first; the heading says the order.
      await page.click("#cohorts thead th[data-sort=size] button");
      const sizes = () => page.$$eval("#cohorts tbody td.num", (tds) => tds.map((td) => Number(td.textContent)));
      const down = await sizes();
      assert.deepEqual(down, [...down].sort((a, b) => b - a));
      assert.equal(await page.getAttribute("#cohorts thead th[data-sort=size]", "aria-sort"), "descending");
      await page.keyboard.press("Enter"); // the heading's button keeps focus: the keyboard sorts too
      const up = await sizes();
      assert.deepEqual(up, [...up].sort((a, b) => a - b));
      assert.equal(await page.getAttribute("#cohorts thead th[data-sort=size]", "aria-sort"), "ascending");
      await page.click("#cohorts thead th[data-sort=name] button");
      assert.equal(await page.getAttribute("#cohorts thead th[data-sort=name]", "aria-sort"), "ascending");
      assert.equal(await page.getAttribute("#cohorts thead th[data-sort=size]", "aria-sort"), null);
      await page.locator("#cohorts-card").screenshot({ path: join(results, "console-desktop-60-cohorts.png") });
      await page.finish();
    } finally {
      await many.destroy();
    }
  });

  test("dead letters: grouped by destination and error, with what they carried and the error in words; a redrive refused again keeps its letter; drop, redrive all; the profiles object's too", T, async () => {
    const page = await open();
    await signIn(page);
    await openCohort(page, POWER);
    const before = await letterIds(page, "#cohort-dead");
    assert.equal(before.length, 4, `dead letters listed: ${before}`);
    assert.equal(await page.textContent("#cohort-dead-count"), "4");
    // One group: CleverTap refused all four with the same answer.
    assert.equal(await page.$$eval("#cohort-dead .letter-group", (g) => g.length), 1);
    assert.equal(await page.textContent("#cohort-dead .group-head"), "CleverTap 4 dead letters");
    assert.equal(await page.textContent("#cohort-dead .letter-error"), "CleverTap refused it: “Invalid account id” (HTTP 400 Bad Request)");
    assert.match((await page.textContent("#cohort-dead .group-facts")).replace(/\s+/g, " "), /^They carried 25 joins and 3 departures\. Failed from \d{4}-.+ to \d{4}-.+, after 1 attempt each\.$/);
    // The answer as recorded, one click away.
    assert.equal(await page.isVisible("#cohort-dead .letter-raw pre"), false);
    await page.click("#cohort-dead .letter-raw summary");
    assert.equal(await page.textContent("#cohort-dead .letter-raw pre"), 'HTTP 400: {"status":"fail","error":"Invalid account id"}');
    // Each letter inside: what it carried, its request.
    await page.click("#cohort-dead .letter-list > summary");
    const letters = await texts(page, "#cohort-dead .letter .letter-head");
    assert.match(letters[0], new RegExp(`^#${before[0]} failed \\d{4}-.+ · 1 attempt · carried 10 joins$`));
    assert.match(letters[3], / · carried 3 departures$/);
    assert.match(await page.textContent(`#cohort-dead .letter[data-id="${before[0]}"] .url`), new RegExp(`^${clevertap.url}/1/upload$`));

    // Drop one: a confirm step first; Cancel keeps it.
    const drop = `#cohort-dead .letter[data-id="${before[0]}"] .danger-outline`;
    await page.click(drop);
    assert.match(await page.textContent("#cohort-dead .confirm"), new RegExp(`Drop dead letter ${before[0]} for good\\?`));
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Cancel");
    await page.click("#cohort-dead .confirm button:text('Cancel')");
    assert.equal(await page.locator("#cohort-dead .confirm").count(), 0);
    assert.deepEqual(await letterIds(page, "#cohort-dead"), before);
    await page.click(drop);
    await page.click("#cohort-dead .confirm button.danger");
    await page.waitForSelector(`#cohort-dead .letter[data-id="${before[0]}"]`, { state: "detached" });
    assert.equal(await page.textContent("#status"), "Dropped 1 dead letter.");
    assert.deepEqual((await worker.get(`/cohorts/${POWER}/dead-letters`)).json.deadLetters.map((l) => l.id), before.slice(1));

    // Redrive one while CleverTap still refuses: the console follows it, and it comes back
    // as the same letter, its attempts counted, the count unchanged.
    await page.click("#cohort-dead .letter-list > summary");
    await page.click(`#cohort-dead .letter[data-id="${before[1]}"] .letter-actions .button:not(.danger-outline)`);
    await page.waitForFunction(() => /refused again/.test(document.getElementById("status").textContent), null, { timeout: 20_000 });
    assert.match(await page.textContent("#status"), new RegExp(`^Dead letter #${before[1]} was refused again at \\d{4}-.+: CleverTap refused it: “Invalid account id” \\(HTTP 400 Bad Request\\)\\. It is listed again under the same id\\.$`));
    assert.deepEqual(await letterIds(page, "#cohort-dead"), before.slice(1));
    assert.equal(await page.textContent("#cohort-dead-count"), "3");
    assert.match(await page.textContent("#cohort-dead .group-head"), /^CleverTap 3 dead letters 1 failed again$/);
    await page.click("#cohort-dead .letter-list > summary");
    assert.match((await texts(page, `#cohort-dead .letter[data-id="${before[1]}"] .letter-head`))[0], new RegExp(`^#${before[1]} failed .+ · 2 attempts · carried 10 joins FAILED AGAIN redriven once, last \\d{4}-`));

    // Redrive the group, the destination now taking it.
    refuse = false;
    const received = clevertap.received.length;
    await page.click("#cohort-dead .letter-group > .letter-actions .button:not(.danger-outline)");
    await page.waitForFunction(() => /^Delivered/.test(document.getElementById("status").textContent), null, { timeout: 20_000 });
    assert.equal(await page.textContent("#status"), "Delivered: the destination took the 3 redriven letters.");
    assert.equal(await page.isVisible("#cohort-dead .empty"), true);
    // The counts are read again after each action; focus goes to what is left of the list,
    // here its empty state, not to <body>.
    await page.waitForFunction(() => document.getElementById("cohort-dead-count").textContent === "");
    await page.waitForFunction(() => document.activeElement.matches("#cohort-dead .empty"));
    assert.match(await page.textContent("#cohort-summary"), /Outbox0 requests waiting to be sent · 0 dead letters/);
    assert.equal(clevertap.received.length, received + 3, "each redriven letter delivered once");

    // The profiles object's, from the cohorts view.
    await page.click(".back a");
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    assert.ok((await letterIds(page, "#profiles-dead")).length >= 1);
    assert.match(await page.textContent("#profiles-dead .group-head"), /^Mixpanel \d+ dead letters?$/);
    assert.match(await page.textContent("#profiles-dead .letter-error"), /^Mixpanel refused it: “invalid token” \(HTTP 400 Bad Request\)$/);
    assert.match(await page.textContent("#profiles-dead .group-facts"), /carried \d+ profile updates?\./);
    await page.click("#profiles-dead .letter-group > .letter-actions .button:not(.danger-outline)");
    await page.waitForSelector("#profiles-dead .letter", { state: "detached" });
    await eventually(async () => (await worker.get("/profiles")).json.outbox.pending === 0, 20_000, "the profiles outbox drained");
    await page.click("#refresh");
    await page.waitForFunction(() => /^Refreshed at \d\d:\d\d:\d\d\.$/.test(document.getElementById("status").textContent));
    assert.match(await page.textContent("#profiles-outbox"), /0 requests waiting to be sent · 0 dead letters/);
    await page.finish();
  });

  test("keyboard only: sign in, open a cohort, look up a member, forget the cohort (Tab, Shift+Tab, Enter)", T, async () => {
    const page = await open();
    const focused = () => page.evaluate(() => ({ id: document.activeElement.id, text: document.activeElement.textContent.trim(), tag: document.activeElement.tagName }));
    /** Presses Tab until `match(focused)`; fails after 40 presses. */
    async function tabTo(match, what) {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press("Tab");
        if (match(await focused())) return;
      }
      throw new Error(`Tab never reached ${what}`);
    }
    assert.equal((await focused()).id, "user");
    await page.keyboard.type(CREDENTIALS.user);
    await page.keyboard.press("Tab");
    assert.equal((await focused()).id, "password");
    await page.keyboard.type(CREDENTIALS.password);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    assert.equal((await focused()).id, "cohorts-h");

    await tabTo((f) => f.tag === "A" && f.text === "Trial users", "the Trial users link");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement.id === "cohort-h" && document.querySelector("#syncs li"));
    await tabTo((f) => f.id === "sync-chart", "the chart");
    assert.match(await page.getAttribute("#sync-chart", "aria-valuetext"), /^Sync \d+ of \d+: trial-full; /, "the chart, focused, is on its last sync");
    await page.keyboard.press("Home");
    assert.match(await page.getAttribute("#sync-chart", "aria-valuetext"), /^Sync 1 of \d+: /);
    await tabTo((f) => f.id === "lookup-id", "the lookup box");
    await page.keyboard.type("t-001");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("lookup-result").dataset.state === "member");
    assert.match(await page.textContent("#lookup-result"), /^In the cohort\. t-001/);

    await tabTo((f) => f.text === "Forget cohort…", "Forget cohort…");
    await page.keyboard.press("Enter");
    assert.equal((await focused()).text, "Cancel", "the confirm step starts on Cancel");
    await page.keyboard.press("Enter");
    assert.equal((await focused()).text, "Forget cohort…", "cancelled: focus is back");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Shift+Tab");
    assert.equal((await focused()).text, `Forget ${TRIAL}`);
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => !document.getElementById("view-cohorts").hidden && !document.querySelector(`#cohorts tr[data-cohort="${id}"]`), TRIAL);
    await idle(page);
    assert.equal(await page.textContent("#status"), `Forgot cohort ${TRIAL}.`);
    assert.equal((await focused()).id, "cohorts-h");
    assert.equal((await worker.get(`/cohorts/${TRIAL}`)).status, 404);
    await page.finish();
  });

  test("forget a cohort, with a confirm step; the list then shows its empty state", T, async () => {
    const page = await open();
    await signIn(page);
    await openCohort(page, POWER);
    await page.click("#forget button");
    assert.match(await page.textContent("#forget .confirm"), new RegExp(`^Forget cohort ${POWER}\\? Its members, sessions, page log, outbox and dead letters are deleted`));
    await page.click("#forget .confirm button:text('Cancel')");
    assert.equal((await worker.get(`/cohorts/${POWER}`)).status, 200, "cancelled: still there");
    await page.click("#forget button");
    await page.click(`#forget .confirm button:text('Forget ${POWER}')`);
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    assert.equal((await worker.get(`/cohorts/${POWER}`)).status, 404);
    assert.equal(await page.isVisible("#cohorts-empty"), true, "no cohort left");
    // Its view, asked for again by address, says it is gone.
    await page.evaluate((id) => (location.hash = `#cohort/${id}`), POWER);
    await page.waitForFunction(() => /No cohort 98765 is synced/.test(document.getElementById("status").textContent));
    await page.finish();
  });
});
