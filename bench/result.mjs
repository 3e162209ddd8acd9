// One machine-readable line per measured comparison, which bench/run-all.mjs collects
// into bench/RESULTS.md: `RESULT {"what", "ours", "plain", "unit", "ratio", "goal"}`.
export function result(what, ours, plain, { unit = "ms", goal = "", plainLabel = "plain JS" } = {}) {
  const ratio = plain ? ours / plain : null;
  console.log(`RESULT ${JSON.stringify({ what, ours, plain, unit, ratio, goal, plainLabel })}`);
}
