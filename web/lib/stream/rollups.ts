/**
 * Rollup buckets (rollups_1m / rollups_1h rows) merged by (bucket, metric): a live query re-sends
 * the newest buckets as the worker updates them in place, so a bucket is replaced, never added
 * twice. Also the aggregates of a window computed from its buckets.
 */
import { parseTime, type Row } from './stream-buffer';
import { toNumber } from './series-store';

export interface RollupRow {
  bucket: string;
  metric: string;
  count: number | string;
  min: number | string | null;
  max: number | string | null;
  sum: number | string | null;
  last: number | string | null;
  avg?: number | string | null;
}

export interface WindowAggregate {
  count: number;
  avg: Record<string, number | null>;
  min: Record<string, number | null>;
  max: Record<string, number | null>;
}

export class RollupMerger {
  private readonly buckets = new Map<number, Map<string, RollupRow>>();

  constructor(readonly metrics: readonly string[]) {}

  merge(rows: readonly RollupRow[]): void {
    for (const r of rows) {
      const t = parseTime(r.bucket);
      if (Number.isNaN(t) || !this.metrics.includes(r.metric)) continue;
      let m = this.buckets.get(t);
      if (!m) this.buckets.set(t, (m = new Map()));
      m.set(r.metric, r);
    }
  }

  trimBefore(ms: number): void {
    for (const t of this.buckets.keys()) if (t < ms) this.buckets.delete(t);
  }

  /** One chart row per bucket: the bucket's average per metric (sum / count when avg is absent). */
  chartRows(): Row[] {
    return [...this.buckets.keys()]
      .sort((a, b) => a - b)
      .map((t) => {
        const row: Row = { ts: new Date(t).toISOString() };
        const m = this.buckets.get(t)!;
        for (const metric of this.metrics) {
          const r = m.get(metric);
          row[metric] = r ? bucketAverage(r) : null;
        }
        return row;
      });
  }

  /** count / avg / min / max over every bucket held. */
  aggregate(): WindowAggregate {
    const out: WindowAggregate = { count: 0, avg: {}, min: {}, max: {} };
    const sums: Record<string, { sum: number; count: number }> = {};
    let count = 0;
    for (const metric of this.metrics) {
      let min: number | null = null;
      let max: number | null = null;
      let metricCount = 0;
      for (const m of this.buckets.values()) {
        const r = m.get(metric);
        if (!r) continue;
        const c = toNumber(r.count) ?? 0;
        metricCount += c;
        const lo = toNumber(r.min);
        const hi = toNumber(r.max);
        const s = toNumber(r.sum);
        if (lo !== null) min = min === null ? lo : Math.min(min, lo);
        if (hi !== null) max = max === null ? hi : Math.max(max, hi);
        if (s !== null) {
          const acc = (sums[metric] ??= { sum: 0, count: 0 });
          acc.sum += s;
          acc.count += c;
        }
      }
      count = Math.max(count, metricCount);
      out.min[metric] = min;
      out.max[metric] = max;
      const acc = sums[metric];
      out.avg[metric] = acc && acc.count > 0 ? acc.sum / acc.count : null;
    }
    out.count = count;
    return out;
  }
}

export function bucketAverage(r: RollupRow): number | null {
  const avg = toNumber(r.avg);
  if (avg !== null) return avg;
  const sum = toNumber(r.sum);
  const count = toNumber(r.count);
  return sum !== null && count ? sum / count : null;
}
