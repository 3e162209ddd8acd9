// The cohort-sync webhook Worker: Mixpanel POSTs cohort pages to /webhook; each cohort's
// membership lives in its own Durable Object (cohort.js). The routes, answers and the
// per-cohort logic are the package's receiver ("cohort-sync/receiver", the same code the
// Node receiver runs); this Worker only says where each object lives, and reads into
// nothing a body the routes answered without reading (linger.js). Its settings are read
// once, as the script loads (settings.js).
import { handleRequest } from "cohort-sync/receiver";
import { workerHost } from "./host.js";
import { answerWhileDraining, bodyLeft } from "./linger.js";
import { settings } from "./settings.js";

export { CohortObject } from "./cohort.js";
export { ProfilesObject } from "./profiles.js";
export { RegistryObject } from "./registry.js";

export default {
  async fetch(request, env, ctx) {
    const response = await handleRequest(request, settings, workerHost(env));
    // A body the routes left unread (a refusal) is read into nothing after the answer.
    return bodyLeft(request) ? answerWhileDraining(request.body, response, ctx) : response;
  },
};
