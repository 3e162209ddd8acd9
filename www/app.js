// The validator page's entry: load the package's wasm module (by relative path, so any
// static server of the repository root works), then wire the four tools.
import init from "../pkg/web.js";
import { setupDiff } from "./lib/diff.js";
import { setupSegment } from "./lib/segment.js";
import { setupTabs } from "./lib/tabs.js";
import { setupValidator } from "./lib/validate.js";

const boot = document.getElementById("boot");

try {
  await init();
  // The other tools are set up when their tab is first shown: nothing is drawn that
  // nobody sees.
  const later = { "panel-diff": setupDiff, "panel-segment": setupSegment, "panel-load": setupLoadPanel };
  setupTabs(document.querySelector('[role="tablist"]'), (panel) => {
    later[panel.id]?.();
    delete later[panel.id];
  });
  setupValidator();
  boot.hidden = true;
  document.documentElement.dataset.ready = "true"; // tests wait for this
} catch (error) {
  boot.classList.add("error-text");
  boot.textContent =
    `The WebAssembly module could not be loaded (${error?.message ?? error}). ` +
    "Build the package first (npm run build) and serve the repository root, e.g. node scripts/serve.mjs.";
  throw error;
}

// The "Load rows" tool borrows the loader's mapping module from the package, so it is
// imported when its tab is first shown: should that module stop loading in a browser,
// this tab says so and the other tools still work.
async function setupLoadPanel() {
  const panel = document.getElementById("panel-load");
  try {
    const { setupLoad } = await import("./lib/load.js");
    setupLoad();
  } catch (error) {
    const note = document.createElement("p");
    note.className = "error-text";
    note.setAttribute("role", "alert");
    note.textContent = `This tool could not start: ${error?.message ?? error}`;
    panel.prepend(note);
    throw error;
  }
  panel.dataset.ready = "true"; // tests wait for this
}
