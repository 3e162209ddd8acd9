// A Durable Object's alarm in one process: `getAlarm`, `setAlarm(ms)` and `deleteAlarm`
// (storage.md) over a timer, which calls `run()` when due. As in workerd, runs never
// overlap (an alarm set during a run fires after it), and a run that throws is tried
// again with backoff. Nothing is kept across restarts: the host asks each object, on
// start, to set its alarm again for the work it has stored (`resume()`).

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

export class TimerAlarm {
  /** `run()`: the object's alarm handler; `onError(error)`: told of each failed run. */
  constructor(run, onError) {
    this.run = run;
    this.onError = onError;
    this.at = null;
    this.timer = null;
    this.running = null;
    this.failures = 0;
    this.closed = false;
  }

  async getAlarm() {
    return this.at;
  }

  async setAlarm(at) {
    if (this.closed) return;
    this.at = at;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.running === null) this.arm();
  }

  async deleteAlarm() {
    this.at = null;
    clearTimeout(this.timer);
    this.timer = null;
  }

  arm() {
    if (this.at === null || this.closed) return;
    // setTimeout holds at most ~24.8 days; a later alarm is armed again when that passes.
    const wait = Math.min(Math.max(0, this.at - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.fire(), wait);
  }

  async fire() {
    this.timer = null;
    if (this.at === null || this.closed) return;
    if (this.at > Date.now()) return this.arm();
    // The alarm reads as unset during its run, so the run may set the next one.
    this.at = null;
    this.running = (async () => {
      try {
        await this.run();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.onError(error);
        const retryAt = Date.now() + Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(this.failures - 1, 16));
        if (this.at === null || this.at > retryAt) this.at = retryAt;
      }
    })();
    await this.running;
    this.running = null;
    this.arm();
  }

  /** Stops the timer; resolves once a run under way has ended. */
  async close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
