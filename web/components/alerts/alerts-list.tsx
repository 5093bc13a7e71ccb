'use client';

/** Every alert the role reads, newest first, live: firing ones first and marked. */
import { ErrorNote } from '@/components/ui/error-note';
import { useLiveQuery } from '@/hooks/use-live-query';
import { useNow } from '@/hooks/use-now';
import { RECENT_ALERTS } from '@/lib/dashboards/documents';
import type { AlertRow } from '@/lib/dashboards/model';
import { formatAgo, formatDateTime, formatNumber } from '@/lib/format';

export function AlertsList() {
  const res = useLiveQuery<{ alerts: AlertRow[] }>(RECENT_ALERTS, { limit: 200 });
  const now = useNow(5000);
  if (res.error) return <ErrorNote title="Alerts unavailable" message={res.error} />;
  const rows = [...(res.data?.alerts ?? [])].sort((a, b) =>
    a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1,
  );
  if (res.loading) return <p role="status">Loading alerts…</p>;
  if (rows.length === 0) return <p className="text-sm">No alert has fired.</p>;
  return (
    <div
      className="overflow-x-auto"
      tabIndex={0}
      role="region"
      aria-label="Alerts, scrollable table"
    >
      <table className="w-full text-sm tabular-nums" data-testid="alerts-table">
        <thead>
          <tr className="border-b border-slate-200 text-left dark:border-slate-700">
            {['State', 'Rule', 'Entity', 'Metric', 'Threshold', 'Fired at (value)', 'Resolved'].map(
              (h) => (
                <th key={h} scope="col" className="whitespace-nowrap py-1 pr-3 font-medium">
                  {h}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={String(a.id)} className="border-b border-slate-100 dark:border-slate-800">
              <td className="py-1 pr-3">
                <span
                  className={`rounded px-1.5 py-0.5 text-xs font-semibold ${a.state === 'firing' ? 'bg-red-600 text-white' : 'bg-slate-200 dark:bg-slate-700'}`}
                >
                  {a.state}
                </span>
              </td>
              <th scope="row" className="py-1 pr-3 text-left font-medium">
                {a.rule_name}
              </th>
              <td className="py-1 pr-3">#{String(a.entity_id)}</td>
              <td className="py-1 pr-3">
                {a.stream}.{a.metric}
              </td>
              <td className="py-1 pr-3">
                {a.op} {formatNumber(a.threshold)}
              </td>
              <td className="whitespace-nowrap py-1 pr-3">
                {formatDateTime(a.fired_at)} ({formatNumber(a.fired_value)})
                {now !== null ? ` · ${formatAgo(now - Date.parse(a.fired_at))}` : ''}
              </td>
              <td className="whitespace-nowrap py-1 pr-3">
                {a.resolved_at
                  ? `${formatDateTime(a.resolved_at)} (${a.resolved_reason}${a.resolved_value !== null ? `, ${formatNumber(a.resolved_value)}` : ''})`
                  : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
