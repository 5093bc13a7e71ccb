'use client';

/**
 * One live time-series panel drawn with uPlot. The data arrays are owned by the caller (a
 * SeriesStore) and redrawn when `version` changes; the x axis slides with the clock when a window
 * is given. Paused: nothing is redrawn, data keeps arriving and is drawn on resume.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { formatTicks, formatTimeTicks } from '@/lib/format';
import type { SeriesData } from '@/lib/stream/series-store';

export interface TimeChartProps {
  id: string;
  data: SeriesData;
  version: number;
  metric: string;
  label: string;
  /** Window length (ms) the x axis shows, ending now; undefined fits the data. */
  windowMs?: number;
  paused?: boolean;
  height?: number;
  colorIndex?: number;
  /** Draw points as steps (rollup buckets) rather than a line. */
  stepped?: boolean;
}

declare global {
  interface Window {
    /** Read-only view of what each chart draws, for the browser tests. */
    __streamsyncCharts?: Record<string, () => { x: number[]; y: Array<number | null> }>;
  }
}

function cssVar(name: string, fallback: string): string {
  if (typeof window === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function makeOptions(
  p: TimeChartProps,
  width: number,
  range: { current: [number, number] | null },
): uPlot.Options {
  const axis = cssVar('--chart-axis', '#334155');
  const grid = cssVar('--chart-grid', '#e2e8f0');
  const color = cssVar(`--chart-${((p.colorIndex ?? 0) % 6) + 1}`, '#1d4ed8');
  return {
    width,
    height: p.height ?? 200,
    // every time on the dashboard is UTC, as in the tables
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true, range: (_u, min, max) => range.current ?? [min, max] },
      y: { auto: true },
    },
    axes: [
      {
        stroke: axis,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid },
        values: (_u, splits, _axis, _space, step) => formatTimeTicks(splits, step),
      },
      {
        stroke: axis,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid },
        size: 60,
        values: (_u, splits) => formatTicks(splits),
      },
    ],
    series: [
      { label: 'time' },
      {
        label: p.label,
        stroke: color,
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        ...(p.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
      },
    ],
  };
}

export function TimeChart(props: TimeChartProps) {
  const { id, data, version, metric, label, windowMs, paused, height = 200 } = props;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const range = useRef<[number, number] | null>(null);
  const propsRef = useRef(props);
  // the chart's callbacks read the newest props; effects run in order, so this one comes first
  useEffect(() => {
    propsRef.current = props;
  });

  const currentRange = (): [number, number] | null => {
    const w = propsRef.current.windowMs;
    if (!w) return null;
    const now = Date.now() / 1000;
    return [now - w / 1000, now];
  };

  // create (and re-create on theme change or shape change)
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let u: uPlot | null = null;
    const build = () => {
      u?.destroy();
      range.current = currentRange();
      const p = propsRef.current;
      u = new uPlot(
        makeOptions(p, Math.max(200, el.clientWidth), range),
        [p.data.x, p.data.y[p.metric] ?? []],
        el,
      );
      plot.current = u;
    };
    build();
    const resize = new ResizeObserver(() => {
      if (u && el.clientWidth > 0 && Math.abs(u.width - el.clientWidth) > 1)
        u.setSize({ width: el.clientWidth, height });
    });
    resize.observe(el);
    const theme = new MutationObserver(build);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    window.__streamsyncCharts ??= {};
    window.__streamsyncCharts[id] = () => ({
      x: [...propsRef.current.data.x],
      y: [...(propsRef.current.data.y[metric] ?? [])],
    });
    return () => {
      resize.disconnect();
      theme.disconnect();
      if (window.__streamsyncCharts) delete window.__streamsyncCharts[id];
      u?.destroy();
      plot.current = null;
    };
  }, [id, metric, label, height, props.stepped, props.colorIndex]);

  // Redraws are coalesced into one task per chart (several charts never share one long task)
  // and happen at most once per data change or clock second: new data redraws with the sliding
  // range; a quiet second only moves the x scale.
  const drawn = useRef({ version: -1, at: 0, pending: false });
  const redraw = useRef(() => {});
  useEffect(() => {
    redraw.current = () => {
      const d = drawn.current;
      if (d.pending) return;
      d.pending = true;
      setTimeout(() => {
        d.pending = false;
        const u = plot.current;
        const p = propsRef.current;
        if (!u || p.paused) return;
        const r = currentRange();
        range.current = r;
        if (d.version !== p.version || u.data[0] !== p.data.x) {
          u.setData([p.data.x, p.data.y[p.metric] ?? []], true);
          d.version = p.version;
        } else if (r) {
          u.setScale('x', { min: r[0], max: r[1] });
        }
        d.at = Date.now();
      }, 0);
    };
  });

  // new data (or resumed): redraw
  useEffect(() => {
    if (!paused) redraw.current();
  }, [version, data, metric, paused]);

  // paused: draw a copy, so the arrays that keep filling are not what the legend reads
  useEffect(() => {
    const u = plot.current;
    if (!paused || !u) return;
    const p = propsRef.current;
    u.setData([p.data.x.slice(), (p.data.y[p.metric] ?? []).slice()], false);
    drawn.current.version = -1;
  }, [paused]);

  // the window slides with the clock even when no point arrives
  useEffect(() => {
    if (!windowMs || paused) return;
    const t = setInterval(() => {
      if (Date.now() - drawn.current.at > 900) redraw.current();
    }, 1000);
    return () => clearInterval(t);
  }, [windowMs, paused]);

  const ys = data.y[metric] ?? [];
  let last: number | null = null;
  for (let i = ys.length - 1; i >= 0 && last === null; i--) last = ys[i] ?? null;
  return (
    <figure className="m-0">
      <div
        ref={box}
        role="img"
        aria-label={`${label}: ${data.x.length} points${last !== null ? `, latest ${last}` : ''}`}
        data-testid={`chart-${id}`}
        data-points={data.x.length}
        className="w-full overflow-hidden"
        style={{ minHeight: height + 30 }}
      />
    </figure>
  );
}
