// The Worker's settings, read and checked once, when the script is loaded: a bad value
// (a typo in MAX_BODY_BYTES, a URL that is not one) throws there, naming the setting, so
// the Worker fails to deploy or to start (`wrangler deploy`, `wrangler dev`) instead of
// taking a request. The fetch handler and every Durable Object read this one object.
import { env } from "cloudflare:workers";
import { readSettings } from "cohort-sync/receiver";

export const settings = readSettings(env);
