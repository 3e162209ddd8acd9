// The hostile-HTTP table (cases.mjs) against the Worker in workerd (Miniflare).
import { hostileBehaviour } from "../behaviour/hostile.mjs";
import { workerHost } from "./hosts.mjs";

hostileBehaviour(workerHost);
