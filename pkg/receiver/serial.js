// One call at a time per object, in arrival order: what a Durable Object's input gate
// gives the Worker, for the Node host. A page's call starts only once the one before it
// has settled, so the pages of a cohort are logged and applied in the order they came,
// whatever the store awaits inside (an asynchronous store later will).

/** A handle on `object` (or the promise of one) whose `methods` are async and run one at a time. */
export function serialised(object, methods) {
  let last = Promise.resolve();
  const handle = {};
  for (const name of methods) {
    handle[name] = (...args) => {
      const result = last.then(async () => (await object)[name](...args));
      last = result.catch(() => {});
      return result;
    };
  }
  return handle;
}
