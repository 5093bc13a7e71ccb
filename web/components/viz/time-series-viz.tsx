'use client';

/**
 * Line, area and bar panels drawn with uPlot: one series per entity × metric, aligned on a shared
 * time axis, the x range following the clock while the panel follows it. Dragging across the plot
 * zooms the dashboard to that span (onZoom); double-click zooms out. Alert thresholds are drawn as
 * dashed lines, red while an alert of theirs fires.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { formatTicks, formatTimeTicks } from '@/lib/format';
import { redrawEveryMs } from '@/lib/time/redraw';
import type { SeriesSet } from '@/lib/series/series-set';

export interface Threshold {
  value: number;
  firing: boolean;
}

export interface TimeSeriesVizProps {
  id: string;
  set: SeriesSet;
  version: number;
  entities: readonly string[];
  labelOf: (entity: string) => string;
  kind: 'line' | 'area' | 'bar';
  fromMs: number;
  toMs: number;
  following: boolean;
  thresholds: readonly Threshold[];
  onZoom?: (fromMs: number, toMs: number) => void;
  onZoomOut?: () => void;
  height?: number;
  title: string;
}

declare global {
  interface Window {
    /** What each chart draws, for the browser tests and the benchmark: per series x (s) and y. */
    __streamsyncCharts?: Record<
      string,
      () => {
        series: Array<{ label: string; x: number[]; y: Array<number | null> }>;
        min: number;
        max: number;
        drawnAt: number;
      }
    >;
  }
}

