'use client';

/**
 * Synthetic live charts for bench/web: `panels` charts of `points` points each (one a second, the
 * last hour), each gaining a point every second while the oldest drops out, drawn by TimeChart
 * from a SeriesStore exactly as a live stream is.
 */
import { useEffect, useState } from 'react';
import { TimeChart } from '@/components/charts/time-chart';
import { SeriesStore } from '@/lib/stream/series-store';

declare global {
  interface Window {
    __benchReady?: boolean;
    __benchUpdates?: number;
  }
}

function value(panel: number, t: number): number {
  return (
    20 +
    panel * 5 +
    4 * Math.sin(t / 60 + panel) +
    Math.sin(t / 7) +
    ((t * 7919 + panel * 104729) % 100) / 100
  );
}

export function ChartBench({ panels, points }: { panels: number; points: number }) {
  const [stores] = useState(() => {
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: panels }, (_, p) => {
      const s = new SeriesStore(['v'], 'ts', points);
      s.append(
        Array.from({ length: points }, (_, i) => {
          const t = now - points + 1 + i;
          return { ts: t * 1000, v: value(p, t) };
        }),
      );
      return s;
    });
  });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    window.__benchUpdates = 0;
    const timer = setInterval(() => {
      const t = Math.floor(Date.now() / 1000);
      stores.forEach((s, p) => s.append([{ ts: t * 1000, v: value(p, t) }]));
      window.__benchUpdates = (window.__benchUpdates ?? 0) + 1;
      setVersion((v) => v + 1);
    }, 1000);
    window.__benchReady = true;
    return () => clearInterval(timer);
  }, [stores]);
  return (
    <div className="space-y-3">
      <h1 className="text-xl font-semibold">
        Chart bench: {panels} panels × {points.toLocaleString('en')} points
      </h1>
      <div className="grid gap-3 lg:grid-cols-2">
        {stores.map((s, i) => (
          <section
            key={i}
            aria-label={`Panel ${i + 1}`}
            className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
          >
            <TimeChart
              id={`bench-${i}`}
              data={s.data}
              version={version}
              metric="v"
              label={`series ${i + 1}`}
              windowMs={points * 1000}
              colorIndex={i}
            />
          </section>
        ))}
      </div>
    </div>
  );
}
