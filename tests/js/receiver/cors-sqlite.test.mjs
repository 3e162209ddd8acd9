// CORS for the operators' routes (tests/js/behaviour/cors.mjs) on the Node receiver
// (createReceiver behind a real http server) on a SQLite file.
import { corsBehaviour } from "../behaviour/cors.mjs";
import { nodeReceiver } from "./node-harness.mjs";

corsBehaviour(nodeReceiver("sqlite"));
