/**
 * One timer per period for the whole page, aligned to the wall clock: every panel's once-a-second
 * slide, its re-read of the recent edge and of its history run in the same task as the other
 * panels', so their reads leave as one batched request (lib/graphql/batch.ts) rather than a
 * dozen requests at scattered moments.
 */
const groups = new Map<number, { fns: Set<() => void>; stop: () => void }>();

function start(periodMs: number, fns: Set<() => void>): () => void {
  let interval: ReturnType<typeof setInterval> | undefined;
  const run = () => {
    for (const fn of [...fns]) {
      try {
        fn();
      } catch (err) {
        console.error(err);
      }
    }
  };
  const first = setTimeout(
    () => {
      run();
      interval = setInterval(run, periodMs);
    },
    periodMs - (Date.now() % periodMs),
  );
  return () => {
    clearTimeout(first);
    if (interval) clearInterval(interval);
  };
}

/** Call `fn` every `periodMs` (at multiples of it since the epoch); returns the cancel. */
export function every(periodMs: number, fn: () => void): () => void {
  let g = groups.get(periodMs);
  if (!g) {
    const fns = new Set<() => void>();
    g = { fns, stop: start(periodMs, fns) };
    groups.set(periodMs, g);
  }
  g.fns.add(fn);
  return () => {
    const cur = groups.get(periodMs);
    if (!cur) return;
    cur.fns.delete(fn);
    if (cur.fns.size === 0) {
      cur.stop();
      groups.delete(periodMs);
    }
  };
}
