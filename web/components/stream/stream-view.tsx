'use client';

/**
 * The stream page's live part: the series picker and window (kept in the URL), one chart per
 * metric, the aggregates over the window, the latest rows, pause and resume.
 */
import { usePathname, useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { TimeChart } from '@/components/charts/time-chart';
import { ErrorNote } from '@/components/ui/error-note';
import { Panel } from '@/components/ui/panel';
import { useLiveSeries } from '@/hooks/use-live-series';
import type { AggregateResult } from '@/hooks/use-live-window-aggregate';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { EntityOption } from '@/lib/server/streams';
import { selectionKey, selectionQuery, type Selection } from '@/lib/stream/selection';
import type { RollupRow } from '@/lib/stream/rollups';
import type { Row } from '@/lib/stream/stream-buffer';
import type { PointSource } from '@/lib/stream/windows';
import { LatestRows } from './latest-rows';
import { SeriesPicker } from './series-picker';
import { WindowAggregates } from './window-aggregates';

export interface StreamViewProps {
  stream: DiscoveredStream;
  entities: EntityOption[];
  entitiesError?: string;
  selection: Selection;
  source: PointSource;
  windowMs: number;
  allFields: string[];
  initial: { key: string; rows?: Row[]; rollups?: RollupRow[] };
  initialLatest?: Row[];
  initialAggregate?: AggregateResult;
}

function sourceLabel(source: PointSource): string {
  switch (source.kind) {
    case 'raw':
      return source.capped
        ? 'raw points (newest 10,000; this metric has no rollup)'
        : 'every point, streamed';
    case 'rollup':
      return source.bucketMs === 60_000 ? 'per-minute rollups' : 'per-hour rollups';
    case 'none':
      return 'no source';
  }
}

export function StreamView(props: StreamViewProps) {
  const { stream, entities, selection, source, windowMs } = props;
  const router = useRouter();
  const pathname = usePathname();
  const [pending, startTransition] = useTransition();
  const [paused, setPaused] = useState(false);
  const key = selectionKey(selection);

  const series = useLiveSeries({
    stream,
    metrics: selection.metrics,
    entity: selection.entity,
    windowMs,
    source,
    initial: props.initial,
    selectionKey: key,
  });

  const navigate = (next: Selection) => {
    startTransition(() => router.replace(`${pathname}?${selectionQuery(next)}`, { scroll: false }));
  };

  const metricLabel = (name: string) => {
    const m = stream.metrics.find((x) => x.name === name);
    return m?.description ? `${name} (${m.description})` : name;
  };

  return (
    <div className="space-y-4">
      <Panel
        id="controls"
        title="Series"
        actions={
          <>
            <span className="text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
              {pending
                ? 'Loading…'
                : `${series.store.length.toLocaleString('en')} points · ${sourceLabel(source)}`}
            </span>
            <button
              type="button"
              onClick={() => setPaused((p) => !p)}
              aria-pressed={paused}
              data-testid="pause-button"
              className="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-600 dark:border-slate-600 dark:hover:bg-slate-800"
            >
              {paused ? 'Resume' : 'Pause'}
            </button>
          </>
        }
      >
        <SeriesPicker
          stream={stream}
          entities={entities}
          selection={selection}
          onChange={navigate}
          disabled={pending}
        />
        {props.entitiesError ? (
          <ErrorNote title="Could not list the entities" message={props.entitiesError} />
        ) : null}
        {paused ? (
          <p className="mt-2 text-sm text-amber-800 dark:text-amber-300" role="status">
            Paused: new points are kept and drawn when you resume.
          </p>
        ) : null}
      </Panel>

      <section
        aria-label="Charts"
        className="grid gap-3 lg:grid-cols-2"
        data-testid="charts"
        data-status={series.status}
      >
        {series.status === 'error' ? (
          <div className="lg:col-span-2">
            <ErrorNote
              title="The live chart stopped"
              message={series.error?.replace(/^\[(GraphQL|Network)\] /, '')}
              hint="It restarts when you change the selection or reload."
            />
          </div>
        ) : null}
        {series.warning && series.status !== 'error' ? (
          <p role="status" className="text-sm text-amber-800 lg:col-span-2 dark:text-amber-300">
            Drawing new points only: {series.warning.replace(/\[(GraphQL|Network)\] /, '')}
          </p>
        ) : null}
        {series.status === 'unavailable' ? (
          <div className="lg:col-span-2">
            <ErrorNote
              title="No data source for this window"
              message={series.error}
              hint="Pick a shorter window."
            />
          </div>
        ) : null}
        {selection.metrics.length === 0 ? (
          <p className="text-sm">Pick at least one metric to chart.</p>
        ) : (
          selection.metrics.map((m, i) => (
            <Panel key={m} id={`chart-${m}`} title={metricLabel(m)}>
              {series.status === 'loading' && series.store.length === 0 ? (
                <p
                  role="status"
                  className="py-16 text-center text-sm text-slate-600 dark:text-slate-400"
                >
                  Loading points…
                </p>
              ) : null}
              <TimeChart
                id={m}
                data={series.store.data}
                version={series.version}
                metric={m}
                label={m}
                windowMs={windowMs}
                paused={paused}
                colorIndex={i}
                stepped={source.kind === 'rollup'}
              />
              {series.status === 'live' && series.store.length === 0 ? (
                <p className="text-sm text-slate-600 dark:text-slate-400">
                  No points in this window yet; new ones appear as they arrive.
                </p>
              ) : null}
            </Panel>
          ))
        )}
      </section>

      <div className="grid gap-3 xl:grid-cols-2">
        <WindowAggregates
          stream={stream}
          metrics={selection.metrics}
          entity={selection.entity}
          windowMs={windowMs}
          rollupAggregate={source.kind === 'rollup' ? series.rollupAggregate : undefined}
          initial={props.initialAggregate}
          rollupError={
            source.kind === 'rollup' && series.status === 'error' ? series.error : undefined
          }
          useRollups={source.kind === 'rollup'}
        />
        <LatestRows
          stream={stream}
          fields={props.allFields}
          entity={selection.entity}
          initial={props.initialLatest}
          paused={paused}
        />
      </div>
    </div>
  );
}
