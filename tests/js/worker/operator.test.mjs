// The operators' routes (tests/js/behaviour/operator.mjs) on the Worker in workerd
// (Miniflare).
import { operatorBehaviour } from "../behaviour/operator.mjs";
import { worker } from "./worker-harness.mjs";

operatorBehaviour(worker);
