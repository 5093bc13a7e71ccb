/**
 * Metadata + database → the GraphQL schema one role sees, named and described as Hasura does
 * (Hasura/GraphQL/Schema/{Select,BoolExp,OrderBy,Table}.hs and the Postgres instances).
 *
 * The builder is open for the roots that later issues add: `SchemaExtension`s run after the query
 * root is built and may add types and fields to `mutation_root` (issue 5) or `subscription_root`
 * (issue 6, which also uses the `<t>_stream` fields prepared here).
 */
import { ADMIN_ROLE } from '../session.ts';
import { describe, operatorsFor, valueTypeOf } from './operators.ts';
import { isComparableType, isNumericType, JSON_TYPES } from './scalars.ts';
import type {
  ColumnInfo,
  ComputedFieldInfo,
  FunctionInfo,
  SelectPermInfo,
  SourceInfo,
  TableInfo,
} from './source.ts';
import {
  list,
  named,
  nn,
  nonNull,
  type DirectiveDef,
  type EnumTypeDef,
  type FieldDef,
  type InputObjectTypeDef,
  type InputValueDef,
  type ObjectTypeDef,
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
}

/** A hook that adds to a role's schema after the query root is built. */
export type SchemaExtension = (b: SchemaBuilder) => void;

const AGG_OPS = [
  'avg',
  'max',
  'min',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'sum',
  'var_pop',
  'var_samp',
  'variance',
] as const;
export type AggOp = (typeof AGG_OPS)[number];
export { AGG_OPS };

/** Hasura's rendering of a table name in descriptions: public tables unqualified. */
export function tableDisplayName(t: TableInfo): string {
  return t.qn.schema === 'public' ? t.qn.name : `${t.qn.schema}.${t.qn.name}`;
}

function fnDisplayName(f: { schema: string; name: string }): string {
  return f.schema === 'public' ? f.name : `${f.schema}.${f.name}`;
}

/** Which columns of a table an aggregate operator applies to. */
export function aggColumns(op: AggOp, cols: ColumnInfo[]): ColumnInfo[] {
  if (op === 'max' || op === 'min') {
    return cols.filter(
      (c) => isNumericType(c.pg.type) || isComparableType(c.pg.type, c.pg.category),
    );
  }
  return cols.filter((c) => isNumericType(c.pg.type));
}

/** The GraphQL scalar of `op(column)`. */
export function aggScalar(op: AggOp, c: ColumnInfo): string {
  if (op === 'max' || op === 'min' || op === 'sum') return c.scalar;
  return 'Float';
}

export class SchemaBuilder {
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

  scalar(name: string): string {
    this.addType({ kind: 'SCALAR', name, description: null });
    return name;
  }

  // ---------------------------------------------------------------- output types

