'use client';

/**
 * Heatmap panels: one row per entity, one column per bucket, the colour the bucket's aggregate of
 * the first metric (a sequential scale from the lowest to the highest value shown), on a canvas so
 * it exports as PNG like the charts.
 */
import { useEffect, useRef, useState } from 'react';
import { MAX_HEATMAP_ROWS } from '@/lib/dashboards/model';
import { formatNumber } from '@/lib/format';
import type { SeriesSet } from '@/lib/series/series-set';

const LABEL_W = 140;
const AXIS_H = 22;
const ROW_H = 14;
/** Least time between two redraws for new data alone (a minute-bucket heatmap needs no more). */
const MIN_REDRAW_MS = 2000;

/** viridis-like: dark blue → teal → yellow */
function colour(f: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, f)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  const c = stops[i]!.map((v, k) => Math.round(v + (stops[i + 1]![k]! - v) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function HeatmapViz({
  id,
  set,
  version,
  entities,
  labelOf,
  fromMs,
  toMs,
  following,
  title,
}: {
  id: string;
  set: SeriesSet;
  version: number;
  entities: readonly string[];
  labelOf: (entity: string) => string;
  fromMs: number;
  toMs: number;
  following: boolean;
  title: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const metric = set.metrics[0]!;
  const rows = entities.slice(0, MAX_HEATMAP_ROWS);
  const height = AXIS_H + Math.max(1, rows.length) * ROW_H + 4;
  const [stats, setStats] = useState({ min: Number.NaN, max: Number.NaN });
  const drawRef = useRef<() => void>(() => {});
  const drawnAt = useRef(0);
  /** the last draw had a cell to colour */
  const drewData = useRef(false);
  const rowsKey = rows.join(',');

  // a new view: drawn at once (the set is mutated in place, so a draw always shows its newest)
  useEffect(() => {
    const draw = () => {
      const c = canvas.current;
      if (!c) return;
      drawnAt.current = Date.now();
      const ratio = window.devicePixelRatio || 1;
      const width = c.parentElement?.clientWidth || 600;
      c.width = width * ratio;
      c.height = height * ratio;
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
      const ctx = c.getContext('2d')!;
      ctx.scale(ratio, ratio);
      const dark = document.documentElement.classList.contains('dark');
      ctx.fillStyle = dark ? '#0f172a' : '#ffffff';
      ctx.fillRect(0, 0, width, height);
      const span = toMs - fromMs;
      const now = Date.now();
      const x0 = following ? now - span : fromMs;
      const plotW = width - LABEL_W - 4;
      const series = rows.map((e) => set.chart(e, metric, x0, x0 + span));
      let min = Infinity;
      let max = -Infinity;
      for (const s of series) {
        for (const v of s.y) {
          if (v === null) continue;
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
      drewData.current = min <= max;
      setStats((old) => (old.min === min && old.max === max ? old : { min, max }));
      const w = set.widthMs ?? 60_000;
      const cellW = Math.max(1, (w / span) * plotW);
      series.forEach((s, r) => {
        const y = AXIS_H + r * ROW_H;
        ctx.fillStyle = dark ? '#cbd5e1' : '#334155';
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText(labelOf(rows[r]!).slice(0, 22), 2, y + ROW_H - 3);
        for (let i = 0; i < s.x.length; i++) {
          const v = s.y[i];
          if (v === null || v === undefined) continue;
          const start = s.x[i]! * 1000 - w / 2;
          const px = LABEL_W + ((start - x0) / span) * plotW;
          ctx.fillStyle = colour(max > min ? (v - min) / (max - min) : 0.5);
          ctx.fillRect(px, y, cellW + 0.5, ROW_H - 1);
        }
      });
      ctx.fillStyle = dark ? '#cbd5e1' : '#334155';
      for (let k = 0; k <= 4; k++) {
        const t = x0 + (span * k) / 4;
        const label = new Date(t)
          .toISOString()
          .slice(span > 2 * 86_400_000 ? 5 : 11, span > 2 * 86_400_000 ? 16 : 16)
          .replace('T', ' ');
        ctx.fillText(label, Math.min(width - 60, LABEL_W + (plotW * k) / 4), 12);
      }
    };
    drawRef.current = draw;
    draw();
    const t = following ? setInterval(draw, 5000) : undefined;
    const observer = new MutationObserver(draw);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    return () => {
      if (t) clearInterval(t);
      observer.disconnect();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fromMs, toMs, following, rowsKey, height]);

  // new data: the first at once, more at most every MIN_REDRAW_MS
  useEffect(() => {
    const t = setTimeout(
      () => drawRef.current(),
      drewData.current ? Math.max(0, drawnAt.current + MIN_REDRAW_MS - Date.now()) : 0,
    );
    return () => clearTimeout(t);
  }, [version]);

  return (
    <figure className="m-0">
      <canvas
        ref={canvas}
        role="img"
        data-testid={`heatmap-${id}`}
        aria-label={`${title}: heatmap of ${metric} (${set.aggregate} per bucket) across ${rows.length} entities`}
      />
      <figcaption className="mt-1 flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
        <span>{formatNumber(Number.isFinite(stats.min) ? stats.min : null)}</span>
        <span
          aria-hidden="true"
          className="h-2 w-24 rounded"
          style={{
            background: `linear-gradient(to right, ${colour(0)}, ${colour(0.5)}, ${colour(1)})`,
          }}
        />
        <span>{formatNumber(Number.isFinite(stats.max) ? stats.max : null)}</span>
        {entities.length > rows.length ? (
          <span>
            · first {rows.length} of {entities.length} entities
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}
