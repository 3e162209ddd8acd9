// `cohort-sync serve` as npm installs it (node_modules/.bin/cohort-sync), in a process of
// its own: started, waited for until it prints its URL, stopped by a signal. Processes
// still running when the test file ends are killed.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after } from "node:test";

export const BIN = join(process.cwd(), "node_modules/.bin/cohort-sync");
const running = new Set();
after(() => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts `cohort-sync serve --port 0 ...args` with `env` (and PATH); resolves to
 * `{ origin, stop(signal = "SIGTERM") }` once it listens; `stop` resolves to `{ code,
 * signal, stdout, stderr }`. Rejects with its stderr if it exits first.
 */
export async function serve(args, env = {}) {
  const child = spawn(BIN, ["serve", "--port", "0", ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => (running.delete(child), resolve({ code, signal, stdout, stderr }))));
  const origin = await new Promise((resolve, reject) => {
    child.stdout.on("data", (c) => {
      stdout += c;
      const found = /listening on (http:\/\/\S+)/.exec(stdout);
      if (found) resolve(found[1]);
    });
    exited.then((r) => reject(new Error(`serve exited (${r.code}): ${r.stderr}`)));
  });
  return { origin, stop: (signal = "SIGTERM") => (child.kill(signal), exited), output: () => ({ stdout, stderr }) };
}
