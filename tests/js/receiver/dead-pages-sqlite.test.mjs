// Dead pages (tests/js/behaviour/dead-pages.mjs) on the Node receiver (createReceiver
// behind a real http server) on a SQLite file.
import { deadPagesBehaviour } from "../behaviour/dead-pages.mjs";
import { nodeReceiver } from "./node-harness.mjs";

deadPagesBehaviour(nodeReceiver("sqlite"));
