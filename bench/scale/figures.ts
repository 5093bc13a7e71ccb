/**
 * What bench/scale reports, from the raw runs: each run reduced to its per-core figures (rows/s
 * per worker core, subscribers per engine core, the CPU each part used), and the goals, each with
 * the figure it judges beside it. Pure functions of the runs, so the shape is fixed in one place.
 */
import type { WorkerResult } from '../ingest/worker.ts';
import type { FanoutResult } from '../live/fanout.ts';

/** Two processes should nearly double the rate when each has a core of its own. */
export const GOAL_SPEEDUP = 1.6;
/** Spreading the work must not make it dearer: per-core rate with N ≥ this share of with 1. */
export const GOAL_PER_CORE_EFFICIENCY = 0.8;

const r2 = (x: number) => Math.round(x * 100) / 100;
const perCore = (amount: number, cores: number) => (cores > 0 ? Math.round(amount / cores) : 0);

export interface IngestFigure {
  workers: number;
  messages: number;
  rows: number;
  seconds: number;
  rows_per_s: number;
  /** rows/s divided by the cores the workers used together */
  rows_per_s_per_worker_core: number;
  /** CPU during the measured interval, in cores (CPU s / s) */
  cpu_cores: { workers: number; postgres: number; kafka: number };
  postgres_us_per_row: number;
  rows_per_transaction: number;
  startup_seconds: number;
  /** where the measured interval starts (several workers: once all are in the group) */
  measured_from: WorkerResult['measured_from'];
}

export function ingestFigure(run: WorkerResult): IngestFigure {
  return {
    workers: run.processes,
    messages: run.messages,
    rows: run.rows,
    seconds: run.seconds,
    rows_per_s: run.rows_per_s,
    rows_per_s_per_worker_core: perCore(run.rows_per_s, run.cpu.worker_cores),
    cpu_cores: {
      workers: run.cpu.worker_cores,
      postgres: run.cpu.postgres_cores,
      kafka: run.cpu.kafka_cores,
    },
    postgres_us_per_row: run.cpu.postgres_us_per_row,
    rows_per_transaction: run.rows_per_transaction,
    startup_seconds: run.startup_seconds,
    measured_from: run.measured_from,
  };
}

export interface FanoutFigure {
  engines: number;
  subscribers: number;
  mode: FanoutResult['mode'];
  changes_per_s: number;
  deliveries_expected: number;
  missed_changes: number;
  delivery_latency_p50_ms: number;
  delivery_latency_p95_ms: number;
  /** subscribers divided by the cores the engines used together (at this change rate) */
  subscribers_per_engine_core: number;
  /** frames owed to subscribers a second (a change times the subscribers of its series) */
  deliveries_per_s: number;
  /** what an engine core delivers: the figure that grows with the change rate */
  deliveries_per_s_per_engine_core: number;
  /** CPU during the run, in cores: the engines together, and Postgres serving their polls */
  cpu_cores: { engines: number; postgres: number | undefined };
  engine_rss_mb: number;
  postgres_xact_per_s: number;
}

export function fanoutFigure(run: FanoutResult): FanoutFigure {
  const deliveriesPerS = run.seconds > 0 ? Math.round(run.deliveries_expected / run.seconds) : 0;
  return {
    engines: run.engines,
    subscribers: run.subscribers,
    mode: run.mode,
    changes_per_s: run.seconds > 0 ? Math.round(run.changes / run.seconds) : 0,
    deliveries_expected: run.deliveries_expected,
    missed_changes: run.missed_changes,
    delivery_latency_p50_ms: run.delivery_latency.p50_ms,
    delivery_latency_p95_ms: run.delivery_latency.p95_ms,
    subscribers_per_engine_core: perCore(run.subscribers, run.engine_cpu_cores),
    deliveries_per_s: deliveriesPerS,
    deliveries_per_s_per_engine_core: perCore(deliveriesPerS, run.engine_cpu_cores),
    cpu_cores: { engines: run.engine_cpu_cores, postgres: run.postgres_cpu_cores },
    engine_rss_mb: run.engine_rss_mb,
    postgres_xact_per_s: run.postgres_xact_per_s,
  };
}

export interface Goal {
  value: number;
  goal: string;
  met: boolean;
}

/**
 * The goals, judged on the run with the most processes against the run with one: speed-up (needs
 * a free core per process: not met on a machine that has none), per-core efficiency (holds on a
 * busy machine too), and nothing lost — every message loaded, every change delivered.
 */
export function scaleGoals(ingest: IngestFigure[], fanout: FanoutFigure[]): Record<string, Goal> {
  const goals: Record<string, Goal> = {};
  const ratio = (a: number, b: number) => (b > 0 ? r2(a / b) : 0);
  const one = ingest.find((f) => f.workers === 1);
  const most = ingest.reduce<IngestFigure | undefined>(
    (m, f) => (!m || f.workers > m.workers ? f : m),
    undefined,
  );
  if (one && most && most.workers > 1) {
    const speedup = ratio(most.rows_per_s, one.rows_per_s);
    goals.ingest_speedup = {
      value: speedup,
      goal: `>= ${GOAL_SPEEDUP}`,
      met: speedup >= GOAL_SPEEDUP,
    };
    const eff = ratio(most.rows_per_s_per_worker_core, one.rows_per_s_per_worker_core);
    goals.ingest_per_core_efficiency = {
      value: eff,
      goal: `>= ${GOAL_PER_CORE_EFFICIENCY}`,
      met: eff >= GOAL_PER_CORE_EFFICIENCY,
    };
  }
  if (ingest.length > 0) {
    const lost = ingest.reduce((n, f) => n + Math.abs(f.messages - f.rows), 0);
    goals.ingest_rows_lost_or_doubled = { value: lost, goal: '= 0', met: lost === 0 };
  }
  const single = fanout.find((f) => f.engines === 1);
  const widest = fanout.reduce<FanoutFigure | undefined>(
    (m, f) => (!m || f.engines > m.engines ? f : m),
    undefined,
  );
  if (single && widest && widest.engines > 1) {
    const eff = ratio(widest.subscribers_per_engine_core, single.subscribers_per_engine_core);
    goals.fanout_per_core_efficiency = {
      value: eff,
      goal: `>= ${GOAL_PER_CORE_EFFICIENCY}`,
      met: eff >= GOAL_PER_CORE_EFFICIENCY,
    };
  }
  if (fanout.length > 0) {
    const missed = fanout.reduce((n, f) => n + f.missed_changes, 0);
    goals.fanout_missed_changes = { value: missed, goal: '= 0', met: missed === 0 };
  }
  return goals;
}
