// The cohort-sync webhook Worker: Mixpanel POSTs cohort pages to /webhook; each cohort's
// membership lives in its own Durable Object (cohort.js). The routes, answers and the
// per-cohort logic are the package's receiver ("cohort-sync/receiver", the same code the
// Node receiver runs); this Worker only says where each object lives.
import { handleRequest } from "cohort-sync/receiver";
import { workerHost } from "./host.js";

export { CohortObject } from "./cohort.js";
export { ProfilesObject } from "./profiles.js";
export { RegistryObject } from "./registry.js";

export default {
  fetch(request, env) {
    return handleRequest(request, env, workerHost(env));
  },
};
