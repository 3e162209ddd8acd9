// Dead pages (tests/js/behaviour/dead-pages.mjs) on the Node receiver (createReceiver
// behind a real http server) on PostgreSQL: a database of its own in a throwaway cluster.
import { deadPagesBehaviour } from "../behaviour/dead-pages.mjs";
import { nodeReceiver } from "./node-harness.mjs";

deadPagesBehaviour(nodeReceiver("postgres"));
