// Forwarding (tests/js/behaviour/forwarding.mjs) on the Worker in workerd (Miniflare).
import { forwardingBehaviour } from "../behaviour/forwarding.mjs";
import { worker } from "./worker-harness.mjs";

forwardingBehaviour(worker);
