// The kept size history and dead letters' identity (tests/js/behaviour/history.mjs) on the
// Node receiver (createReceiver behind a real http server) on a SQLite file.
import { historyBehaviour } from "../behaviour/history.mjs";
import { nodeReceiver } from "./node-harness.mjs";

historyBehaviour(nodeReceiver("sqlite"));
