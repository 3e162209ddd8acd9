// The shared membership scenarios (tests/js/behaviour/scenarios.mjs) on the Node receiver
// (createReceiver behind a real http server) on a SQLite file.
import { scenariosBehaviour } from "../behaviour/scenarios.mjs";
import { nodeReceiver } from "./node-harness.mjs";

scenariosBehaviour(nodeReceiver("sqlite"));
