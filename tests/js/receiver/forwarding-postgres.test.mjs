// Forwarding (tests/js/behaviour/forwarding.mjs) on the Node receiver (createReceiver
// behind a real http server) on PostgreSQL: a database of its own in a throwaway cluster.
import { forwardingBehaviour } from "../behaviour/forwarding.mjs";
import { nodeReceiver } from "./node-harness.mjs";

forwardingBehaviour(nodeReceiver("postgres"));
