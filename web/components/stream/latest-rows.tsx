'use client';

import { useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Panel } from '@/components/ui/panel';
import { Skeleton } from '@/components/ui/skeleton';
import { useLiveLatestRows } from '@/hooks/use-live-latest-rows';
import { formatDateTime, formatNumber } from '@/lib/format';
import { NUMERIC_SCALARS, type DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { Row } from '@/lib/stream/stream-buffer';

export function LatestRows({
  stream,
  fields,
  entity,
  initial,
  paused,
}: {
  stream: DiscoveredStream;
  fields: string[];
  entity: string | null;
  initial?: Row[];
  paused: boolean;
}) {
  const result = useLiveLatestRows(stream, fields, entity, 10, initial);
  // while paused, the table keeps what it showed (React's "state from the previous render" pattern)
  const [shown, setShown] = useState(result.data);
  if (!paused && shown !== result.data) setShown(result.data);
  const rows = paused ? shown : result.data;
  const numeric = new Set(
    stream.metrics.filter((f) => NUMERIC_SCALARS.has(f.scalar)).map((f) => f.name),
  );
  return (
    <Panel id="latest" title="Latest rows">
      {result.error ? (
        <ErrorNote title="Latest rows unavailable" message={result.error} />
      ) : result.loading ? (
        <div>
          <p role="status" className="sr-only">
            Loading the latest rows…
          </p>
          <Skeleton className="h-40 w-full" />
        </div>
      ) : !rows || rows.length === 0 ? (
        <p className="text-sm">No rows yet.</p>
      ) : (
        <div
          className="max-w-full overflow-x-auto"
          tabIndex={0}
          aria-label="Latest rows, scrollable"
        >
          <table className="w-full text-sm tabular-nums" data-testid="latest-rows">
            <thead>
              <tr className="border-b border-slate-200 text-left dark:border-slate-700">
                {fields.map((f) => (
                  <th
                    key={f}
                    scope="col"
                    className={`whitespace-nowrap py-1 pr-3 font-medium ${numeric.has(f) ? 'text-right' : ''}`}
                  >
                    {f}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i} className="border-b border-slate-100 dark:border-slate-800">
                  {fields.map((f) => (
                    <td
                      key={f}
                      className={`whitespace-nowrap py-1 pr-3 ${numeric.has(f) ? 'text-right' : ''}`}
                    >
                      {f === stream.timeField
                        ? formatDateTime(r[f] as string)
                        : numeric.has(f)
                          ? formatNumber(r[f] as number)
                          : String(r[f] ?? '—')}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
