/**
 * Columnar chart data (what uPlot draws): one x array (seconds) and one y array per metric,
 * appended to in time order, with late points inserted in place, trimmed to a time window.
 */
import { parseTime, type Row } from './stream-buffer';

export interface SeriesData {
  /** Seconds since the epoch (uPlot's default time unit). */
  x: number[];
  y: Record<string, Array<number | null>>;
}

export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export class SeriesStore {
  readonly data: SeriesData;
  /** Bumped on every change, for React to notice. */
  version = 0;

  constructor(
    readonly metrics: readonly string[],
    private readonly timeField: string,
    private readonly maxPoints = 20_000,
  ) {
    this.data = { x: [], y: Object.fromEntries(metrics.map((m) => [m, []])) };
  }

  /** Add rows (any order); returns how many were added. */
  append(rows: readonly Row[]): number {
    let added = 0;
    const { x, y } = this.data;
    for (const row of rows) {
      const t = parseTime(row[this.timeField]);
      if (Number.isNaN(t)) continue;
      const s = t / 1000;
      let at = x.length;
      if (at > 0 && x[at - 1]! > s) {
        // a late point: binary search its place (rare; streams arrive in order)
        let lo = 0;
        let hi = x.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (x[mid]! <= s) lo = mid + 1;
          else hi = mid;
        }
        at = lo;
      }
      if (at === x.length) {
        x.push(s);
        for (const m of this.metrics) y[m]!.push(toNumber(row[m]));
      } else {
        x.splice(at, 0, s);
        for (const m of this.metrics) y[m]!.splice(at, 0, toNumber(row[m]));
      }
      added++;
    }
    if (x.length > this.maxPoints) this.dropFirst(x.length - this.maxPoints);
    if (added) this.version++;
    return added;
  }

  /** Drop points older than `fromSeconds`. */
  trimBefore(fromSeconds: number): void {
    const { x } = this.data;
    let n = 0;
    while (n < x.length && x[n]! < fromSeconds) n++;
    if (n) this.dropFirst(n);
  }

  private dropFirst(n: number): void {
    this.data.x.splice(0, n);
    for (const m of this.metrics) this.data.y[m]!.splice(0, n);
    this.version++;
  }

  clear(): void {
    this.data.x.length = 0;
    for (const m of this.metrics) this.data.y[m]!.length = 0;
    this.version++;
  }

  get length(): number {
    return this.data.x.length;
  }
}
