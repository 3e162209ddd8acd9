#!/usr/bin/env node
// `npx cohort-sync …`: validate webhook bodies, replay Mixpanel's side of a sync
// against an endpoint, or run a receiver. The commands live in ./cli/; this file only dispatches.
import { readFileSync } from "node:fs";
import { didYouMean } from "./cli/args.mjs";

const HELP = `Usage: cohort-sync <command> [options]

Commands:
  validate FILE…             check Mixpanel Cohort Sync webhook bodies
  replay --url URL SCENARIO  play Mixpanel's side of a sync against a webhook
  serve [--db FILE]          run the webhook receiver on a SQLite file
  load --object OBJECT …     load rows from a file or a query into Mixpanel
  help [command]             help for a command

Run 'cohort-sync <command> --help' for its options. --version prints the version.

Exit status: 0 success, 1 the check or the replay found a problem,
2 usage error or a file that cannot be read (each command's --help says more).`;

/** The options taken before a command (each command's own come after it). */
const GLOBAL_OPTIONS = ["help", "version"];

const COMMANDS = {
  validate: () => import("./cli/validate.mjs"),
  replay: () => import("./cli/replay.mjs"),
  serve: () => import("./cli/serve.mjs"),
  load: () => import("./cli/load.mjs"),
};

async function run(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    (command ? process.stdout : process.stderr).write(`${HELP}\n`);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-v") {
    const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (command === "help") {
    if (rest.length === 0) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    return run([rest[0], "--help"]);
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    // One line: the whole usage after a typo buries the mistake; --help is one word away.
    const option = command.startsWith("-");
    const guess = option ? didYouMean(command.replace(/^-+/, ""), GLOBAL_OPTIONS, "--") : didYouMean(command, Object.keys(COMMANDS));
    const what = option ? `unknown option ${command}` : `unknown command ${JSON.stringify(command)}`;
    const names = Object.keys(COMMANDS);
    const where = option && !guess ? ` (options go after a command: ${names.slice(0, -1).join(", ")} or ${names.at(-1)})` : "";
    process.stderr.write(`cohort-sync: ${what}${guess}${where}. Try 'cohort-sync --help'.\n`);
    return 2;
  }
  const { main } = await COMMANDS[command]();
  return main(rest);
}

process.exitCode = await run(process.argv.slice(2));
