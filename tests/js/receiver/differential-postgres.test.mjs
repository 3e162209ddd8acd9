// The differential check against CohortState (tests/js/behaviour/differential.mjs) on the
// Node receiver (createReceiver behind a real http server) on PostgreSQL: a database of
// its own in a throwaway cluster.
import { differentialBehaviour } from "../behaviour/differential.mjs";
import { nodeReceiver } from "./node-harness.mjs";

differentialBehaviour(nodeReceiver("postgres"));