  tableObject(t: TableInfo): string {
    const name = t.gqlName;
    if (this.types.has(name)) return name;
    const obj: ObjectTypeDef = {
      kind: 'OBJECT',
      name,
      description: t.explicitDescription
        ? t.description
        : (t.description ?? `columns and relationships of "${tableDisplayName(t)}"`),
      fields: new Map(),
    };
    this.types.set(name, obj);
    for (const c of this.columns(t)) {
      const args: InputValueDef[] = JSON_TYPES.has(c.pg.type)
        ? [
            {
              name: 'path',
              description: 'JSON select path',
              type: named(this.scalar('String')),
              parse: 'string',
              nullable: true,
            },
          ]
        : [];
      const ty = named(this.scalar(c.scalar));
      obj.fields.set(c.gqlName, {
        name: c.gqlName,
        description: c.description,
        args,
        type: c.nullable ? ty : nonNull(ty),
        info: { k: 'column', table: t, column: c.name },
      });
    }
    for (const rel of t.objectRels) {
      const target = this.table(rel.target);
      if (!this.perm(target)) continue;
      const ty = named(this.tableObject(target));
      obj.fields.set(rel.name, {
        name: rel.name,
        description: rel.comment ?? 'An object relationship',
        args: [],
        type: rel.nonNull ? nonNull(ty) : ty,
        info: { k: 'objrel', table: t, rel },
      });
    }
    for (const rel of t.arrayRels) {
      const target = this.table(rel.target);
      const tp = this.perm(target);
      if (!tp) continue;
      obj.fields.set(rel.name, {
        name: rel.name,
        description: rel.comment ?? 'An array relationship',
        args: this.selectArgs(target),
        type: nonNull(list(nonNull(named(this.tableObject(target))))),
        info: { k: 'arrrel', table: t, rel },
      });
      if (tp.allowAggregations) {
        obj.fields.set(`${rel.name}_aggregate`, {
          name: `${rel.name}_aggregate`,
          description: rel.comment ?? 'An aggregate relationship',
          args: this.selectArgs(target),
          type: nn(this.aggregateObject(target)),
          info: { k: 'arrrel_agg', table: t, rel },
        });
      }
    }
    for (const cf of this.computedFields(t)) {
      const extra = this.cfArgs(cf);
      const description = cf.explicitComment
        ? cf.comment
        : (cf.comment ?? `A computed field, executes function "${fnDisplayName(cf.fn)}"`);
      if (cf.returns.kind === 'scalar') {
        obj.fields.set(cf.name, {
          name: cf.name,
          description,
          args: extra,
          type: named(this.scalar(cf.returns.scalar)),
          info: { k: 'cf_scalar', table: t, cf },
        });
      } else {
        const target = this.table(cf.returns.table);
        obj.fields.set(cf.name, {
          name: cf.name,
          description,
          args: [...extra, ...this.selectArgs(target)],
          type: nonNull(list(nonNull(named(this.tableObject(target))))),
          info: { k: 'cf_table', table: t, cf },
        });
        if (this.perm(target)!.allowAggregations) {
          obj.fields.set(`${cf.name}_aggregate`, {
            name: `${cf.name}_aggregate`,
            description,
            args: [...extra, ...this.selectArgs(target)],
            type: nn(this.aggregateObject(target)),
            info: { k: 'cf_table_agg', table: t, cf },
          });
        }
      }
    }
    return name;
  }

  /** `args: <fn>_args` for a computed field with arguments beyond the row and session. */
  cfArgs(cf: ComputedFieldInfo): InputValueDef[] {
    const skip = new Set([
      cf.tableArgIndex,
      ...(cf.sessionArgIndex === null ? [] : [cf.sessionArgIndex]),
    ]);
    const input = this.fnArgsInput(cf.fn, skip);
    if (!input) return [];
    return [
      {
        name: 'args',
        description:
          'input parameters for computed field "' +
          cf.name +
          '" defined on table "' +
          cf.fn.name +
          '"',
        type: input.required ? nn(input.name) : named(input.name),
        nullable: !input.required,
      },
    ];
  }

  fnArgsInput(
    fn: FunctionInfo['fn'],
    skip: Set<number>,
  ): { name: string; required: boolean } | undefined {
    const args = fn.args.map((a, i) => ({ a, i })).filter(({ i }) => !skip.has(i));
    if (args.length === 0) return undefined;
    const name = `${fn.schema === 'public' ? fn.name : `${fn.schema}_${fn.name}`}_args`;
    if (!this.types.has(name)) {
      const fields = new Map<string, InputValueDef>();
      args.forEach(({ a, i }) => {
        const argName = a.name ?? `arg_${i + 1}`;
        const scalar = this.scalar(graphqlArgScalar(a.type));
        fields.set(argName, {
          name: argName,
          description: null,
          type: named(scalar),
          parse: 'column',
          pgType: a.formatted,
          nullable: true,
        });
      });
      this.types.set(name, {
        kind: 'INPUT_OBJECT',
        name,
        description: `input parameters for function "${fn.schema === 'public' ? fn.name : `${fn.schema}_${fn.name}`}"`,
        fields,
        info: { k: 'fn_args', fn },
      });
    }
    return { name, required: args.some(({ a }) => !a.hasDefault) };
  }

