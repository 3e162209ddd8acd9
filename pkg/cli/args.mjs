// Command-line options for the `cohort-sync` commands. util.parseArgs does the splitting;
// it runs non-strict so that every mistake is reported here, in the command's own words
// and with a suggestion, rather than in parseArgs' wording.
import { parseArgs } from "node:util";
import { suggestions } from "../suggest.js";

export { suggestions };

/** A mistake in the command line: the command prints `message` and exits 2. */
export class UsageError extends Error {
  name = "UsageError";
}

/** A command's usage complaint on stderr, with where to look; the exit code, 2. */
export function usageError(command, message) {
  process.stderr.write(`cohort-sync ${command}: ${message}\nTry 'cohort-sync ${command} --help'.\n`);
  return 2;
}

/**
 * A command's arguments as `read(argv)` gives them (`{ args }`), or the exit code when
 * there is nothing to run (`{ exit }`): 2 after a usage error (said on stderr), 0 after
 * --help (`help`, text or a function of none, printed on stdout).
 */
export function readCommandLine(command, argv, read, help) {
  let args;
  try {
    args = read(argv);
  } catch (e) {
    if (e instanceof UsageError) return { exit: usageError(command, e.message) };
    throw e;
  }
  if (args.help ?? args.values?.help) {
    process.stdout.write(`${typeof help === "function" ? help() : help}\n`);
    return { exit: 0 };
  }
  return { args };
}

/** " (did you mean --json?)", or "" when nothing is close. */
export function didYouMean(word, candidates, prefix = "") {
  const found = suggestions(word, candidates).map((c) => `${prefix}${c}`);
  return found.length ? ` (did you mean ${found.join(" or ")}?)` : "";
}

function unknownOption(token, spec) {
  const typed = token.rawName.replace(/^-+/, "");
  return new UsageError(`unknown option ${token.rawName}${didYouMean(typed, Object.keys(spec), "--")}`);
}

/**
 * `argv` read against `spec` (parseArgs' `options`): `{ values, positionals }`.
 * Throws `UsageError` for an unknown option, a missing value or a value given to a flag.
 */
export function parseOptions(argv, spec) {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const option = spec[token.name];
    if (!option || (token.rawName.length === 2 && option.short !== token.rawName[1])) throw unknownOption(token, spec);
    if (option.type === "string" && token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
    if (option.type === "string" && !token.inlineValue && /^-./.test(token.value)) {
      // parseArgs takes the next argument as the value even when it is an option.
      throw new UsageError(`${token.rawName} needs a value, not the option ${token.value} (write ${token.rawName}=${token.value} if that is the value)`);
    }
    if (option.type === "boolean" && token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
  }
  return { values, positionals };
}
