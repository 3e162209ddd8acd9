// The webhook and the read routes (tests/js/behaviour/webhook.mjs) on the Worker in
// workerd (Miniflare).
import { webhookBehaviour } from "../behaviour/webhook.mjs";
import { worker } from "./worker-harness.mjs";

webhookBehaviour(worker);