  aggregateObject(t: TableInfo): string {
    const name = `${t.gqlName}_aggregate`;
    if (this.types.has(name)) return name;
    const obj: ObjectTypeDef = {
      kind: 'OBJECT',
      name,
      description: `aggregated selection of "${tableDisplayName(t)}"`,
      fields: new Map(),
    };
    this.types.set(name, obj);
    obj.fields.set('aggregate', {
      name: 'aggregate',
      description: null,
      args: [],
      type: named(this.aggregateFields(t)),
      info: { k: 'agg_aggregate', table: t },
    });
    obj.fields.set('nodes', {
      name: 'nodes',
      description: null,
      args: [],
      type: nonNull(list(nonNull(named(this.tableObject(t))))),
      info: { k: 'agg_nodes', table: t },
    });
    return name;
  }

  aggregateFields(t: TableInfo): string {
    const name = `${t.gqlName}_aggregate_fields`;
    if (this.types.has(name)) return name;
    const obj: ObjectTypeDef = {
      kind: 'OBJECT',
      name,
      description: `aggregate fields of "${tableDisplayName(t)}"`,
      fields: new Map(),
    };
    this.types.set(name, obj);
    const cols = this.columns(t);
    const countArgs: InputValueDef[] = [];
    if (cols.length) {
      countArgs.push({
        name: 'columns',
        description: null,
        type: list(nn(this.selectColumnEnum(t))),
        nullable: true,
      });
    }
    countArgs.push({
      name: 'distinct',
      description: null,
      type: named(this.scalar('Boolean')),
      parse: 'bool',
      nullable: true,
    });
    obj.fields.set('count', {
      name: 'count',
      description: null,
      args: countArgs,
      type: nn(this.scalar('Int')),
      info: { k: 'agg_count', table: t },
    });
    for (const op of AGG_OPS) {
      const opCols = aggColumns(op, cols);
      if (!opCols.length) continue;
      const tn = `${t.gqlName}_${op}_fields`;
      const fields = new Map<string, FieldDef>();
      for (const c of opCols) {
        fields.set(c.gqlName, {
          name: c.gqlName,
          description: null,
          args: [],
          type: named(this.scalar(aggScalar(op, c))),
          info: { k: 'agg_col', table: t, op, column: c.name },
        });
      }
      this.addType({ kind: 'OBJECT', name: tn, description: `aggregate ${op} on columns`, fields });
      obj.fields.set(op, {
        name: op,
        description: null,
        args: [],
        type: named(tn),
        info: { k: 'agg_op', table: t, op },
      });
    }
    return name;
  }

  // ---------------------------------------------------------------- input types

  selectArgs(t: TableInfo): InputValueDef[] {
    const args: InputValueDef[] = [];
    if (this.columns(t).length) {
      args.push({
        name: 'distinct_on',
        description: 'distinct select on columns',
        type: list(nn(this.selectColumnEnum(t))),
        nullable: true,
      });
    }
    args.push({
      name: 'limit',
      description: 'limit the number of rows returned',
      type: named(this.scalar('Int')),
      parse: 'nonneg',
      nullable: true,
    });
    args.push({
      name: 'offset',
      description: 'skip the first n rows. Use only with order_by',
      type: named(this.scalar('Int')),
      parse: 'bigint',
      nullable: true,
    });
    args.push({
      name: 'order_by',
      description: 'sort the rows by one or more columns',
      type: list(nn(this.orderBy(t))),
      nullable: true,
    });
    args.push({
      name: 'where',
      description: 'filter the rows returned',
      type: named(this.boolExp(t)),
      nullable: true,
    });
    return args;
  }

  selectColumnEnum(t: TableInfo): string {
    const name = `${t.gqlName}_select_column`;
    if (!this.types.has(name)) {
      const e: EnumTypeDef = {
        kind: 'ENUM',
        name,
        description: `select columns of table "${tableDisplayName(t)}"`,
        values: this.columns(t).map((c) => ({
          name: c.gqlName,
          description: 'column name',
          value: c.name,
        })),
      };
      this.types.set(name, e);
    }
    return name;
  }

