// Faults outside the receiver (tests/js/behaviour/recovery.mjs) on the Node receiver
// (createReceiver behind a real http server) on PostgreSQL: a database of its own in a
// throwaway cluster.
import { recoveryBehaviour } from "../behaviour/recovery.mjs";
import { nodeReceiver } from "./node-harness.mjs";

recoveryBehaviour(nodeReceiver("postgres"));
