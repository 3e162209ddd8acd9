// The kept size history and dead letters' identity (tests/js/behaviour/history.mjs) on the
// Worker in workerd (Miniflare).
import { historyBehaviour } from "../behaviour/history.mjs";
import { worker } from "./worker-harness.mjs";

historyBehaviour(worker);
