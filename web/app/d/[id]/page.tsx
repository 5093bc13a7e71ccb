import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { DashboardView } from '@/components/dashboard/dashboard-view';
import { namedEntities } from '@/lib/dashboards/model';
import { entityOptionsOf, fetchDashboard, fetchDashboardRules } from '@/lib/server/dashboards';
import { fetchDiscovery } from '@/lib/server/discovery';
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
  // one round trip before the entities: the schema is held (lib/server/discovery.ts), and the
  // rules are read by the dashboard's id, not its panels'
  const discovery = fetchDiscovery();
  const [discovered, found, userId, rules] = await Promise.all([
    discovery,
    fetchDashboard(id),
    currentUserId(),
    discovery.then((d) => (d.app.alertRules ? fetchDashboardRules(id).catch(() => []) : [])),
  ]);
  // unknown, or not readable by this user: the same answer, a 404
  if (!found) notFound();
  const { dashboard, broken } = found;
  const canEdit = userId !== undefined && dashboard.owner_id === userId;
  // the owner's editor may put any stream on a panel, with any entity; a reader needs the panels'
  // streams only, and of a stream whose panels all name their entities, those entities' labels
  // (the page carries every option it gets to the browser)
  const entityOptions = await entityOptionsOf(
    canEdit
      ? discovered.streams
      : discovered.streams.filter((s) => dashboard.panels.some((p) => p.stream === s.name)),
    discovered.health.entities,
    canEdit ? {} : namedEntities(dashboard.panels),
  );
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
