// Where the receiver's objects live in the Worker: each cohort in a Durable Object named
// by its id, the profiles and the registry in one object each. The stubs' methods are
// the objects' (RPC), so they are the handles routes.js asks for.
export function workerHost(env) {
  return {
    cohort: (cohortId) => env.COHORTS.get(env.COHORTS.idFromName(cohortId)),
    // Every id has an object; one never written answers its reads as absent and stores nothing.
    existingCohort: async (cohortId) => env.COHORTS.get(env.COHORTS.idFromName(cohortId)),
    profiles: () => env.PROFILES.get(env.PROFILES.idFromName("profiles")),
    registry: () => env.REGISTRY.get(env.REGISTRY.idFromName("registry")),
  };
}
