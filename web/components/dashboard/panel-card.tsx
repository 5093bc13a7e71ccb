'use client';

/**
 * One panel of a dashboard: its live data (usePanelData), drawn as the panel says, with the alert
 * rules on its metrics (thresholds on the chart, a badge while any fires), its exports (CSV, PNG)
 * and, for its owner, edit / move / remove.
 */
import { useRef, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { BUTTON } from '@/components/ui/styles';
import { HeatmapViz } from '@/components/viz/heatmap-viz';
import { StatViz } from '@/components/viz/stat-viz';
import { TableViz } from '@/components/viz/table-viz';
import { TimeSeriesViz } from '@/components/viz/time-series-viz';
import { usePanelData } from '@/hooks/use-panel-data';
import type { AlertRow, AlertRule, PanelSpec } from '@/lib/dashboards/model';
import { download, fileName } from '@/lib/export/csv';
import { panelPng, seriesCsv, summaryCsv } from '@/lib/export/panel-export';
import { formatClock } from '@/lib/format';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { TimeRange } from '@/lib/time/range';

export interface PanelCardProps {
  panel: PanelSpec;
  stream: DiscoveredStream | undefined;
  entityIds: string[] | null;
  /** how many entities the panel's selection names (more than entityIds when capped) */
  entitiesSelected: number;
  labelOf: (entity: string) => string;
  range: TimeRange;
  canBuckets: boolean;
  canMinutes: boolean;
  rules: readonly AlertRule[];
  firing: readonly AlertRow[];
  editing: boolean;
  onEdit?: () => void;
  onRemove?: () => void;
  onMove?: (delta: number) => void;
  onAlerts?: () => void;
  onZoom: (fromMs: number, toMs: number) => void;
  onZoomOut: () => void;
}

const SPAN: Record<number, string> = {
  3: 'lg:col-span-3',
  4: 'lg:col-span-4',
  6: 'lg:col-span-6',
  8: 'lg:col-span-8',
  12: 'lg:col-span-12',
};

export function PanelCard(props: PanelCardProps) {
  const { panel, stream } = props;
  const headingId = `panel-${panel.id}-title`;
  return (
    <section
      aria-labelledby={headingId}
      data-testid={`panel-${panel.id}`}
      data-panel-title={panel.title}
      className={`col-span-12 min-w-0 rounded-lg border [contain:content] border-slate-200 bg-white p-3 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${SPAN[panel.width] ?? 'lg:col-span-6'} ${props.firing.length ? 'ring-2 ring-red-500' : ''}`}
    >
      {stream ? (
        <PanelBody {...props} stream={stream} headingId={headingId} />
      ) : (
        <>
          <h2 id={headingId} className="font-semibold">
            {panel.title}
          </h2>
          <ErrorNote
            title="This panel's stream is not readable"
            message={`No stream "${panel.stream}" in the schema your role can read.`}
          />
          {props.editing ? <EditButtons {...props} /> : null}
        </>
      )}
    </section>
  );
}

function EditButtons({ onEdit, onRemove, onMove, panel }: PanelCardProps) {
  return (
    <div className="flex flex-wrap gap-1" role="group" aria-label={`Arrange ${panel.title}`}>
      <button type="button" className={BUTTON} onClick={onEdit}>
        Edit<span className="sr-only"> {panel.title}</span>
      </button>
      <button
        type="button"
        className={BUTTON}
        onClick={() => onMove?.(-1)}
        aria-label={`Move ${panel.title} earlier`}
      >
        ←
      </button>
      <button
        type="button"
        className={BUTTON}
        onClick={() => onMove?.(1)}
        aria-label={`Move ${panel.title} later`}
      >
        →
      </button>
      <button type="button" className={BUTTON} onClick={onRemove}>
        Remove<span className="sr-only"> {panel.title}</span>
      </button>
    </div>
  );
}

function PanelBody(props: PanelCardProps & { stream: DiscoveredStream; headingId: string }) {
  const { panel, stream, entityIds, labelOf, range, rules, firing } = props;
  const data = usePanelData({
    stream,
    panel,
    entityIds,
    range,
    canBuckets: props.canBuckets,
    canMinutes: props.canMinutes,
  });
  const body = useRef<HTMLDivElement>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const entities = entityIds ?? [''];
  const shown = entityIds === null ? [''] : entities;
  const isFiring = (entity: string, metric: string) =>
    firing.some((a) => String(a.entity_id) === entity && a.metric === metric);
  const thresholds = rules
    .filter((r) => r.enabled && panel.metrics.includes(r.metric))
    .map((r) => ({ value: r.threshold, firing: firing.some((a) => a.rule_id === r.id) }));
  const chart =
    panel.visualization === 'line' ||
    panel.visualization === 'area' ||
    panel.visualization === 'bar';

  const exportCsv = () => {
    const csv =
      panel.visualization === 'stat' || panel.visualization === 'table'
        ? summaryCsv(data.set, shown, labelOf, data.fromMs, data.following ? Date.now() : data.toMs)
        : seriesCsv(
            data.set,
            shown,
            labelOf,
            data.following ? Date.now() - (data.toMs - data.fromMs) : data.fromMs,
            data.following ? Date.now() : data.toMs,
          );
    download(fileName(panel.title, 'csv'), new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  };
  const exportPng = async () => {
    setExportError(null);
    try {
      const blob = await panelPng(
        body.current!,
        panel.title,
        document.documentElement.classList.contains('dark'),
      );
      download(fileName(panel.title, 'png'), blob);
    } catch (err) {
      setExportError((err as Error).message);
    }
  };

  const counts = data.set.counts();
  const source =
    data.resolution.kind === 'raw'
      ? 'every point'
      : `${data.resolution.key} buckets (${panel.aggregate})${data.edge === 'points' && data.set.boundaryMs > 0 ? `, every point since ${formatClock(data.set.boundaryMs)} UTC` : data.edge === 'minutes' ? ', newest minutes live' : ''}`;
  return (
    <>
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <h2 id={props.headingId} className="min-w-0 truncate font-semibold" title={panel.title}>
          {panel.title}
        </h2>
        {firing.length ? (
          <span
            role="status"
            className="rounded bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white"
            data-testid="panel-firing"
          >
            {firing.length} firing
          </span>
        ) : null}
        <div
          className="ml-auto flex flex-wrap gap-1"
          role="group"
          aria-label={`${panel.title} actions`}
        >
          <button type="button" className={BUTTON} onClick={exportCsv} data-testid="export-csv">
            CSV<span className="sr-only"> of {panel.title}</span>
          </button>
          {chart || panel.visualization === 'heatmap' ? (
            <button
              type="button"
              className={BUTTON}
              onClick={() => void exportPng()}
              data-testid="export-png"
            >
              PNG<span className="sr-only"> of {panel.title}</span>
            </button>
          ) : null}
          {props.onAlerts ? (
            <button
              type="button"
              className={BUTTON}
              onClick={props.onAlerts}
              data-testid="panel-alerts"
            >
              Alerts{rules.length ? ` (${rules.length})` : ''}
              <span className="sr-only"> of {panel.title}</span>
            </button>
          ) : null}
        </div>
      </div>
      {props.editing ? <EditButtons {...props} /> : null}
      {exportError ? <ErrorNote title="Could not export" message={exportError} /> : null}
      {data.status === 'error' ? (
        <ErrorNote
          title="This panel stopped"
          message={data.error}
          hint="It starts over when you change the range or reload."
        />
      ) : null}
      <div ref={body} data-status={data.status} data-testid="panel-body">
        {data.status === 'loading' && data.set.version === 0 ? (
          <p role="status" className="sr-only">
            Loading {panel.title}…
          </p>
        ) : null}
        {chart ? (
          <TimeSeriesViz
            id={panel.id}
            set={data.set}
            version={data.version}
            entities={shown}
            labelOf={labelOf}
            kind={panel.visualization as 'line' | 'area' | 'bar'}
            fromMs={data.fromMs}
            toMs={data.toMs}
            following={data.following}
            thresholds={thresholds}
            onZoom={props.onZoom}
            onZoomOut={props.onZoomOut}
            title={panel.title}
          />
        ) : panel.visualization === 'heatmap' ? (
          <HeatmapViz
            id={panel.id}
            set={data.set}
            version={data.version}
            entities={shown}
            labelOf={labelOf}
            fromMs={data.fromMs}
            toMs={data.toMs}
            following={data.following}
            title={panel.title}
          />
        ) : panel.visualization === 'stat' ? (
          <StatViz
            set={data.set}
            version={data.version}
            entities={shown}
            labelOf={labelOf}
            fromMs={data.fromMs}
            toMs={data.following ? Number.MAX_SAFE_INTEGER : data.toMs}
            firing={isFiring}
          />
        ) : (
          <TableViz
            set={data.set}
            version={data.version}
            entities={shown}
            labelOf={labelOf}
            fromMs={data.fromMs}
            toMs={data.following ? Number.MAX_SAFE_INTEGER : data.toMs}
            title={panel.title}
            firing={isFiring}
          />
        )}
      </div>
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400" data-testid="panel-source">
        {[
          `${shown.length * panel.metrics.length} series${
            entityIds && props.entitiesSelected > entityIds.length
              ? ` (the first ${entityIds.length} of ${props.entitiesSelected} entities)`
              : ''
          }`,
          source,
          `${counts.buckets.toLocaleString('en')} buckets, ${counts.points.toLocaleString('en')} points held`,
        ].join(' · ')}
      </p>
      {firing.length ? (
        <ul className="mt-1 text-xs text-red-800 dark:text-red-200">
          {firing.slice(0, 5).map((a) => (
            <li key={String(a.id)}>
              {a.rule_name}: {labelOf(String(a.entity_id))} {a.metric} {a.op} {a.threshold} since{' '}
              {formatClock(a.started_at)} UTC (fired at {a.fired_value})
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
