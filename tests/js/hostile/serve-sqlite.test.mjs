// The hostile-HTTP table (cases.mjs) against `cohort-sync serve --db FILE`.
import { serveSqliteHost } from "./hosts.mjs";
import { hostileSuite } from "./run.mjs";

hostileSuite(serveSqliteHost);
