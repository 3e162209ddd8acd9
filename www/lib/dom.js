// Small DOM helpers shared by the panels. No framework: elements are built with el()
// and text is always set as text (never as HTML), so nothing in a payload can inject.

/** The element with this id (throws early if the markup and the script disagree). */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node;
}

/**
 * A new element: `el("td", { className: "num" }, "42")`. Attributes starting with
 * "data-" or "aria-" (and `role`) are set as attributes, the rest as properties.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** `fn` called once `ms` after the last call (the latest arguments win); `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = 0;
  const call = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  call.cancel = () => clearTimeout(timer);
  return call;
}

/** "1 member", "2 members". */
export function plural(n, word, many = `${word}s`) {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}

/** 1536 → "1.5 KB". */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

/** A `CohortSyncError` (or anything thrown) as "code: message". */
export function errorText(error) {
  return error?.code ? `${error.code}: ${error.message}` : String(error?.message ?? error);
}

/**
 * Shows a verdict (`headline`, then `detail`) in `box`'s `.verdict-text`, with `state` on
 * the box. The live region is touched only when what it says changes, not on every
 * keystroke.
 */
export function showVerdict(box, state, headline, detail) {
  box.dataset.state = state;
  const text = box.querySelector(".verdict-text");
  if (text.dataset.key === `${headline}|${detail}`) return;
  text.dataset.key = `${headline}|${detail}`;
  text.replaceChildren(el("span", { className: "verdict-headline" }, headline));
  if (detail) text.append(" ", el("span", { className: "verdict-detail" }, detail)); // the space: for textContent and screen readers
}
