// Progress on stderr. `cohort-sync replay`: a progress bar redrawn in place on a
// terminal, plain log lines otherwise (pipes, CI logs, tests). `cohort-sync validate`:
// a count of files done, on a terminal only (a log of every file would repeat stdout).
import { formatDuration } from "./scenario.mjs";

const BAR = 24;

function describeAnswer(e) {
  if (e.error) return e.error; // "could not connect to 127.0.0.1:8787 (connection refused)"
  return `${e.status}${e.message ? ` "${e.message}"` : ""}`;
}

/**
 * `{ onProgress, stop }`: `onProgress` takes replay's events; `stop` clears the bar.
 * `tty` defaults to `stream.isTTY`; `quiet` prints nothing.
 */
export function createProgress({ stream = process.stderr, tty = Boolean(stream.isTTY), quiet = false } = {}) {
  if (quiet) return { onProgress() {}, stop() {} };
  const seenProblems = new Set();
  const st = { syncs: 1, n: 0, atLabel: "T", pageIndex: 0, pages: 1, delivered: 0, retries: 0, barShown: false };

  const bar = () => {
    const fraction = Math.max(0, Math.min(1, (st.n - 1 + st.pageIndex / st.pages) / st.syncs));
    const filled = Math.round(fraction * BAR);
    return `[${"#".repeat(filled)}${"-".repeat(BAR - filled)}] sync ${st.n}/${st.syncs} ${st.atLabel} · page ${Math.min(st.pageIndex + 1, st.pages)}/${st.pages} · ${st.delivered} delivered · ${st.retries} ${st.retries === 1 ? "retry" : "retries"}`;
  };
  const draw = () => {
    if (!tty || st.n === 0) return; // no bar before the first sync
    const columns = stream.columns || 100;
    stream.write(`\r\x1b[2K${bar().slice(0, columns - 1)}`);
    st.barShown = true;
  };
  const clear = () => {
    if (tty && st.barShown) stream.write("\r\x1b[2K");
    st.barShown = false;
  };
  const log = (line) => {
    clear();
    stream.write(`${line}\n`);
    draw();
  };

  function onProgress(e) {
    switch (e.type) {
      case "start":
        st.syncs = e.syncs;
        log(`replay: ${e.syncs} scheduled sync${e.syncs === 1 ? "" : "s"} of cohort ${e.cohort.cohortId} to ${e.url} ${e.speed ? `at ${e.speed}× speed` : "instantly"}`);
        break;
      case "step": {
        const parts = [e.set !== undefined && `set ${e.set}`, e.remove !== undefined && `${e.remove} leave`, e.add !== undefined && `${e.add} join`].filter(Boolean);
        log(`${e.atLabel.padEnd(8)} cohort: ${parts.join(", ")} → ${e.members} member${e.members === 1 ? "" : "s"}${e.note ? ` (${e.note})` : ""}`);
        break;
      }
      case "sync": {
        Object.assign(st, { n: e.n, atLabel: e.atLabel, pageIndex: 0, pages: e.pages });
        const flags = [e.restart && "restarting from the top after the failed sync", e.snapshotExpired && `snapshot expired (${formatDuration(e.snapshotAgeMs)} old): full sync`].filter(Boolean);
        log(`${e.atLabel.padEnd(8)} sync ${e.n}/${e.syncs ?? st.syncs}: ${e.kind}, ${e.pages} page${e.pages === 1 ? "" : "s"}, session ${e.sessionId}${flags.length ? ` (${flags.join("; ")})` : ""}`);
        break;
      }
      case "request": {
        const what = `${e.action} ${e.page}/${e.total} (${e.members} member${e.members === 1 ? "" : "s"})`;
        if (e.outcome === "success") {
          st.delivered++;
          st.pageIndex = e.index + 1;
          if (tty) draw();
          else log(`           ${what} → ${describeAnswer(e)}${e.attempt > 1 ? ` on attempt ${e.attempt}` : ""}`);
        } else if (e.outcome === "pause") {
          log(`           ${what} → ${describeAnswer(e)}: sync PAUSED (not retried)`);
        } else if (e.retryInMs !== null) {
          st.retries++;
          log(`           ${what} → ${describeAnswer(e)}: retry ${e.attempt} in ${e.retryInMs / 1000} s (Mixpanel time)`);
        } else {
          log(`           ${what} → ${describeAnswer(e)}: retries exhausted`);
        }
        for (const p of e.problems ?? []) {
          // A failing endpoint gives every retry the same answer: shown once; the summary counts them.
          const key = JSON.stringify([e.status, p.code, p.message]);
          if (seenProblems.has(key)) continue;
          seenProblems.add(key);
          log(`             answer: ${p.code}: ${p.message} (repeats are counted in the summary)`);
        }
        break;
      }
      case "sync-done":
        if (e.outcome === "failed") log(`${e.atLabel.padEnd(8)} sync ${e.n} FAILED: the next scheduled sync starts again from the top`);
        break;
      case "done":
        clear();
        break;
      default:
        break;
    }
  }
  return { onProgress, stop: clear };
}

/** How long a run goes before its count appears: quick runs stay quiet. */
const COUNT_DELAY_MS = 1000;
/** Least time between redraws of the count. */
const COUNT_REDRAW_MS = 100;

/**
 * `{ update(done), stop() }`: "validating: 1200/5000 files (24%)" redrawn in place on
 * `stream`, only when it is a terminal and only once the run has taken more than a
 * second; `stop` clears it. `update` is cheap to call per item: it redraws at most every
 * 100 ms. `now` is the clock (milliseconds).
 */
export function createCountProgress({ total, noun = "item", verb = "validating", stream = process.stderr, tty = Boolean(stream.isTTY), quiet = false, now = () => performance.now() }) {
  if (quiet || !tty) return { update() {}, stop() {} };
  const started = now();
  let shown = false;
  let drawnAt = -Infinity;
  return {
    update(done) {
      const t = now();
      if (t - started <= COUNT_DELAY_MS || t - drawnAt < COUNT_REDRAW_MS) return;
      const percent = Math.floor((done / total) * 100);
      const line = `${verb}: ${done}/${total} ${noun}${total === 1 ? "" : "s"} (${percent}%)`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 100) - 1)}`);
      shown = true;
      drawnAt = t;
    },
    stop() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
