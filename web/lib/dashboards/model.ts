/**
 * Dashboards, panels and alert rules as the page holds them (rows of public.dashboards, panels,
 * alert_rules), checked when read: a row written by another client that the page cannot draw is
 * reported, not drawn wrongly.
 */
import { AGGREGATES, type Aggregate } from '@/lib/series/agg';
import type { BucketSetting } from '@/lib/time/buckets';

export const VISUALIZATIONS = ['line', 'area', 'bar', 'stat', 'table', 'heatmap'] as const;
export type Visualization = (typeof VISUALIZATIONS)[number];
export const BUCKETS: readonly BucketSetting[] = [
  'auto',
  'raw',
  '1m',
  '5m',
  '15m',
  '1h',
  '6h',
  '1d',
];
export const WIDTHS = [3, 4, 6, 8, 12] as const;
/** Most series one chart or stat panel draws (entities × metrics): more lines are unreadable. */
export const MAX_SERIES = 40;
/** Most series a table lists (a row per entity, a column per metric): "every sensor" is a table. */
export const MAX_TABLE_SERIES = 240;
/** Most entities a heatmap draws (a row each). */
export const MAX_HEATMAP_ROWS = 60;

/** How many entities a panel of this visualisation and these metrics may show. */
export function entityCap(visualization: Visualization, metrics: number): number {
  if (visualization === 'heatmap') return MAX_HEATMAP_ROWS;
  const series = visualization === 'table' ? MAX_TABLE_SERIES : MAX_SERIES;
  return Math.max(1, Math.floor(series / Math.max(1, metrics)));
}

export type EntitySelection =
  | { mode: 'all' }
  | { mode: 'ids'; ids: number[] }
  | { mode: 'match'; match: Record<string, string> }
  | { mode: 'dashboard' };

export interface PanelSpec {
  id: string;
  dashboard_id: string;
  position: number;
  title: string;
  stream: string;
  metrics: string[];
  entities: EntitySelection;
  bucket: BucketSetting;
  aggregate: Aggregate;
  visualization: Visualization;
  width: number;
}

/**
 * Per stream, the entities its panels name, when every panel of it names them (`ids`): all a
 * reader of the dashboard needs of that stream's entities are their labels. A stream with a panel
 * that picks (`all`, `match`, `dashboard`) is left out: its panels need every option.
 */
export function namedEntities(panels: readonly PanelSpec[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const stream of new Set(panels.map((p) => p.stream))) {
    const ids = new Set<string>();
    let all = true;
    for (const p of panels) {
      if (p.stream !== stream) continue;
      if (p.entities.mode !== 'ids') all = false;
      else for (const i of p.entities.ids) ids.add(String(i));
    }
    if (all) out[stream] = [...ids];
  }
  return out;
}

export interface AlertRule {
  id: string;
  panel_id: string | null;
  owner_id: string | null;
  name: string;
  stream: string;
  metric: string;
  op: 'above' | 'below';
  threshold: number;
  for_seconds: number;
  entity_ids: number[] | null;
  enabled: boolean;
}

export interface Dashboard {
  id: string;
  owner_id: string | null;
  title: string;
  description: string;
  shared: boolean;
  stream: string | null;
  time_from: string;
  time_to: string;
  version?: number;
  panels: PanelSpec[];
}

export interface AlertRow {
  id: number | string;
  rule_id: string | null;
  rule_name: string;
  stream: string;
  metric: string;
  op: string;
  threshold: number;
  entity_id: number | string;
  state: 'firing' | 'resolved';
  started_at: string;
  fired_at: string;
  fired_value: number;
  resolved_at: string | null;
  resolved_value: number | null;
  resolved_reason: string | null;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

export function parseEntities(value: unknown): EntitySelection {
  const v = (value ?? {}) as Record<string, unknown>;
  switch (v.mode) {
    case 'all':
      return { mode: 'all' };
    case 'ids':
      return {
        mode: 'ids',
        ids: (Array.isArray(v.ids) ? v.ids : [])
          .map(Number)
          .filter((n) => Number.isSafeInteger(n) && n > 0),
      };
    case 'match': {
      const match: Record<string, string> = {};
      for (const [k, x] of Object.entries((v.match ?? {}) as Record<string, unknown>))
        if (typeof x === 'string' || typeof x === 'number') match[k] = String(x);
      return { mode: 'match', match };
    }
    default:
      return { mode: 'dashboard' };
  }
}

/** A panel row as the page can draw it, or an error naming what is wrong with it. */
export function parsePanel(
  row: Record<string, unknown>,
): PanelSpec | { id: string; error: string } {
  const id = String(row.id);
  const metrics = Array.isArray(row.metrics) ? row.metrics.map(String) : [];
  if (!NAME.test(String(row.stream)))
    return { id, error: `not a stream name: ${String(row.stream)}` };
  if (metrics.length === 0 || !metrics.every((m) => NAME.test(m)))
    return { id, error: 'no usable metrics' };
  const visualization = VISUALIZATIONS.includes(row.visualization as Visualization)
    ? (row.visualization as Visualization)
    : 'line';
  return {
    id,
    dashboard_id: String(row.dashboard_id),
    position: Number(row.position ?? 0),
    title: String(row.title ?? ''),
    stream: String(row.stream),
    metrics,
    entities: parseEntities(row.entities),
    bucket: BUCKETS.includes(row.bucket as BucketSetting) ? (row.bucket as BucketSetting) : 'auto',
    aggregate: AGGREGATES.includes(row.aggregate as Aggregate)
      ? (row.aggregate as Aggregate)
      : 'avg',
    visualization,
    width: (WIDTHS as readonly number[]).includes(Number(row.width)) ? Number(row.width) : 6,
  };
}

export function parseDashboard(row: Record<string, unknown>): {
  dashboard: Dashboard;
  broken: Array<{ id: string; error: string }>;
} {
  const broken: Array<{ id: string; error: string }> = [];
  const panels: PanelSpec[] = [];
  for (const p of (row.panels as Array<Record<string, unknown>> | undefined) ?? []) {
    const parsed = parsePanel(p);
    if ('error' in parsed) broken.push(parsed);
    else panels.push(parsed);
  }
  panels.sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
  return {
    dashboard: {
      id: String(row.id),
      owner_id: (row.owner_id as string | null) ?? null,
      title: String(row.title ?? ''),
      description: String(row.description ?? ''),
      shared: row.shared === true,
      stream: (row.stream as string | null) ?? null,
      time_from: String(row.time_from ?? 'now-1h'),
      time_to: String(row.time_to ?? 'now'),
      version: Number(row.version ?? 1),
      panels,
    },
    broken,
  };
}

/** What a panel asks the server for (the editable columns of a panels row). */
export function panelInput(p: Omit<PanelSpec, 'id' | 'dashboard_id'>): Record<string, unknown> {
  return {
    position: p.position,
    title: p.title.trim() || p.metrics.join(', '),
    stream: p.stream,
    metrics: p.metrics,
    entities: p.entities,
    bucket: p.bucket,
    aggregate: p.aggregate,
    visualization: p.visualization,
    width: p.width,
  };
}
