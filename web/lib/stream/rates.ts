/**
 * Rates and lag from counters: rows/s per partition from successive `rows_loaded` readings of
 * etl.consumer_offsets, and lag as high_watermark − next_offset.
 */

export interface OffsetRow {
  consumer_group: string;
  topic: string;
  partition: number;
  next_offset: number | string;
  high_watermark: number | string | null;
  rows_loaded: number | string;
  messages?: number | string;
  dead_letters?: number | string;
  updated_at?: string;
  /** set by the worker while the partition is stalled: when it last advanced */
  stalled_since?: string | null;
  /** the worker's last failure writing the partition since its last commit */
  last_error?: string | null;
}

export function partitionKey(r: Pick<OffsetRow, 'consumer_group' | 'topic' | 'partition'>): string {
  return `${r.consumer_group}/${r.topic}/${r.partition}`;
}

/** Messages the worker has yet to load on a partition, or null when the high watermark is unknown. */
export function lagOf(r: Pick<OffsetRow, 'next_offset' | 'high_watermark'>): number | null {
  if (r.high_watermark === null || r.high_watermark === undefined) return null;
  return Math.max(0, Number(r.high_watermark) - Number(r.next_offset));
}

interface Sample {
  at: number;
  rows: number;
}

/**
 * Rows per second per partition, over a sliding span of samples (a reading arrives when the
 * counters change, at most about once a second).
 */
export class RateTracker {
  private samples = new Map<string, Sample[]>();

  constructor(private readonly spanMs = 10_000) {}

  /** Record a reading of every partition at `now`. */
  update(rows: readonly OffsetRow[], now: number): void {
    for (const r of rows) {
      const key = partitionKey(r);
      const list = this.samples.get(key) ?? [];
      const total = Number(r.rows_loaded);
      const last = list[list.length - 1];
      if (last && total < last.rows) list.length = 0; // counter reset (table recreated)
      list.push({ at: now, rows: total });
      while (list.length > 2 && list[0]!.at < now - this.spanMs) list.shift();
      this.samples.set(key, list);
    }
  }

  /** Rows/s of one partition, or null before two readings. */
  rate(key: string, now: number): number | null {
    const list = this.samples.get(key);
    if (!list || list.length < 2) return null;
    const first = list[0]!;
    const last = list[list.length - 1]!;
    // counters that stopped changing mean no rows since the last reading
    const end = Math.max(last.at, Math.min(now, last.at + this.spanMs));
    const dt = (end - first.at) / 1000;
    return dt > 0 ? (last.rows - first.rows) / dt : null;
  }

  /** Sum of the rates of the given partitions (null when none is known yet). */
  total(keys: readonly string[], now: number): number | null {
    let sum = 0;
    let known = false;
    for (const k of keys) {
      const r = this.rate(k, now);
      if (r !== null) {
        sum += r;
        known = true;
      }
    }
    return known ? sum : null;
  }
}

/** Rows/s from a count of rows newer than `sinceMs`, observed at `nowMs`. */
export function rateSince(count: number, sinceMs: number, nowMs: number): number {
  const dt = (nowMs - sinceMs) / 1000;
  return dt > 0 ? count / dt : 0;
}

/** A partition behind the broker whose offsets have not moved for this long is stalled. */
export const STALL_AFTER_MS = 30_000;

/** What an operator needs to know of a partition at a glance. */
export function partitionState(
  r: Pick<OffsetRow, 'next_offset' | 'high_watermark' | 'updated_at' | 'stalled_since'>,
  nowMs: number,
): 'caught up' | 'catching up' | 'stalled' | 'unknown' {
  // the worker's own verdict (measured against the broker) comes first; the clock test below
  // covers a worker that is not there to give one
  if (r.stalled_since) return 'stalled';
  const lag = lagOf(r);
  if (lag === null) return 'unknown';
  if (lag === 0) return 'caught up';
  const updated = r.updated_at ? Date.parse(r.updated_at) : Number.NaN;
  return !Number.isNaN(updated) && nowMs - updated > STALL_AFTER_MS ? 'stalled' : 'catching up';
}
