/**
 * Supervision of one service of the local stack: an exit nobody asked for is reported (which
 * service, its exit code or signal, its last lines of output) and the service is started again after
 * a pause that doubles each time; after `maxRestarts` failures in a row it is left stopped with a
 * message saying so. A run that lasted `stableMs` counts as a success and resets the count, so a
 * service that crashes once a day is always brought back.
 */
import type { RunningService } from './services.ts';

export interface RestartPolicy {
  /** Restarts tried in a row before giving up (default 5). */
  maxRestarts: number;
  /** The first pause before a restart; doubled after each failure, at most 30 s (default 1 s). */
  backoffMs: number;
  /** A run at least this long resets the count of failures (default 60 s). */
  stableMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  backoffMs: 1000,
  stableMs: 60_000,
};

const MAX_BACKOFF_MS = 30_000;
const LAST_LINES = 10;

export function describeExit(status: number | string): string {
  return typeof status === 'number' ? `exit code ${status}` : `signal ${status}`;
}

export class Supervisor {
  private failures = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;

  constructor(
    readonly name: string,
    /** Starts the service and records it as current (in the stack's map). */
    private readonly startOnce: () => Promise<RunningService>,
    private readonly log: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {}

  /** Start the service and watch it; a failure to start at all is thrown to the caller. */
  async start(): Promise<RunningService> {
    const svc = await this.startOnce();
    this.watch(svc);
    return svc;
  }

  /** No more restarts; a restart under way finishes first, then the caller stops the service. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.restarting;
  }

  private watch(svc: RunningService): void {
    const startedAt = Date.now();
    void svc.exited.then(async (status) => {
      if (this.stopped || svc.stopping) return;
      if (Date.now() - startedAt >= this.policy.stableMs) this.failures = 0;
      this.failures++;
      const lines = svc.recent().slice(-LAST_LINES);
      this.log(
        `${this.name} (pid ${svc.pid}) exited unexpectedly (${describeExit(status)})` +
          (lines.length ? `; its last lines:\n${lines.map((l) => `    ${l}`).join('\n')}` : ''),
      );
      // whatever it started in its process group goes too, so the restart finds its port free
      await svc.stop({ timeoutMs: 5000 });
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    if (this.failures > this.policy.maxRestarts) {
      this.log(
        `${this.name} failed ${this.failures} times in a row: not restarting it again. The rest of ` +
          `the stack keeps running; fix the cause shown above, then restart npm start ` +
          `(STREAMSYNC_SERVICES runs a subset meanwhile)`,
      );
      return;
    }
    const delay = Math.min(this.policy.backoffMs * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    this.log(
      `restarting ${this.name} in ${(delay / 1000).toFixed(1)} s (attempt ${this.failures} of ${this.policy.maxRestarts})`,
    );
    this.timer = setTimeout(() => {
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    }, delay); // not unref'd: during the pause it may be all that keeps the launcher alive
  }

  private async restart(): Promise<void> {
    if (this.stopped) return;
    try {
      const svc = await this.startOnce();
      this.log(`${this.name} restarted (pid ${svc.pid})`);
      this.watch(svc);
    } catch (err) {
      this.failures++;
      this.log(`${this.name} could not be restarted: ${(err as Error).message}`);
      this.scheduleRestart();
    }
  }
}
