/** Server-side reads of a stream, for the first render of each page. */
import 'server-only';
import {
  countSinceSubscription,
  ENTITIES_BY_ID,
  ENTITIES_OF_KIND,
  latestRowsSubscription,
  recentEntitiesQuery,
} from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { Row } from '@/lib/stream/stream-buffer';
import { perMinute, STREAM_MINUTES } from '@/lib/overview/minutes';
import type { EntityOption } from './entity-option';
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

export type { EntityOption } from './entity-option';

/** The entities a stream's series can be picked from (or, given `ids`, those of them only). */
export async function fetchEntities(
  stream: DiscoveredStream,
  canReadEntities: boolean,
  ids?: readonly string[],
): Promise<EntityOption[]> {
  if (!stream.entityField) return [];
  const kind = stream.pipeline?.entityKind;
  if (kind && canReadEntities) {
    const res = await serverRequest<{
      entities: Array<{
        id: number | string;
        key: string;
        name: string | null;
        attributes?: Record<string, unknown>;
      }>;
    }>(
      `the entities of ${stream.title}`,
      ids ? ENTITIES_BY_ID : ENTITIES_OF_KIND,
      ids ? { kind, ids } : { kind },
    );
    // by id the answer is the whole answer; a kind without entities yet falls back to the rows
    if (res.entities.length || ids) {
      return res.entities.map((e) => ({
        id: String(e.id),
        label: e.name ? `${e.name} (${e.key})` : e.key,
        ...(e.attributes ? { attributes: e.attributes } : {}),
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

/** Rows per minute of a stream over the last hour, from the per-minute rollups of one metric. */
export async function fetchStreamMinutes(
  stream: DiscoveredStream,
  metric: string,
): Promise<Array<[number, number]>> {
  const from = new Date(Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000).toISOString();
  const res = await serverRequest<{ rows: Array<{ bucket: string; count: number | string }> }>(
    `the history of ${stream.title}`,
    STREAM_MINUTES.replace(/^subscription/, 'query'),
    { stream: stream.name, metric, from },
  );
  return [...perMinute(res.rows)].sort((a, b) => a[0] - b[0]);
}
