// The setting of the fault and recovery suites: a receiver (whichever host `start`
// starts) forwarding to a CleverTap stand-in that records every upload, with retries
// at most 100 ms apart.
import { after, before } from "node:test";
import { eventually, startRecorder } from "../worker/worker-harness.mjs";

/**
 * Registers the suite's before/after; `fixture.w` and `fixture.recorder` are set once
 * `fixture.started` resolves (another top-level hook must await it: they run at once).
 */
export function cleverTapFixture(start, options = {}) {
  const fixture = {
    w: null,
    recorder: null,
    /** The Partner Sync events CleverTap received, as "identity:Action", in order. */
    syncs: () => fixture.recorder.received.flatMap((r) => r.json.d.filter((x) => x.type === "event").map((x) => `${x.identity}:${x.evtData.Action}`)),
    /** Resolves once the cohort's outbox is empty. */
    drained: (cohortId) => eventually(async () => (await fixture.w.get(`/cohorts/${cohortId}`)).json.outbox.pending === 0, 20_000, "an empty outbox"),
  };
  let started;
  fixture.started = new Promise((resolve) => (started = resolve));
  before(async () => {
    fixture.recorder = await startRecorder();
    fixture.w = await start({
      ...options,
      vars: { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: fixture.recorder.url, FORWARD_RETRY_MAX_MS: "100" },
    });
    started();
  });
  after(async () => {
    await fixture.w?.destroy();
    await fixture.recorder?.close();
  });
  return fixture;
}
