// The webhook and the read routes (tests/js/behaviour/webhook.mjs) on the Node receiver
// (createReceiver behind a real http server) on a SQLite file.
import { webhookBehaviour } from "../behaviour/webhook.mjs";
import { nodeReceiver } from "./node-harness.mjs";

webhookBehaviour(nodeReceiver("sqlite"));
