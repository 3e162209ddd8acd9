// A dead-letter list (a cohort's, or the profiles object's): what a destination refused
// for good. Letters refused by the same destination with the same error are one group,
// counted, with what they carried in all and the error in words (the answer as recorded
// one click away); each letter is inside its group, with its own buttons. A redrive is
// followed until the destination has answered: a letter refused again comes back under
// its own id (the Worker keeps it), and the console says so.
import { el, plural } from "../dom.js";
import { confirmInline } from "./confirm.js";
import { cardState } from "./card.js";
import { localTime, timeNode } from "./time.js";

const LIMIT = 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A destination's name as its owner writes it. */
export function destinationName(dest) {
  return { clevertap: "CleverTap", braze: "Braze", mixpanel: "Mixpanel", profiles: "the profiles object" }[dest] ?? dest;
}

const STATUS_TEXT = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
  410: "Gone", 413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
};

/** The reason inside a destination's answer: its `error`, `message` or `errors`, else null. */
function reasonIn(answer) {
  try {
    const body = JSON.parse(answer);
    const found = body?.error?.message ?? body?.error ?? body?.message ?? body?.errors;
    if (Array.isArray(found)) return found.map((e) => (typeof e === "string" ? e : e?.message ?? JSON.stringify(e))).join("; ");
    if (typeof found === "string") return found;
  } catch {
    // Cut at 200 characters, or not JSON: the first quoted reason, if one is there.
  }
  const quoted = /"(?:error|message)"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(answer);
  return quoted ? quoted[1].replace(/\\(.)/g, "$1") : null;
}

/**
 * An error as a person reads it: CleverTap's per-record failures (a JSON array of `{
 * record, code, error }`) as a count and their reasons; `HTTP 400: {…}` as who refused
 * what, why and the status in words; anything else as it is, cut at 240 characters.
 */
export function errorWords(error, dest = null) {
  const who = dest ? destinationName(dest) : "The destination";
  const Who = who.charAt(0).toUpperCase() + who.slice(1);
  try {
    const records = JSON.parse(error);
    if (Array.isArray(records) && records.length > 0 && records.every((r) => r !== null && typeof r === "object")) {
      const reasons = [...new Set(records.map((r) => r.error ?? (r.code !== undefined ? `code ${r.code}` : "no reason given")))];
      // The Worker records the first few failures only, so this is what is listed, not a total.
      return `${Who} refused some records: ${reasons.slice(0, 3).join("; ")}${reasons.length > 3 ? "; …" : ""} (${plural(records.length, "record")} listed)`;
    }
  } catch {
    // Not a list of records.
  }
  const http = /^HTTP (\d{3}): ?([\s\S]*)$/.exec(error);
  if (http) {
    const status = Number(http[1]);
    const reason = reasonIn(http[2]);
    const code = `HTTP ${status}${STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : ""}`;
    return reason ? `${Who} refused it: “${reason}” (${code})` : `${Who} refused it (${code})${http[2] ? `: ${cut(http[2], 160)}` : ""}`;
  }
  const mixpanel = /^Mixpanel: ([\s\S]*)$/.exec(error);
  if (mixpanel) return `Mixpanel did not take the update: “${cut(reasonIn(mixpanel[1]) ?? mixpanel[1], 200)}”`;
  return cut(error, 240);
}

const cut = (text, n) => (text.length > n ? `${text.slice(0, n)}…` : text);

/** What letters carried, added up: "6 joins and 2 departures", "3 profile updates", or null when not recorded. */
export function carriedWords(letters) {
  const known = letters.map((l) => l.carried).filter(Boolean);
  if (known.length === 0) return null;
  const sum = (key) => known.reduce((n, c) => n + (c[key] ?? 0), 0);
  const records = sum("records");
  if (known.every((c) => c.joins === null)) return plural(records, "profile update");
  const joins = sum("joins");
  const departures = sum("departures");
  const parts = [joins > 0 ? plural(joins, "join") : null, departures > 0 ? plural(departures, "departure") : null].filter(Boolean);
  const moves = parts.length > 0 ? parts.join(" and ") : "no joins or departures";
  const rest = records - joins - departures;
  const more = rest > 0 ? `, with ${plural(rest, "profile record")}` : "";
  const unknown = known.length < letters.length ? ` (${plural(letters.length - known.length, "letter")} not counted)` : "";
  return `${moves}${more}${unknown}`;
}