const COLORS = 6;
function cssVar(name: string, fallback: string): string {
  if (typeof window === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

interface Built {
  data: uPlot.AlignedData;
  labels: string[];
  raw: Array<{ label: string; x: number[]; y: Array<number | null> }>;
}

function build(p: TimeSeriesVizProps): Built {
  const raw: Built['raw'] = [];
  const multiMetric = p.set.metrics.length > 1;
  const multiEntity = p.entities.length > 1;
  // a range that follows the clock ends now, not where it ended when the panel opened
  const span = p.toMs - p.fromMs;
  const toMs = p.following ? Date.now() + 60_000 : p.toMs;
  const fromMs = p.following ? Date.now() - span : p.fromMs;
  for (const e of p.entities) {
    for (const m of p.set.metrics) {
      const c = p.set.chart(e, m, fromMs, toMs);
      const label =
        [multiEntity || !multiMetric ? p.labelOf(e) : '', multiMetric ? m : '']
          .filter(Boolean)
          .join(' · ') || m;
      raw.push({ label, x: c.x, y: c.y });
    }
  }
  const data =
    raw.length === 0
      ? ([[]] as unknown as uPlot.AlignedData)
      : raw.length === 1
        ? ([raw[0]!.x, raw[0]!.y] as uPlot.AlignedData)
        : uPlot.join(raw.map((r) => [r.x, r.y] as uPlot.AlignedData));
  return { data, labels: raw.map((r) => r.label), raw };
}

export function TimeSeriesViz(props: TimeSeriesVizProps) {
  const { id, version, height = 220 } = props;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const propsRef = useRef(props);
  const built = useRef<Built | null>(null);
  const drawnAt = useRef(0);
  /** when the picture last moved: a redraw, or the axis slid */
  const movedAt = useRef(0);
  useEffect(() => {
    propsRef.current = props;
  });
  const seriesCount = props.entities.length * props.set.metrics.length;
  const shape = useMemo(
    () => JSON.stringify([props.kind, props.entities, props.set.metrics, props.thresholds, height]),
    [props.kind, props.entities, props.set.metrics, props.thresholds, height],
  );

  const redrawEvery = () =>
    redrawEveryMs(
      propsRef.current.toMs - propsRef.current.fromMs,
      plot.current?.over.clientWidth ?? 0,
    );

  const range = (): [number, number] => {
    const p = propsRef.current;
    if (p.following) {
      const span = p.toMs - p.fromMs;
      const now = Date.now();
      return [(now - span) / 1000, now / 1000];
    }
    return [p.fromMs / 1000, p.toMs / 1000];
  };

  // (re)create on shape or theme change
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let u: uPlot | null = null;
    const create = () => {
      u?.destroy();
      const p = propsRef.current;
      const b = build(p);
      built.current = b;
      const axis = cssVar('--chart-axis', '#334155');
      const grid = cssVar('--chart-grid', '#e2e8f0');
      const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
      const opts: uPlot.Options = {
        width: Math.max(200, el.clientWidth),
        height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 5 } },
        select: { show: true, left: 0, top: 0, width: 0, height: 0 },
        legend: { show: true, live: true },
        scales: { x: { time: true, range: () => range() }, y: { auto: true } },
        axes: [
          {
            stroke: axis,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            values: (_u, splits, _a, _s, step) => formatTimeTicks(splits, step),
          },
          {
            stroke: axis,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            size: 64,
            values: (_u, splits) => formatTicks(splits),
          },
        ],
        series: [
          { label: 'time' },
          ...b.labels.map((label, i) => {
            const color = cssVar(`--chart-${(i % COLORS) + 1}`, '#1d4ed8');
            return {
              label,
              stroke: color,
              width: p.kind === 'bar' ? 0 : 1.5,
              spanGaps: p.kind !== 'bar',
              points: { show: false },
              ...(p.kind === 'area' ? { fill: `${color}33` } : {}),
              ...(p.kind === 'bar' && bars ? { paths: bars, fill: `${color}cc` } : {}),
            } satisfies uPlot.Series;
          }),
        ],
        hooks: {
          setSelect: [
            (uu) => {
              const s = uu.select;
              if (s.width > 4) {
                const a = uu.posToVal(s.left, 'x') * 1000;
                const z = uu.posToVal(s.left + s.width, 'x') * 1000;
                propsRef.current.onZoom?.(a, z);
              }
              uu.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            },
          ],
          draw: [
            (uu) => {
              const ctx = uu.ctx;
              for (const t of propsRef.current.thresholds) {
                const y = uu.valToPos(t.value, 'y', true);
                if (!Number.isFinite(y) || y < uu.bbox.top || y > uu.bbox.top + uu.bbox.height)
                  continue;
                ctx.save();
                ctx.strokeStyle = t.firing ? '#dc2626' : cssVar('--chart-axis', '#64748b');
                ctx.setLineDash([6, 4]);
                ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1);
                ctx.beginPath();
                ctx.moveTo(uu.bbox.left, y);
                ctx.lineTo(uu.bbox.left + uu.bbox.width, y);
                ctx.stroke();
                ctx.restore();
              }
            },
          ],
        },
      };
      u = new uPlot(opts, b.data, el);
      plot.current = u;
      drawnAt.current = Date.now();
    };
    // built in a task of its own: this effect runs before its panel's, which sends the panel's
    // first reads, so the reads leave first and the server answers them while the charts are
    // built, and a dashboard's charts are not all built in the task that hydrates it
    const first = setTimeout(create, 0);
    const onDbl = () => propsRef.current.onZoomOut?.();
    el.addEventListener('dblclick', onDbl);
    const resize = new ResizeObserver(() => {
      if (u && el.clientWidth > 0 && Math.abs(u.width - el.clientWidth) > 1)
        u.setSize({ width: el.clientWidth, height });
    });
    resize.observe(el);
    const theme = new MutationObserver(create);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    window.__streamsyncCharts ??= {};
    window.__streamsyncCharts[id] = () => {
      const r = range();
      return {
        series: built.current?.raw.map((s) => ({ ...s, x: [...s.x], y: [...s.y] })) ?? [],
        min: r[0],
        max: r[1],
        drawnAt: drawnAt.current,
      };
    };
    return () => {
      clearTimeout(first);
      el.removeEventListener('dblclick', onDbl);
      resize.disconnect();
      theme.disconnect();
      if (window.__streamsyncCharts) delete window.__streamsyncCharts[id];
      u?.destroy();
      plot.current = null;
    };
  }, [id, shape, height]);

  // new data or a new range: rebuild the aligned arrays, at most once per task, and for more data
  // alone at most every redrawEveryMs
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const drawnView = useRef('');
  const view = JSON.stringify([props.fromMs, props.toMs, props.entities, shape]);
  useEffect(() => {
    // a new view, or a chart that shows nothing yet (its first data), is drawn at once
    const newView = view !== drawnView.current || !built.current?.raw.some((r) => r.x.length > 0);
    if (pending.current !== null) {
      if (!newView) return;
      clearTimeout(pending.current);
    }
    const wait = newView ? 0 : Math.max(0, movedAt.current + redrawEvery() - Date.now());
    pending.current = setTimeout(() => {
      pending.current = null;
      const u = plot.current;
      if (!u) return;
      const b = build(propsRef.current);
      built.current = b;
      if (b.labels.length + 1 !== u.series.length) return; // a new shape is being created
      u.setData(b.data, true);
      drawnAt.current = movedAt.current = Date.now();
      drawnView.current = view;
    }, wait);
  }, [version, view]);
  useEffect(
    () => () => {
      if (pending.current !== null) clearTimeout(pending.current);
    },
    [],
  );

  // the x axis slides with the clock even when no point arrives
  useEffect(() => {
    if (!props.following) return;
    const t = setInterval(() => {
      const u = plot.current;
      // a redraw for new data since it last moved a pixel already slid it
      if (!u || Date.now() - movedAt.current < redrawEvery() - 100) return;
      const [min, max] = range();
      u.setScale('x', { min, max });
      movedAt.current = Date.now();
    }, 1000);
    return () => clearInterval(t);
  }, [props.following]);

  return (
    <div
      ref={box}
      role="img"
      aria-label={`${props.title}: ${props.kind} chart of ${seriesCount} series. Drag across it to zoom, double-click to zoom out; the CSV button gives its values.`}
      data-testid={`chart-${id}`}
      className="w-full overflow-hidden"
      style={{ minHeight: height + 40 }}
    />
  );
}
