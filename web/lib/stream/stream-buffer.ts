/**
 * The browser side of "no point missed, none doubled" for a streaming subscription.
 *
 * A `<table>_stream` subscription walks the time column with a cursor. When the socket is replaced
 * (engine restart, token renewal) the subscription is sent again from `resumeCursor()`: the newest
 * time received minus an overlap, so rows that share the last timestamp, or that committed with a
 * slightly older one while we were away, are fetched again rather than skipped. The overlap's
 * duplicates are dropped here by row identity (every field), which needs no knowledge of the
 * table's key.
 */

export type Row = Record<string, unknown>;

export interface StreamBufferOptions {
  timeField: string;
  /** How far behind the newest row a resumed subscription starts (ms). Default 2 s. */
  overlapMs?: number;
}

/** Milliseconds since the epoch of a timestamptz value as Hasura sends it (ISO-8601 string). */
export function parseTime(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const direct = Date.parse(value);
  if (!Number.isNaN(direct)) return direct;
  // Postgres' text form: "2024-05-01 12:00:00.123456+00"
  return Date.parse(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/**
 * Identity of a row: all its fields, in a stable order. Numbers compare by value whether they
 * came as JSON numbers or as strings (bigint / numeric may be stringified by one transport and
 * not the other), so a re-sent row is recognised either way.
 */
export function rowKey(row: Row): string {
  const keys = Object.keys(row).sort();
  return JSON.stringify(
    keys.map((k) => {
      const v = row[k];
      return typeof v === 'string' && NUMERIC_TEXT.test(v) ? Number(v) : v;
    }),
  );
}

export class StreamBuffer {
  private readonly timeField: string;
  private readonly overlapMs: number;
  /** Keys of rows recent enough to be sent again by a resume, with their times. */
  private readonly seen = new Map<string, number>();
  private newest = Number.NEGATIVE_INFINITY;
  /** Rows accepted so far (not kept: the caller stores them). */
  accepted = 0;
  duplicates = 0;

  constructor(opts: StreamBufferOptions) {
    this.timeField = opts.timeField;
    this.overlapMs = opts.overlapMs ?? 2_000;
  }

  /** The rows of a batch not seen before, in time order. */
  accept(rows: readonly Row[]): Row[] {
    const fresh: Array<{ row: Row; t: number }> = [];
    for (const row of rows) {
      const t = parseTime(row[this.timeField]);
      if (Number.isNaN(t)) continue;
      const key = rowKey(row);
      if (this.seen.has(key)) {
        this.duplicates++;
        continue;
      }
      // anything older than the resume horizon cannot come back, so it need not be remembered
      if (t >= this.newest - this.overlapMs * 2) this.seen.set(key, t);
      fresh.push({ row, t });
      if (t > this.newest) this.newest = t;
    }
    this.prune();
    this.accepted += fresh.length;
    fresh.sort((a, b) => a.t - b.t);
    return fresh.map((f) => f.row);
  }

  private prune(): void {
    if (this.seen.size < 4096) return;
    const horizon = this.newest - this.overlapMs * 2;
    for (const [k, t] of this.seen) if (t < horizon) this.seen.delete(k);
  }

  /** Newest time received (ms), or undefined before the first row. */
  get newestTime(): number | undefined {
    return Number.isFinite(this.newest) ? this.newest : undefined;
  }

  /** Where a (re)subscription should start: the initial cursor until a row came, then newest − overlap. */
  resumeCursor(initial: string): string {
    if (!Number.isFinite(this.newest)) return initial;
    const from = this.newest - this.overlapMs;
    const initialMs = parseTime(initial);
    return new Date(Number.isNaN(initialMs) ? from : Math.max(from, initialMs)).toISOString();
  }
}
