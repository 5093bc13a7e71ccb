'use client';

/**
 * A stream's load over the last hour on its overview card: rows per second for each minute, from
 * the per-minute rollups (history rendered by the server, the newest minutes live), with axes.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import { useLiveQuery } from '@/hooks/use-live-query';
import { formatTicks, formatTimeTicks } from '@/lib/format';
import { HISTORY_MS, perMinute, STREAM_MINUTES } from '@/lib/overview/minutes';

export function StreamHistory({
  stream,
  metric,
  initial,
  label,
}: {
  stream: string;
  metric: string;
  /** rows per minute, by minute start (ms) */
  initial: Array<[number, number]>;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [from] = useState(() =>
    new Date(Math.floor((Date.now() - 3 * 60_000) / 60_000) * 60_000).toISOString(),
  );
  const live = useLiveQuery<{ rows: Array<{ bucket: string; count: number }> }>(STREAM_MINUTES, {
    stream,
    metric,
    from,
  });
  // the live query covers every minute since the page opened: it replaces what the server sent
  const minutes = useMemo(() => {
    const m = new Map<number, number>(initial);
    if (live.data) for (const [t, n] of perMinute(live.data.rows)) m.set(t, n);
    return m;
  }, [initial, live.data]);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(t);
  }, []);
  const data = useMemo((): uPlot.AlignedData => {
    const ts = [...minutes.keys()].filter((t) => t >= now - HISTORY_MS).sort((a, b) => a - b);
    // the open minute has had only part of its seconds
    return [
      ts.map((t) => t / 1000),
      ts.map(
        (t) => (minutes.get(t) ?? 0) / Math.max(1, Math.min(60, (Math.max(now, t) - t) / 1000)),
      ),
    ];
  }, [minutes, now]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const css = (n: string, f: string) =>
      getComputedStyle(document.documentElement).getPropertyValue(n).trim() || f;
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 120,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        legend: { show: false },
        cursor: { show: true, points: { size: 4 } },
        scales: {
          x: { time: true, range: () => [(Date.now() - HISTORY_MS) / 1000, Date.now() / 1000] },
          y: { auto: true, range: (_u, _a, b) => [0, Math.max(1, b * 1.1)] },
        },
        axes: [
          {
            stroke: css('--chart-axis', '#334155'),
            grid: { show: false },
            size: 24,
            values: (_u, s, _a, _sp, step) => formatTimeTicks(s, step),
          },
          {
            stroke: css('--chart-axis', '#334155'),
            grid: { stroke: css('--chart-grid', '#e2e8f0') },
            size: 44,
            values: (_u, s) => formatTicks(s),
          },
        ],
        series: [
          {},
          {
            label: 'rows/s',
            stroke: css('--chart-1', '#1d4ed8'),
            fill: `${css('--chart-1', '#1d4ed8')}22`,
            width: 1.5,
            points: { show: false },
          },
        ],
      },
      data,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(
      () => el.clientWidth > 0 && u.setSize({ width: el.clientWidth, height: 120 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // created once; data flows in through setData below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    plot.current?.setData(data, true);
  }, [data]);

  return (
    <div
      ref={box}
      role="img"
      aria-label={`${label}: rows per second, each minute of the last hour (${minutes.size} minutes with rows)`}
      data-testid="stream-history"
      data-points={minutes.size}
      className="w-full"
      style={{ minHeight: 124 }}
    />
  );
}
