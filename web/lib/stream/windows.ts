/**
 * Chart windows and where their points come from. Short windows draw raw points fed by the
 * streaming subscription; long ones draw the worker's rollups (per minute, per hour), which keeps
 * every window within a few thousand points per series.
 */

export type WindowKey = '5m' | '1h' | '24h' | '7d';

export interface ChartWindow {
  key: WindowKey;
  label: string;
  ms: number;
}

export const WINDOWS: readonly ChartWindow[] = [
  { key: '5m', label: '5 min', ms: 5 * 60_000 },
  { key: '1h', label: '1 h', ms: 60 * 60_000 },
  { key: '24h', label: '24 h', ms: 24 * 60 * 60_000 },
  { key: '7d', label: '7 d', ms: 7 * 24 * 60 * 60_000 },
];

export function findWindow(key: string | undefined | null): ChartWindow {
  return WINDOWS.find((w) => w.key === key) ?? WINDOWS[0]!;
}

/** Most rows one request may return (the viewer role's select limit). */
export const ROW_LIMIT = 10_000;
/** Windows up to this long draw raw points. */
export const RAW_MAX_MS = 60 * 60_000;

export type PointSource =
  | { kind: 'raw'; capped: boolean }
  | { kind: 'rollup'; table: string; bucketMs: number }
  | { kind: 'none'; reason: string };

export interface RollupAvailability {
  minute?: { name: string };
  hour?: { name: string };
}

/**
 * Where a window's points come from.
 * @param rolledUp whether the worker rolls this metric up (undefined: not known, assume yes)
 */
export function selectSource(
  windowMs: number,
  rollups: RollupAvailability,
  rolledUp: boolean | undefined,
): PointSource {
  if (windowMs <= RAW_MAX_MS) return { kind: 'raw', capped: false };
  if (rolledUp !== false) {
    const minuteBuckets = windowMs / 60_000;
    const hourBuckets = windowMs / 3_600_000;
    // the finest rollup that keeps the window within a few thousand buckets
    if (rollups.minute && minuteBuckets <= 2_000)
      return { kind: 'rollup', table: rollups.minute.name, bucketMs: 60_000 };
    if (rollups.hour && hourBuckets <= ROW_LIMIT)
      return { kind: 'rollup', table: rollups.hour.name, bucketMs: 3_600_000 };
    if (rollups.minute && minuteBuckets <= ROW_LIMIT)
      return { kind: 'rollup', table: rollups.minute.name, bucketMs: 60_000 };
  }
  if (rolledUp === false) {
    return { kind: 'raw', capped: true };
  }
  return { kind: 'none', reason: 'no rollup table is readable for this window' };
}

/** Start of the window, moved in steps (shared by the server's first render). */
export function windowStart(windowMs: number): string {
  const step = Math.max(15_000, windowMs / 20);
  return new Date(Math.floor((Date.now() - windowMs) / step) * step).toISOString();
}
