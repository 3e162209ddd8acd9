// The hostile-HTTP table (cases.mjs) against the Worker in workerd (Miniflare).
import { workerHost } from "./hosts.mjs";
import { hostileSuite } from "./run.mjs";

hostileSuite(workerHost);
