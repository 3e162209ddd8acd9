// Benchmark: building every destination request for one page of 1000 members joining
// (CleverTap uploads, Braze cohort changes, the profiles hand-off), inside real workerd,
// with the receiver's own code (pkg/receiver/forward.js `changeRequests`) on the page as
// the receiver holds it when it applies it (pkg/receiver/page.js: the body read once by
// the wasm, whose members the builders read in place).
// workerd's clocks stand still while code runs, so the time is taken from outside: a
// request that builds the page's requests 1 + ROUNDS times against one that builds them
// once, the difference divided by ROUNDS. For comparison, in the same runtime, the two
// earlier ways: the members' texts joined into a change body that one forwardingRequests
// call read again ("joined"), and before that each member parsed and written again into
// a change body, then CleverTap's and Braze's builders each reading that body.
//   node bench/forwarding.bench.mjs
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { planSync } from "../pkg/node.js";
import { result } from "./result.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = join(root, "pkg");
const entry = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).exports["."].workerd;
const ROUNDS = Number(process.env.ROUNDS ?? 50);

const member = (i) => ({ distinctId: `5f1c0b7e-0000-4a8e-9c1d-${String(i).padStart(8, "0")}aaaa`, email: `user${i}@example.com`, firstName: "Ada", lastName: "Lovelace", phoneNumber: `+1415555${String(i).padStart(4, "0")}`, properties: { plan: "pro", $braze_external_id: `bz-${i}` } });
const [page] = planSync(null, Array.from({ length: 1000 }, (_, i) => member(i)), { projectId: "1", cohortId: "bench", cohortName: "Bench", sessionId: "s", batchSize: 1000 });

const WORKER = `
import { brazeCohortChanges, cleverTapUploads, forwardingRequests, validatePayload } from "cohort-sync";
import { changeRequests } from "./pkg/receiver/forward.js";
import { ReadPage } from "./pkg/receiver/page.js";
const env = { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", BRAZE_API_KEY: "k", BRAZE_COHORT_URL: "http://127.0.0.1:9/braze", MIXPANEL_TOKEN: "t" };
const body = ${JSON.stringify(page)};
const bytes = new TextEncoder().encode(body);
const report = validatePayload(body, { ids: true, memberSpans: true });
const added = report.ids.map((id, i) => [id, body.slice(report.memberSpans[2 * i], report.memberSpans[2 * i + 1])]);
// As the receiver applies the page: read once, the joiners as the store returns them.
const read = () => new ReadPage(bytes, { partChars: 500_000, texts: true });
const held = read();
const joiners = report.ids.map((id, i) => [id, held.kept(i, id), i]);
function asBefore() {
  const members = added.map(([id, data]) => ({ ...JSON.parse(data), mixpanel_distinct_id: id }));
  const changes = JSON.stringify({ action: "add_members", parameters: { mixpanel_project_id: "1", mixpanel_cohort_id: "bench", mixpanel_cohort_name: "Bench", mixpanel_cohort_description: "", mixpanel_session_id: "s", page_info: { page_count: 1, total_pages: 1 }, members } });
  return [cleverTapUploads(changes, { format: "json" }), brazeCohortChanges(changes, {}).map((r) => JSON.stringify(r))];
}
function joined() {
  const head = JSON.stringify({ action: "add_members", parameters: { mixpanel_project_id: "1", mixpanel_cohort_id: "bench", mixpanel_cohort_name: "Bench", mixpanel_cohort_description: "", mixpanel_session_id: "s", page_info: { page_count: 1, total_pages: 1 }, members: [] } });
  const changes = head.slice(0, -"]}}".length) + added.map(([, data]) => data).join(",") + "]}}";
  return forwardingRequests(changes, { clevertap: {}, braze: {} });
}
// The parts of "now": the apply's one read of the body, and the builders on the page held.
const parts = {
  read: () => read().free(),
  build: () => held.requests(false, joiners, { clevertap: {}, braze: {} }),
  joined,
};
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n"));
    let made = 0;
    const way = url.searchParams.get("way");
    for (let i = 0; i < n; i++) {
      if (way === "before") made += asBefore().length;
      else if (way in parts) made += parts[way]() ? 1 : 0;
      else made += changeRequests(env, held, joiners, []).length;
    }
    return new Response(String(made));
  },
};`;

const RULES = [
  [/\.m?js$/, "ESModule"],
  [/\.wasm$/, "CompiledWasm"],
];
const typeOf = (file) => RULES.find(([re]) => re.test(file))?.[1];
const pkgFiles = readdirSync(pkgDir, { recursive: true })
  .map(String)
  .filter((f) => !f.startsWith("node_modules") && !f.startsWith("cli") && !f.startsWith("scenarios") && typeOf(f))
  .map((f) => join(pkgDir, f));
const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  cf: false,
  compatibilityDate: "2024-09-23",
  modulesRoot: root,
  modules: [
    { type: "ESModule", path: join(root, "bench-worker.mjs"), contents: WORKER },
    // A bare "cohort-sync" resolves next to the importer (the receiver's files import the
    // package's by relative path, and are among pkgFiles).
    { type: "ESModule", path: join(root, "cohort-sync"), contents: `export * from "./pkg/${entry.replace(/^\.\//, "")}";` },
    ...pkgFiles.map((path) => ({ type: typeOf(path), path })),
  ],
});
try {
  const origin = (await mf.ready).origin;
  const timed = async (way, n) => {
    const t = performance.now();
    const res = await fetch(`${origin}/?way=${way}&n=${n}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${res.status}: ${text}`);
    return performance.now() - t;
  };
  const per = async (way) => {
    const samples = [];
    for (let i = 0; i < 5; i++) samples.push(((await timed(way, 1 + ROUNDS)) - (await timed(way, 1))) / ROUNDS);
    return samples.sort((a, b) => a - b)[2];
  };
  await per("now"); // warm-up: compile, allocate
  await per("before");
  const now = await per("now");
  const before = await per("before");
  const [read, build, joinedMs] = [await per("read"), await per("build"), await per("joined")];
  console.log(`forwarding benchmark in workerd: every destination request of a 1000-member page (CleverTap, Braze, profiles), median of 5 × ${ROUNDS}`);
  console.log(`  now (the page the wasm holds, its joiners read in place): ${now.toFixed(2)} ms a page`);
  console.log(`  joined (kept texts joined into a change body, one forwardingRequests call): ${joinedMs.toFixed(2)} ms a page`);
  console.log(`  as before (members parsed and written again, one builder call each):  ${before.toFixed(2)} ms a page`);
  console.log(`  parts: the apply's read of the body ${read.toFixed(2)} ms (not in "now": the store needs it anyway), the builders' call ${build.toFixed(2)} ms`);
  result("Worker in workerd: every destination request of a 1000-member page", now, before, { goal: "≤ 2 ms", plainLabel: "parse, re-serialise, a builder each" });
} finally {
  await mf.dispose();
}
