/**
 * The schema model: what a role's GraphQL schema contains, type by type, with Hasura's names and
 * descriptions. It is plain data (no graphql-js objects): the operation resolver walks it to
 * validate requests and build IR, and the introspection resolver answers `__schema` / `__type`
 * from it. Output fields carry `info` saying what they resolve to; input values say how their
 * scalars are parsed (Hasura uses different parsers at different places for the same scalar).
 */
import type { ComputedFieldInfo, FunctionInfo, RelInfo, TableInfo } from './source.ts';

export type TypeRef =
  | { kind: 'NAMED'; name: string }
  | { kind: 'NON_NULL'; of: TypeRef }
  | { kind: 'LIST'; of: TypeRef };

export const named = (name: string): TypeRef => ({ kind: 'NAMED', name });
export const nonNull = (of: TypeRef): TypeRef => ({ kind: 'NON_NULL', of });
export const list = (of: TypeRef): TypeRef => ({ kind: 'LIST', of });
export const nn = (name: string): TypeRef => nonNull(named(name));

export function namedOf(t: TypeRef): string {
  return t.kind === 'NAMED' ? t.name : namedOf(t.of);
}

export function showType(t: TypeRef): string {
  switch (t.kind) {
    case 'NAMED':
      return t.name;
    case 'NON_NULL':
      return `${showType(t.of)}!`;
    case 'LIST':
      return `[${showType(t.of)}]`;
  }
}

/**
 * How a scalar input is parsed: `column` is Hasura's column-value parser (any JSON, strings for
 * every type, checked by Postgres), the others are the built-in scalar parsers.
 */
export type ScalarParse =
  'column' | 'int' | 'nonneg' | 'bigint' | 'float' | 'bool' | 'string' | 'json';

export interface InputValueDef {
  name: string;
  /**
   * The name the parser reads the value under when the source's naming convention spells it
   * otherwise (`orderBy` is read as `order_by`; naming-convention.ts); absent: `name`.
   */
  key?: string;
  description: string | null;
  type: TypeRef;
  /** GraphQL literal text of the default, as introspection shows it. */
  defaultValue?: string | null;
  /** Explicit null is accepted (Hasura's `P.nullable`); otherwise a null is handed to the parser. */
  nullable?: boolean;
  parse?: ScalarParse;
  /** For column-valued inputs: the Postgres type to cast to. */
  pgType?: string;
}

export type FieldInfo =
  | { k: 'typename' }
  | { k: 'placeholder' }
  | { k: 'select'; table: TableInfo }
  | { k: 'select_pk'; table: TableInfo }
  | { k: 'select_agg'; table: TableInfo }
  /** `<t>_stream` (issue 6, subscription root only) */
  | { k: 'select_stream'; table: TableInfo }
  | { k: 'fn'; fn: FunctionInfo }
  | { k: 'fn_agg'; fn: FunctionInfo }
  /** Relay (schema/relay-types.ts): `<t>_connection`, a function's, an array relationship's */
  | { k: 'connection'; table: TableInfo }
  | { k: 'fn_connection'; fn: FunctionInfo }
  | { k: 'arrrel_conn'; table: TableInfo; rel: RelInfo }
  /** Relay: the row's global id */
  | { k: 'node_id'; table: TableInfo }
  /** Relay: `node(id:)`, the row a global id names */
  | { k: 'node' }
  | { k: 'column'; table: TableInfo; column: string }
  | { k: 'objrel'; table: TableInfo; rel: RelInfo }
  | { k: 'arrrel'; table: TableInfo; rel: RelInfo }
  | { k: 'arrrel_agg'; table: TableInfo; rel: RelInfo }
  | { k: 'cf_scalar'; table: TableInfo; cf: ComputedFieldInfo }
  | { k: 'cf_table'; table: TableInfo; cf: ComputedFieldInfo }
  | { k: 'cf_table_agg'; table: TableInfo; cf: ComputedFieldInfo }
  | { k: 'agg_aggregate'; table: TableInfo }
  | { k: 'agg_nodes'; table: TableInfo }
  | { k: 'agg_count'; table: TableInfo }
  | { k: 'agg_op'; table: TableInfo; op: string }
  | { k: 'agg_col'; table: TableInfo; op: string; column: string }
  | { k: 'introspection'; name: '__schema' | '__type' }
  /** an action root field (actions/): the webhook call, or an async action's result by id */
  | { k: 'action'; action: string; part: 'call' | 'async_result' }
  /** a relationship from an action's output object type to a table (actions/) */
  | { k: 'action_rel'; objectType: string; rel: string; table: TableInfo; aggregate?: boolean }
  /** a customized source's namespace root field: its fields are that source's root fields */
  | { k: 'namespace'; source: string }
  | { k: 'other' };

export interface FieldDef {
  name: string;
  description: string | null;
  args: InputValueDef[];
  type: TypeRef;
  info: FieldInfo;
  isDeprecated?: boolean;
  deprecationReason?: string | null;
}

export interface ObjectTypeDef {
  kind: 'OBJECT';
  name: string;
  description: string | null;
  fields: Map<string, FieldDef>;
  interfaces?: string[];
}

export type InputObjectInfo =
  | { k: 'bool_exp'; table: TableInfo }
  | { k: 'cmp'; scalar: string; pgType: string }
  | { k: 'cast_exp'; pgType: string }
  | { k: 'order_by'; table: TableInfo }
  | { k: 'agg_order_by'; table: TableInfo }
  | { k: 'agg_op_order_by'; table: TableInfo; op: string }
  | { k: 'agg_bool_exp'; table: TableInfo }
  | { k: 'agg_bool_exp_count'; table: TableInfo }
  | { k: 'fn_args'; fn: ComputedFieldInfo['fn'] }
  | { k: 'other' };

export interface InputObjectTypeDef {
  kind: 'INPUT_OBJECT';
  name: string;
  description: string | null;
  fields: Map<string, InputValueDef>;
  info: InputObjectInfo;
}

export interface EnumValueDef {
  name: string;
  description: string | null;
  isDeprecated?: boolean;
  deprecationReason?: string | null;
  /** column name for select_column enums, (dir, nulls) for order_by */
  value?: unknown;
}

export interface EnumTypeDef {
  kind: 'ENUM';
  name: string;
  description: string | null;
  values: EnumValueDef[];
}

export interface ScalarTypeDef {
  kind: 'SCALAR';
  name: string;
  description: string | null;
}

/** Relay's `Node` (schema/relay-types.ts): the object types that implement it are `possibleTypes`. */
export interface InterfaceTypeDef {
  kind: 'INTERFACE';
  name: string;
  description: string | null;
  fields: Map<string, FieldDef>;
  possibleTypes: string[];
}

export type TypeDef =
  ObjectTypeDef | InputObjectTypeDef | EnumTypeDef | ScalarTypeDef | InterfaceTypeDef;

export interface DirectiveDef {
  name: string;
  description: string | null;
  locations: string[];
  args: InputValueDef[];
  isRepeatable: boolean;
}

export interface RoleSchema {
  role: string;
  types: Map<string, TypeDef>;
  queryType: string;
  mutationType: string | null;
  subscriptionType: string | null;
  directives: DirectiveDef[];
}
