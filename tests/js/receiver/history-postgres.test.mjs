// The kept size history and dead letters' identity (tests/js/behaviour/history.mjs) on the
// Node receiver (createReceiver behind a real http server) on PostgreSQL: a database of
// its own in a throwaway cluster.
import { historyBehaviour } from "../behaviour/history.mjs";
import { nodeReceiver } from "./node-harness.mjs";

historyBehaviour(nodeReceiver("postgres"));
