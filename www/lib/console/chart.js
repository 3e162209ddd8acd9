// The console's charts, drawn by uPlot (www/vendor/uplot/, copied from the pinned npm
// package by scripts/build.mjs), loaded the first time a chart is drawn: one cohort's
// members and each sync's outcome, and a small members trend per cohort. A chart is a
// picture for the eye (its numbers on hover, or from the keyboard: a cohort's chart is a
// slider over its syncs, whose value is the sync's numbers as text); beside each, the
// same numbers are text (a table, or a label), for screen readers. Without the library
// the tables still show, and the chart says why it is missing.
import { el, plural } from "../dom.js";
import { localTime, shortTime } from "./time.js";

const LIBRARY = new URL("../../vendor/uplot/uPlot.iife.min.js", import.meta.url).href;
const STYLES = new URL("../../vendor/uplot/uPlot.min.css", import.meta.url).href;

let loading = null;

/** uPlot, once its script has loaded (the page's CSP allows scripts of this origin only: it is served here). */
export function loadChartLibrary() {
  loading ??= new Promise((resolve, reject) => {
    if (window.uPlot) return resolve(window.uPlot);
    document.head.append(el("link", { rel: "stylesheet", href: STYLES }));
    const script = el("script", { src: LIBRARY });
    script.addEventListener("load", () => (window.uPlot ? resolve(window.uPlot) : reject(new Error("uPlot did not load"))));
    script.addEventListener("error", () => {
      loading = null;
      reject(new Error("the chart library (vendor/uplot/) is missing: npm run build copies it there"));
    });
    document.head.append(script);
  });
  return loading;
}

/** The page's colours (style.css's variables), read when a chart is drawn: light or dark. */
function colours() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return { fg: v("--fg"), muted: v("--muted"), border: v("--border"), card: v("--card"), accent: v("--accent"), ok: v("--ok"), bad: v("--bad"), warn: v("--warn"), font: v("--font") };
}

// Charts drawn, each redrawn when the colour scheme changes.
const drawn = new Set();
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  for (const redraw of drawn) redraw();
});

/**
 * A chart kept in `box`: `build(uPlot, width)` makes it; it is made again when the
 * scheme changes and resized with its box. Returns a function that removes it.
 */
function keep(box, build) {
  let chart = null;
  const make = () => {
    chart?.destroy();
    box.replaceChildren();
    chart = build(window.uPlot, Math.max(120, Math.floor(box.clientWidth)));
  };
  make();
  const observer = new ResizeObserver(() => {
    const width = Math.max(120, Math.floor(box.clientWidth));
    if (chart && Math.abs(chart.width - width) > 1) chart.setSize({ width, height: chart.height });
  });
  observer.observe(box);
  drawn.add(make);
  return () => {
    observer.disconnect();
    drawn.delete(make);
    chart?.destroy();
    chart = null;
  };
}

/** What a sync's outcome was, in a word for the chart. */
const OUTCOME = { complete: "Complete", waiting: "Waiting", open: "Open", replaced: "Replaced", refused: "Refused" };

/**
 * One cohort's chart into `box`: its members after each sync (a line, left axis) and
 * each sync's outcome (members added above zero, removed below, right axis; refused
 * pages marked at the top; syncs not complete shaded). `syncs`: oldest first, each `{
 * sessionId, actions, at (Date), size (null: not known), added, removed, refused,
 * status }` (at least one). Resolves to a function that removes it.
 *
 * From the keyboard the chart is a slider over the syncs (role slider, so that screen
 * readers leave browse mode and pass the keys on): the arrows, Home and End move its
 * cursor from sync to sync, the hover box shows the numbers, and the slider's value text
 * says them. Focus (by Tab or a click) starts at the sync under the pointer, else the last.
 */
