/**
 * Where a row's time goes, from its production to the frame that shows it: the timestamps the
 * freshness bench can observe for one row — its production stamp, the broker's LogAppendTime, the
 * worker's batch trace (ETL_TRACE_FILE: fetch, eachBatch, decode, transaction, commit), the
 * engine's poll timings (STREAMSYNC_ENGINE_DEBUG_TIMINGS: notification, poll start, rows read,
 * frame sent) and the client's arrival — laid end to end. Each point is taken no earlier than the
 * one before it (a notification older than the row's commit answered an earlier commit: the row
 * waited for a later poll, which is the wake-up's time), so the stages of a row add up to its
 * latency exactly. A row read by a poll that no notification started (a catch-up after a full
 * poll, the refetch interval) has its commit → poll time as `engine_catchup`.
 */
import { type LatencyStats, stats } from './support.ts';

export const STAGES = [
  'producer_send',
  'broker_append_to_fetch',
  'consumer_fetch_to_batch',
  'decode_validate',
  'worker_queue',
  'worker_transaction_commit',
  'engine_catchup',
  'notify',
  'engine_wake',
  'poll_sql',
  'serialise',
  'socket_client',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The p50 each stage may take for the whole to meet its goal (p50 ≤ 50 ms from production to
 * frame): a budget to read the figures against, not a measurement.
 */
export const STAGE_GOAL_P50_MS: Record<Stage, number> = {
  producer_send: 5,
  broker_append_to_fetch: 8,
  consumer_fetch_to_batch: 2,
  decode_validate: 2,
  worker_queue: 2,
  worker_transaction_commit: 10,
  engine_catchup: 0,
  notify: 2,
  engine_wake: 8,
  poll_sql: 6,
  serialise: 2,
  socket_client: 3,
};

/** One row's observed points (epoch ms); a missing point takes the one before it. */
export interface RowPoints {
  produced: number;
  appended?: number;
  fetched?: number;
  batch?: number;
  decoded?: number;
  writeStart?: number;
  committed?: number;
  notified?: number | null;
  /** what started the poll that read the row (wakeup, catchup, interval, subscribe) */
  trigger?: string;
  pollStarted?: number;
  read?: number;
  sent?: number;
  arrived: number;
}

/** The stages of one row (ms), in STAGES order; they sum to arrived − produced. */
export function rowStages(p: RowPoints): number[] {
  // a row read by a poll that no notification started waited for a previous poll of its cohort
  // to come back (catch-up) or for the interval: not the notification's time
  const woken = p.trigger === undefined || p.trigger === 'wakeup';
  const points = [
    p.appended,
    p.fetched,
    p.batch,
    p.decoded,
    p.writeStart,
    p.committed,
    woken ? undefined : p.pollStarted,
    woken ? (p.notified ?? undefined) : undefined,
    p.pollStarted,
    p.read,
    p.sent,
    p.arrived,
  ];
  const out: number[] = [];
  let at = p.produced;
  for (let i = 0; i < points.length; i++) {
    const x = points[i];
    const next = i === points.length - 1 ? Math.max(at, p.arrived) : Math.max(at, x ?? at);
    // a point later than the arrival is clock noise between processes: clip it
    const clipped = Math.min(next, Math.max(at, p.arrived));
    out.push(clipped - at);
    at = clipped;
  }
  return out;
}

export type StageReport = Record<
  Stage,
  { p50_ms: number; p99_ms: number; mean_ms: number; goal_p50_ms: number; share_of_mean: number }
> & { largest_by_mean: Stage; rows: number };

/** Per-stage statistics over many rows, with the budget beside each, and the largest slice. */
export function stageReport(rows: number[][]): StageReport | null {
  if (rows.length === 0) return null;
  const per: LatencyStats[] = STAGES.map((_, i) => stats(rows.map((r) => r[i]!)));
  const total = per.reduce((a, s) => a + s.mean_ms, 0) || 1;
  const out = { rows: rows.length } as StageReport;
  let largest: Stage = STAGES[0];
  STAGES.forEach((name, i) => {
    const s = per[i]!;
    out[name] = {
      p50_ms: s.p50_ms,
      p99_ms: s.p99_ms,
      mean_ms: s.mean_ms,
      goal_p50_ms: STAGE_GOAL_P50_MS[name],
      share_of_mean: Math.round((s.mean_ms / total) * 100) / 100,
    };
    if (s.mean_ms > out[largest].mean_ms) largest = name;
  });
  out.largest_by_mean = largest;
  return out;
}
