// Command-line options for the `cohort-sync` commands. util.parseArgs does the splitting;
// it runs non-strict so that every mistake is reported here, in the command's own words
// and with a suggestion, rather than in parseArgs' wording.
import { parseArgs } from "node:util";

/** A mistake in the command line: the command prints `message` and exits 2. */
export class UsageError extends Error {
  name = "UsageError";
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function distance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * What `word` was most likely meant to be: the candidates that start with it
 * (`max` → `max-members`, `max-bytes`), else the nearest one, if it is within about a
 * third of the word's length (a typo, not a different word). Empty when nothing is close.
 */
export function suggestions(word, candidates) {
  const starting = word.length > 1 ? candidates.filter((c) => c.startsWith(word)) : [];
  if (starting.length) return starting;
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best = [];
  let bestDistance = allowed + 1;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestDistance) [best, bestDistance] = [[c], d];
  }
  return best;
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
