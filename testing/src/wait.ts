/**
 * Waiting in tests: for state that no event announces, poll with a deadline and fail with what was
 * awaited and the last thing seen, never hang and never pass by timing out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** give up after this long (default 60 s) */
  timeoutMs?: number;
  /** between two probes (default 50 ms) */
  intervalMs?: number;
  /** checked before each probe: a reason to stop waiting at once (a process that died, …) */
  abort?: () => string | undefined;
}

/**
 * Probe until it returns something truthy and return that; a probe that throws counts as "not yet"
 * (the error is reported if the deadline passes). Throws naming `what` at the deadline.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(`while waiting for ${what}: ${reason}`);
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what} (last: ${detail})`);
    }
    await sleep(opts.intervalMs ?? 50);
  }
}