  orderByEnum(): string {
    if (!this.types.has('order_by')) {
      const v = (name: string, description: string, dir: string, nulls: string) => ({
        name,
        description,
        value: { dir, nulls },
      });
      this.types.set('order_by', {
        kind: 'ENUM',
        name: 'order_by',
        description: 'column ordering options',
        values: [
          v('asc', 'in ascending order, nulls last', 'ASC', 'NULLS LAST'),
          v('asc_nulls_first', 'in ascending order, nulls first', 'ASC', 'NULLS FIRST'),
          v('asc_nulls_last', 'in ascending order, nulls last', 'ASC', 'NULLS LAST'),
          v('desc', 'in descending order, nulls first', 'DESC', 'NULLS FIRST'),
          v('desc_nulls_first', 'in descending order, nulls first', 'DESC', 'NULLS FIRST'),
          v('desc_nulls_last', 'in descending order, nulls last', 'DESC', 'NULLS LAST'),
        ],
      });
    }
    return 'order_by';
  }

  orderBy(t: TableInfo): string {
    const name = `${t.gqlName}_order_by`;
    if (this.types.has(name)) return name;
    const fields = new Map<string, InputValueDef>();
    const def: InputObjectTypeDef = {
      kind: 'INPUT_OBJECT',
      name,
      description: `Ordering options when selecting data from "${tableDisplayName(t)}".`,
      fields,
      info: { k: 'order_by', table: t },
    };
    this.types.set(name, def);
    const ob = this.orderByEnum();
    for (const c of this.columns(t))
      fields.set(c.gqlName, {
        name: c.gqlName,
        description: null,
        type: named(ob),
        nullable: true,
      });
    for (const rel of t.objectRels) {
      const target = this.table(rel.target);
      if (!this.perm(target)) continue;
      fields.set(rel.name, {
        name: rel.name,
        description: null,
        type: named(this.orderBy(target)),
        nullable: true,
      });
    }
    for (const rel of t.arrayRels) {
      const target = this.table(rel.target);
      const tp = this.perm(target);
      if (!tp || !tp.allowAggregations) continue;
      fields.set(`${rel.name}_aggregate`, {
        name: `${rel.name}_aggregate`,
        description: null,
        type: named(this.aggregateOrderBy(target)),
        nullable: true,
      });
    }
    for (const cf of this.computedFields(t)) {
      if (cf.returns.kind === 'scalar' && this.cfArgs(cf).length === 0) {
        fields.set(cf.name, { name: cf.name, description: null, type: named(ob), nullable: true });
      } else if (
        cf.returns.kind === 'table' &&
        this.cfArgs(cf).length === 0 &&
        this.perm(this.table(cf.returns.table))!.allowAggregations
      ) {
        fields.set(`${cf.name}_aggregate`, {
          name: `${cf.name}_aggregate`,
          description: null,
          type: named(this.aggregateOrderBy(this.table(cf.returns.table))),
          nullable: true,
        });
      }
    }
    return name;
  }

