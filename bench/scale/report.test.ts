/**
 * bench/scale's options and the shape of its report, without running anything: a bad option
 * stops the run naming it, and the figures and goals come out of the raw runs as documented
 * (docs/scaling.md quotes them by these names).
 */
import { describe, expect, it } from 'vitest';
import type { WorkerResult } from '../ingest/worker.ts';
import type { FanoutResult } from '../live/fanout.ts';
import { fanoutFigure, ingestFigure, scaleGoals } from './figures.ts';
import { OptionError, scaleSettings } from './options.ts';

const args = (given: Record<string, string>) => (name: string, def: string) => given[name] ?? def;

function workerRun(processes: number, rowsPerS: number, workerCores: number): WorkerResult {
  return {
    rows: 1000,
    messages: 1000,
    seconds: 1,
    rows_per_s: rowsPerS,
    wall_seconds: 2,
    wall_rows_per_s: rowsPerS / 2,
    startup_seconds: 1,
    rows_at_first_sight: 0,
    measured_from: processes === 1 ? 'first rows' : 'all workers in the group',
    processes,
    cpu: {
      worker_s: workerCores,
      postgres_s: 0.2,
      kafka_s: 0.05,
      worker_cores: workerCores,
      postgres_cores: 0.2,
      kafka_cores: 0.05,
      worker_us_per_row: 8,
      postgres_us_per_row: 9,
    },
    transactions: 2,
    rows_per_transaction: 500,
    batches: undefined,
    env: {},
  };
}

function fanoutRun(engines: number, engineCores: number, missed = 0): FanoutResult {
  return {
    subscribers: 10_000,
    cohorts: 1000,
    engines,
    mode: 'polling',
    all_first_results: true,
    seconds: 10,
    changes: 700,
    deliveries_expected: 7000,
    missed_changes: missed,
    delivery_latency: { count: 1, mean_ms: 1, p50_ms: 600, p95_ms: 1000, p99_ms: 1, max_ms: 1 },
    engine_cpu_cores: engineCores,
    postgres_cpu_cores: 0.05,
    engine_rss_mb: 170,
    postgres_xact_per_s: 70,
    engine_poll_statements_per_s: 10,
    engine_polls: 100,
    engine_rss_per_subscriber_kb: 2,
    engine_cpu_us_per_cohort_poll: 40,
    goals: { missed_changes: 0, latency_ms: { mean_below: 1000 }, pass: missed === 0 },
  };
}

describe('bench:scale > options', () => {
  it('should default to 1 and 2 of each on modest sizes', () => {
    const s = scaleSettings(args({}));
    expect(s.workers).toEqual([1, 2]);
    expect(s.engines).toEqual([1, 2]);
    expect(s.partitions).toBeGreaterThanOrEqual(2);
    expect(s.mode).toBe('polling');
  });

  it('should refuse what cannot be measured, naming the option', () => {
    expect(() => scaleSettings(args({ workers: '2,3' }))).toThrow(OptionError);
    expect(() => scaleSettings(args({ workers: '2,3' }))).toThrow(/--workers 2,3: must include 1/);
    expect(() => scaleSettings(args({ workers: '1,4', partitions: '3' }))).toThrow(
      /--partitions 3: fewer than the 4 workers/,
    );
    expect(() => scaleSettings(args({ messages: 'lots' }))).toThrow(/--messages "lots"/);
    expect(() => scaleSettings(args({ mode: 'push' }))).toThrow(/--mode "push"/);
    expect(scaleSettings(args({ engines: '2,1,2' })).engines).toEqual([1, 2]);
  });
});

describe('bench:scale > report', () => {
  it('should give per-core figures and judge the widest run against the single one', () => {
    const one = ingestFigure(workerRun(1, 20_000, 0.2));
    const two = ingestFigure(workerRun(2, 30_000, 0.4));
    expect(one.rows_per_s_per_worker_core).toBe(100_000);
    expect(two.rows_per_s_per_worker_core).toBe(75_000);
    const f1 = fanoutFigure(fanoutRun(1, 0.05));
    const f2 = fanoutFigure(fanoutRun(2, 0.1, 3));
    expect(f1.subscribers_per_engine_core).toBe(200_000);
    expect(f1.deliveries_per_s).toBe(700);
    expect(f1.deliveries_per_s_per_engine_core).toBe(14_000);
    expect(f1.cpu_cores).toEqual({ engines: 0.05, postgres: 0.05 });

    const goals = scaleGoals([one, two], [f1, f2]);
    expect(goals.ingest_speedup).toEqual({ value: 1.5, goal: '>= 1.6', met: false });
    expect(goals.ingest_per_core_efficiency).toEqual({ value: 0.75, goal: '>= 0.8', met: false });
    expect(goals.ingest_rows_lost_or_doubled).toEqual({ value: 0, goal: '= 0', met: true });
    expect(goals.fanout_per_core_efficiency).toEqual({ value: 0.5, goal: '>= 0.8', met: false });
    expect(goals.fanout_missed_changes).toEqual({ value: 3, goal: '= 0', met: false });
    // a run of one kind only judges that kind
    expect(Object.keys(scaleGoals([one, two], []))).toEqual([
      'ingest_speedup',
      'ingest_per_core_efficiency',
      'ingest_rows_lost_or_doubled',
    ]);
  });
});
