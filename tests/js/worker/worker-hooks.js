// Test-only: the Worker with fault hooks on its cohort objects, wired in as the main
// module by worker-harness.mjs (`startWorker({ hooks: true })`). The production classes
// have no hooks; these subclasses add them from outside:
// - "fail-before-apply": storage unavailable before anything is written;
// - "fail-in-transaction": a write fails mid-apply, so the transaction rolls back;
// - "fail-after-commit": the page is stored but the answer is lost.
import { CohortObject as ProductionCohortObject } from "../../../worker/src/cohort.js";

export { default } from "../../../worker/src/index.js";
export { ProfilesObject } from "../../../worker/src/profiles.js";
export { RegistryObject } from "../../../worker/src/registry.js";

export class CohortObject extends ProductionCohortObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.fault = null;
    const log = this.cohort.log;
    const append = log.append.bind(log);
    const hooked = this;
    log.append = function* (record, body) {
      yield* append(record, body);
      if (hooked.fault === "fail-in-transaction") throw new Error("injected: storage failed mid-apply");
    };
  }

  async apply(page) {
    if (this.fault === "fail-before-apply") throw new Error("injected: storage unavailable");
    const logged = await super.apply(page);
    if (this.fault === "fail-after-commit") throw new Error("injected: the runtime died after the write, before the answer");
    return logged;
  }

  /** `null` clears. */
  setFault(fault) {
    this.fault = fault;
  }
}
