/** Server-side reads of a stream, for the first render of each page. */
import 'server-only';
import {
  chartFields,
  countSinceSubscription,
  ENTITIES_OF_KIND,
  historyQuery,
  latestRowsSubscription,
  recentEntitiesQuery,
  rollupDocument,
  windowAggregateSubscription,
} from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { AggregateResult as WindowAggregateResult } from '@/hooks/use-live-window-aggregate';
import type { RollupRow } from '@/lib/stream/rollups';
import type { Row } from '@/lib/stream/stream-buffer';
import { ROW_LIMIT } from '@/lib/stream/windows';
import { serverRequest } from './graphql';

/** A subscription document run once as a query (same selection, same variables). */
function asQuery(document: string): string {
  return document.replace(/^subscription/, 'query');
}

export async function fetchLatestRows(
  stream: DiscoveredStream,
  fields: readonly string[],
  entity: string | number | null,
  limit: number,
): Promise<Row[]> {
  const withEntity = entity !== null && stream.entityField !== undefined;
  const res = await serverRequest<{ rows: Row[] }>(
    `the latest rows of ${stream.title}`,
    asQuery(latestRowsSubscription(stream, fields, withEntity)),
    { limit, ...(withEntity ? { entity } : {}) },
  );
  return res.rows;
}

export async function fetchCountSince(
  stream: DiscoveredStream,
  sinceMs: number,
): Promise<number | undefined> {
  if (!stream.canAggregate) return undefined;
  const res = await serverRequest<{ agg: { aggregate: { count: number } | null } }>(
    `the rate of ${stream.title}`,
    asQuery(countSinceSubscription(stream)),
    { since: new Date(sinceMs).toISOString() },
  );
  return res.agg.aggregate?.count;
}

/** The window's newest rows, oldest first. */
export async function fetchHistory(
  stream: DiscoveredStream,
  metrics: readonly string[],
  entity: string | number | null,
  windowMs: number,
): Promise<Row[]> {
  const withEntity = entity !== null && stream.entityField !== undefined;
  const res = await serverRequest<{ rows: Row[] }>(
    `the history of ${stream.title}`,
    historyQuery(stream, chartFields(stream, metrics), withEntity),
    {
      from: new Date(Date.now() - windowMs).toISOString(),
      limit: ROW_LIMIT,
      ...(withEntity ? { entity } : {}),
    },
  );
  return [...res.rows].reverse();
}

export interface EntityOption {
  id: string;
  label: string;
}

/** The entities a stream's series can be picked from. */
export async function fetchEntities(
  stream: DiscoveredStream,
  canReadEntities: boolean,
): Promise<EntityOption[]> {
  if (!stream.entityField) return [];
  const kind = stream.pipeline?.entityKind;
  if (kind && canReadEntities) {
    const res = await serverRequest<{
      entities: Array<{ id: number | string; key: string; name: string | null }>;
    }>(`the entities of ${stream.title}`, ENTITIES_OF_KIND, { kind });
    if (res.entities.length) {
      return res.entities.map((e) => ({
        id: String(e.id),
        label: e.name ? `${e.name} (${e.key})` : e.key,
      }));
    }
  }
  const res = await serverRequest<{ rows: Array<Record<string, unknown>> }>(
    `the entities of ${stream.title}`,
    recentEntitiesQuery(stream),
    { from: new Date(Date.now() - 24 * 3600_000).toISOString() },
  );
  const rel = stream.entityRelationship?.field;
  return res.rows.map((r) => {
    const id = String(r[stream.entityField!]);
    const ent = rel ? (r[rel] as { name?: string | null; key?: string } | null) : null;
    const label = ent ? (ent.name ? `${ent.name} (${ent.key ?? id})` : (ent.key ?? id)) : `#${id}`;
    return { id, label };
  });
}

/** Rollup buckets of one entity's metrics over a window (the long-window chart's first data). */
export async function fetchRollups(
  table: string,
  stream: DiscoveredStream,
  entity: string | null,
  metrics: readonly string[],
  windowMs: number,
  bucketMs: number,
): Promise<RollupRow[]> {
  const from = new Date(Math.floor((Date.now() - windowMs) / bucketMs) * bucketMs).toISOString();
  const res = await serverRequest<{ rows: RollupRow[] }>(
    `the rollups of ${stream.title}`,
    rollupDocument('query', table, false),
    {
      stream: stream.name,
      entity,
      metrics: [...metrics],
      from,
      limit: ROW_LIMIT,
    },
  );
  return res.rows;
}

/** count / avg / min / max over a raw window, as the live aggregate first shows it. */
export async function fetchWindowAggregate(
  stream: DiscoveredStream,
  metrics: readonly string[],
  entity: string | null,
  from: string,
): Promise<WindowAggregateResult | undefined> {
  if (!stream.canAggregate || metrics.length === 0) return undefined;
  const withEntity = entity !== null && stream.entityField !== undefined;
  return serverRequest<WindowAggregateResult>(
    `the aggregates of ${stream.title}`,
    asQuery(windowAggregateSubscription(stream, metrics, withEntity)),
    { from, ...(withEntity ? { entity } : {}) },
  );
}
