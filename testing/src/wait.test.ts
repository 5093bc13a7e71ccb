import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.ts';

describe('Testing > waitFor', () => {
  it('should return the first truthy value the probe gives', async () => {
    let n = 0;
    const v = await waitFor('the third probe', () => (++n >= 3 ? { n } : undefined), {
      intervalMs: 1,
    });
    expect(v).toEqual({ n: 3 });
  });

  it('should treat a probe that throws as not yet', async () => {
    let n = 0;
    const v = await waitFor(
      'a probe that stops throwing',
      async () => {
        if (++n < 3) throw new Error('not ready');
        return 'ready';
      },
      { intervalMs: 1 },
    );
    expect(v).toBe('ready');
  });

  it('should fail at the deadline naming what it awaited and the last thing seen', async () => {
    await expect(
      waitFor(
        'the impossible',
        () => {
          throw new Error('still broken');
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow('timed out waiting for the impossible (last: still broken)');
    await expect(waitFor('zero', () => 0, { timeoutMs: 10, intervalMs: 5 })).rejects.toThrow(
      'timed out waiting for zero (last: 0)',
    );
  });

  it('should stop at once when abort gives a reason', async () => {
    let probes = 0;
    await expect(
      waitFor('a worker', () => ++probes > 1_000, { abort: () => 'the worker exited (1)' }),
    ).rejects.toThrow('while waiting for a worker: the worker exited (1)');
    expect(probes).toBe(0);
  });
});
