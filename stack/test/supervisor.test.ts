import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { isAlive, startService, type RunningService } from '../src/services.ts';
import { Supervisor } from '../src/supervisor.ts';

/** A real process that prints a line and dies with exit code 3 shortly after it starts. */
function crashing(): () => Promise<RunningService> {
  return () =>
    startService(
      {
        name: 'crasher',
        command: process.execPath,
        args: [
          '-e',
          "console.log('about to fail: no config'); setTimeout(() => process.exit(3), 100)",
        ],
        cwd: REPO_ROOT,
        env: {},
      },
      { output: () => {} },
    );
}

describe('Stack > Supervisor', () => {
  it('should report each unexpected exit, restart with a growing pause, then give up saying so', async () => {
    const lines: string[] = [];
    const started: RunningService[] = [];
    const start = crashing();
    const supervisor = new Supervisor(
      'crasher',
      async () => {
        const svc = await start();
        started.push(svc);
        return svc;
      },
      (l) => lines.push(l),
      { maxRestarts: 2, backoffMs: 50, stableMs: 60_000 },
    );
    await supervisor.start();
    await expect
      .poll(() => lines.find((l) => l.includes('not restarting it again')), { timeout: 20_000 })
      .toBeDefined();
    await supervisor.stop();

    expect(started).toHaveLength(3); // the start and two restarts
    for (const svc of started) expect(isAlive(svc.pid)).toBe(false);
    const reports = lines.filter((l) => l.includes('exited unexpectedly (exit code 3)'));
    expect(reports).toHaveLength(3);
    expect(reports[0]).toContain('about to fail: no config');
    expect(lines.filter((l) => l.startsWith('restarting crasher in'))).toEqual([
      'restarting crasher in 0.1 s (attempt 1 of 2)',
      'restarting crasher in 0.1 s (attempt 2 of 2)',
    ]);
    expect(lines.at(-1)).toMatch(/^crasher failed 3 times in a row: not restarting it again/);
  });

  it('should not restart a service stopped on purpose', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor(
      'sleeper',
      () =>
        startService(
          {
            name: 'sleeper',
            command: process.execPath,
            args: ['-e', 'setInterval(() => {}, 1000)'],
            cwd: REPO_ROOT,
            env: {},
          },
          { output: () => {} },
        ),
      (l) => lines.push(l),
      { maxRestarts: 2, backoffMs: 50, stableMs: 60_000 },
    );
    const svc = await supervisor.start();
    await supervisor.stop();
    await svc.stop();
    expect(await svc.exited).toBe('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(lines).toEqual([]);
  });
});
