/**
 * GraphQL documents for discovered streams. Table and field names come from the schema, so every
 * name is checked against GraphQL's name grammar before it goes into a document; values always
 * travel as variables.
 */
import type { DiscoveredStream } from './schema-discovery';

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A GraphQL name, or an error: nothing else may be spliced into a document. */
export function name(value: string): string {
  if (!NAME.test(value)) throw new Error(`not a GraphQL name: ${JSON.stringify(value)}`);
  return value;
}

function selection(fields: readonly string[]): string {
  return fields.map(name).join(' ');
}

/** Fields a chart row needs: time, entity, the metrics. */
export function chartFields(stream: DiscoveredStream, metrics: readonly string[]): string[] {
  return [stream.timeField, ...(stream.entityField ? [stream.entityField] : []), ...metrics];
}

function entityLabel(stream: DiscoveredStream): string {
  const rel = stream.entityRelationship;
  return rel ? ` ${name(rel.field)} { ${selection(rel.labelFields)} }` : '';
}

/** `where` for one entity (or all rows) plus an optional time bound. */
function whereClause(
  stream: DiscoveredStream,
  opts: { entity: boolean; timeOp?: '_gt' | '_gte'; timeVar?: string },
): string {
  const parts: string[] = [];
  if (opts.timeOp)
    parts.push(`${name(stream.timeField)}: { ${opts.timeOp}: $${opts.timeVar ?? 'from'} }`);
  if (opts.entity && stream.entityField)
    parts.push(`${name(stream.entityField)}: { _eq: $entity }`);
  return parts.length ? `where: { ${parts.join(', ')} }` : '';
}

function entityVar(stream: DiscoveredStream, entity: boolean): string {
  return entity && stream.entityField ? `, $entity: ${name(stream.entityScalar ?? 'bigint')}!` : '';
}

/** Live query: the newest rows (newest first), with the entity's label. */
export function latestRowsSubscription(
  stream: DiscoveredStream,
  fields: readonly string[],
  entity: boolean,
  withLabel = true,
): string {
  const where = whereClause(stream, { entity });
  return `subscription LatestRows($limit: Int!${entityVar(stream, entity)}) {
  rows: ${name(stream.name)}(${where ? `${where}, ` : ''}order_by: { ${name(stream.timeField)}: desc }, limit: $limit) { ${selection(fields)}${withLabel ? entityLabel(stream) : ''} }
}`;
}

/** Live query: how many rows arrived since `$since` (for the overview's rate). */
export function countSinceSubscription(stream: DiscoveredStream): string {
  return `subscription CountSince($since: ${name(stream.timeScalar)}!) {
  agg: ${name(stream.name)}_aggregate(where: { ${name(stream.timeField)}: { _gt: $since } }) { aggregate { count } }
}`;
}

/** Entities of a kind, for the series picker. */
export const ENTITIES_OF_KIND = `query EntitiesOfKind($kind: String!) {
  entities(where: { kind: { _eq: $kind } }, order_by: { key: asc }, limit: 1000) { id key name attributes }
}`;

/** Entities of a kind by id: the labels of the series a reader's panels name. */
export const ENTITIES_BY_ID = `query EntitiesById($kind: String!, $ids: [bigint!]!) {
  entities(where: { kind: { _eq: $kind }, id: { _in: $ids } }, order_by: { key: asc }) { id key name attributes }
}`;

/** Entities that sent rows recently, when the stream's entity kind is not known. */
export function recentEntitiesQuery(stream: DiscoveredStream): string {
  const e = name(stream.entityField ?? 'entity_id');
  return `query RecentEntities($from: ${name(stream.timeScalar)}!) {
  rows: ${name(stream.name)}(distinct_on: [${e}], order_by: [{ ${e}: asc }, { ${name(stream.timeField)}: desc }], where: { ${name(stream.timeField)}: { _gte: $from } }, limit: 1000) { ${e}${entityLabel(stream)} }
}`;
}

// --- pipeline health -------------------------------------------------------------------------

export const PIPELINES_QUERY = `query Pipelines {
  pipelines(order_by: { name: asc }) { name description topics target_schema target_table time_column key_columns rollup_columns entity enabled version updated_at }
}`;

export const PIPELINES_SUBSCRIPTION = `subscription PipelineVersions {
  pipelines(order_by: { name: asc }) { name version enabled }
}`;

export const CONSUMER_OFFSETS_SUBSCRIPTION = `subscription ConsumerOffsets {
  consumer_offsets(order_by: [{ consumer_group: asc }, { topic: asc }, { partition: asc }]) {
    consumer_group topic partition next_offset high_watermark messages rows_loaded dead_letters updated_at
    stalled_since last_error
  }
}`;

export const CONSUMER_OFFSETS_QUERY = CONSUMER_OFFSETS_SUBSCRIPTION.replace(
  /^subscription/,
  'query',
);

export const DEAD_LETTER_COUNT_SUBSCRIPTION = `subscription DeadLetterCount {
  dead_letters_aggregate { aggregate { count } }
}`;
