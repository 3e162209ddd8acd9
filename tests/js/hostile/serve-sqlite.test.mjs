// The hostile-HTTP table (cases.mjs) against `cohort-sync serve --db FILE`.
import { hostileBehaviour } from "../behaviour/hostile.mjs";
import { serveSqliteHost } from "./hosts.mjs";

hostileBehaviour(serveSqliteHost);
