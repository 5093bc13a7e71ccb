import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { DashboardView } from '@/components/dashboard/dashboard-view';
import { entityOptionsOf, fetchDashboard, fetchRules } from '@/lib/server/dashboards';
import { fetchDiscovery } from '@/lib/server/graphql';
import { currentUserId } from '@/lib/server/identity';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  const found = await fetchDashboard(id).catch(() => null);
  return { title: found?.dashboard.title ?? 'Dashboard' };
}

export default async function DashboardPage({ params }: Props) {
  const { id } = await params;
  const [discovered, found, userId] = await Promise.all([
    fetchDiscovery(),
    fetchDashboard(id),
    currentUserId(),
  ]);
  // unknown, or not readable by this user: the same answer, a 404
  if (!found) notFound();
  const { dashboard, broken } = found;
  const [entityOptions, rules] = await Promise.all([
    // every stream's: the editor may put any of them on a panel
    entityOptionsOf(discovered.streams, discovered.health.entities),
    discovered.app.alertRules
      ? fetchRules(dashboard.panels.map((p) => p.id)).catch(() => [])
      : Promise.resolve([]),
  ]);
  return (
    <DashboardView
      dashboard={dashboard}
      broken={broken}
      streams={discovered.streams}
      entityOptions={entityOptions}
      canEdit={userId !== undefined && dashboard.owner_id === userId}
      hasUser={userId !== undefined}
      canBuckets={discovered.rollups.bucketedSeries}
      canMinutes={discovered.rollups.minute !== undefined}
      alertsReadable={discovered.app.alerts}
      initialRules={rules}
    />
  );
}
