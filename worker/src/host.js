// Where the receiver's objects live in the Worker: each cohort in a Durable Object named
// by its id, the profiles and the registry in one object each. The stubs' methods are
// the objects' (RPC), so they are the handles routes.js asks for.
export function workerHost(env) {
  return {
    cohort: (cohortId) => env.COHORTS.get(env.COHORTS.idFromName(cohortId)),
    // Every id has an object, and waking one makes its storage: the registry, told of
    // each cohort before its first page is answered 200, says which exist.
    existingCohort: async (cohortId) =>
      (await env.REGISTRY.get(env.REGISTRY.idFromName("registry")).has(cohortId)) ? env.COHORTS.get(env.COHORTS.idFromName(cohortId)) : null,
    profiles: () => env.PROFILES.get(env.PROFILES.idFromName("profiles")),
    registry: () => env.REGISTRY.get(env.REGISTRY.idFromName("registry")),
  };
}
