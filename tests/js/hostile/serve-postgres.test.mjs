// The hostile-HTTP table (cases.mjs) against `cohort-sync serve --postgres URL`, on a
// database of its own in a throwaway PostgreSQL cluster (scripts/pg-cluster.mjs).
import { hostileBehaviour } from "../behaviour/hostile.mjs";
import { servePostgresHost } from "./hosts.mjs";

hostileBehaviour(servePostgresHost);
