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
  const canEdit = userId !== undefined && dashboard.owner_id === userId;
  const [entityOptions, rules] = await Promise.all([
    // the owner's editor may put any stream on a panel; a reader needs the panels' streams only
    // (the page carries every option it gets to the browser)
    entityOptionsOf(
      canEdit
        ? discovered.streams
        : discovered.streams.filter((s) => dashboard.panels.some((p) => p.stream === s.name)),
      discovered.health.entities,
    ),
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
      canEdit={canEdit}
      hasUser={userId !== undefined}
      canBuckets={discovered.rollups.bucketedSeries}
      canMinutes={discovered.rollups.minute !== undefined}
      alertsReadable={discovered.app.alerts}
      initialRules={rules}
    />
  );
}
