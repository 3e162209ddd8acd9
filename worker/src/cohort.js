// One cohort's Durable Object: the receiver's Cohort (the package's, shared with the Node
// receiver) on the object's own SQLite storage and alarm. The object runs one event at a
// time between awaits, and the runtime holds the RPC reply (and so the Worker's 200) until
// the transaction is durable.
import { DurableObject } from "cloudflare:workers";
import { Cohort, storageDatabase } from "cohort-sync/receiver";
import { workerHost } from "./host.js";
import { settings } from "./settings.js";

export class CohortObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.cohort = new Cohort(storageDatabase(ctx.storage), { settings, name: ctx.id.toString().slice(0, 16), host: workerHost(env) });
  }

  apply(page) {
    return this.cohort.apply(page);
  }

  info() {
    return this.cohort.info();
  }

  has(id) {
    return this.cohort.has(id);
  }

  lookup(id) {
    return this.cohort.lookup(id);
  }

  list(limit, cursor) {
    return this.cohort.list(limit, cursor);
  }

  syncs(limit) {
    return this.cohort.syncs(limit);
  }

  refused(sessionId, action, reason) {
    return this.cohort.refused(sessionId, action, reason);
  }

  deadLetters(limit) {
    return this.cohort.deadLetters(limit);
  }

  redriveDeadLetters(ids) {
    return this.cohort.redriveDeadLetters(ids);
  }

  dropDeadLetters(ids) {
    return this.cohort.dropDeadLetters(ids);
  }

  deadPages(limit) {
    return this.cohort.deadPages(limit);
  }

  redriveDeadPages(ids) {
    return this.cohort.redriveDeadPages(ids);
  }

  dropDeadPages(ids) {
    return this.cohort.dropDeadPages(ids);
  }

  forget() {
    return this.cohort.forget();
  }

  loggedPages() {
    return this.cohort.loggedPages();
  }

  alarm() {
    return this.cohort.alarm();
  }
}
