// The shared membership scenarios (tests/js/behaviour/scenarios.mjs) on the Node receiver
// (createReceiver behind a real http server) on PostgreSQL: a database of its own in a
// throwaway cluster.
import { scenariosBehaviour } from "../behaviour/scenarios.mjs";
import { nodeReceiver } from "./node-harness.mjs";

scenariosBehaviour(nodeReceiver("postgres"));
