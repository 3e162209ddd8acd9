// Benchmark: many cohorts syncing at once into the one Mixpanel profiles object, which
// keeps every user's SegmentMembership (worker/src/profiles.js), in real workerd. Each
// cohort's full sync of new members is posted page by page, all cohorts at once; the
// clock stops when every cohort has applied its pages and the profiles object has sent
// every /engage update (a local recorder answers them).
//   node bench/profiles.bench.mjs                      # 40 cohorts × 5 pages of 1000
//   COHORTS=40 PAGES=10 OVERLAP=0.5 node bench/profiles.bench.mjs
// OVERLAP is the share of users each cohort has in common with the others (a user in
// several cohorts has one SegmentMembership listing them all).
import { planSync } from "cohort-sync";
import { startRecorder, startWorker } from "../tests/js/worker/worker-harness.mjs";
import { result } from "./result.mjs";

const COHORTS = Number(process.env.COHORTS ?? 40);
const PAGES = Number(process.env.PAGES ?? 5);
const OVERLAP = Number(process.env.OVERLAP ?? 0.5);
const SHARED = Math.round(1000 * PAGES * OVERLAP);
// Requests in flight at once: the local runtime's front end resets connections past a
// few dozen, so the cohorts' pages take turns through this many.
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 8);
let slots = IN_FLIGHT;
const waiting = [];
async function inTurn(fn) {
  if (slots === 0) await new Promise((go) => waiting.push(go));
  else slots--;
  try {
    return await fn();
  } finally {
    if (waiting.length > 0) waiting.shift()();
    else slots++;
  }
}

/** Cohort `c`'s users: the shared ones first, then its own. */
const users = (c) => Array.from({ length: 1000 * PAGES }, (_, i) => (i < SHARED ? `shared-${i}` : `c${c}-${i}`));

const engage = await startRecorder(() => [200, "1"]);
const w = await startWorker({ vars: { MIXPANEL_TOKEN: "t", MIXPANEL_ENGAGE_URL: engage.url } });
try {
  console.log(`profiles benchmark: ${COHORTS} cohorts × ${PAGES} pages of 1000 new members (${OVERLAP * 100}% of each cohort's users in every cohort), ${IN_FLIGHT} requests in flight, ${new Date().toISOString().slice(0, 10)}`);
  const started = performance.now();
  const answers = [];
  await Promise.all(
    Array.from({ length: COHORTS }, async (_, c) => {
      const bodies = planSync(null, users(c), { projectId: "1", cohortId: `bench-${c}`, cohortName: `Bench ${c}`, sessionId: "s1", batchSize: 1000 });
      for (const body of bodies) {
        const t = performance.now();
        // A page sent again is a replay the Worker recognises, so a connection the local
        // front end reset is simply tried again.
        const r = await inTurn(async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await w.post(body);
            } catch (error) {
              if (attempt === 3 || error?.cause?.code !== "ECONNRESET") throw error;
            }
          }
        });
        answers.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`cohort ${c}: ${r.status} ${r.text}`);
      }
    }),
  );
  const posted = performance.now() - started;
  for (;;) {
    const outboxes = await Promise.all(Array.from({ length: COHORTS }, async (_, c) => (await w.get(`/cohorts/bench-${c}`)).json.outbox.pending));
    const profiles = await (await w.profiles()).counts();
    if (outboxes.every((n) => n === 0) && profiles.pending === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const total = performance.now() - started;
  const updates = COHORTS * 1000 * PAGES;
  answers.sort((a, b) => a - b);
  const median = answers[answers.length >> 1];
  console.log(`  pages answered: median ${median.toFixed(1)} ms; all posted after ${(posted / 1000).toFixed(1)} s`);
  console.log(`  every SegmentMembership update sent after ${(total / 1000).toFixed(1)} s: ${updates.toLocaleString("en")} membership changes, ${engage.received.length} /engage bodies, ${(total / updates * 1000).toFixed(1)} µs a change`);
  result(`profiles object, ${COHORTS} cohorts at once: until every /engage update is sent, per membership change`, (total / updates) * 1000, null, { unit: "µs", plainLabel: "no plain-JS counterpart" });
  result(`profiles object, ${COHORTS} cohorts at once: page answer median`, median, null, { plainLabel: "no plain-JS counterpart" });

  // The object alone, one change of 1000 users at a time, nothing else running: what one
  // object can take, whatever else the machine does (all objects share one thread here).
  const profiles = await w.profiles();
  const times = [];
  for (let i = 0; i < 40; i++) {
    const ids = Array.from({ length: 1000 }, (_, k) => `alone-${(i * 1000 + k) % 20000}`);
    const t = performance.now();
    await profiles.record(`alone:${i}`, { cohortId: `alone-${i % 4}`, cohortName: `Alone ${i % 4}`, member: i % 8 !== 7, ids });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const per = times[times.length >> 1];
  console.log(`  the profiles object alone: ${per.toFixed(1)} ms for a change of 1000 users (median of 40): at most ${Math.round(1000 / per * 1000).toLocaleString("en")} membership changes a second`);
  result("profiles object alone: a change of 1000 users", per, null, { plainLabel: "no plain-JS counterpart" });
} finally {
  await w.destroy();
  await engage.close();
}
