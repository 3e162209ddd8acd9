// The operators' routes (tests/js/behaviour/operator.mjs) on the Node receiver
// (createReceiver behind a real http server) on PostgreSQL: a database of its own in a
// throwaway cluster.
import { operatorBehaviour } from "../behaviour/operator.mjs";
import { nodeReceiver } from "./node-harness.mjs";

operatorBehaviour(nodeReceiver("postgres"));
