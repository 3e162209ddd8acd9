// The registry's Durable Object (which cohorts are synced here): the receiver's Registry
// on the object's own SQLite storage.
import { DurableObject } from "cloudflare:workers";
import { Registry, storageDatabase } from "cohort-sync/receiver";

export class RegistryObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.registry = new Registry(storageDatabase(ctx.storage));
  }

  note(cohortId, what) {
    return this.registry.note(cohortId, what);
  }

  has(cohortId) {
    return this.registry.has(cohortId);
  }

  forget(cohortId) {
    return this.registry.forget(cohortId);
  }

  list() {
    return this.registry.list();
  }
}
