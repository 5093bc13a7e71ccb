import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { DashboardView } from '@/components/dashboard/dashboard-view';
import { LatestRows } from '@/components/stream/latest-rows';
import { ErrorNote } from '@/components/ui/error-note';
import type { Dashboard, PanelSpec } from '@/lib/dashboards/model';
import { entityOptionsOf, fetchDashboards } from '@/lib/server/dashboards';
import { fetchDiscovery } from '@/lib/server/discovery';
import { currentUserId } from '@/lib/server/identity';
import { fetchLatestRows } from '@/lib/server/streams';

export const dynamic = 'force-dynamic';

type Props = {
  params: Promise<{ name: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { name } = await params;
  return { title: name.replace(/_/g, ' ') };
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * A stream explored: a chart per metric for the entities picked (in the URL, with the time range),
 * the newest rows, and the way to keep the view: "save as dashboard". Not found is a 404.
 */
export default async function StreamPage({ params, searchParams }: Props) {
  const [{ name }, query, discovered, userId] = await Promise.all([
    params,
    searchParams,
    fetchDiscovery(),
    currentUserId(),
  ]);
  const stream = discovered.streams.find((s) => s.name === name);
  if (!stream) notFound();
  // the links of earlier versions (?entity=…&window=5m) still open the same view
  const oldEntity = first(query.entity);
  const oldWindow = first(query.window);
  if (oldEntity !== undefined || oldWindow !== undefined) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (k !== 'entity' && k !== 'window' && typeof v === 'string') q.set(k, v);
    if (oldEntity && /^[0-9]{1,18}$/.test(oldEntity)) q.set('entities', oldEntity);
    if (oldWindow && /^[0-9]{1,4}[mhd]$/.test(oldWindow)) q.set('from', `now-${oldWindow}`);
    redirect(`/streams/${stream.name}?${q.toString()}`);
  }

  const known = stream.metrics.map((m) => m.name);
  const asked = (first(query.metrics) ?? '').split(',').filter((m) => known.includes(m));
  const metrics = asked.length ? [...new Set(asked)] : known.slice(0, 4);
  const panels: PanelSpec[] = metrics.map((m, i) => ({
    id: m,
    dashboard_id: '',
    position: i,
    title: stream.metrics.find((x) => x.name === m)?.description
      ? `${m} — ${stream.metrics.find((x) => x.name === m)!.description}`
      : m,
    stream: stream.name,
    metrics: [m],
    entities: { mode: 'dashboard' },
    bucket: 'auto',
    aggregate: 'avg',
    visualization: 'line',
    width: 6,
  }));
  const ephemeral: Dashboard = {
    id: `stream-${stream.name}`,
    owner_id: null,
    title: stream.title,
    description: stream.description ?? '',
    shared: false,
    stream: stream.name,
    time_from: 'now-15m',
    time_to: 'now',
    panels,
  };
  const allFields = [
    stream.timeField,
    ...stream.otherFields.map((f) => f.name),
    ...stream.metrics.map((m) => m.name),
  ];
  const [entityOptions, latest, dashboards] = await Promise.all([
    entityOptionsOf([stream], discovered.health.entities),
    fetchLatestRows(stream, allFields, null, 10).catch(() => undefined),
    discovered.app.dashboards ? fetchDashboards().catch(() => []) : Promise.resolve([]),
  ]);
  const defaultDashboard = dashboards.find((d) => d.stream === stream.name && d.owner_id === null);
  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link
          href="/"
          className="text-blue-800 underline-offset-2 hover:underline dark:text-blue-300"
        >
          Streams
        </Link>{' '}
        <span aria-hidden="true">/</span> <span>{stream.title}</span>
        {defaultDashboard ? (
          <>
            {' · '}
            <Link
              href={`/d/${defaultDashboard.id}`}
              className="text-blue-800 underline-offset-2 hover:underline dark:text-blue-300"
            >
              its dashboard
            </Link>
          </>
        ) : null}
      </nav>
      {stream.pipeline && !stream.pipeline.enabled ? (
        <ErrorNote
          title="This stream's pipeline is disabled"
          hint="No new points load until an admin enables it."
        />
      ) : null}
      <DashboardView
        dashboard={ephemeral}
        broken={[]}
        ephemeral
        streams={discovered.streams}
        entityOptions={entityOptions}
        canEdit={false}
        hasUser={userId !== undefined && discovered.app.dashboards}
        canBuckets={discovered.rollups.bucketedSeries}
        canMinutes={discovered.rollups.minute !== undefined}
        alertsReadable={false}
        initialRules={[]}
      />
      <LatestRows
        stream={stream}
        fields={allFields}
        entity={null}
        initial={latest}
        paused={false}
      />
    </div>
  );
}
