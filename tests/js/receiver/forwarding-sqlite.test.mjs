// Forwarding (tests/js/behaviour/forwarding.mjs) on the Node receiver (createReceiver
// behind a real http server) on a SQLite file.
import { forwardingBehaviour } from "../behaviour/forwarding.mjs";
import { nodeReceiver } from "./node-harness.mjs";

forwardingBehaviour(nodeReceiver("sqlite"));
