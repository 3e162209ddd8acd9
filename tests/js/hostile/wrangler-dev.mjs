// The hostile-HTTP table (cases.mjs) against the Worker under `wrangler dev`, started by
// `node scripts/hostile-wrangler.mjs --suite` (HOSTILE_ORIGIN, and HOSTILE_PERSIST, the
// folder its --persist-to keeps the Durable Objects in). Not a *.test.mjs: npm test runs
// the same table in Miniflare (worker.test.mjs), where no dev proxy stands in front.
import { hostileBehaviour } from "../behaviour/hostile.mjs";
import { persistSnapshot } from "./stores.mjs";

const { HOSTILE_ORIGIN: origin, HOSTILE_PERSIST: persist } = process.env;
if (!origin || !persist) throw new Error("run by scripts/hostile-wrangler.mjs --suite (HOSTILE_ORIGIN and HOSTILE_PERSIST unset)");

hostileBehaviour(async () => ({ name: "worker", origin, snapshot: persistSnapshot(persist), stop: async () => {} }));
