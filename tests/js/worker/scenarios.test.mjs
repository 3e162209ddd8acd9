// The shared membership scenarios (tests/js/behaviour/scenarios.mjs) on the Worker in
// workerd (Miniflare).
import { scenariosBehaviour } from "../behaviour/scenarios.mjs";
import { worker } from "./worker-harness.mjs";

scenariosBehaviour(worker);