/**
 * `act(buttons, work)` for a list of dead things: runs `work()` with its buttons
 * disabled, says what it did (or shows why it failed), then `refresh()`es whatever
 * happened. Shared with the dead pages' list.
 */
export function actions(context, refresh) {
  return async (buttons, work) => {
    for (const b of buttons) b.disabled = true;
    try {
      context.say(await work());
    } catch (error) {
      context.fail(error);
    } finally {
      for (const b of buttons) b.disabled = false;
      await refresh();
    }
  };
}

/**
 * Draws into `container` (inside its card's <section>) the dead letters at `path` (e.g.
 * "/cohorts/42/dead-letters"). `context`: `{ client, say(text), fail(error) }`, read at
 * each call (the client changes when the operator signs in again). `changed()` runs
 * after each action so the caller can refresh its counts; `pending()` resolves to how
 * many requests the outbox still holds (a redrive is followed until none of its letters
 * is waiting). Returns `{ load() }`, which resolves to the letters shown.
 */
export function createDeadLetters(container, path, context, { changed = () => {}, pending = async () => 0 } = {}) {
  const card = cardState(container.closest("section"), "the dead letters", context);
  const redriveAll = el("button", { type: "button", className: "button" }, "Redrive all");
  const dropAll = el("button", { type: "button", className: "button danger-outline" }, "Drop all…");
  const toolbar = el("div", { className: "toolbar letters-toolbar" }, redriveAll, dropAll);
  // Focusable from script only: when the last letter goes, focus lands here, not on <body>.
  const empty = el("p", { className: "empty", tabIndex: -1 }, "No dead letters: every destination took what was sent to it, or is still being tried.");
  const news = el("p", { className: "letters-news", hidden: true });
  const more = el("p", { className: "note" });
  const list = el("ol", { className: "letter-groups" });
  container.replaceChildren(toolbar, news, empty, list, more);
  let shown = [];
  /** Letters redriven and not answered yet: id -> redrives counted before. */
  const watched = new Map();

  const act = actions(context, async () => {
    await load();
    await changed();
  });

  /** Redrives `ids` (null: all) of `letters`, then follows them until the destination answered. */
  async function redrive(ids, letters, buttons) {
    const before = new Map(letters.map((l) => [l.id, l.redriven?.times ?? 0]));
    const query = ids === null ? "" : `?ids=${ids.join(",")}`;
    let sent = 0;
    await act(buttons, async () => {
      sent = (await context.client.post(`${path}/redrive${query}`)).redriven;
      for (const [id, times] of before) watched.set(id, times);
      return `Sent ${plural(sent, "dead letter")} again: ${sent === 1 ? "it is" : "they are"} back in the outbox, waiting for the destination's answer…`;
    });
    focusAfter();
    if (sent > 0) await follow(before);
  }

  /** Reads the letters again a few times until every redriven one is answered (refused again, or gone from the outbox). */
  async function follow(before) {
    let back = [];
    let waiting = 0;
    for (const delay of [600, 1200, 2000, 3000, 5000]) {
      await sleep(delay);
      await load();
      back = shown.filter((l) => before.has(l.id) && (l.redriven?.times ?? 0) > before.get(l.id));
      waiting = await pending().catch(() => null);
      if (back.length === before.size || waiting === 0) break;
    }
    for (const id of before.keys()) watched.delete(id);
    const n = before.size;
    const first = back.map((l) => l.failedAt).sort()[0];
    let said;
    if (back.length === n) {
      const errors = new Set(back.map((l) => l.error));
      said = `${n === 1 ? `Dead letter #${back[0].id} was` : `All ${n} redriven letters were`} refused again at ${localTime(new Date(first))}${errors.size === 1 ? `: ${errorWords(back[0].error ?? "", back[0].destination)}` : ""}. ${n === 1 ? "It is" : "They are"} listed again under the same ${n === 1 ? "id" : "ids"}.`;
    } else if (back.length > 0) {
      said = `${back.length} of the ${n} redriven letters were refused again (first at ${localTime(new Date(first))}); ${waiting ? `${plural(waiting, "request")} still wait in the outbox.` : "the others were delivered."}`;
    } else if (waiting === 0) {
      said = `Delivered: the destination took ${n === 1 ? "the redriven letter" : `the ${n} redriven letters`}.`;
    } else {
      said = `No answer yet for ${n === 1 ? "the redriven letter" : `the ${n} redriven letters`}: ${plural(waiting ?? 0, "request")} still ${waiting === 1 ? "waits" : "wait"} in the outbox, tried again with backoff. Refresh to see.`;
    }
    news.textContent = said;
    news.hidden = false;
    context.say(said);
    await changed();
  }

  redriveAll.addEventListener("click", () => redrive(null, shown, [redriveAll, dropAll]));
  dropAll.addEventListener("click", async () => {
    const n = shown.length;
    const question = `Drop ${n >= LIMIT ? "every" : n === 1 ? "the" : `all ${n}`} dead letter${n === 1 ? "" : "s"} for good? The changes they carry will never reach their destinations.`;
    if (!(await confirmInline(dropAll, question, "Drop them"))) return;
    await act([redriveAll, dropAll], async () => `Dropped ${plural((await context.client.del(path)).dropped, "dead letter")}.`);
    focusAfter();
  });

  /** One letter of a group; `alone`: the group's buttons are its own. */
  function letterItem(letter, alone) {
    const redriveButton = el("button", { type: "button", className: "button", "aria-label": `Redrive dead letter ${letter.id}` }, "Redrive");
    const drop = el("button", { type: "button", className: "button danger-outline", "aria-label": `Drop dead letter ${letter.id}…` }, "Drop…");
    redriveButton.addEventListener("click", () => redrive([letter.id], [letter], [redriveButton, drop]));
    drop.addEventListener("click", async () => {
      const question = `Drop dead letter ${letter.id} for good? Its change will never reach ${destinationName(letter.destination)}.`;
      if (!(await confirmInline(drop, question, "Drop it"))) return;
      await act([redriveButton, drop], async () => `Dropped ${plural((await context.client.del(`${path}?ids=${letter.id}`)).dropped, "dead letter")}.`);
      focusAfter();
    });
    const carried = carriedWords([letter]);
    const again = letter.redriven
      ? [
          el("span", { className: "badge warn" }, "failed again"),
          el("span", { className: "muted" }, ` redriven ${letter.redriven.times === 1 ? "once" : `${letter.redriven.times} times`}, last `),
          timeNode(letter.redriven.lastAt),
        ]
      : [];
    return el(
      "li",
      { className: `letter${letter.redriven ? " is-again" : ""}`, "data-id": letter.id },
      el(
        "p",
        { className: "letter-head" },
        el("strong", {}, `#${letter.id}`),
        el("span", { className: "muted" }, " failed "),
        timeNode(letter.failedAt),
        el("span", { className: "muted" }, ` · ${plural(letter.attempts, "attempt")} · `),
        carried ? `carried ${carried}` : el("span", { className: "muted" }, "what it carried is not recorded"),
        again.length ? [el("br"), ...again] : null,
      ),
      alone ? null : el("div", { className: "letter-actions" }, redriveButton, drop),
      el(
        "details",
        { className: "letter-request" },
        el("summary", {}, "The request sent"),
        el("p", { className: "mono url" }, letter.request?.url ?? "(an internal call: no URL)"),
        letter.request?.body
          ? [el("p", { className: "note" }, "Its body (the first 300 characters):"), el("pre", { className: "code", tabIndex: 0, "aria-label": `Body of dead letter ${letter.id}, as sent (first 300 characters)` }, letter.request.body)]
          : null,
      ),
    );
  }

  function groupItem(letters) {
    const [{ destination, error }] = letters;
    const raw = error ?? "(no error recorded)";
    const n = letters.length;
    const ids = letters.map((l) => l.id);
    const name = destinationName(destination);
    const redriveGroup = el("button", { type: "button", className: "button" }, n === 1 ? "Redrive" : `Redrive these ${n}`);
    const dropGroup = el("button", { type: "button", className: "button danger-outline" }, n === 1 ? "Drop…" : `Drop these ${n}…`);
    // Each name starts with what the button shows (WCAG 2.5.3), then says which letters.
    redriveGroup.setAttribute("aria-label", n === 1 ? `Redrive dead letter ${ids[0]}` : `Redrive these ${n}: the dead letters ${name} refused with this error`);
    dropGroup.setAttribute("aria-label", n === 1 ? `Drop dead letter ${ids[0]}…` : `Drop these ${n}…: the dead letters ${name} refused with this error`);
    redriveGroup.addEventListener("click", () => redrive(ids, letters, [redriveGroup, dropGroup]));
    dropGroup.addEventListener("click", async () => {
      const question = `Drop ${n === 1 ? `dead letter ${ids[0]}` : `these ${n} dead letters`} for good? The changes they carry will never reach ${name}.`;
      if (!(await confirmInline(dropGroup, question, n === 1 ? "Drop it" : "Drop them"))) return;
      await act([redriveGroup, dropGroup], async () => `Dropped ${plural((await context.client.del(`${path}?ids=${ids.join(",")}`)).dropped, "dead letter")}.`);
      focusAfter();
    });
    const attempts = letters.map((l) => l.attempts);
    const [low, high] = [Math.min(...attempts), Math.max(...attempts)];
    const times = letters.map((l) => l.failedAt).sort();
    const carried = carriedWords(letters);
    const again = letters.filter((l) => l.redriven).length;
    return el(
      "li",
      { className: "letter-group", "data-destination": destination, "data-count": String(n) },
      el(
        "p",
        { className: "group-head" },
        el("span", { className: "badge warn" }, name),
        " ",
        el("strong", { className: "group-count" }, plural(n, "dead letter")),
        again > 0 ? [" ", el("span", { className: "badge" }, `${again} failed again`)] : null,
      ),
      el("div", { className: "letter-actions" }, redriveGroup, dropGroup),
      el("p", { className: "letter-error" }, errorWords(raw, destination)),
      el(
        "p",
        { className: "group-facts" },
        carried ? `${n === 1 ? "It" : "They"} carried ${carried}. ` : "",
        n === 1 ? "Failed " : "Failed from ",
        timeNode(times[0]),
        n === 1 ? "" : [" to ", timeNode(times[times.length - 1])],
        `, after ${low === high ? plural(low, "attempt") : `${low}–${high} attempts`}${n === 1 ? "" : " each"}.`,
      ),
      el(
        "details",
        { className: "letter-raw" },
        el("summary", {}, `${name.charAt(0).toUpperCase() + name.slice(1)}'s answer, as recorded`),
        el("pre", { className: "code", tabIndex: 0, "aria-label": `The error as recorded, for ${plural(n, "dead letter")} to ${name}` }, raw),
      ),
      el("details", { className: "letter-list", open: n === 1 }, el("summary", {}, n === 1 ? `Letter #${ids[0]}` : `The ${n} letters`), el("ol", { className: "letters" }, letters.map((l) => letterItem(l, n === 1)))),
    );
  }

  /** After an action, focus stays in the list (the first action left, else the empty state). */
  function focusAfter() {
    (list.querySelector(".letter-group > .letter-actions .button") ?? empty).focus();
  }

  async function load() {
    let letters = shown;
    const ok = await card.run(async () => {
      letters = (await context.client.get(`${path}?limit=${LIMIT}`)).deadLetters;
      shown = letters;
      const groups = new Map();
      for (const letter of letters) {
        const key = `${letter.destination}\u0000${letter.error ?? ""}`;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(letter);
      }
      list.replaceChildren(...[...groups.values()].map(groupItem));
      empty.hidden = letters.length > 0;
      toolbar.hidden = groups.size < 2 && letters.length < LIMIT;
      more.textContent = letters.length >= LIMIT ? `The oldest ${LIMIT} are shown, grouped; "Redrive all" and "Drop all" act on every one.` : "";
      if (letters.length === 0 && watched.size === 0) news.hidden = true;
    });
    return ok ? letters : shown;
  }

  return { load };
}
