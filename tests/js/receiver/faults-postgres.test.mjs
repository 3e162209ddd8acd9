// Faults in the store (tests/js/behaviour/store-faults.mjs) on the Node receiver
// (createReceiver behind a real http server) on PostgreSQL: a database of its own in a
// throwaway cluster.
import { storeFaultsBehaviour } from "../behaviour/store-faults.mjs";
import { nodeReceiver } from "./node-harness.mjs";

storeFaultsBehaviour(nodeReceiver("postgres"));
