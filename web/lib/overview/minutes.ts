/** A stream's load per minute, from the per-minute rollups (the overview cards' history). */
import { parseTime } from '@/lib/stream/stream-buffer';

export const STREAM_MINUTES = `subscription StreamMinutes($stream: String!, $metric: String!, $from: timestamptz!) {
  rows: rollups_1m(where: { stream: { _eq: $stream }, metric: { _eq: $metric }, bucket: { _gte: $from } }, order_by: { bucket: asc }, limit: 10000) { bucket count }
}`;

export const HISTORY_MS = 3_600_000;

/** Sum rollup rows (one per entity and minute) into rows per minute. */
export function perMinute(
  rows: ReadonlyArray<{ bucket: string; count: number | string }>,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of rows) {
    const t = parseTime(r.bucket);
    out.set(t, (out.get(t) ?? 0) + Number(r.count));
  }
  return out;
}
