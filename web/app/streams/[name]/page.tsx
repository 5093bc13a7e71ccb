import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { StreamView } from '@/components/stream/stream-view';
import { fetchDiscovery } from '@/lib/server/graphql';
import {
  fetchEntities,
  fetchHistory,
  fetchLatestRows,
  fetchRollups,
  fetchWindowAggregate,
  type EntityOption,
} from '@/lib/server/streams';
import { parseSelection, selectionKey } from '@/lib/stream/selection';
import type { Row } from '@/lib/stream/stream-buffer';
import { findWindow, selectSource, windowStart } from '@/lib/stream/windows';

export const dynamic = 'force-dynamic';

type Props = {
  params: Promise<{ name: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { name } = await params;
  return { title: name.replace(/_/g, ' ') };
}

export default async function StreamPage({ params, searchParams }: Props) {
  const [{ name }, query, discovered] = await Promise.all([params, searchParams, fetchDiscovery()]);
  const stream = discovered.streams.find((s) => s.name === name);
  if (!stream) notFound();

  let entities: EntityOption[] = [];
  let entitiesError: string | undefined;
  try {
    entities = await fetchEntities(stream, discovered.health.entities);
  } catch (err) {
    entitiesError = (err as Error).message;
  }
  const selection = parseSelection(
    stream,
    query,
    entities.map((e) => e.id),
  );
  if (selection.entity !== null && !entities.some((e) => e.id === selection.entity)) {
    entities = [...entities, { id: selection.entity, label: `#${selection.entity}` }];
  }
  const window = findWindow(selection.window);
  const rolledUp = stream.pipeline
    ? selection.metrics.every((m) => stream.pipeline!.rollupColumns.includes(m))
    : undefined;
  const source = selectSource(window.ms, discovered.rollups, rolledUp);
  const allFields = [
    stream.timeField,
    ...stream.otherFields.map((f) => f.name),
    ...stream.metrics.map((m) => m.name),
  ];

  // the first data of every segment, so nothing waits on the socket
  const [history, rollups, latest, aggregate] = await Promise.all([
    source.kind === 'raw'
      ? fetchHistory(stream, selection.metrics, selection.entity, window.ms).catch(() => undefined)
      : Promise.resolve(undefined),
    source.kind === 'rollup'
      ? fetchRollups(
          source.table,
          stream,
          selection.entity,
          selection.metrics,
          window.ms,
          source.bucketMs,
        ).catch(() => undefined)
      : Promise.resolve(undefined),
    fetchLatestRows(stream, allFields, selection.entity, 10).catch(() => undefined),
    source.kind === 'raw'
      ? fetchWindowAggregate(
          stream,
          selection.metrics,
          selection.entity,
          windowStart(window.ms),
        ).catch(() => undefined)
      : Promise.resolve(undefined),
  ]);

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
      </nav>
      <div>
        <h1 className="text-xl font-semibold">{stream.title}</h1>
        {stream.description ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">{stream.description}</p>
        ) : null}
      </div>
      <StreamView
        stream={stream}
        entities={entities}
        entitiesError={entitiesError}
        selection={selection}
        source={source}
        windowMs={window.ms}
        allFields={allFields}
        initial={{ key: selectionKey(selection), rows: history as Row[] | undefined, rollups }}
        initialLatest={latest}
        initialAggregate={aggregate}
      />
    </div>
  );
}
