// The receiver served by Bun (Bun.serve) or Deno (Deno.serve), written as their users
// would write it: the package imported by name, `receiver.fetch` as the handler. Run by
// runtimes.test.mjs; the store and the credentials come from the environment:
// RECEIVER_DB (a SQLite file) or RECEIVER_POSTGRES (a connection string), and
// WEBHOOK_USERNAME / WEBHOOK_PASSWORD. Prints `listening on <url>` once it answers;
// SIGTERM closes the server and the receiver, then exits 0.
import process from "node:process";
import { createReceiver } from "cohort-sync/receiver";

const env = (name) => process.env[name];
const receiver = createReceiver({
  ...(env("RECEIVER_POSTGRES") ? { postgres: env("RECEIVER_POSTGRES") } : { db: env("RECEIVER_DB") }),
  settings: { WEBHOOK_USERNAME: env("WEBHOOK_USERNAME"), WEBHOOK_PASSWORD: env("WEBHOOK_PASSWORD") },
});
await receiver.ready();

let server;
if (typeof Bun !== "undefined") {
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: receiver.fetch });
  console.log(`listening on ${new URL(server.url).origin}`);
} else {
  const listening = Promise.withResolvers();
  server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: listening.resolve }, receiver.fetch);
  const { hostname, port } = await listening.promise;
  console.log(`listening on http://${hostname}:${port}`);
}

process.on("SIGTERM", async () => {
  // Bun: stop(true) ends open connections too; Deno: shutdown() lets them finish.
  await (typeof Bun !== "undefined" ? server.stop(true) : server.shutdown());
  await receiver.close();
  process.exit(0);
});
