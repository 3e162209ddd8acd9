// The profiles' Durable Object (SegmentMembership across cohorts): the receiver's
// Profiles on the object's own SQLite storage and alarm.
import { DurableObject } from "cloudflare:workers";
import { Profiles, storageDatabase } from "cohort-sync/receiver";
import { workerHost } from "./host.js";
import { settings } from "./settings.js";

export class ProfilesObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.profiles = new Profiles(storageDatabase(ctx.storage), { settings, host: workerHost(env) });
  }

  record(key, change) {
    return this.profiles.record(key, change);
  }

  audiences(distinctId) {
    return this.profiles.audiences(distinctId);
  }

  counts() {
    return this.profiles.counts();
  }

  deadLetters(limit) {
    return this.profiles.deadLetters(limit);
  }

  redriveDeadLetters(ids) {
    return this.profiles.redriveDeadLetters(ids);
  }

  dropDeadLetters(ids) {
    return this.profiles.dropDeadLetters(ids);
  }

  alarm() {
    return this.profiles.alarm();
  }
}
