// CORS for the operators' routes (tests/js/behaviour/cors.mjs) on the Worker in workerd
// (Miniflare).
import { corsBehaviour } from "../behaviour/cors.mjs";
import { worker } from "./worker-harness.mjs";

corsBehaviour(worker);
