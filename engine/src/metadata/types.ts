/**
 * Hasura metadata, in the JSON form `export_metadata` returns (version 3). Only the parts the
 * engine acts on are typed; everything else is kept and exported untouched.
 */
import type { QualifiedName } from '../introspection/catalog.ts';

export type { QualifiedName };

/** A bool_exp as written in metadata (permission filters, checks). */
export type BoolExpJson = Record<string, unknown>;

export interface ManualConfiguration {
  remote_table: QualifiedName | string;
  column_mapping: Record<string, string>;
  insertion_order?: 'before_parent' | 'after_parent' | null;
}

export type ObjectRelUsing =
  | {
      foreign_key_constraint_on:
        string | string[] | { column?: string; columns?: string[]; table?: QualifiedName | string };
    }
  | { manual_configuration: ManualConfiguration };

export type ArrayRelUsing =
  | {
      foreign_key_constraint_on: {
        table: QualifiedName | string;
        column?: string;
        columns?: string[];
      };
    }
  | { manual_configuration: ManualConfiguration };

export interface RelationshipMeta<U> {
  name: string;
  using: U;
  comment?: string | null;
}

export interface ComputedFieldMeta {
  name: string;
  definition: {
    function: QualifiedName | string;
    table_argument?: string | null;
    session_argument?: string | null;
  };
  comment?: string | null;
}

export interface SelectPermission {
  columns: string[] | '*';
  computed_fields?: string[];
  filter?: BoolExpJson;
  limit?: number | null;
  allow_aggregations?: boolean;
  query_root_fields?: string[] | null;
  subscription_root_fields?: string[] | null;
}

export interface PermissionEntry<P> {
  role: string;
  permission: P;
  comment?: string | null;
}

export interface CustomRootFields {
  select?: string | { name?: string; comment?: string } | null;
  select_by_pk?: string | { name?: string; comment?: string } | null;
  select_aggregate?: string | { name?: string; comment?: string } | null;
  select_stream?: string | { name?: string; comment?: string } | null;
  [k: string]: unknown;
}

export interface TableConfiguration {
  custom_name?: string | null;
  custom_root_fields?: CustomRootFields;
  column_config?: Record<string, { custom_name?: string | null; comment?: string | null }>;
  /** legacy v1 form */
  custom_column_names?: Record<string, string>;
  comment?: string | null;
}

export interface TableMeta {
  table: QualifiedName;
  configuration?: TableConfiguration;
  is_enum?: boolean;
  object_relationships?: Array<RelationshipMeta<ObjectRelUsing>>;
  array_relationships?: Array<RelationshipMeta<ArrayRelUsing>>;
  computed_fields?: ComputedFieldMeta[];
  select_permissions?: Array<PermissionEntry<SelectPermission>>;
  insert_permissions?: Array<PermissionEntry<Record<string, unknown>>>;
  update_permissions?: Array<PermissionEntry<Record<string, unknown>>>;
  delete_permissions?: Array<PermissionEntry<Record<string, unknown>>>;
  event_triggers?: unknown[];
  remote_relationships?: unknown[];
  [k: string]: unknown;
}

export interface FunctionConfiguration {
  custom_name?: string | null;
  custom_root_fields?: { function?: string | null; function_aggregate?: string | null };
  session_argument?: string | null;
  exposed_as?: 'query' | 'mutation' | null;
}

export interface FunctionMeta {
  function: QualifiedName;
  configuration?: FunctionConfiguration;
  permissions?: Array<{ role: string }>;
  comment?: string | null;
  [k: string]: unknown;
}

export interface SourceMeta {
  name: string;
  kind: string;
  tables: TableMeta[];
  functions?: FunctionMeta[];
  configuration: Record<string, unknown>;
  customization?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Metadata {
  version: 3;
  sources: SourceMeta[];
  [k: string]: unknown;
}

export const emptyMetadata = (): Metadata => ({
  version: 3,
  sources: [
    {
      name: 'default',
      kind: 'postgres',
      tables: [],
      configuration: {
        connection_info: {
          database_url: { from_env: 'HASURA_GRAPHQL_DATABASE_URL' },
          isolation_level: 'read-committed',
          pool_settings: {
            connection_lifetime: 600,
            idle_timeout: 180,
            max_connections: 50,
            retries: 1,
          },
          use_prepared_statements: true,
        },
      },
    },
  ],
});

/** `"author"` means public.author; `{schema, name}` is taken as is. */
export function normalizeName(x: unknown, what = 'table'): QualifiedName {
  if (typeof x === 'string') return { schema: 'public', name: x };
  if (x && typeof x === 'object' && typeof (x as QualifiedName).name === 'string') {
    const q = x as QualifiedName;
    return { schema: q.schema ?? 'public', name: q.name };
  }
  throw new Error(`invalid ${what} name`);
}

export const sameName = (a: QualifiedName, b: QualifiedName): boolean =>
  a.schema === b.schema && a.name === b.name;

/** The tables of a source (the served one: default, else the first) that metadata marks `is_enum`. */
export function enumTableNames(metadata: Metadata, sourceName?: string): QualifiedName[] {
  const source =
    sourceName !== undefined
      ? metadata.sources.find((s) => s.name === sourceName)
      : (metadata.sources.find((s) => s.name === 'default') ?? metadata.sources[0]);
  return (source?.tables ?? [])
    .filter((t) => t.is_enum === true)
    .map((t) => normalizeName(t.table));
}
