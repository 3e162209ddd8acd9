// Times as the console shows them: the moment in the reader's time zone, to the second
// (sync pages arrive seconds apart), with how long ago in words.
import { el } from "../dom.js";

const pad = (n) => String(n).padStart(2, "0");

/** "2026-11-30 14:59:03" in local time. */
export function localTime(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
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

/** A `<time>` for an ISO timestamp with its age, or `fallback` text for null. */
export function timeNode(iso, fallback = "—") {
  if (iso === null || iso === undefined) return el("span", { className: "muted" }, fallback);
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el("span", {}, String(iso));
  return el("span", { className: "when" }, el("time", { dateTime: iso }, localTime(date)), " ", el("span", { className: "muted ago" }, `(${ago(date)})`));
}

/** The reader's time zone, e.g. "Europe/Paris". */
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone ?? "your time zone";
