// Times as the console shows them: the moment in the reader's time zone, to the second
// (sync pages arrive seconds apart), with how long ago in words, which keeps moving
// (tickAges), and the whole date, zone and UTC on hover.
import { el } from "../dom.js";

const pad = (n) => String(n).padStart(2, "0");

/** "2026-11-30 14:59:03" in local time. */
export function localTime(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** "14:59:03" when `date` is today, else "Nov 30 14:59". */
export function shortTime(date, now = new Date()) {
  const today = date.toDateString() === now.toDateString();
  if (today) return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${date.toLocaleString("en-US", { month: "short" })} ${date.getDate()} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "just now", "5 s ago", "3 min ago", "2 h ago", "4 days ago". */
export function ago(date, now = Date.now()) {
  const s = Math.round((now - date.getTime()) / 1000);
  if (s < 2) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86_400);
  return `${days} ${days === 1 ? "day" : "days"} ago`;
}

/** The reader's time zone, e.g. "Europe/Paris". */
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone ?? "your time zone";

/** The zone's offset from UTC at `date`, e.g. "UTC+01:00". */
export function utcOffset(date = new Date()) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** What a hover says of a moment: "Thursday, 5 December 2026, 14:03:05 Europe/Paris (UTC+01:00); 13:03:05 UTC". */
export function longTime(date) {
  const local = date.toLocaleString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return `${local} ${timeZone()} (${utcOffset(date)}); ${date.toISOString().slice(11, 19)} UTC`;
}

/** A `<time>` for an ISO timestamp with its age, or `fallback` text for null. */
export function timeNode(iso, fallback = "—") {
  if (iso === null || iso === undefined) return el("span", { className: "muted" }, fallback);
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el("span", {}, String(iso));
  return el(
    "span",
    { className: "when" },
    el("time", { dateTime: iso, title: longTime(date) }, localTime(date)),
    " ",
    el("span", { className: "muted ago", "data-at": String(date.getTime()) }, `(${ago(date)})`),
  );
}

/**
 * Keeps every "(… ago)" under `root` true: each second for ages under a minute, and
 * the text is touched only when it changes. Returns a function that stops it.
 */
export function tickAges(root = document) {
  const tick = () => {
    const now = Date.now();
    for (const node of root.querySelectorAll(".ago[data-at]")) {
      const text = `(${ago(new Date(Number(node.dataset.at)), now)})`;
      if (node.textContent !== text) node.textContent = text;
    }
  };
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}
