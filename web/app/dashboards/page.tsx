import type { Metadata } from 'next';
import Link from 'next/link';
import { NewDashboardForm } from '@/components/dashboard/new-dashboard-form';
import { EmptyState } from '@/components/ui/empty-state';
import { fetchDashboards } from '@/lib/server/dashboards';
import { fetchDiscovery } from '@/lib/server/discovery';
import { currentUserId } from '@/lib/server/identity';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Dashboards' };

export default async function DashboardsPage() {
  const [discovered, userId] = await Promise.all([fetchDiscovery(), currentUserId()]);
  if (!discovered.app.dashboards) {
    return (
      <div className="space-y-4">
        <h1 className="text-xl font-semibold">Dashboards</h1>
        <EmptyState title="Your role cannot read dashboards" />
      </div>
    );
  }
  const all = await fetchDashboards();
  const mine = all.filter((d) => userId !== undefined && d.owner_id === userId);
  const defaults = all.filter((d) => d.owner_id === null);
  const shared = all.filter((d) => d.owner_id !== null && d.owner_id !== userId);
  const list = (title: string, items: typeof all, testId: string) => (
    <section aria-labelledby={`${testId}-title`} className="space-y-2">
      <h2 id={`${testId}-title`} className="font-semibold">
        {title}
      </h2>
      {items.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">None.</p>
      ) : (
        <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3" data-testid={testId}>
          {items.map((d) => (
            <li
              key={d.id}
              className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
            >
              <Link
                href={`/d/${d.id}`}
                className="font-medium text-blue-800 underline-offset-2 hover:underline dark:text-blue-300"
              >
                {d.title}
              </Link>
              <p className="text-xs text-slate-600 dark:text-slate-400">
                {d.panels_aggregate.length} panel{d.panels_aggregate.length === 1 ? '' : 's'}
                {d.owner_id === null ? ' · default' : d.shared ? ' · shared' : ' · private'}
                {d.owner_id && d.owner_id !== userId ? ` · by ${d.owner_id}` : ''}
              </p>
              {d.description ? <p className="mt-1 line-clamp-2 text-sm">{d.description}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end gap-3">
        <h1 className="text-xl font-semibold">Dashboards</h1>
        {userId !== undefined ? (
          <NewDashboardForm />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Read-only: this session names no user.
          </p>
        )}
      </div>
      {userId !== undefined ? list('Yours', mine, 'my-dashboards') : null}
      {list('Defaults, one per stream', defaults, 'default-dashboards')}
      {list('Shared by others', shared, 'shared-dashboards')}
    </div>
  );
}
