/**
 * Finds the time-series streams a role can read, from the GraphQL schema alone (plus the pipeline
 * declarations when the role may read them), so a stream declared at run time appears without
 * code or a rebuild.
 *
 * A stream is a tracked table that
 * - the role can list it (`<t>`) and subscribe to it (`<t>_stream`, or at least the `<t>` live query),
 * - has a `timestamptz` field (its time column: the pipeline's `time_column`, else `ts`, `time`,
 *   `timestamp`, else the first non-null one),
 * - has at least one numeric field that is not an id (its metrics),
 * - and is either the target of a declared pipeline, or holds points of an entity (`entity_id`).
 * Rollup-shaped tables (stream, metric, bucket) are the rollups, and tables that point at an alert
 * rule (`rule_id`: the alerts) are the dashboard's own data, not streams.
 */
import {
  unwrap,
  type IntrospectedField,
  type IntrospectedType,
  type SchemaIntrospection,
} from './introspection';

export const NUMERIC_SCALARS = new Set([
  'Int',
  'smallint',
  'bigint',
  'Float',
  'float4',
  'float8',
  'numeric',
]);
const TIME_SCALARS = new Set(['timestamptz', 'timestamp']);
const PREFERRED_TIME_NAMES = ['ts', 'time', 'timestamp', 'event_time', 'recorded_at'];

export interface PipelineDeclaration {
  name: string;
  description?: string | null;
  topics?: string[] | null;
  target_schema?: string | null;
  target_table: string;
  time_column?: string | null;
  key_columns?: string[] | null;
  rollup_columns?: string[] | null;
  entity?: { kind?: string } | null;
  enabled?: boolean | null;
}

export interface StreamField {
  name: string;
  scalar: string;
  description?: string;
}

export interface DiscoveredStream {
  /** GraphQL table name: the base of its root fields (`<name>`, `<name>_stream`, …). */
  name: string;
  typeName: string;
  title: string;
  description?: string;
  timeField: string;
  /** GraphQL scalar of the time field (timestamptz). */
  timeScalar: string;
  metrics: StreamField[];
  /** Other scalar fields shown in the latest rows (ids, text …), time and metrics excluded. */
  otherFields: StreamField[];
  entityField?: string;
  /** GraphQL scalar of the entity field (bigint). */
  entityScalar?: string;
  /** Object relationship to the entity (with `name` / `key`), for labels. */
  entityRelationship?: { field: string; labelFields: string[] };
  canAggregate: boolean;
  /** `<t>_stream` is there: charts follow a cursor; otherwise they poll the newest rows. */
  canStream: boolean;
  pipeline?: {
    name: string;
    topics: string[];
    rollupColumns: string[];
    /** the natural key of a point (what identifies a row when it comes twice) */
    keyColumns: string[];
    entityKind?: string;
    enabled: boolean;
  };
}

export interface RollupSource {
  /** Root field, e.g. rollups_1m. */
  name: string;
  hasAvg: boolean;
}

export interface DiscoveredSchema {
  streams: DiscoveredStream[];
  rollups: { minute?: RollupSource; hour?: RollupSource; bucketedSeries: boolean };
  health: { pipelines: boolean; consumerOffsets: boolean; deadLetters: boolean; entities: boolean };
  /** the dashboard's own tables, as the role's schema shows them */
  app: { dashboards: boolean; alerts: boolean; alertRules: boolean; deadLetterPreview: boolean };
}

const HASURA_DEFAULT_DESCRIPTION = /^columns and relationships of "/;

function typeMap(schema: SchemaIntrospection): Map<string, IntrospectedType> {
  return new Map(schema.__schema.types.map((t) => [t.name, t]));
}

function rootFields(
  types: Map<string, IntrospectedType>,
  rootName: string | undefined,
): Map<string, IntrospectedField> {
  const root = rootName ? types.get(rootName) : undefined;
  return new Map((root?.fields ?? []).map((f) => [f.name, f]));
}

function scalarFields(type: IntrospectedType): StreamField[] {
  const out: StreamField[] = [];
  for (const f of type.fields ?? []) {
    const t = unwrap(f.type);
    if (t.kind !== 'SCALAR' || t.list || !t.name) continue;
    out.push({
      name: f.name,
      scalar: t.name,
      ...(f.description ? { description: f.description } : {}),
    });
  }
  return out;
}

function isIdLike(name: string): boolean {
  return name === 'id' || name.endsWith('_id');
}

