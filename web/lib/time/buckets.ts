/**
 * How a panel's points are read for a time range: raw points for short spans (or when the panel
 * asks for them), else buckets whose width grows with the span so a series keeps a few hundred
 * points. Widths are those the rollups can serve exactly: whole minutes from rollups_1m, whole
 * hours from rollups_1h (bucketed_series picks the source).
 */

export type BucketSetting = 'auto' | 'raw' | '1m' | '5m' | '15m' | '1h' | '6h' | '1d';

export const BUCKET_WIDTHS: ReadonlyArray<{
  key: Exclude<BucketSetting, 'auto' | 'raw'>;
  ms: number;
}> = [
  { key: '1m', ms: 60_000 },
  { key: '5m', ms: 300_000 },
  { key: '15m', ms: 900_000 },
  { key: '1h', ms: 3_600_000 },
  { key: '6h', ms: 21_600_000 },
  { key: '1d', ms: 86_400_000 },
];

/** Spans up to this long draw every point on `auto`. */
export const RAW_MAX_SPAN_MS = 30 * 60_000;
/** Buckets per series `auto` aims to stay under. */
export const TARGET_BUCKETS = 720;

export type Resolution = { kind: 'raw' } | { kind: 'bucket'; key: string; ms: number };

/**
 * @param rolledUp whether the worker rolls the panel's metrics up; without rollups every span is
 * raw (newest rows up to the role's limit), bucketed in the browser.
 */
export function chooseResolution(
  setting: BucketSetting,
  spanMs: number,
  rolledUp: boolean,
): Resolution {
  if (setting === 'raw') return { kind: 'raw' };
  if (setting !== 'auto') {
    const w = BUCKET_WIDTHS.find((b) => b.key === setting)!;
    // a width so fine the span would need tens of thousands of buckets falls back to auto
    if (spanMs / w.ms <= 5_000) return { kind: 'bucket', key: w.key, ms: w.ms };
  }
  if (spanMs <= RAW_MAX_SPAN_MS && setting === 'auto') return { kind: 'raw' };
  const w =
    BUCKET_WIDTHS.find((b) => spanMs / b.ms <= TARGET_BUCKETS) ??
    BUCKET_WIDTHS[BUCKET_WIDTHS.length - 1]!;
  if (!rolledUp && spanMs <= RAW_MAX_SPAN_MS) return { kind: 'raw' };
  return { kind: 'bucket', key: w.key, ms: w.ms };
}

/** Start of the bucket holding `ms` (buckets are aligned to 2000-01-01 UTC, as date_bin is). */
export function bucketStart(ms: number, widthMs: number): number {
  const origin = Date.UTC(2000, 0, 1);
  return origin + Math.floor((ms - origin) / widthMs) * widthMs;
}

/** bucketed_series' width argument for a width in ms (an interval Postgres reads). */
export function intervalOf(widthMs: number): string {
  return `${Math.round(widthMs / 1000)} seconds`;
}
