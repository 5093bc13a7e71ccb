'use client';

/** Stat panels: the aggregate over the range, large, with a sparkline of the same series. */
import { Sparkline } from '@/components/charts/sparkline';
import { formatNumber } from '@/lib/format';
import { aggValue } from '@/lib/series/agg';
import type { SeriesSet } from '@/lib/series/series-set';

export function StatViz({
  set,
  entities,
  labelOf,
  fromMs,
  toMs,
  firing,
}: {
  set: SeriesSet;
  version: number;
  entities: readonly string[];
  labelOf: (entity: string) => string;
  fromMs: number;
  toMs: number;
  firing: (entity: string, metric: string) => boolean;
}) {
  const cells = entities.flatMap((e) => set.metrics.map((m) => ({ e, m })));
  if (cells.length === 0) return <p className="py-6 text-center text-sm">No series selected.</p>;
  return (
    <ul
      className="grid grid-cols-[repeat(auto-fit,minmax(9rem,1fr))] gap-2"
      data-testid="stat-values"
    >
      {cells.slice(0, 12).map(({ e, m }) => {
        const value = aggValue(set.summary(e, m, fromMs, toMs), set.aggregate);
        const spark = set.chart(e, m, fromMs, toMs).y.filter((v): v is number => v !== null);
        const hot = firing(e, m);
        const label = `${labelOf(e)}${set.metrics.length > 1 ? ` · ${m}` : ''}`;
        return (
          <li
            key={`${e}/${m}`}
            className={`rounded border p-2 ${hot ? 'border-red-500 bg-red-50 dark:bg-red-950' : 'border-slate-200 dark:border-slate-700'}`}
          >
            <p className="truncate text-xs text-slate-600 dark:text-slate-400" title={label}>
              {label}
            </p>
            <p className="text-2xl font-semibold tabular-nums" data-testid="stat-value">
              {formatNumber(value)}
            </p>
            <Sparkline
              values={spark.slice(-120)}
              label={`${label}, ${set.aggregate} over the range`}
              className="h-6 w-full text-slate-500"
            />
          </li>
        );
      })}
    </ul>
  );
}
