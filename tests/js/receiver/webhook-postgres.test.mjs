// The webhook and the read routes (tests/js/behaviour/webhook.mjs) on the Node receiver
// (createReceiver behind a real http server) on PostgreSQL: a database of its own in a
// throwaway cluster.
import { webhookBehaviour } from "../behaviour/webhook.mjs";
import { nodeReceiver } from "./node-harness.mjs";

webhookBehaviour(nodeReceiver("postgres"));
