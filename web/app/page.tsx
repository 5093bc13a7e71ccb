import { Suspense } from 'react';
import { StreamCard } from '@/components/overview/stream-card';
import { StreamsWatcher } from '@/components/overview/streams-watcher';
import { Skeleton } from '@/components/ui/skeleton';
import { HowToAddStream } from '@/components/ui/empty-state';
import { chartFields } from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { fetchDiscovery } from '@/lib/server/discovery';
import { fetchDashboards, type DashboardSummary } from '@/lib/server/dashboards';
import { fetchCountSince, fetchLatestRows, fetchStreamMinutes } from '@/lib/server/streams';

export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const discovered = await fetchDiscovery();
  const dashboards: DashboardSummary[] = discovered.app.dashboards
    ? await fetchDashboards().catch(() => [])
    : [];
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-baseline gap-2">
        <h1 className="text-xl font-semibold">Streams</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {discovered.streams.length} stream{discovered.streams.length === 1 ? '' : 's'}, live
        </p>
      </div>
      <StreamsWatcher watchPipelines={discovered.health.pipelines} />
      {discovered.streams.length === 0 ? (
        <HowToAddStream />
      ) : (
        <ul className="grid grid-cols-1 gap-3 md:grid-cols-2 xl:grid-cols-3" aria-label="Streams">
          {discovered.streams.map((s) => (
            <li key={s.name} data-testid={`stream-card-${s.name}`}>
              <Suspense fallback={<CardSkeleton title={s.title} />}>
                <StreamCardLoader
                  stream={s}
                  rollups={discovered.rollups.minute !== undefined}
                  dashboardId={
                    dashboards.find((d) => d.stream === s.name && d.owner_id === null)?.id
                  }
                />
              </Suspense>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const RATE_LOOKBACK_MS = 60_000;

async function fetchCardData(stream: DiscoveredStream, rollups: boolean) {
  const primary = stream.metrics[0]!.name;
  try {
    const [latest, count, history] = await Promise.all([
      fetchLatestRows(stream, chartFields(stream, [primary]), null, 1),
      fetchCountSince(stream, Date.now() - RATE_LOOKBACK_MS),
      rollups
        ? fetchStreamMinutes(stream, primary).catch(() => undefined)
        : Promise.resolve(undefined),
    ]);
    const initialRate = count !== undefined ? count / (RATE_LOOKBACK_MS / 1000) : undefined;
    return { initialLatest: latest, initialRate, history };
  } catch (err) {
    return { initialError: (err as Error).message };
  }
}

async function StreamCardLoader({
  stream,
  rollups,
  dashboardId,
}: {
  stream: DiscoveredStream;
  rollups: boolean;
  dashboardId?: string;
}) {
  const data = await fetchCardData(stream, rollups);
  return <StreamCard stream={stream} dashboardId={dashboardId} {...data} />;
}

function CardSkeleton({ title }: { title: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
      <p className="font-semibold">{title}</p>
      <p role="status" className="sr-only">
        Loading {title}…
      </p>
      <Skeleton className="mt-3 h-6 w-24" />
      <Skeleton className="mt-2 h-8 w-full" />
    </div>
  );
}
