/**
 * Postgres types as Hasura names and treats them (Hasura/Backends/Postgres/SQL/Types.hs): the
 * GraphQL scalar for a column type, which types are numeric, string-like, comparable, and which
 * are "big" numbers that the stringify-numeric option turns into strings.
 */
import type { PgColumn } from '../introspection/catalog.ts';

const BY_TYPNAME: Record<string, string> = {
  int4: 'Int',
  serial: 'Int',
  bool: 'Boolean',
  float4: 'Float',
  text: 'String',
  varchar: 'String',
  int2: 'smallint',
  int8: 'bigint',
  float8: 'float8',
};

/** GraphQL scalar name for a column (or function return) type. */
export function graphqlScalarFor(c: Pick<PgColumn, 'type' | 'category' | 'elemType'>): string {
  if (c.category === 'composite') return `${c.type}_scalar`;
  return scalarForTypname(c.type);
}

/** GraphQL scalar name for a Postgres typname: Hasura's name, else the typname itself. */
export function scalarForTypname(typname: string): string {
  return BY_TYPNAME[typname] ?? typname;
}

/** The internal Hasura type behind a GraphQL scalar name, by the Postgres typname. */
export const NUMERIC_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'money',
]);
export const STRING_TYPES = new Set(['varchar', 'text', 'citext', 'bpchar']);
export const JSON_TYPES = new Set(['json', 'jsonb']);
const NOT_COMPARABLE = new Set(['json', 'jsonb', 'geometry', 'geography', 'bool']);
/** Types whose values the stringify-numeric option sends as JSON strings. */
export const BIG_NUMERIC_TYPES = new Set(['int8', 'numeric', 'float8', 'money']);

/**
 * The types of Hasura's PGScalarType: anything else (time, interval, bytea, oid, inet, name, …) is
 * PGUnknown to Hasura, which is not comparable, so `max`/`min` leave such columns out; offering
 * them would give clients generated from our schema fields Hasura's schema does not have.
 */
const KNOWN = new Set([
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'money',
  'bool',
  'bpchar',
  'char',
  'varchar',
  'text',
  'citext',
  'date',
  'timestamp',
  'timestamptz',
  'timetz',
  'json',
  'jsonb',
  'geometry',
  'geography',
  'raster',
  'uuid',
  'ltree',
  'lquery',
  'ltxtquery',
]);

export function isNumericType(t: string): boolean {
  return NUMERIC_TYPES.has(t);
}
export function isComparableType(t: string, category: string): boolean {
  if (category === 'array' || category === 'composite' || category === 'enum')
    return category === 'enum';
  return KNOWN.has(t) && !NOT_COMPARABLE.has(t);
}
