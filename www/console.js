// The operator console's entry: the sign-in form, then two views, every cohort and one
// cohort, chosen by the address's hash (#cohort/<id>), so the browser's Back works and
// a cohort's view can be reloaded. The credentials live in `context.client` only: in
// this tab's memory, never in storage or the URL, so a reload asks for them again.
// (sessionStorage would spare that, but any script of this origin, the validator
// included, could read it, and browsers write it to disk to restore sessions.)
//
// Each card reads its own route and says its own state (lib/console/card.js); the line
// under the header says what the last action or refresh did, and never stands above an
// error that contradicts it.
import { ApiError, connect, workerBase } from "./lib/console/api.js";
import { createCohortView } from "./lib/console/cohort-view.js";
import { createCohortsView } from "./lib/console/cohorts-view.js";
import { tickAges, timeZone, utcOffset } from "./lib/console/time.js";
import { $ } from "./lib/dom.js";

const VIEWS = { signin: "view-signin", cohorts: "view-cohorts", cohort: "view-cohort" };
const HEADINGS = { signin: "signin-h", cohorts: "cohorts-h", cohort: "cohort-h" };

const context = {
  client: null,
  say(text) {
    clearMessages();
    $("status").textContent = text;
  },
  fail(error) {
    if (error instanceof ApiError && error.kind === "credentials") return signOut(`${error.message} Sign in again.`);
    $("status").textContent = "";
    $("problem").textContent = error instanceof ApiError ? error.message : `Something went wrong in this page: ${error?.message ?? error}`;
    $("problem").hidden = false;
    if (!(error instanceof ApiError)) console.error(error);
  },
  forgotten(cohortId) {
    context.say(`Forgot cohort ${cohortId}.`);
    location.hash = "#";
  },
};
const cohortsView = createCohortsView(context);
const cohortView = createCohortView(context);

function clearMessages() {
  $("problem").hidden = true;
  $("problem").textContent = "";
}

/** Shows one view; focus goes to its heading, so a screen reader says where it is. */
function showView(name, focus) {
  for (const [key, id] of Object.entries(VIEWS)) $(id).hidden = key !== name;
  if (focus) $(HEADINGS[name]).focus();
}

/**
 * Draws the view the hash names (signed in), with fresh data from the Worker; resolves
 * to whether every card could be read (each says why not).
 */
async function route({ focus = true } = {}) {
  clearMessages();
  if (context.client === null) {
    showView("signin", focus);
    return false;
  }
  const match = /^#cohort\/(.+)$/.exec(location.hash);
  const main = $("main");
  main.setAttribute("aria-busy", "true");
  try {
    if (match) {
      const cohortId = decodeURIComponent(match[1]);
      showView("cohort", false);
      let ok;
      try {
        ok = await cohortView.show(cohortId);
      } catch (error) {
        if (!(error instanceof ApiError && error.kind === "not-found")) throw error;
        context.say(`No cohort ${cohortId} is synced to this Worker (it may have been forgotten).`);
        location.hash = "#";
        return false;
      }
      if (focus) $(HEADINGS.cohort).focus();
      return ok;
    }
    showView("cohorts", false);
    const ok = await cohortsView.load();
    if (focus) $(HEADINGS.cohorts).focus();
    return ok;
  } catch (error) {
    context.fail(error);
    return false;
  } finally {
    main.removeAttribute("aria-busy");
  }
}

function signOut(message = "") {
  context.client = null;
  $("password").value = "";
  $("session").hidden = true;
  context.say("");
  showView("signin", true);
  const error = $("signin-error");
  error.textContent = message;
  error.hidden = message === "";
}

async function signIn(event) {
  event.preventDefault();
  clearMessages();
  const error = $("signin-error");
  const button = $("connect");
  const problem = (text, field) => {
    error.textContent = text;
    error.hidden = false;
    field?.focus();
    // A value that was refused is selected, so typing replaces it.
    if (field && field.value !== "") field.select();
  };
  let base;
  try {
    base = workerBase($("worker-url").value);
  } catch (e) {
    return problem(e.message, $("worker-url"));
  }
  const user = $("user").value;
  const password = $("password").value;
  // A Worker always has both (WEBHOOK_USERNAME, WEBHOOK_PASSWORD; an empty one is none).
  if (user === "") return problem(password === "" ? "Type the Worker's user and password." : "Type the Worker's user.", $("user"));
  if (password === "") return problem("Type the password too: the Worker refuses an empty one.", $("password"));
  error.hidden = true;
  button.disabled = true;
  button.textContent = "Connecting…";
  const candidate = connect(base, user, password);
  try {
    await candidate.get("/cohorts");
  } catch (e) {
    const field = e.kind === "credentials" ? $("password") : $("worker-url");
    return problem(e instanceof ApiError ? e.message : String(e), field);
  } finally {
    button.disabled = false;
    button.textContent = "Connect";
  }
  context.client = candidate;
  $("password").value = "";
  $("session-url").textContent = base;
  $("session-user").textContent = user;
  $("session").hidden = false;
  const ok = await route();
  context.say(ok ? `Signed in to ${base}.` : `Signed in to ${base}, but some cards could not be read: each says why.`);
}

async function refresh() {
  const button = $("refresh");
  button.disabled = true;
  context.say("Refreshing…");
  const ok = await route({ focus: false });
  button.disabled = false;
  if (context.client === null) return; // signed out meanwhile, saying why
  const now = new Date().toLocaleTimeString("en-GB");
  if ($("problem").hidden) context.say(ok ? `Refreshed at ${now}.` : `Refreshed at ${now}, but some cards could not be read: each says why, and shows what it read before, marked out of date.`);
}

const params = new URLSearchParams(location.search);
$("worker-url").value = params.get("worker") ?? location.origin;
$("zone").textContent = `${timeZone()} (${utcOffset()})`;
$("session-zone").textContent = `${timeZone()} (${utcOffset()})`;
$("signin").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signOut("Signed out: the credentials are gone from this tab."));
$("refresh").addEventListener("click", refresh);
window.addEventListener("hashchange", () => route());
tickAges(document);
$("boot").hidden = true;
showView("signin", false);
$(params.get("worker") ? "user" : "worker-url").focus();
document.documentElement.dataset.ready = "true"; // tests wait for this
