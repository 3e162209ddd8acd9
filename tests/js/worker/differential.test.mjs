// The differential check against CohortState (tests/js/behaviour/differential.mjs) on the
// Worker in workerd (Miniflare).
import { differentialBehaviour } from "../behaviour/differential.mjs";
import { worker } from "./worker-harness.mjs";

differentialBehaviour(worker);