  aggregateOrderBy(t: TableInfo): string {
    const name = `${t.gqlName}_aggregate_order_by`;
    if (this.types.has(name)) return name;
    const fields = new Map<string, InputValueDef>();
    this.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `order by aggregate values of table "${tableDisplayName(t)}"`,
      fields,
      info: { k: 'agg_order_by', table: t },
    });
    const ob = this.orderByEnum();
    fields.set('count', { name: 'count', description: null, type: named(ob), nullable: true });
    const cols = this.columns(t);
    for (const op of AGG_OPS) {
      const opCols = aggColumns(op, cols);
      if (!opCols.length) continue;
      const tn = `${t.gqlName}_${op}_order_by`;
      const f = new Map<string, InputValueDef>();
      for (const c of opCols)
        f.set(c.gqlName, { name: c.gqlName, description: null, type: named(ob), nullable: true });
      this.addType({
        kind: 'INPUT_OBJECT',
        name: tn,
        description: `order by ${op}() on columns of table "${tableDisplayName(t)}"`,
        fields: f,
        info: { k: 'agg_op_order_by', table: t, op },
      });
      fields.set(op, { name: op, description: null, type: named(tn), nullable: true });
    }
    return name;
  }

  boolExp(t: TableInfo): string {
    const name = `${t.gqlName}_bool_exp`;
    if (this.types.has(name)) return name;
    const fields = new Map<string, InputValueDef>();
    this.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `Boolean expression to filter rows from the table "${tableDisplayName(t)}". All fields are combined with a logical 'AND'.`,
      fields,
      info: { k: 'bool_exp', table: t },
    });
    fields.set('_and', { name: '_and', description: null, type: list(nn(name)) });
    fields.set('_not', { name: '_not', description: null, type: named(name) });
    fields.set('_or', { name: '_or', description: null, type: list(nn(name)) });
    for (const c of this.columns(t)) {
      fields.set(c.gqlName, {
        name: c.gqlName,
        description: null,
        type: named(this.comparisonExp(c.scalar, c.pg.type, c.pg.category, c.pg.formatted)),
      });
    }
    for (const rel of t.objectRels) {
      const target = this.table(rel.target);
      if (!this.perm(target)) continue;
      fields.set(rel.name, {
        name: rel.name,
        description: null,
        type: named(this.boolExp(target)),
      });
    }
    for (const rel of t.arrayRels) {
      const target = this.table(rel.target);
      const tp = this.perm(target);
      if (!tp) continue;
      fields.set(rel.name, {
        name: rel.name,
        description: null,
        type: named(this.boolExp(target)),
      });
      if (tp.allowAggregations) {
        fields.set(`${rel.name}_aggregate`, {
          name: `${rel.name}_aggregate`,
          description: null,
          type: named(this.aggregateBoolExp(target)),
        });
      }
    }
    for (const cf of this.computedFields(t)) {
      if (this.cfArgs(cf).length) continue;
      if (cf.returns.kind === 'scalar') {
        const scalar = cf.returns.scalar;
        fields.set(cf.name, {
          name: cf.name,
          description: null,
          type: named(this.comparisonExp(scalar, cf.returns.pgType, 'base', cf.returns.pgType)),
        });
      } else {
        fields.set(cf.name, {
          name: cf.name,
          description: null,
          type: named(this.boolExp(this.table(cf.returns.table))),
        });
      }
    }
    return name;
  }

  aggregateBoolExp(t: TableInfo): string {
    const name = `${t.gqlName}_aggregate_bool_exp`;
    if (this.types.has(name)) return name;
    const fields = new Map<string, InputValueDef>();
    this.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: null,
      fields,
      info: { k: 'agg_bool_exp', table: t },
    });
    const cn = `${name}_count`;
    const cf = new Map<string, InputValueDef>();
    if (this.columns(t).length) {
      cf.set('arguments', {
        name: 'arguments',
        description: null,
        type: list(nn(this.selectColumnEnum(t))),
        nullable: true,
      });
    }
    cf.set('distinct', {
      name: 'distinct',
      description: null,
      type: named(this.scalar('Boolean')),
      parse: 'bool',
      nullable: true,
    });
    cf.set('filter', {
      name: 'filter',
      description: null,
      type: named(this.boolExp(t)),
      nullable: true,
    });
    cf.set('predicate', {
      name: 'predicate',
      description: null,
      type: nn(this.comparisonExp('Int', 'int4', 'base', 'integer')),
    });
    this.types.set(cn, {
      kind: 'INPUT_OBJECT',
      name: cn,
      description: null,
      fields: cf,
      info: { k: 'agg_bool_exp_count', table: t },
    });
    fields.set('count', { name: 'count', description: null, type: named(cn) });
    return name;
  }

  comparisonExp(scalar: string, pgType: string, category: string, formatted: string): string {
    const name = `${scalar}_comparison_exp`;
    if (this.types.has(name)) return name;
    this.scalar(scalar);
    const fields = new Map<string, InputValueDef>();
    this.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `Boolean expression to compare columns of type "${scalar}". All fields are combined with logical 'AND'.`,
      fields,
      info: { k: 'cmp', scalar, pgType: formatted },
    });
    for (const { name: op, def, family } of operatorsFor(pgType, category)) {
      const description = describe(def, family);
      const arg = def.arg;
      if (arg.k === 'cast') {
        fields.set(op, { name: op, description, type: named(this.jsonbCastExp()) });
        continue;
      }
      if (arg.k === 'distance') {
        const input = this.distanceInput(family === 'geography');
        fields.set(op, { name: op, description, type: named(input) });
        continue;
      }
      const type =
        arg.k === 'column'
          ? named(scalar)
          : arg.k === 'column_list'
            ? list(nn(scalar))
            : arg.k === 'scalar'
              ? named(this.scalar(arg.scalar))
              : list(nn(this.scalar(arg.scalar)));
      fields.set(op, {
        name: op,
        description,
        type,
        parse: def.sql.k === 'is_null' ? 'bool' : 'column',
        pgType: valueTypeOf(def, formatted),
        ...(def.nullable ? { nullable: true } : {}),
      });
    }
    return name;
  }

  /** `jsonb_cast_exp`: jsonb's `_cast` to the comparisons of another type (String). */
  private jsonbCastExp(): string {
    const castName = 'jsonb_cast_exp';
    if (!this.types.has(castName)) {
      const cf = new Map<string, InputValueDef>();
      this.types.set(castName, {
        kind: 'INPUT_OBJECT',
        name: castName,
        description: null,
        fields: cf,
        info: { k: 'cast_exp', pgType: 'jsonb' },
      });
      cf.set('String', {
        name: 'String',
        description: null,
        type: named(this.comparisonExp('String', 'text', 'base', 'text')),
      });
    }
    return castName;
  }

  /** `_st_d_within`'s input: distance and origin (and, for geography, use_spheroid). */
  private distanceInput(geography: boolean): string {
    const inp = geography ? 'st_d_within_geography_input' : 'st_d_within_input';
    if (this.types.has(inp)) return inp;
    const geo = geography ? 'geography' : 'geometry';
    const f = new Map<string, InputValueDef>();
    f.set('distance', {
      name: 'distance',
      description: null,
      type: nn(this.scalar('Float')),
      parse: 'column',
      pgType: 'float8',
    });
    f.set('from', {
      name: 'from',
      description: null,
      type: nn(geo),
      parse: 'column',
      pgType: geo,
    });
    if (geography) {
      f.set('use_spheroid', {
        name: 'use_spheroid',
        description: null,
        type: named(this.scalar('Boolean')),
        defaultValue: 'true',
        parse: 'column',
        pgType: 'boolean',
        nullable: true,
      });
    }
    this.types.set(inp, {
      kind: 'INPUT_OBJECT',
      name: inp,
      description: null,
      fields: f,
      info: { k: 'other' },
    });
    return inp;
  }

  // ---------------------------------------------------------------- roots

  private rootAllowed(
    p: SelectPermInfo,
    field: 'select' | 'select_by_pk' | 'select_aggregate',
    root: 'query' | 'subscription',
  ): boolean {
    const set = root === 'query' ? p.queryRootFields : p.subscriptionRootFields;
    return !set || set.has(field);
  }

  buildQueryRoot(): void {
    for (const t of [...this.source.tables.values()]) {
      const p = this.perm(t);
      if (!p) continue;
      for (const root of ['query', 'subscription'] as const) {
        const target = root === 'query' ? this.queryFields : this.subscriptionFields;
        const rf = t.rootFields;
        const display = tableDisplayName(t);
        if (this.rootAllowed(p, 'select', root)) {
          target.set(rf.select, {
            name: rf.select,
            description:
              rf.comments.select !== undefined
                ? rf.comments.select
                : `fetch data from the table: "${display}"`,
            args: this.selectArgs(t),
            type: nonNull(list(nonNull(named(this.tableObject(t))))),
            info: { k: 'select', table: t },
          });
        }
        if (p.allowAggregations && this.rootAllowed(p, 'select_aggregate', root)) {
          target.set(rf.selectAggregate, {
            name: rf.selectAggregate,
            description:
              rf.comments.selectAggregate !== undefined
                ? rf.comments.selectAggregate
                : `fetch aggregated fields from the table: "${display}"`,
            args: this.selectArgs(t),
            type: nn(this.aggregateObject(t)),
            info: { k: 'select_agg', table: t },
          });
        }
        const pk = t.pg.primaryKey;
        if (
          pk &&
          pk.columns.every((c) => p.columns.has(c)) &&
          this.rootAllowed(p, 'select_by_pk', root)
        ) {
          target.set(rf.selectByPk, {
            name: rf.selectByPk,
            description:
              rf.comments.selectByPk !== undefined
                ? rf.comments.selectByPk
                : `fetch data from the table: "${display}" using primary key columns`,
            args: pk.columns.map((cn) => {
              const c = t.columnsByName.get(cn)!;
              return {
                name: c.gqlName,
                description: null,
                type: nn(this.scalar(c.scalar)),
                parse: 'column',
                pgType: c.pg.formatted,
              };
            }),
            type: named(this.tableObject(t)),
            info: { k: 'select_pk', table: t },
          });
        }
      }
    }
    for (const f of this.source.functions.values()) {
      if (f.exposedAs !== 'query') continue;
      const t = this.table(f.returnTable);
      const p = this.perm(t);
      if (!p) continue;
      if (!this.isAdmin && f.permissions.size > 0 && !f.permissions.has(this.role)) continue;
      const skip = new Set(f.sessionArgIndex === null ? [] : [f.sessionArgIndex]);
      const input = this.fnArgsInput(f.fn, skip);
      const argsArg: InputValueDef[] = input
        ? [
            {
              name: 'args',
              description: `input parameters for function "${fnDisplayName(f.qn)}"`,
              type: input.required ? nn(input.name) : named(input.name),
              nullable: !input.required,
            },
          ]
        : [];
      for (const target of [this.queryFields, this.subscriptionFields]) {
        target.set(f.rootFields.fn, {
          name: f.rootFields.fn,
          description:
            f.description ??
            `execute function "${fnDisplayName(f.qn)}" which returns "${tableDisplayName(t)}"`,
          args: [...argsArg, ...this.selectArgs(t)],
          type: nonNull(list(nonNull(named(this.tableObject(t))))),
          info: { k: 'fn', fn: f },
        });
        if (p.allowAggregations) {
          target.set(f.rootFields.agg, {
            name: f.rootFields.agg,
            description: `execute function "${fnDisplayName(f.qn)}" and query aggregates on result of table type "${tableDisplayName(t)}"`,
            args: [...argsArg, ...this.selectArgs(t)],
            type: nn(this.aggregateObject(t)),
            info: { k: 'fn_agg', fn: f },
          });
        }
      }
    }
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

function graphqlArgScalar(pgType: string): string {
  return (
    (
      {
        int4: 'Int',
        bool: 'Boolean',
        float4: 'Float',
        text: 'String',
        varchar: 'String',
        int2: 'smallint',
        int8: 'bigint',
        float8: 'float8',
      } as Record<string, string>
    )[pgType] ?? pgType
  );
}

const ifArg = (description: string | null): InputValueDef => ({
  name: 'if',
  description,
  type: nn('Boolean'),
  parse: 'bool',
});

export const DIRECTIVES: DirectiveDef[] = [
  {
    name: 'include',
    description: 'whether this query should be included',
    locations: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
    args: [ifArg(null)],
    isRepeatable: false,
  },
  {
    name: 'skip',
    description: 'whether this query should be skipped',
    locations: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
    args: [ifArg(null)],
    isRepeatable: false,
  },
  {
    name: 'cached',
    description: 'whether this query should be cached (Hasura Cloud only)',
    locations: ['QUERY'],
    args: [
      {
        name: 'ttl',
        description: 'measured in seconds',
        type: nn('Int'),
        defaultValue: '60',
        parse: 'int',
      },
      {
        name: 'refresh',
        description: 'refresh the cache entry',
        type: nn('Boolean'),
        defaultValue: 'false',
        parse: 'bool',
      },
    ],
    isRepeatable: false,
  },
];

/** Build one role's schema. `extensions` add mutation / subscription fields (issues 5 and 6). */
export function buildRoleSchema(
  source: SourceInfo,
  role: string,
  opts: SchemaOptions,
  extensions: SchemaExtension[] = [],
): RoleSchema {
  const b = new SchemaBuilder(source, role, opts);
  b.buildQueryRoot();
  for (const ext of extensions) ext(b);
  return b.finish();
}