export async function syncChart(box, syncs) {
  const uPlot = await loadChartLibrary();
  const n = syncs.length;
  if (n === 0) throw new Error("no syncs to chart");
  let plot = null;
  // The sync the keyboard is on (null: none since the chart had focus).
  let at = null;
  const place = () => {
    if (at !== null) plot?.setCursor({ left: plot.valToPos(at, "x"), top: plot.over.clientHeight / 2 });
  };
  const value = (i) => {
    box.setAttribute("aria-valuenow", String(i + 1));
    box.setAttribute("aria-valuetext", `Sync ${i + 1} of ${n}: ${tipLines(syncs[i]).map((line) => line.textContent).join("; ")}`);
  };
  const xs = syncs.map((_, i) => i);
  // The members' line last, so it is drawn over the bars.
  const data = [xs, syncs.map((s) => s.added), syncs.map((s) => -s.removed), syncs.map((s) => s.size)];
  const tip = el("div", { className: "chart-tip", "aria-hidden": "true", hidden: true });

  const removePlot = keep(box, (_, width) => {
    const c = colours();
    const dpr = devicePixelRatio || 1;
    const font = `${12}px ${c.font}`;
    const narrow = width < 480;
    const changeMax = Math.max(1, ...syncs.map((s) => Math.max(s.added, s.removed)));
    const sizes = syncs.map((s) => s.size).filter((v) => v !== null);
    const low = sizes.length ? Math.min(...sizes) : 0;
    const high = sizes.length ? Math.max(...sizes) : 1;
    const pad = Math.max(1, Math.round((high - low) * 0.15));
    plot = new uPlot(
      {
        width,
        height: 240,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { size: 9, fill: c.card } },
        scales: {
          x: { time: false, range: () => [-0.5, n - 0.5] },
          members: { range: () => [Math.max(0, low - pad), high + pad] },
          changes: { range: () => [-changeMax * 1.25, changeMax * 1.25] },
        },
        axes: [
          {
            scale: "x",
            stroke: c.muted,
            font,
            grid: { show: false },
            ticks: { stroke: c.border },
            // One label for every few syncs, as many as fit.
            splits: (u) => {
              const step = Math.max(1, Math.ceil((n * 84) / Math.max(1, u.bbox.width / dpr)));
              return xs.filter((i) => (n - 1 - i) % step === 0);
            },
            values: (u, splits) => splits.map((i) => (syncs[i] ? shortTime(syncs[i].at) : "")),
          },
          { scale: "members", label: "Members", labelFont: `600 ${font}`, labelSize: narrow ? 18 : 24, font, stroke: c.muted, grid: { stroke: c.border, width: 1 }, ticks: { stroke: c.border }, size: narrow ? 48 : 64 },
          { scale: "changes", side: 1, label: narrow ? "Added ↑ removed ↓" : "Added (up) / removed (down)", labelFont: `600 ${font}`, labelSize: narrow ? 18 : 24, font, stroke: c.muted, grid: { show: false }, ticks: { stroke: c.border }, values: (u, splits) => splits.map((v) => Math.abs(v).toLocaleString("en-US")), size: narrow ? 40 : 56 },
        ],
        series: [
          {},
          { label: "Added", scale: "changes", stroke: c.ok, fill: c.ok, fillTo: 0, width: 0, paths: uPlot.paths.bars({ size: [0.5, 36] }), points: { show: false } },
          { label: "Removed", scale: "changes", stroke: c.bad, fill: c.bad, fillTo: 0, width: 0, paths: uPlot.paths.bars({ size: [0.5, 36] }), points: { show: false } },
          { label: "Members", scale: "members", stroke: c.accent, width: 2, spanGaps: true, points: { show: true, size: 7, fill: c.accent, stroke: c.card, width: 1.5 } },
        ],
        hooks: {
          // Behind the series: each sync not complete, shaded and named.
          drawClear: [
            (u) => {
              const { ctx } = u;
              const { top, height } = u.bbox;
              ctx.save();
              for (let i = 0; i < n; i++) {
                if (syncs[i].status === "complete") continue;
                const left = u.valToPos(i - 0.5, "x", true);
                const right = u.valToPos(i + 0.5, "x", true);
                ctx.fillStyle = c.border;
                ctx.globalAlpha = 0.45;
                ctx.fillRect(left, top, right - left, height);
              }
              ctx.restore();
            },
          ],
          // Over the series: refused pages and incomplete syncs, marked at the top.
          draw: [
            (u) => {
              const { ctx } = u;
              ctx.save();
              ctx.font = `600 ${11 * dpr}px ${c.font}`;
              ctx.textAlign = "center";
              ctx.textBaseline = "top";
              for (let i = 0; i < n; i++) {
                const x = u.valToPos(i, "x", true);
                let y = u.bbox.top + 3 * dpr;
                if (syncs[i].refused > 0) {
                  ctx.fillStyle = c.bad;
                  ctx.fillText(`✕${syncs[i].refused}`, x, y);
                  y += 14 * dpr;
                }
                if (syncs[i].status !== "complete" && syncs[i].status !== "refused") {
                  ctx.fillStyle = c.muted;
                  ctx.fillText(OUTCOME[syncs[i].status]?.toLowerCase() ?? syncs[i].status, x, y);
                }
              }
              ctx.restore();
            },
          ],
          init: [(u) => u.over.append(tip)],
          // Made again (a colour scheme) or resized while the keyboard is on a sync.
          ready: [() => place()],
          setSize: [() => place()],
          setCursor: [
            (u) => {
              const i = u.cursor.idx;
              if (i == null || !syncs[i]) {
                tip.hidden = true;
                return;
              }
              tip.replaceChildren(...tipLines(syncs[i]));
              tip.hidden = false;
              // The pointer moves the slider too while it has focus: one sync, not two.
              if (document.activeElement === box && i !== at) {
                at = i;
                value(i);
              }
              const x = u.valToPos(i, "x");
              const overWidth = u.over.clientWidth;
              tip.style.left = `${Math.min(Math.max(0, x + 12), Math.max(0, overWidth - tip.offsetWidth))}px`;
              tip.style.top = "4px";
            },
          ],
        },
      },
      data,
      box,
    );
    return plot;
  });

  const show = (i) => {
    at = Math.max(0, Math.min(n - 1, i));
    place();
    value(at);
  };
  const onKey = (event) => {
    // Alt+← and the like are the browser's (back, forward).
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const from = at ?? plot?.cursor.idx ?? n - 1;
    const to = { ArrowLeft: from - 1, ArrowDown: from - 1, ArrowRight: from + 1, ArrowUp: from + 1, Home: 0, End: n - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    show(to);
  };
  const onFocus = () => show(at ?? plot?.cursor.idx ?? n - 1);
  const onBlur = () => {
    at = null;
    plot?.setCursor({ left: -10, top: -10 });
  };
  const label = box.getAttribute("role");
  box.setAttribute("role", "slider");
  box.setAttribute("aria-valuemin", "1");
  box.setAttribute("aria-valuemax", String(n));
  value(n - 1);
  box.tabIndex = 0;
  box.addEventListener("keydown", onKey);
  box.addEventListener("focus", onFocus);
  box.addEventListener("blur", onBlur);
  return () => {
    for (const name of ["tabindex", "aria-valuemin", "aria-valuemax", "aria-valuenow", "aria-valuetext"]) box.removeAttribute(name);
    if (label) box.setAttribute("role", label);
    box.removeEventListener("keydown", onKey);
    box.removeEventListener("focus", onFocus);
    box.removeEventListener("blur", onBlur);
    removePlot();
  };
}

