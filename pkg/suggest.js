// What a mistyped name was most likely meant to be: the command line's options and the
// receiver's settings both ask. Imports nothing, so that whatever imports it stays free
// of the wasm (`cohort-sync serve --help` lists the settings without loading it).

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
