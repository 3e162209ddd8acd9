// The differential check against CohortState (tests/js/behaviour/differential.mjs) on the
// Node receiver (createReceiver behind a real http server) on a SQLite file.
import { differentialBehaviour } from "../behaviour/differential.mjs";
import { nodeReceiver } from "./node-harness.mjs";

differentialBehaviour(nodeReceiver("sqlite"));
