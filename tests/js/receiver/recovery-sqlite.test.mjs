// Faults outside the receiver (tests/js/behaviour/recovery.mjs) on the Node receiver
// (createReceiver behind a real http server) on a SQLite file.
import { recoveryBehaviour } from "../behaviour/recovery.mjs";
import { nodeReceiver } from "./node-harness.mjs";

recoveryBehaviour(nodeReceiver("sqlite"));
