/**
 * Time ranges as Grafana writes them, so a URL says what the page shows: `from` and `to` are each
 * `now`, `now-<n><unit>` (s, m, h, d, w) or epoch milliseconds. A range that ends at `now` follows
 * the clock ("follow now"); an absolute one stays put. Zoom and pan produce absolute ranges; asking
 * to follow again keeps the span and ends it at now.
 */

export interface TimeRange {
  from: string;
  to: string;
}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const SPEC = /^(now(?:-([0-9]{1,6})([smhdw]))?|[0-9]{10,16})$/;

/** Shortest and longest span a range may have. */
export const MIN_SPAN_MS = 10_000;
export const MAX_SPAN_MS = 400 * 86_400_000;

export const PRESETS: ReadonlyArray<{ label: string; from: string }> = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
  { label: 'Last 30 days', from: 'now-30d' },
];

export const DEFAULT_RANGE: TimeRange = { from: 'now-1h', to: 'now' };

export function isValidSpec(spec: string): boolean {
  return SPEC.test(spec);
}

/** Milliseconds since the epoch that `spec` means at `nowMs`. */
export function resolveSpec(spec: string, nowMs: number): number {
  const m = SPEC.exec(spec);
  if (!m) throw new Error(`not a time: ${JSON.stringify(spec)}`);
  if (!m[1]!.startsWith('now')) return Number(spec);
  return m[2] ? nowMs - Number(m[2]) * UNIT_MS[m[3]!]! : nowMs;
}

export function isFollowing(r: TimeRange): boolean {
  return r.to === 'now';
}

export interface ResolvedRange {
  fromMs: number;
  toMs: number;
  following: boolean;
}

export function resolveRange(r: TimeRange, nowMs: number): ResolvedRange {
  return {
    fromMs: resolveSpec(r.from, nowMs),
    toMs: resolveSpec(r.to, nowMs),
    following: isFollowing(r),
  };
}

/** A range from the URL's parameters, or the fallback when they are missing or make no sense. */
export function parseRange(
  params: { from?: string | null; to?: string | null },
  fallback: TimeRange = DEFAULT_RANGE,
): TimeRange {
  const from = params.from ?? fallback.from;
  const to = params.to ?? fallback.to;
  if (!isValidSpec(from) || !isValidSpec(to)) return fallback;
  const now = Date.now();
  const span = resolveSpec(to, now) - resolveSpec(from, now);
  if (span < MIN_SPAN_MS || span > MAX_SPAN_MS) return fallback;
  return { from, to };
}

/** An absolute range (zoom), clamped to sane spans. */
export function absoluteRange(fromMs: number, toMs: number): TimeRange {
  let a = Math.round(Math.min(fromMs, toMs));
  let b = Math.round(Math.max(fromMs, toMs));
  if (b - a < MIN_SPAN_MS) {
    const mid = (a + b) / 2;
    a = Math.round(mid - MIN_SPAN_MS / 2);
    b = a + MIN_SPAN_MS;
  }
  return { from: String(a), to: String(b) };
}

/** The relative form of a span ending now: `now-15m`, or seconds when no unit divides it. */
export function relativeFrom(spanMs: number): string {
  for (const u of ['w', 'd', 'h', 'm'] as const) {
    const n = spanMs / UNIT_MS[u]!;
    if (Number.isInteger(n) && n <= 999_999) return `now-${n}${u}`;
  }
  return `now-${Math.max(1, Math.round(spanMs / 1000))}s`;
}

/** The same span, ending now and following the clock. */
export function followNow(r: TimeRange, nowMs: number): TimeRange {
  const { fromMs, toMs } = resolveRange(r, nowMs);
  return { from: relativeFrom(Math.max(MIN_SPAN_MS, toMs - fromMs)), to: 'now' };
}

/**
 * Move the range by `fraction` of its span (negative: back in time). A range pushed past now
 * follows the clock again.
 */
export function pan(r: TimeRange, nowMs: number, fraction: number): TimeRange {
  const { fromMs, toMs } = resolveRange(r, nowMs);
  const span = toMs - fromMs;
  const shift = Math.round(span * fraction);
  if (toMs + shift >= nowMs) return followNow(r, nowMs);
  return absoluteRange(fromMs + shift, toMs + shift);
}

/** Widen the range around its middle (or keep its end at now when it follows). */
export function zoomOut(r: TimeRange, nowMs: number, factor = 2): TimeRange {
  const { fromMs, toMs, following } = resolveRange(r, nowMs);
  const span = Math.min(MAX_SPAN_MS, (toMs - fromMs) * factor);
  if (following) return { from: relativeFrom(span), to: 'now' };
  const mid = (fromMs + toMs) / 2;
  const to = Math.min(nowMs, mid + span / 2);
  return to >= nowMs ? { from: relativeFrom(span), to: 'now' } : absoluteRange(to - span, to);
}

/** What the time picker's button says. */
export function describeRange(r: TimeRange): string {
  const preset = PRESETS.find((p) => p.from === r.from && r.to === 'now');
  if (preset) return preset.label;
  if (r.to === 'now') return `${r.from.replace('now-', 'Last ')}`;
  const fmt = (s: string) => {
    const ms = resolveSpec(s, 0);
    return s.startsWith('now') ? s : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  };
  return `${fmt(r.from)} → ${fmt(r.to)} UTC`;
}