/** The lines of a sync's hover box. */
function tipLines(sync) {
  return [
    el("strong", {}, sync.sessionId),
    el("span", {}, `${sync.actions.join(" + ")} · ${OUTCOME[sync.status] ?? sync.status}`),
    el("span", {}, `last page ${localTime(sync.at)}`),
    el("span", {}, sync.size === null ? "members after: not known yet" : `${plural(sync.size, "member")} after`),
    el("span", {}, `${sync.added.toLocaleString("en-US")} added · ${sync.removed.toLocaleString("en-US")} removed`),
    el("span", {}, `${plural(sync.refused, "page")} refused`),
  ];
}

/**
 * A small line of a cohort's members after its last syncs (`points`: `[{ at, size }]`,
 * oldest first, the current count last) into `box`, which the caller labels. Resolves
 * to a function that removes it.
 */
export async function sparkline(box, points) {
  await loadChartLibrary();
  const xs = points.map((_, i) => i);
  const ys = points.map((p) => p.size);
  const low = Math.min(...ys);
  const high = Math.max(...ys);
  const pad = Math.max(1, (high - low) * 0.15);
  return keep(box, (uPlot) => {
    const c = colours();
    return new uPlot(
      {
        width: 112,
        height: 30,
        pxAlign: false,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: false, range: () => [-0.3, Math.max(1, xs.length - 1) + 0.3] }, y: { range: () => [Math.max(0, low - pad), high + pad] } },
        series: [{}, { stroke: c.accent, width: 1.5, points: { show: true, size: 4, fill: c.accent, stroke: c.accent } }],
      },
      [xs, ys],
      box,
    );
  });
}
