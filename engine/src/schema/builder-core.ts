/**
 * The state of one role's schema while it is built, and what every part of the build reads: the
 * role's select permission, columns and computed fields of a table, and the type registry. The
 * parts (output-types.ts, select-args.ts, filter-types.ts, order-types.ts, comparison-types.ts,
 * arguments.ts, query-root.ts) are functions of this; build.ts puts them together.
 */
import { ADMIN_ROLE } from '../session.ts';
import { DIRECTIVES } from './directives.ts';
import type {
  ColumnInfo,
  ComputedFieldInfo,
  FunctionInfo,
  SelectPermInfo,
  SourceInfo,
  TableInfo,
} from './source.ts';
import {
  nn,
  type FieldDef,
  type InputObjectInfo,
  type InputValueDef,
  type RoleSchema,
  type TypeDef,
} from './types.ts';

export interface SchemaOptions {
  /** HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES: only changes output encoding, kept here for plans. */
  stringifyNumeric: boolean;
  /**
   * The request may use backend-only insert/update/delete permissions (Hasura's Backend
   * scenario: `x-hasura-use-backend-only-permissions: true` with the admin secret).
   */
  backendOnly?: boolean;
  /**
   * The Relay variant served on `/v1beta1/relay` (relay/): `<t>_connection` and `node` root
   * fields, tables implementing `Node` with a global `id`, tables without a primary key left out.
   */
  relay?: boolean;
  /**
   * HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS (default true): false hides a tracked function from
   * every role without a function permission for it.
   */
  inferFunctionPermissions?: boolean;
}

/** Hasura's rendering of a table name in descriptions: public tables unqualified. */
export function tableDisplayName(t: TableInfo): string {
  return t.qn.schema === 'public' ? t.qn.name : `${t.qn.schema}.${t.qn.name}`;
}

export function fnDisplayName(f: { schema: string; name: string }): string {
  return f.schema === 'public' ? f.name : `${f.schema}.${f.name}`;
}

/**
 * May the schema's role call this tracked function? Admin always; a role with a function
 * permission; otherwise, when permissions are inferred, a role of a function without any.
 * (Access to the returned table is checked by the callers.)
 */
export function functionAllowed(
  f: Pick<FunctionInfo, 'permissions'>,
  role: string,
  isAdmin: boolean,
  opts: SchemaOptions,
): boolean {
  if (isAdmin || f.permissions.has(role)) return true;
  return opts.inferFunctionPermissions !== false && f.permissions.size === 0;
}

export class BuilderCore {
  readonly types = new Map<string, TypeDef>();
  readonly queryFields = new Map<string, FieldDef>();
  readonly mutationFields = new Map<string, FieldDef>();
  readonly subscriptionFields = new Map<string, FieldDef>();
  readonly isAdmin: boolean;

  constructor(
    readonly source: SourceInfo,
    readonly role: string,
    readonly opts: SchemaOptions,
  ) {
    this.isAdmin = role === ADMIN_ROLE;
  }

  /** The select permission of this role on a table (admin: everything). */
  perm(t: TableInfo): SelectPermInfo | undefined {
    // the Relay schema leaves out the tables a global id cannot name (Hasura does the same)
    if (this.opts.relay && !t.pg.primaryKey) return undefined;
    if (this.isAdmin) {
      return {
        columns: new Set(t.columns.map((c) => c.name)),
        computedFields: new Set(t.computedFields.map((c) => c.name)),
        filter: {},
        limit: null,
        allowAggregations: true,
        queryRootFields: null,
        subscriptionRootFields: null,
      };
    }
    return t.selectPerms.get(this.role);
  }

  columns(t: TableInfo): ColumnInfo[] {
    const p = this.perm(t);
    if (!p) return [];
    return t.columns.filter((c) => p.columns.has(c.name));
  }

  computedFields(t: TableInfo): ComputedFieldInfo[] {
    const p = this.perm(t);
    if (!p) return [];
    // a computed field returning rows of a table is there for every role that may select from
    // that table; only scalar computed fields are listed in the select permission
    return t.computedFields.filter((c) =>
      c.returns.kind === 'scalar'
        ? p.computedFields.has(c.name)
        : this.perm(this.table(c.returns.table)) !== undefined,
    );
  }

  table(key: string): TableInfo {
    return this.source.tables.get(key)!;
  }

  addType(t: TypeDef): void {
    if (!this.types.has(t.name)) this.types.set(t.name, t);
  }

  /**
   * The fields of a new input object `name`, registered before they are filled so that a field
   * may refer back to the type (the recursion ends at the registered name); null when `name` is
   * registered already.
   */
  inputObject(
    name: string,
    description: string | null,
    info: InputObjectInfo,
  ): Map<string, InputValueDef> | null {
    if (this.types.has(name)) return null;
    const fields = new Map<string, InputValueDef>();
    this.types.set(name, { kind: 'INPUT_OBJECT', name, description, fields, info });
    return fields;
  }

  /** A column's type by name: a scalar, or the enum of an enum table (`<table>_enum`). */
  scalar(name: string): string {
    const e = this.source.enumTypes.get(name);
    this.addType(
      e
        ? { kind: 'ENUM', name, description: null, values: e.values }
        : { kind: 'SCALAR', name, description: null },
    );
    return name;
  }

  finish(): RoleSchema {
    this.scalar('Boolean');
    this.scalar('String');
    let queryType = 'query_root';
    if (this.queryFields.size === 0) {
      this.queryFields.set('no_queries_available', {
        name: 'no_queries_available',
        description: null,
        args: [],
        type: nn('String'),
        info: { k: 'placeholder' },
      });
    }
    const root = (
      name: string,
      fields: Map<string, FieldDef>,
      description: string | null = null,
    ): void => {
      this.types.set(name, { kind: 'OBJECT', name, description, fields });
    };
    root(queryType, this.queryFields);
    const mutationType = this.mutationFields.size ? 'mutation_root' : null;
    if (mutationType) root(mutationType, this.mutationFields, 'mutation root');
    const subscriptionType = this.subscriptionFields.size ? 'subscription_root' : null;
    if (subscriptionType) root(subscriptionType, this.subscriptionFields);
    queryType = 'query_root';
    return {
      role: this.role,
      types: this.types,
      queryType,
      mutationType,
      subscriptionType,
      directives: DIRECTIVES,
    };
  }
}
