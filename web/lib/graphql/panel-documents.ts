/**
 * The reads behind a panel: raw points of a range, the streaming subscription of new points, the
 * history in buckets (bucketed_series, one aliased call per series), the newest rollup minutes.
 * Every name comes from the schema and is checked by `name()`; values travel as variables.
 */
import { name } from './documents';
import type { DiscoveredStream } from './schema-discovery';

function sel(fields: readonly string[]): string {
  return fields.map(name).join(' ');
}

/** Fields a panel reads of a row: time, entity, key columns, metrics. */
export function panelFields(stream: DiscoveredStream, metrics: readonly string[]): string[] {
  const keys = (stream.pipeline?.keyColumns ?? []).filter(
    (k) =>
      k !== stream.timeField &&
      k !== stream.entityField &&
      stream.otherFields.some((f) => f.name === k),
  );
  return [
    ...new Set([
      stream.timeField,
      ...(stream.entityField ? [stream.entityField] : []),
      ...keys,
      ...metrics,
    ]),
  ];
}

function entityVar(stream: DiscoveredStream, filtered: boolean): string {
  return filtered && stream.entityField
    ? `, $entities: [${name(stream.entityScalar ?? 'bigint')}!]!`
    : '';
}

function entityWhere(stream: DiscoveredStream, filtered: boolean): string {
  return filtered && stream.entityField ? `${name(stream.entityField)}: { _in: $entities }` : '';
}

/** Raw points in [$from, $to], newest first (the caller reverses), at most $limit. */
export function rawRangeQuery(
  stream: DiscoveredStream,
  fields: readonly string[],
  filtered: boolean,
): string {
  const t = name(stream.timeField);
  const where = [`${t}: { _gte: $from, _lte: $to }`, entityWhere(stream, filtered)]
    .filter(Boolean)
    .join(', ');
  return `query PanelRaw($from: ${name(stream.timeScalar)}!, $to: ${name(stream.timeScalar)}!, $limit: Int!${entityVar(stream, filtered)}) {
  rows: ${name(stream.name)}(where: { ${where} }, order_by: { ${t}: desc }, limit: $limit) { ${sel(fields)} }
}`;
}

/** How many rows [$from, $to] holds (the edge re-read asks this before it asks for the rows). */
export function rangeCountQuery(stream: DiscoveredStream, filtered: boolean): string {
  const t = name(stream.timeField);
  const where = [`${t}: { _gte: $from, _lte: $to }`, entityWhere(stream, filtered)]
    .filter(Boolean)
    .join(', ');
  return `query PanelCount($from: ${name(stream.timeScalar)}!, $to: ${name(stream.timeScalar)}!${entityVar(stream, filtered)}) {
  agg: ${name(stream.name)}_aggregate(where: { ${where} }) { aggregate { count } }
}`;
}

/** New points from $cursor on, in time order (a `<t>_stream` subscription). */
export function streamQuery(
  stream: DiscoveredStream,
  fields: readonly string[],
  filtered: boolean,
): string {
  const where = entityWhere(stream, filtered);
  return `subscription PanelStream($cursor: ${name(stream.timeScalar)}!, $batch: Int!${entityVar(stream, filtered)}) {
  rows: ${name(stream.name)}_stream(batch_size: $batch, cursor: { initial_value: { ${name(stream.timeField)}: $cursor }, ordering: ASC }${where ? `, where: { ${where} }` : ''}) { ${sel(fields)} }
}`;
}

/** Without streaming permission: the newest rows as a live query. */
export function newestRowsSubscription(
  stream: DiscoveredStream,
  fields: readonly string[],
  filtered: boolean,
): string {
  const where = entityWhere(stream, filtered);
  return `subscription PanelNewest($batch: Int!${entityVar(stream, filtered)}) {
  rows: ${name(stream.name)}(${where ? `where: { ${where} }, ` : ''}order_by: { ${name(stream.timeField)}: desc }, limit: $batch) { ${sel(fields)} }
}`;
}

export interface SeriesRef {
  alias: string;
  entity: string;
  metric: string;
}

/**
 * How long the server may answer the bucketed history from its response cache (Hasura's
 * `@cached`; keyed by role and session, so no user reads another's). The history's range is
 * aligned to whole buckets, so everyone opening the same dashboard in the same bucket asks the
 * same question; late points reach a page at the next history re-read after this at most.
 * Real Hasura's community edition accepts the directive and does not cache.
 */
export const BUCKETS_CACHE_TTL_S = 30;

/**
 * Buckets of each series over [$from, $to) from bucketed_series, one aliased call per series (one
 * request, one SQL statement on either server).
 */
export function bucketsQuery(series: readonly SeriesRef[]): string {
  const vars = series.map((_, i) => `, $e${i}: bigint!, $m${i}: String!`).join('');
  const calls = series.map(
    (s, i) =>
      `${name(s.alias)}: bucketed_series(args: { stream: $stream, entity_id: $e${i}, metric: $m${i}, from_ts: $from, to_ts: $to, bucket_width: $width }) { bucket count min max sum last }`,
  );
  return `query PanelBuckets($stream: String!, $from: timestamptz!, $to: timestamptz!, $width: interval!${vars}) @cached(ttl: ${BUCKETS_CACHE_TTL_S}) {
  ${calls.join('\n  ')}
}`;
}

/** The variables of bucketsQuery's series. */
export function bucketsVariables(series: readonly SeriesRef[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  series.forEach((s, i) => {
    out[`e${i}`] = s.entity;
    out[`m${i}`] = s.metric;
  });
  return out;
}

/** The rollup minutes of some series from $from on (the open buckets at the live edge). */
export const EDGE_MINUTES = `subscription PanelEdge($stream: String!, $entities: [bigint!]!, $metrics: [String!]!, $from: timestamptz!) {
  rows: rollups_1m(where: { stream: { _eq: $stream }, entity_id: { _in: $entities }, metric: { _in: $metrics }, bucket: { _gte: $from } }, order_by: { bucket: asc }, limit: 5000) { entity_id metric bucket count min max sum last last_ts }
}`;
