'use client';

import { ErrorNote } from '@/components/ui/error-note';
import { Panel } from '@/components/ui/panel';
import { Skeleton } from '@/components/ui/skeleton';
import { useLiveWindowAggregate, type AggregateResult } from '@/hooks/use-live-window-aggregate';
import { formatNumber } from '@/lib/format';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { WindowAggregate } from '@/lib/stream/rollups';

export function WindowAggregates({
  stream,
  metrics,
  entity,
  windowMs,
  useRollups,
  rollupAggregate,
  rollupError,
  initial,
}: {
  stream: DiscoveredStream;
  metrics: string[];
  entity: string | null;
  windowMs: number;
  useRollups: boolean;
  rollupAggregate?: WindowAggregate;
  rollupError?: string;
  initial?: AggregateResult;
}) {
  const live = useLiveWindowAggregate(stream, metrics, entity, windowMs, !useRollups, initial);
  const data = useRollups ? rollupAggregate : live.data;
  const loading = useRollups ? rollupAggregate === undefined : live.loading;
  return (
    <Panel id="aggregates" title="Over the window">
      {!useRollups && !stream.canAggregate ? (
        <p className="text-sm">Your role may not aggregate this stream.</p>
      ) : (useRollups ? rollupError : live.error) ? (
        <ErrorNote title="Aggregates unavailable" message={useRollups ? rollupError : live.error} />
      ) : loading ? (
        <div>
          <p role="status" className="sr-only">
            Loading aggregates…
          </p>
          <Skeleton className="h-24 w-full" />
        </div>
      ) : data ? (
        <div className="overflow-x-auto">
          <table className="w-full text-sm tabular-nums" data-testid="aggregates">
            <caption className="mb-1 text-left text-xs text-slate-600 dark:text-slate-400">
              {formatNumber(data.count)} points{useRollups ? ', from rollups' : ''}
            </caption>
            <thead>
              <tr className="border-b border-slate-200 text-left dark:border-slate-700">
                <th scope="col" className="py-1 pr-3 font-medium">
                  Metric
                </th>
                <th scope="col" className="py-1 pr-3 text-right font-medium">
                  Avg
                </th>
                <th scope="col" className="py-1 pr-3 text-right font-medium">
                  Min
                </th>
                <th scope="col" className="py-1 text-right font-medium">
                  Max
                </th>
              </tr>
            </thead>
            <tbody>
              {metrics.map((m) => (
                <tr key={m} className="border-b border-slate-100 dark:border-slate-800">
                  <th scope="row" className="py-1 pr-3 text-left font-normal">
                    {m}
                  </th>
                  <td className="py-1 pr-3 text-right">{formatNumber(data.avg[m])}</td>
                  <td className="py-1 pr-3 text-right">{formatNumber(data.min[m])}</td>
                  <td className="py-1 text-right">{formatNumber(data.max[m])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="text-sm">No points in this window.</p>
      )}
    </Panel>
  );
}
