/**
 * The data of one panel: for each series (entity × metric), history buckets up to a boundary and
 * the points after it, merged from every source the panel reads — the history query, the
 * streaming subscription, the periodic re-read of the recent edge, a live query on the newest
 * rollup buckets — so that
 *
 * - a point that arrives twice (a stream and a re-read, a resumed stream's overlap) counts once:
 *   rows are identified by their key (time, entity and the stream's key columns);
 * - a point that arrives late lands in its place in time order;
 * - history (rollup buckets, complete) joins the live edge (every point) at the boundary without
 *   a gap or an overlap: buckets start before it, points are at or after it;
 * - as the clock moves, points older than the live edge are folded into buckets exactly as the
 *   worker rolls them up, so memory stays bounded however long the page stays open.
 *
 * With no bucket width (raw resolution) every point is kept, trimmed to the range.
 */
import { parseTime, type Row } from '@/lib/stream/stream-buffer';
import { bucketStart } from '@/lib/time/buckets';
import {
  addPoint,
  aggValue,
  combine,
  pointsComparable,
  toNumber,
  type Agg,
  type Aggregate,
} from './agg';

export interface SeriesSetOptions {
  metrics: readonly string[];
  timeField: string;
  /** the entity field; without one, each metric is one series (entity "") */
  entityField?: string;
  /** fields besides time and entity that identify a row (the stream's key columns) */
  keyFields?: readonly string[];
  /** bucket width (ms), or null for raw points */
  widthMs: number | null;
  aggregate: Aggregate;
}

interface Series {
  /** display-width buckets, keyed by start; all start before the boundary */
  buckets: Map<number, Agg>;
  /** minute buckets at or after the boundary, from a live rollup query */
  edge: Map<number, Agg>;
  /** points at or after the boundary (every point in raw mode), in time order */
  ts: number[];
  v: number[];
}

export interface ChartSeries {
  entity: string;
  metric: string;
  /** seconds since the epoch (uPlot's unit) */
  x: number[];
  y: Array<number | null>;
}

export interface HistoryBucket {
  entity: string;
  metric: string;
  bucketMs: number;
  agg: Agg;
}

const EMPTY = (): Series => ({ buckets: new Map(), edge: new Map(), ts: [], v: [] });

