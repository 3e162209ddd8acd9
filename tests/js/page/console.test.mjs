// The operator console (www/console.html) in real headless Chromium against the real
// Worker in workerd (tests/js/worker/worker-harness.mjs), the page served by
// scripts/serve.mjs from another origin, as `npm start` does, so every call goes through
// the Worker's CORS (CONSOLE_ORIGINS). Real syncs are POSTed to /webhook; the CleverTap
// and Mixpanel destinations are recorders on 127.0.0.1 that refuse (400) until told
// otherwise, so real dead letters appear. Also: keyboard only, axe-core, and screenshots
// (1280 px, 360 px, dark) in <root>/test-results/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { planSync } from "cohort-sync";
import { CREDENTIALS, eventually, startRecorder, startWorker } from "../worker/worker-harness.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const T = { timeout: 120_000 };

function findRoot() {
  if (process.env.COHORT_SYNC_ROOT) return resolve(process.env.COHORT_SYNC_ROOT);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "www/console.html")) && existsSync(join(dir, "scripts/serve.mjs"))) return dir;
    if (dirname(dir) === dir) throw new Error("console.test: no ancestor of this file holds www/console.html (set COHORT_SYNC_ROOT)");
  }
}

const root = findRoot();
const results = join(root, "test-results");
const POWER = "98765"; // a full sync in 3 pages, then a diff: 22 members, dead letters
const TRIAL = "4242"; // a full sync with a page missing, and a refused page
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
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it (apt-get install -y chromium; scripts/setup.sh does)`);
  const { startStaticServer } = await import(pathToFileURL(join(root, "scripts/serve.mjs")).href);
  server = await startStaticServer({ root, port: 0 });
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
  const { chromium } = createRequire(join(root, "package.json"))("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
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
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, bypassCSP });
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

    await signIn(page);
    assert.equal(await page.isVisible("#signin-error"), false);
    assert.equal(await page.isVisible("#view-cohorts"), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "cohorts-h", "focus moves to the new view");
    assert.equal(await page.textContent("#session-url"), worker.origin);
    assert.equal(await page.inputValue("#password"), "", "the password field is emptied");
    const rows = await page.$$eval("#cohorts tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, " ").trim())));
    assert.deepEqual(await texts(page, "#cohorts thead th"), ["Cohort", "Members", "Outbox", "Full sync under way", "Last page", "Last full sync completed"]);
    const power = rows.find((r) => r[0].startsWith("Power users"));
    const trial = rows.find((r) => r[0].startsWith("Trial users"));
    assert.equal(power[0], `Power users${POWER}`);
    assert.equal(power[1], "22");
    assert.match(power[2], /^\d+ pending · [4-9] dead$/);
    assert.equal(power[3], "no");
    assert.match(power[4], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \((just now|\d+ s ago)\)$/);
    assert.match(power[5], /full-1$/, "the last full sync completed (diffs are not full syncs)");
    assert.equal(trial[1], "8");
    assert.equal(trial[3], "trial-full3 pages", "the full sync under way");
    assert.equal(trial[5], "none yet");
    assert.match(await page.textContent("#profiles-outbox"), /Outbox: \d+ pending · \d+ dead/);
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
      assert.match(await page.textContent("#profiles-outbox"), /0 pending · 0 dead/);
      await page.finish();
    } finally {
      await empty.destroy();
    }
  });

  test("a cohort: its sync timeline, and the member lookup for a member, one who left and one never seen", T, async () => {
    const page = await open();
    await signIn(page);
    await openCohort(page, TRIAL);
    assert.equal(await page.evaluate(() => document.activeElement.id), "cohort-h");
    assert.ok(page.url().endsWith(`#cohort/${TRIAL}`), "the view has an address");
    const trial = await texts(page, "#syncs li");
    assert.equal(trial.length, 1);
    assert.match(trial[0], /^WAITING trial-full · members The full sync is under way: its removals happen when the last page lands\. Missing page 2\. Pages 2 of 3 pages/);
    assert.match(trial[0], /Changes \+8 added · −0 removed · 0 replays · 1 refused Last refusal .*wrong_type/);

    await page.click(".back a");
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    await openCohort(page, POWER);
    const summary = Object.fromEntries(
      await page.$$eval("#cohort-summary dt", (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent.replace(/\s+/g, " ").trim()])),
    );
    assert.equal(summary["Cohort id"], POWER);
    assert.equal(summary.Members, "22");
    assert.equal(summary["Latest session"], "diff-1");
    assert.equal(summary["Full sync under way"], "no");
    assert.equal(summary["Dead pages"], "none");
    assert.equal(await page.isHidden("#cohort-dead-pages"), true, "the dead pages card shows only when one is held");
    const syncs = await page.$$eval("#syncs li", (lis) => lis.map((li) => [li.dataset.session, li.dataset.status, li.querySelector(".figures").textContent, li.querySelector(".sync-facts dd").textContent]));
    assert.deepEqual(syncs, [
      ["diff-1", "complete", "+0 added · −3 removed · 0 replays · 0 refused", "1 of 1 page"],
      ["diff-1", "complete", "+0 added · −0 removed · 0 replays · 0 refused", "1 of 1 page"],
      ["full-1", "complete", "+25 added · −0 removed · 0 replays · 0 refused", "3 of 3 pages"],
    ]);
    assert.match(await page.textContent("#syncs li:last-child .sync-why"), /Every page arrived and was applied\./);

    assert.match(await lookup(page, "u-010"), /^In the cohort\. u-010 has been a member since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(.+\) \(session full-1\)\.$/);
    assert.match(await lookup(page, "u-001"), /^Not in the cohort\. u-001 is not a member\. It last left \d{4}-.+ \(session diff-1\)\.$/);
    assert.match(await lookup(page, "nobody here/?#"), /^Not in the cohort\. nobody here\/\?# is not a member\. No departure is recorded/);
    await page.finish();
  });

  test("axe-core finds no violations in any view, light or dark", T, async () => {
    for (const colorScheme of ["light", "dark"]) {
      // bypassCSP: axe is injected as a script the page's CSP would refuse.
      const page = await open({ colorScheme, bypassCSP: true });
      const check = async (what) => {
        await page.addScriptTag({ path: join(root, "node_modules/axe-core/axe.min.js") });
        const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
        assert.deepEqual(found, [], `${what}, ${colorScheme}`);
      };
      await check("sign in");
      await signIn(page, { password: "wrong" });
      await check("sign in, refused");
      await signIn(page);
      await check("cohorts");
      await openCohort(page, POWER);
      await lookup(page, "u-010");
      await page.click("#cohort-dead .letter details summary");
      await page.click("#cohort-dead .letter .danger-outline");
      await check("a cohort, a dead letter open, a drop being confirmed");
      await page.finish();
    }
  });

  test("screenshots: 1280 px, 360 px and dark; nothing overflows sideways", T, async () => {
    for (const [name, width, height, colorScheme] of [["desktop", 1280, 900, "light"], ["mobile", 360, 780, "light"], ["desktop-dark", 1280, 900, "dark"], ["mobile-dark", 360, 780, "dark"]]) {
      const page = await open({ width, height, colorScheme });
      await shot(page, `console-${name}-signin.png`);
      await signIn(page);
      await shot(page, `console-${name}-cohorts.png`);
      await openCohort(page, POWER);
      await lookup(page, "u-001");
      await page.click("#cohort-dead .letter details summary");
      await shot(page, `console-${name}-cohort.png`);
      // The confirm step, and the sign-in's refusal, close up.
      await page.click("#cohort-dead .letter .danger-outline");
      await page.locator("#cohort-dead .letter").first().screenshot({ path: join(results, `console-${name}-confirm.png`) });
      await page.click("#sign-out");
      await signIn(page, { password: "wrong" });
      await page.locator("#signin").screenshot({ path: join(results, `console-${name}-refused.png`) });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `no horizontal page scroll at ${width}px`);
      await page.finish();
    }
  });

  test("dead letters: drop one (after a confirm), redrive one, redrive all; the profiles object's too", T, async () => {
    const page = await open();
    await signIn(page);
    await openCohort(page, POWER);
    const before = await letterIds(page, "#cohort-dead");
    assert.ok(before.length >= 4, `dead letters listed: ${before}`);
    assert.equal(await page.textContent("#cohort-dead-count"), String(before.length));
    const [first] = await texts(page, "#cohort-dead .letter");
    // CleverTap refused the whole request: its status and an excerpt of its answer.
    assert.match(first, new RegExp(`^CLEVERTAP #${before[0]} failed \\d{4}-.+ · 1 attempt Redrive Drop… HTTP 400: \\{"status":"fail","error":"Invalid account id"\\} `));
    assert.match(await page.textContent("#cohort-dead .letter .url"), new RegExp(`^${clevertap.url}/1/upload$`));

    // Drop: a confirm step first; Cancel keeps it.
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

    // Redrive one, the destination now taking it.
    refuse = false;
    const received = clevertap.received.length;
    await page.click(`#cohort-dead .letter[data-id="${before[1]}"] .letter-actions .button:not(.danger-outline)`);
    await page.waitForSelector(`#cohort-dead .letter[data-id="${before[1]}"]`, { state: "detached" });
    assert.match(await page.textContent("#status"), /^Sent 1 dead letter again: it is back at the end of its destination's queue\.$/);
    await eventually(() => clevertap.received.length > received, 20_000, "the redriven request delivered");

    // Redrive all.
    await page.click("#cohort-dead .letters-toolbar .button:not(.danger-outline)");
    await page.waitForSelector("#cohort-dead .letter", { state: "detached" });
    assert.match(await page.textContent("#status"), new RegExp(`^Sent ${before.length - 2} dead letters again`));
    assert.equal(await page.isVisible("#cohort-dead .empty"), true);
    // The counts are read again after each action (the latest read is the one drawn); then
    // focus goes to what is left of the list, here its empty state, not to <body>.
    await page.waitForFunction(() => document.getElementById("cohort-dead-count").textContent === "");
    await page.waitForFunction(() => document.activeElement.matches("#cohort-dead .empty"));
    assert.match(await page.textContent("#cohort-summary"), /Outbox\d+ pending · 0 dead/);
    await eventually(async () => (await worker.get(`/cohorts/${POWER}`)).json.outbox.pending === 0, 20_000, "the outbox drained");
    assert.equal(clevertap.received.length, received + before.length - 1, "each redriven letter delivered once");

    // The profiles object's, from the cohorts view.
    await page.click(".back a");
    await page.waitForSelector("#view-cohorts:not([hidden])");
    await idle(page);
    assert.ok((await letterIds(page, "#profiles-dead")).length >= 1);
    await page.click("#profiles-dead .letters-toolbar .button:not(.danger-outline)");
    await page.waitForSelector("#profiles-dead .letter", { state: "detached" });
    await eventually(async () => (await worker.get("/profiles")).json.outbox.pending === 0, 20_000, "the profiles outbox drained");
    await page.click("#refresh");
    await page.waitForFunction(() => document.getElementById("status").textContent === "Refreshed.");
    assert.match(await page.textContent("#profiles-outbox"), /0 pending · 0 dead/);
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
