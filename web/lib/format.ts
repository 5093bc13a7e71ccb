/** Display formatting shared by the pages (locale-independent on purpose: server and browser agree). */

export function formatNumber(value: number | string | null | undefined, digits = 2): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-3)) return n.toExponential(2);
  if (Number.isInteger(n)) return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fixed = n.toFixed(abs >= 1000 ? 1 : digits);
  const [int, frac] = fixed.split('.');
  return `${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac ? `.${frac}` : ''}`;
}

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '—';
  if (perSecond >= 100) return `${formatNumber(Math.round(perSecond))}/s`;
  return `${perSecond.toFixed(perSecond >= 10 ? 1 : 2)}/s`;
}

/** HH:MM:SS (UTC) of a timestamp: stable between server and browser. */
export function formatClock(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().slice(11, 19);
}

export function formatDateTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/**
 * One formatter per number of decimals: `toLocaleString` with options builds a new formatter on
 * every call, and axes format their ticks on every redraw of every chart.
 */
const tickFormats = new Map<number, Intl.NumberFormat>();
function tickFormat(decimals: number): Intl.NumberFormat {
  let f = tickFormats.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('en', {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    tickFormats.set(decimals, f);
  }
  return f;
}

/** Tick labels with as many decimals as the step between ticks needs (3.699, 3.700 …). */
export function formatTicks(splits: number[]): string[] {
  const step = splits.length > 1 ? Math.abs(splits[1]! - splits[0]!) : 1;
  const decimals = step > 0 ? Math.min(8, Math.max(0, -Math.floor(Math.log10(step)))) : 0;
  const f = tickFormat(decimals);
  return splits.map((v) => (Math.abs(v) >= 1e6 ? v.toExponential(2) : f.format(v)));
}

/**
 * Time-axis labels (UTC) for ticks `splits` (seconds) that are `step` seconds apart: seconds when
 * they matter, the day when ticks are days apart, the date once where it changes.
 */
export function formatTimeTicks(splits: number[], step: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    const day = iso.slice(5, 10);
    const clock = step < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
    if (step >= 86_400) return day;
    const label = day !== lastDay && lastDay !== '' ? `${day} ${clock}` : clock;
    lastDay = day;
    return label;
  });
}
