/**
 * A bucket's summary, as the rollups store it: count, min, max, sum and the newest value. Buckets
 * combine (a 5-minute bucket from five 1-minute ones) and take points, so a bucket folded in the
 * browser from raw points equals the one the worker rolled up from the same points.
 */

export type Aggregate = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'last';
export const AGGREGATES: readonly Aggregate[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];

export interface Agg {
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
  /** time of the newest point (ms) */
  lastTs: number;
}

export function pointAgg(ts: number, v: number): Agg {
  return { count: 1, min: v, max: v, sum: v, last: v, lastTs: ts };
}

/** `a` with the point added (a new object when `a` is undefined). */
export function addPoint(a: Agg | undefined, ts: number, v: number): Agg {
  if (!a) return pointAgg(ts, v);
  a.count++;
  if (v < a.min) a.min = v;
  if (v > a.max) a.max = v;
  a.sum += v;
  if (ts >= a.lastTs) {
    a.last = v;
    a.lastTs = ts;
  }
  return a;
}

export function combine(a: Agg | undefined, b: Agg): Agg {
  if (!a) return { ...b };
  return {
    count: a.count + b.count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    last: b.lastTs >= a.lastTs ? b.last : a.last,
    lastTs: Math.max(a.lastTs, b.lastTs),
  };
}

export function aggValue(a: Agg | undefined, aggregate: Aggregate): number | null {
  if (!a || a.count === 0) return null;
  switch (aggregate) {
    case 'avg':
      return a.sum / a.count;
    case 'min':
      return a.min;
    case 'max':
      return a.max;
    case 'sum':
      return a.sum;
    case 'count':
      return a.count;
    case 'last':
      return a.last;
  }
}

/** Whether single points may be drawn beside buckets of this aggregate (a point's count is not a bucket's). */
export function pointsComparable(aggregate: Aggregate): boolean {
  return aggregate === 'avg' || aggregate === 'min' || aggregate === 'max' || aggregate === 'last';
}

/** A number from a GraphQL value (numbers may come as strings: bigint, numeric), or null. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
