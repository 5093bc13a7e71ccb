import type { Metadata } from 'next';
import { AlertsList } from '@/components/alerts/alerts-list';
import { EmptyState } from '@/components/ui/empty-state';
import { fetchDiscovery } from '@/lib/server/discovery';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Alerts' };

export default async function AlertsPage() {
  const discovered = await fetchDiscovery();
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold">Alerts</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Firing now and recently resolved, live. Rules are declared on a dashboard panel; the
          worker evaluates them as the points load.
        </p>
      </div>
      {discovered.app.alerts ? <AlertsList /> : <EmptyState title="Your role cannot read alerts" />}
    </div>
  );
}