export class SeriesSet {
  /** bumped on every change */
  version = 0;
  /** buckets hold what is before it, points what is at or after it (bucket mode) */
  boundaryMs = Number.NEGATIVE_INFINITY;
  duplicates = 0;
  readonly widthMs: number | null;
  readonly aggregate: Aggregate;
  private readonly series = new Map<string, Series>();
  /** keys of the points held, with their times (to drop a point that comes again) */
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: SeriesSetOptions) {
    this.widthMs = opts.widthMs;
    this.aggregate = opts.aggregate;
  }

  get metrics(): readonly string[] {
    return this.opts.metrics;
  }

  private get(entity: string, metric: string): Series {
    const k = `${entity}\u0000${metric}`;
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = EMPTY()));
    return s;
  }

  /** Entities with any data, in id order. */
  entities(): string[] {
    const out = new Set<string>();
    for (const k of this.series.keys()) out.add(k.slice(0, k.indexOf('\u0000')));
    return [...out].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  }

  /** The key of a row: its time, entity and key columns (values compared as text). */
  rowKey(row: Row): string {
    const parts = [String(parseTime(row[this.opts.timeField]))];
    if (this.opts.entityField) parts.push(String(row[this.opts.entityField]));
    for (const f of this.opts.keyFields ?? []) parts.push(String(row[f]));
    return parts.join('\u0000');
  }

  /**
   * Add rows from any source. In bucket mode a row before the boundary is left to the history
   * (whose buckets already hold it, or will when it is re-read). Returns how many rows were new.
   */
  addRows(rows: readonly Row[]): number {
    let added = 0;
    for (const row of rows) {
      const t = parseTime(row[this.opts.timeField]);
      if (Number.isNaN(t) || t < this.boundaryMs) continue;
      const key = this.rowKey(row);
      if (this.seen.has(key)) {
        this.duplicates++;
        continue;
      }
      this.seen.set(key, t);
      const entity = this.opts.entityField ? String(row[this.opts.entityField]) : '';
      for (const metric of this.opts.metrics) {
        const v = toNumber(row[metric]);
        if (v === null) continue;
        insertPoint(this.get(entity, metric), t, v);
      }
      added++;
    }
    if (added) this.version++;
    return added;
  }

  /**
   * Replace the history buckets of [fromMs, boundaryMs) with what the server says (a first read or
   * a periodic re-read: a late point the worker rolled up since then appears here).
   */
  setHistory(buckets: readonly HistoryBucket[], fromMs: number, boundaryMs: number): void {
    if (boundaryMs > this.boundaryMs) this.moveBoundary(boundaryMs);
    for (const s of this.series.values()) {
      for (const start of [...s.buckets.keys()])
        if (start >= fromMs && start < boundaryMs) s.buckets.delete(start);
    }
    for (const b of buckets) {
      if (b.bucketMs < fromMs || b.bucketMs >= this.boundaryMs) continue;
      this.get(b.entity, b.metric).buckets.set(b.bucketMs, { ...b.agg });
    }
    this.version++;
  }

  /** Minute buckets at or after the boundary from a live rollup query (each replaces its minute). */
  setEdgeBuckets(buckets: readonly HistoryBucket[]): void {
    let changed = false;
    for (const b of buckets) {
      if (b.bucketMs < this.boundaryMs) continue;
      this.get(b.entity, b.metric).edge.set(b.bucketMs, { ...b.agg });
      changed = true;
    }
    if (changed) this.version++;
  }

  /**
   * Fold points and edge minutes older than `keepFromMs` into buckets (bucket mode), moving the
   * boundary to the start of the bucket holding it.
   */
  advance(keepFromMs: number): void {
    if (this.widthMs === null) return;
    const next = bucketStart(keepFromMs, this.widthMs);
    if (next > this.boundaryMs) this.moveBoundary(next);
  }

  private moveBoundary(next: number): void {
    const w = this.widthMs;
    for (const s of this.series.values()) {
      let n = 0;
      while (n < s.ts.length && s.ts[n]! < next) {
        if (w !== null) {
          const start = bucketStart(s.ts[n]!, w);
          s.buckets.set(start, addPoint(s.buckets.get(start), s.ts[n]!, s.v[n]!));
        }
        n++;
      }
      if (n) {
        s.ts.splice(0, n);
        s.v.splice(0, n);
      }
      for (const [minute, agg] of s.edge) {
        if (minute >= next) continue;
        if (w !== null) {
          const start = bucketStart(minute, w);
          s.buckets.set(start, combine(s.buckets.get(start), agg));
        }
        s.edge.delete(minute);
      }
    }
    this.boundaryMs = next;
    for (const [k, t] of this.seen) if (t < next) this.seen.delete(k);
    this.version++;
  }

  /** Drop everything before `fromMs` (the range slid past it). */
  trimBefore(fromMs: number): void {
    let changed = false;
    const firstBucket = this.widthMs === null ? fromMs : bucketStart(fromMs, this.widthMs);
    for (const s of this.series.values()) {
      for (const start of s.buckets.keys()) {
        if (start < firstBucket) {
          s.buckets.delete(start);
          changed = true;
        }
      }
      let n = 0;
      while (n < s.ts.length && s.ts[n]! < fromMs) n++;
      if (n) {
        s.ts.splice(0, n);
        s.v.splice(0, n);
        changed = true;
      }
    }
    if (this.widthMs === null) for (const [k, t] of this.seen) if (t < fromMs) this.seen.delete(k);
    if (changed) this.version++;
  }

  /** What a chart draws for one series over [fromMs, toMs]: bucket values at bucket middles, then the live edge. */
  chart(entity: string, metric: string, fromMs: number, toMs: number): ChartSeries {
    const s = this.series.get(`${entity}\u0000${metric}`) ?? EMPTY();
    const x: number[] = [];
    const y: Array<number | null> = [];
    const w = this.widthMs;
    if (w !== null) {
      const tail = new Map<number, Agg>();
      const drawPoints = pointsComparable(this.aggregate) && s.edge.size === 0;
      if (!drawPoints) {
        for (let i = 0; i < s.ts.length; i++) {
          const start = bucketStart(s.ts[i]!, w);
          tail.set(start, addPoint(tail.get(start), s.ts[i]!, s.v[i]!));
        }
        for (const [minute, agg] of s.edge) {
          const start = bucketStart(minute, w);
          tail.set(start, combine(tail.get(start), agg));
        }
      }
      const starts = [...s.buckets.keys(), ...tail.keys()].sort((a, b) => a - b);
      let prev = Number.NaN;
      for (const start of starts) {
        if (start === prev) continue;
        prev = start;
        if (start + w <= fromMs || start > toMs) continue;
        const agg =
          s.buckets.has(start) && tail.has(start)
            ? combine(s.buckets.get(start), tail.get(start)!)
            : (s.buckets.get(start) ?? tail.get(start));
        x.push((start + w / 2) / 1000);
        y.push(aggValue(agg, this.aggregate));
      }
      if (!drawPoints) return { entity, metric, x, y };
    }
    for (let i = 0; i < s.ts.length; i++) {
      const t = s.ts[i]!;
      if (t < fromMs || t > toMs) continue;
      x.push(t / 1000);
      y.push(s.v[i]!);
    }
    return { entity, metric, x, y };
  }

  /** The aggregate of one series over [fromMs, toMs] (stat and table panels). */
  summary(entity: string, metric: string, fromMs: number, toMs: number): Agg | undefined {
    const s = this.series.get(`${entity}\u0000${metric}`);
    if (!s) return undefined;
    let out: Agg | undefined;
    const w = this.widthMs ?? 0;
    for (const [start, agg] of s.buckets)
      if (start + w > fromMs && start <= toMs) out = combine(out, agg);
    for (const [minute, agg] of s.edge) if (minute <= toMs) out = combine(out, agg);
    for (let i = 0; i < s.ts.length; i++) {
      const t = s.ts[i]!;
      if (t >= fromMs && t <= toMs)
        out = combine(out, {
          count: 1,
          min: s.v[i]!,
          max: s.v[i]!,
          sum: s.v[i]!,
          last: s.v[i]!,
          lastTs: t,
        });
    }
    return out;
  }

  /** How many distinct rows with a time in [fromMs, toMs] it holds (at or after the boundary). */
  rowsBetween(fromMs: number, toMs: number): number {
    let n = 0;
    for (const t of this.seen.values()) if (t >= fromMs && t <= toMs) n++;
    return n;
  }

  /** Points held after the boundary and buckets before it (what the panel's footer says). */
  counts(): { points: number; buckets: number } {
    let points = 0;
    let buckets = 0;
    for (const s of this.series.values()) {
      points += s.ts.length;
      buckets += s.buckets.size + s.edge.size;
    }
    return { points, buckets };
  }
}

function insertPoint(s: Series, t: number, v: number): void {
  let at = s.ts.length;
  if (at > 0 && s.ts[at - 1]! > t) {
    // a late point: its place by binary search (streams mostly arrive in order)
    let lo = 0;
    let hi = s.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.ts[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    at = lo;
  }
  if (at === s.ts.length) {
    s.ts.push(t);
    s.v.push(v);
  } else {
    s.ts.splice(at, 0, t);
    s.v.splice(at, 0, v);
  }
}
