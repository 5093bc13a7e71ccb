/**
 * The worker's steady state at `info`: one line per interval (default a minute) saying what was
 * loaded, rather than a line per batch or per dead letter, so a terminal running `npm start` stays
 * readable. The per-batch detail is at `debug`, and always in /metrics.
 */
import type pino from 'pino';
import type { WorkerMetrics } from './metrics.ts';

async function total(metric: { get(): Promise<{ values: Array<{ value: number }> }> }) {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

export function startSummary(
  metrics: WorkerMetrics,
  log: pino.Logger,
  intervalMs: number,
): { stop(): void } {
  let last = { messages: 0, rows: 0, deadLetters: 0 };
  const timer = setInterval(() => {
    void (async () => {
      const now = {
        messages: await total(metrics.messages),
        rows: await total(metrics.rows),
        deadLetters: await total(metrics.deadLetters),
      };
      const delta = {
        messages: now.messages - last.messages,
        rows: now.rows - last.rows,
        deadLetters: now.deadLetters - last.deadLetters,
      };
      last = now;
      // nothing happened: nothing to say
      if (delta.messages === 0 && delta.rows === 0 && delta.deadLetters === 0) return;
      log.info(
        { ...delta, seconds: Math.round(intervalMs / 1000) },
        `last ${Math.round(intervalMs / 1000)} s: ${delta.messages} messages, ${delta.rows} rows loaded, ${delta.deadLetters} dead letters`,
      );
    })().catch((err: unknown) => log.debug({ err }, 'summary failed'));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