export function humanize(name: string): string {
  const words = name.replace(/_+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** GraphQL table name Hasura gives a table (without a custom name). */
export function graphqlTableName(schema: string | null | undefined, table: string): string {
  return !schema || schema === 'public' ? table : `${schema}_${table}`;
}

function pickTimeField(type: IntrospectedType, preferred?: string | null): string | undefined {
  const times = (type.fields ?? []).filter((f) => {
    const t = unwrap(f.type);
    return t.kind === 'SCALAR' && !t.list && t.name != null && TIME_SCALARS.has(t.name);
  });
  if (times.length === 0) return undefined;
  if (preferred && times.some((f) => f.name === preferred)) return preferred;
  for (const name of PREFERRED_TIME_NAMES) if (times.some((f) => f.name === name)) return name;
  return (times.find((f) => unwrap(f.type).nonNull) ?? times[0])!.name;
}

function entityRelationship(
  type: IntrospectedType,
  types: Map<string, IntrospectedType>,
): DiscoveredStream['entityRelationship'] {
  for (const f of type.fields ?? []) {
    const t = unwrap(f.type);
    if (t.kind !== 'OBJECT' || t.list || !t.name) continue;
    const target = types.get(t.name);
    const names = new Set((target?.fields ?? []).map((x) => x.name));
    if (!names.has('id')) continue;
    const labelFields = ['name', 'key'].filter((n) => names.has(n));
    if (labelFields.length) return { field: f.name, labelFields };
  }
  return undefined;
}

function isRollupShaped(fields: StreamField[]): boolean {
  const names = new Set(fields.map((f) => f.name));
  return names.has('stream') && names.has('metric') && names.has('bucket');
}

function rollupSource(
  name: string,
  queryRoot: Map<string, IntrospectedField>,
  types: Map<string, IntrospectedType>,
): RollupSource | undefined {
  const root = queryRoot.get(name);
  if (!root) return undefined;
  const t = unwrap(root.type);
  const type = t.name ? types.get(t.name) : undefined;
  if (!type) return undefined;
  const fields = scalarFields(type);
  if (!isRollupShaped(fields)) return undefined;
  return { name, hasAvg: fields.some((f) => f.name === 'avg') };
}

function hasField(
  types: Map<string, IntrospectedType>,
  root: IntrospectedField | undefined,
  field: string,
): boolean {
  const t = root ? unwrap(root.type) : undefined;
  const type = t?.name ? types.get(t.name) : undefined;
  return (type?.fields ?? []).some((f) => f.name === field);
}

export function discoverSchema(
  schema: SchemaIntrospection,
  pipelines: PipelineDeclaration[] | undefined = undefined,
): DiscoveredSchema {
  const types = typeMap(schema);
  const queryRoot = rootFields(types, schema.__schema.queryType?.name);
  const subscriptionRoot = rootFields(types, schema.__schema.subscriptionType?.name);

  const byTable = new Map<string, PipelineDeclaration>();
  for (const p of pipelines ?? [])
    byTable.set(graphqlTableName(p.target_schema, p.target_table), p);

  const streams: DiscoveredStream[] = [];
  for (const [name, field] of queryRoot) {
    const t = unwrap(field.type);
    if (!t.list || t.kind !== 'OBJECT' || !t.name) continue;
    const canStream = subscriptionRoot.has(`${name}_stream`);
    if (!canStream && !subscriptionRoot.has(name)) continue;
    const type = types.get(t.name);
    if (!type) continue;
    const fields = scalarFields(type);
    if (isRollupShaped(fields) || fields.some((f) => f.name === 'rule_id')) continue;
    const pipeline = byTable.get(name);
    const timeField = pickTimeField(type, pipeline?.time_column);
    if (!timeField) continue;
    const keyColumns = new Set(pipeline?.key_columns ?? []);
    const metrics = fields.filter(
      (f) =>
        NUMERIC_SCALARS.has(f.scalar) &&
        !isIdLike(f.name) &&
        !keyColumns.has(f.name) &&
        f.name !== timeField,
    );
    if (metrics.length === 0) continue;
    // the metrics the worker rolls up are the stream's main ones: list them first, in their order
    const rolled = pipeline?.rollup_columns ?? [];
    const rank = (m: StreamField) =>
      rolled.includes(m.name) ? rolled.indexOf(m.name) : rolled.length;
    metrics.sort((a, b) => rank(a) - rank(b));
    const entityField = fields.some((f) => f.name === 'entity_id') ? 'entity_id' : undefined;
    const timeScalar = fields.find((f) => f.name === timeField)!.scalar;
    if (!pipeline && !entityField) continue;
    const metricNames = new Set(metrics.map((m) => m.name));
    const otherFields = fields.filter((f) => f.name !== timeField && !metricNames.has(f.name));
    const typeDescription =
      type.description && !HASURA_DEFAULT_DESCRIPTION.test(type.description)
        ? type.description
        : undefined;
    const description = pipeline?.description ?? typeDescription;
    streams.push({
      name,
      typeName: t.name,
      title: humanize(name),
      ...(description ? { description } : {}),
      timeField,
      timeScalar,
      metrics,
      otherFields,
      ...(entityField
        ? { entityField, entityScalar: fields.find((f) => f.name === entityField)!.scalar }
        : {}),
      ...(entityField ? { entityRelationship: entityRelationship(type, types) } : {}),
      canAggregate: queryRoot.has(`${name}_aggregate`) && subscriptionRoot.has(`${name}_aggregate`),
      canStream,
      ...(pipeline
        ? {
            pipeline: {
              name: pipeline.name,
              topics: pipeline.topics ?? [],
              rollupColumns: pipeline.rollup_columns ?? [],
              keyColumns: pipeline.key_columns ?? [],
              ...(pipeline.entity?.kind ? { entityKind: pipeline.entity.kind } : {}),
              enabled: pipeline.enabled !== false,
            },
          }
        : {}),
    });
  }
  streams.sort((a, b) => a.name.localeCompare(b.name));
  if (streams.some((s) => s.entityRelationship === undefined)) {
    for (const s of streams) if (s.entityRelationship === undefined) delete s.entityRelationship;
  }

  const minute = rollupSource('rollups_1m', queryRoot, types);
  const hour = rollupSource('rollups_1h', queryRoot, types);
  return {
    streams,
    rollups: {
      ...(minute ? { minute } : {}),
      ...(hour ? { hour } : {}),
      bucketedSeries: queryRoot.has('bucketed_series'),
    },
    health: {
      pipelines: queryRoot.has('pipelines'),
      consumerOffsets: queryRoot.has('consumer_offsets'),
      deadLetters: queryRoot.has('dead_letters'),
      entities: queryRoot.has('entities'),
    },
    app: {
      dashboards: queryRoot.has('dashboards'),
      alerts: queryRoot.has('alerts'),
      alertRules: queryRoot.has('alert_rules'),
      deadLetterPreview: hasField(types, queryRoot.get('dead_letters'), 'message_preview'),
    },
  };
}
