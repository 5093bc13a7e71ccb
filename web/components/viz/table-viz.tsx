'use client';

/** Table panels: one row per entity, the aggregate of each metric over the range, and when it last reported. */
import { formatDateTime, formatNumber } from '@/lib/format';
import { aggValue } from '@/lib/series/agg';
import type { SeriesSet } from '@/lib/series/series-set';

export function TableViz({
  set,
  entities,
  labelOf,
  fromMs,
  toMs,
  title,
  firing,
}: {
  set: SeriesSet;
  version: number;
  entities: readonly string[];
  labelOf: (entity: string) => string;
  fromMs: number;
  toMs: number;
  title: string;
  firing: (entity: string, metric: string) => boolean;
}) {
  return (
    <div
      className="max-h-96 max-w-full overflow-auto"
      tabIndex={0}
      role="region"
      aria-label={`${title}, scrollable table`}
    >
      <table className="w-full text-sm tabular-nums" data-testid="panel-table">
        <thead className="sticky top-0 bg-white dark:bg-slate-900">
          <tr className="border-b border-slate-200 text-left dark:border-slate-700">
            <th scope="col" className="py-1 pr-3 font-medium">
              Entity
            </th>
            {set.metrics.map((m) => (
              <th key={m} scope="col" className="py-1 pr-3 text-right font-medium">
                {m} ({set.aggregate})
              </th>
            ))}
            <th scope="col" className="py-1 pr-1 text-right font-medium">
              Last point
            </th>
          </tr>
        </thead>
        <tbody>
          {entities.map((e) => {
            let lastTs = 0;
            return (
              <tr key={e} className="border-b border-slate-100 dark:border-slate-800">
                <th
                  scope="row"
                  className="max-w-48 truncate py-1 pr-3 text-left font-normal"
                  title={labelOf(e)}
                >
                  {labelOf(e)}
                </th>
                {set.metrics.map((m) => {
                  const s = set.summary(e, m, fromMs, toMs);
                  if (s && s.lastTs > lastTs) lastTs = s.lastTs;
                  return (
                    <td
                      key={m}
                      className={`py-1 pr-3 text-right ${firing(e, m) ? 'font-semibold text-red-700 dark:text-red-300' : ''}`}
                    >
                      {formatNumber(aggValue(s, set.aggregate))}
                    </td>
                  );
                })}
                <td className="whitespace-nowrap py-1 pr-1 text-right text-xs text-slate-600 dark:text-slate-400">
                  {lastTs ? formatDateTime(lastTs) : '—'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
