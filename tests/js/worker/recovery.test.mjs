// Faults outside the receiver (tests/js/behaviour/recovery.mjs) on the Worker in workerd
// (Miniflare).
import { recoveryBehaviour } from "../behaviour/recovery.mjs";
import { worker } from "./worker-harness.mjs";

recoveryBehaviour(worker);
