// Each card of the console reads its own route, so each says its own state: loading (a
// first read under way), refreshing (what it shows stays meanwhile), failed (nothing to
// show: why, and "Try again"), or out of date (a refresh failed: what it shows stays,
// marked, with when it was read and why the refresh failed). One slow or failing route
// never leaves another card blank or the page saying "Refreshed." over old figures.
import { el } from "../dom.js";
import { ApiError } from "./api.js";
import { localTime, timeNode } from "./time.js";

/**
 * The state of one card: `section` (its element; gets `data-state` and `aria-busy`),
 * `what` (its name in a sentence: "the syncs"), `context.fail` for what only signing in
 * again can fix (wrong credentials). `line` is where the state is said (made when not
 * given, at the top of the card after its heading). Returns `{ run(draw, again), reset(), ok }`:
 * `run(draw)` awaits `draw()` (which fetches, then draws only once it has everything)
 * and resolves to whether it succeeded; "Try again" runs `again()` (default: `run(draw)`),
 * for a draw that awaits a read shared with another card.
 */
export function cardState(section, what, context, line = null) {
  // A card drawn again (another cohort's dead letters) keeps its one state line.
  const kept = line ?? section.querySelector(":scope > .card-state");
  const state = kept ?? el("p", { className: "card-state", hidden: true });
  if (!kept) {
    const heading = section.querySelector("h2, h3");
    if (heading) heading.after(state);
    else section.prepend(state);
  }
  let shownAt = null; // when what the card shows was read
  let reads = 0;
  let last = null; // the draw to try again

  const say = (kind, ...parts) => {
    state.dataset.kind = kind;
    state.replaceChildren(...parts);
    state.hidden = parts.length === 0;
  };
  const retry = () => {
    const button = el("button", { type: "button", className: "button small-button" }, "Try again");
    button.addEventListener("click", () => last?.());
    return button;
  };

  async function run(draw, again = () => run(draw, again)) {
    last = again;
    const read = ++reads;
    section.setAttribute("aria-busy", "true");
    section.dataset.state = shownAt === null ? "loading" : "refreshing";
    if (shownAt === null) say("loading", `Loading ${what}…`);
    try {
      await draw();
      if (read !== reads) return true;
      shownAt = new Date();
      section.dataset.state = "ready";
      section.classList.remove("stale");
      say("ready");
      return true;
    } catch (error) {
      if (read !== reads) return false;
      if (error instanceof ApiError && error.kind === "credentials") {
        context.fail(error);
        return false;
      }
      if (!(error instanceof ApiError)) console.error(error);
      const why = error instanceof ApiError ? error.message : `Something went wrong in this page: ${error?.message ?? error}`;
      if (shownAt === null) {
        section.dataset.state = "error";
        say("error", el("strong", {}, `Could not load ${what}. `), why, " ", retry());
      } else {
        section.dataset.state = "stale";
        section.classList.add("stale");
        say(
          "stale",
          el("strong", {}, "Out of date. "),
          `Refreshing ${what} failed at ${localTime(new Date()).slice(11)}: ${why} Shown: what was read at `,
          timeNode(shownAt.toISOString()),
          ". ",
          retry(),
        );
      }
      return false;
    } finally {
      if (read === reads) section.removeAttribute("aria-busy");
    }
  }

  /** Forgets what was shown (another cohort's view starts afresh). */
  function reset() {
    reads++;
    shownAt = null;
    last = null;
    section.classList.remove("stale");
    section.removeAttribute("aria-busy");
    delete section.dataset.state;
    say("ready");
  }

  return {
    run,
    reset,
    get ok() {
      return section.dataset.state === "ready";
    },
  };
}
