/**
 * A resolved query operation → IR (Hasura/GraphQL/Schema/Select.hs, as parsers): for each field,
 * unknown arguments are refused, arguments parsed (path `args`), then the selection set (path
 * `selectionSet`); the role's permission filter, column list and row limit are folded in.
 */
import type { ValueNode } from 'graphql';
import { QErr, jsonKind, withPath } from '../errors.ts';
import { ADMIN_ROLE } from '../session.ts';
import type {
  AggFnField,
  AggField,
  AggSelect,
  AnnField,
  AnnSelect,
  BoolExp,
  ConnField,
  ConnSelect,
  EdgeField,
  PageInfoField,
  FromItem,
  OrderByItem,
  OrderExpr,
  QueryIR,
  RootField,
  Val,
} from '../ir/types.ts';
import type { AggOp } from '../schema/aggregates.ts';
import { introspectionField } from '../schema/introspect.ts';
import { BIG_NUMERIC_TYPES } from '../schema/scalars.ts';
import type { ComputedFieldInfo, SourceInfo, TableInfo } from '../schema/source.ts';
import { customTypeName } from '../schema/customize.ts';
import { namedOf, type FieldDef, type ObjectTypeDef, type RoleSchema } from '../schema/types.ts';
import { permFilterToIR, whereToIR, type ValueMaker } from './bool-exp.ts';
import {
  coerceArgs,
  isEnum,
  isLeaf,
  isList,
  isObj,
  q,
  type Coerced,
  type InputContext,
  type Leaf,
} from './input.ts';
import { collectFields, type CollectedField } from './operation.ts';
import { streamCursorArg } from '../schema/stream-fields.ts';
import { PAGE_INFO, connectionTypeName, edgeTypeName } from '../schema/relay-types.ts';
import { matchPrimaryKey, parseGlobalId } from '../relay/global-id.ts';

const fail = (message: string): never => {
  throw new QErr('validation-failed', message, 200);
};

/** One placeholder of a plan: which variable, and how to re-check a new value for it. */
export interface ParamUse {
  key: string;
  variable: string;
  leaf: Leaf;
  pgType: string;
  path: Array<string | number>;
}

export interface SelectContext {
  schema: RoleSchema;
  /** the served source (`default`) */
  source: SourceInfo;
  /** every source by name: a table's relationships, filters and functions are in its own */
  sources: ReadonlyMap<string, SourceInfo>;
  role: string;
  isAdmin: boolean;
  input: InputContext;
  stringifyNumeric: boolean;
  params: ParamUse[];
  /** current error path, for placeholder re-checks */
  path: Array<string | number>;
  depth: number;
  maxDepth: number;
  fieldCount: number;
  maxFields: number;
}

/** A fresh context for one operation's root fields (queries, mutations and subscriptions alike). */
export function selectContext(
  base: Pick<
    SelectContext,
    'schema' | 'source' | 'sources' | 'role' | 'input' | 'stringifyNumeric'
  > & {
    maxDepth: number;
    maxFields: number;
  },
  fieldCount: number,
): SelectContext {
  return {
    ...base,
    isAdmin: base.role === ADMIN_ROLE,
    params: [],
    path: [],
    depth: 0,
    fieldCount,
  };
}

/** The resolved source a table or function is in (a relationship never leaves it). */
export function sourceOf(
  ctx: Pick<SelectContext, 'source' | 'sources'>,
  x: { source: string },
): SourceInfo {
  return ctx.sources.get(x.source) ?? ctx.source;
}

/** The name of a table's object type (`suffix`: of its `_aggregate` type…) in the role's schema. */
export function tableTypeName(ctx: SelectContext, t: TableInfo, suffix = ''): string {
  return customTypeName(sourceOf(ctx, t), t.naming.tableType(t.ident, suffix));
}

export function makeValueMaker(ctx: SelectContext): ValueMaker {
  return {
    val(leaf: Leaf, pgType: string): Val {
      if (leaf.fromVar) {
        const key = `p${ctx.params.length}`;
        ctx.params.push({ key, variable: leaf.fromVar, leaf, pgType, path: [...ctx.path] });
        return { k: 'param', key, pgType };
      }
      return { k: 'lit', value: leaf.json, pgType };
    },
    lit(leaf: Leaf): unknown {
      if (leaf.fromVar) ctx.input.structural.add(leaf.fromVar);
      return leaf.json;
    },
    permFilter(t: TableInfo): BoolExp {
      if (ctx.isAdmin) return { k: 'true' };
      const p = t.selectPerms.get(ctx.role);
      return p ? permFilterToIR(p.filter, t, sourceOf(ctx, t)) : { k: 'false' };
    },
    cellFilter(t: TableInfo, field: string): BoolExp | null {
      if (ctx.isAdmin) return null;
      const cell = t.selectPerms.get(ctx.role)?.cellFilters?.get(field);
      return cell ? permFilterToIR(cell, t, sourceOf(ctx, t)) : null;
    },
  };
}

export function buildQueryIR(
  ctx: SelectContext,
  rootType: ObjectTypeDef,
  fields: CollectedField[],
): QueryIR {
  const root: QueryIR['root'] = [];
  for (const f of fields) {
    root.push([
      f.responseKey,
      withPath(['selectionSet', f.name], () => rootField(ctx, rootType, f)),
    ]);
  }
  return { root };
}

export function lookupField(t: ObjectTypeDef, f: CollectedField): FieldDef {
  const def = t.fields.get(f.name);
  if (!def) return fail(`field ${q(f.name)} not found in type: ${q(t.name)}`);
  return def;
}

/** Arguments of a field: unknown names refused, then parsed under `args`. */
export function fieldArgs(
  ctx: SelectContext,
  def: FieldDef,
  f: CollectedField,
): Map<string, Coerced> {
  for (const name of f.args.keys()) {
    if (!def.args.some((a) => a.name === name))
      fail(`${q(def.name)} has no argument named ${q(name)}`);
  }
  return withPath(['args'], () => {
    const saved = ctx.path;
    ctx.path = [...ctx.path, 'args'];
    try {
      return coerceArgs(def.args, f.args as Map<string, ValueNode>, ctx.input);
    } finally {
      ctx.path = saved;
    }
  });
}

export function subFields(
  ctx: SelectContext,
  typeName: string,
  f: CollectedField,
): CollectedField[] {
  if (f.selections.length === 0) fail(`missing selection set for ${q(typeName)}`);
  ctx.depth++;
  if (ctx.depth > ctx.maxDepth) {
    throw new QErr(
      'validation-failed',
      `the query exceeds the maximum depth of ${ctx.maxDepth}`,
      200,
    );
  }
  const out = withPath(['selectionSet'], () =>
    collectFields(typeName, f.selections, ctx.schema, ctx.input),
  );
  ctx.fieldCount += out.length;
  if (ctx.fieldCount > ctx.maxFields) {
    throw new QErr(
      'validation-failed',
      `the query selects more than the maximum of ${ctx.maxFields} fields`,
      200,
    );
  }
  return out;
}

function rootField(ctx: SelectContext, rootType: ObjectTypeDef, f: CollectedField): RootField {
  if (f.name === '__typename') return { k: 'typename', name: rootType.name };
  if (f.name === '__schema' || f.name === '__type') {
    return { k: 'static', value: introspectionField(ctx.schema, f, ctx.input) };
  }
  const def = lookupField(rootType, f);
  ctx.path = ['selectionSet', f.name];
  const info = def.info;
  switch (info.k) {
    case 'placeholder':
      if (f.selections.length) fail('unexpected subselection set for non-object field');
      return { k: 'static', value: null };
    case 'namespace': {
      fieldArgs(ctx, def, f);
      const nsType = ctx.schema.types.get(namedOf(def.type)) as ObjectTypeDef;
      const fields = subFields(ctx, nsType.name, f).map((c): [string, RootField] => [
        c.responseKey,
        withPath(['selectionSet', c.name], () => rootField(ctx, nsType, c)),
      ]);
      ctx.depth--;
      return { k: 'namespace', fields };
    }
    case 'select': {
      const args = fieldArgs(ctx, def, f);
      return { k: 'select', select: tableSelect(ctx, info.table, { k: 'table' }, args, f) };
    }
    case 'select_pk': {
      const args = fieldArgs(ctx, def, f);
      const vm = makeValueMaker(ctx);
      const t = info.table;
      const where: BoolExp = {
        k: 'and',
        items: t.pg.primaryKey!.columns.map((cn) => {
          const c = t.columnsByName.get(cn)!;
          const leaf = args.get(c.gqlName) as Leaf;
          return {
            k: 'col',
            column: cn,
            pgType: c.pg.formatted,
            ops: [{ op: '_eq', value: vm.val(leaf, c.pg.formatted) }],
          } as BoolExp;
        }),
      };
      const select = baseSelect(ctx, t, { k: 'table' });
      select.args.where = where;
      select.fields = withPath(['selectionSet'], () =>
        tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), f)),
      );
      ctx.depth--;
      return { k: 'select_one', select };
    }
    case 'select_agg': {
      const args = fieldArgs(ctx, def, f);
      return { k: 'agg', agg: aggSelect(ctx, info.table, { k: 'table' }, args, f) };
    }
    case 'node':
      return nodeRootField(ctx, fieldArgs(ctx, def, f), f);
    case 'connection': {
      const args = fieldArgs(ctx, def, f);
      return { k: 'connection', conn: connectionSelect(ctx, info.table, { k: 'table' }, args, f) };
    }
    case 'fn_connection': {
      const args = fieldArgs(ctx, def, f);
      const fi = info.fn;
      const from: FromItem = {
        k: 'fn',
        fn: fi.fn,
        args: fnArgs(ctx, fi.fn, args.get('args') ?? null, fi.sessionArgIndex, null),
      };
      const t = sourceOf(ctx, fi).tables.get(fi.returnTable)!;
      return { k: 'connection', conn: connectionSelect(ctx, t, from, args, f) };
    }
    case 'select_stream': {
      const args = fieldArgs(ctx, def, f);
      const vm = makeValueMaker(ctx);
      const cursor = withPath(['args'], () => streamCursorArg(args.get('cursor'), info.table, vm));
      const batchSize = vm.val(args.get('batch_size') as Leaf, 'integer');
      const select = tableSelect(ctx, info.table, { k: 'table' }, args, f);
      return { k: 'stream', select, cursor, batchSize };
    }
    case 'fn':
    case 'fn_agg': {
      const args = fieldArgs(ctx, def, f);
      const fi = info.fn;
      const t = sourceOf(ctx, fi).tables.get(fi.returnTable)!;
      const from: FromItem = {
        k: 'fn',
        fn: fi.fn,
        args: fnArgs(ctx, fi.fn, args.get('args') ?? null, fi.sessionArgIndex, null),
      };
      if (info.k === 'fn') {
        const select = tableSelect(ctx, t, from, args, f);
        return fi.fn.returnsSet ? { k: 'select', select } : { k: 'select_one', select };
      }
      return { k: 'agg', agg: aggSelect(ctx, t, from, args, f) };
    }
    default:
      return fail(`field ${q(f.name)} not found in type: ${q(rootType.name)}`);
  }
}

/** Positional argument list of a function call; `null` = leave the argument to its default. */
function fnArgs(
  ctx: SelectContext,
  fn: ComputedFieldInfo['fn'],
  input: Coerced,
  sessionArgIndex: number | null,
  rowArgIndex: number | null,
): Array<Val | null> {
  const vm = makeValueMaker(ctx);
  const given = input && isObj(input) ? input.obj : new Map<string, Coerced>();
  return fn.args.map((a, i) => {
    if (i === sessionArgIndex) return { k: 'session_json' };
    if (i === rowArgIndex) return null;
    const v = given.get(a.name ?? `arg_${i + 1}`);
    if (v === undefined)
      return a.hasDefault ? null : { k: 'lit', value: null, pgType: a.formatted };
    if (v === null) return { k: 'lit', value: null, pgType: a.formatted };
    return vm.val(v as Leaf, a.formatted);
  });
}

export function baseSelect(ctx: SelectContext, t: TableInfo, from: FromItem): AnnSelect {
  const vm = makeValueMaker(ctx);
  const p = ctx.isAdmin ? undefined : t.selectPerms.get(ctx.role);
  return {
    table: t,
    from,
    args: { where: null, orderBy: [], distinctOn: null, limit: null, offset: null },
    permFilter: vm.permFilter(t),
    permLimit: p?.limit ?? null,
    fields: [],
  };
}

function applySelectArgs(ctx: SelectContext, sel: AnnSelect, args: Map<string, Coerced>): void {
  const vm = makeValueMaker(ctx);
  const t = sel.table;
  const where = args.get('where');
  if (where && isObj(where)) sel.args.where = whereToIR(where, t, sourceOf(ctx, t), vm);
  const orderBy = args.get('order_by');
  if (orderBy && isList(orderBy)) {
    for (const item of orderBy.list)
      if (item && isObj(item)) sel.args.orderBy.push(...orderItems(ctx, t, item));
  }
  const limit = args.get('limit');
  if (limit && isLeaf(limit)) sel.args.limit = vm.val(limit, 'integer');
  const offset = args.get('offset');
  if (offset && isLeaf(offset)) sel.args.offset = vm.val(offset, 'bigint');
  const distinct = args.get('distinct_on');
  if (distinct && isList(distinct) && distinct.list.length) {
    const cols = distinct.list.map((x) => String((x as { value: unknown }).value));
    const initial = sel.args.orderBy.slice(0, cols.length);
    // without order_by, DISTINCT ON keeps any row of each group (Hasura accepts it)
    const ok =
      sel.args.orderBy.length === 0 ||
      (initial.length === cols.length &&
        initial.every((o) => o.expr.k === 'col') &&
        cols.every((c) => initial.some((o) => o.expr.k === 'col' && o.expr.column === c)));
    if (!ok)
      withPath(['args'], () => fail('"distinct_on" columns must match initial "order_by" columns'));
    sel.args.distinctOn = cols;
    for (const c of cols) {
      const cell = vm.cellFilter(t, c);
      if (cell) (sel.args.distinctCells ??= new Map()).set(c, cell);
    }
  }
}

function orderItems(
  ctx: SelectContext,
  t: TableInfo,
  o: { obj: Map<string, Coerced> },
): OrderByItem[] {
  const out: OrderByItem[] = [];
  const vm = makeValueMaker(ctx);
  // an inherited role orders by what it reads: null on the rows where the field is hidden
  const withCell = <E extends OrderExpr>(e: E, table: TableInfo, field?: string): E => {
    const cell = field === undefined ? null : vm.cellFilter(table, field);
    return cell ? { ...e, cell } : e;
  };
  for (const [key, v] of o.obj) {
    if (v === null) continue;
    if (isEnum(v)) {
      const { dir, nulls } = v.value as { dir: OrderByItem['dir']; nulls: OrderByItem['nulls'] };
      const col = t.columns.find((c) => c.gqlName === key);
      if (col)
        out.push({ expr: withCell({ k: 'col', column: col.name }, t, col.name), dir, nulls });
      const cf = t.computedFields.find((c) => c.name === key);
      if (cf) out.push({ expr: withCell({ k: 'cf_scalar', cf }, t, cf.name), dir, nulls });
      continue;
    }
    if (!isObj(v)) continue;
    const rel = t.objectRels.find((r) => r.name === key);
    if (rel) {
      const target = sourceOf(ctx, t).tables.get(rel.target)!;
      for (const inner of orderItems(ctx, target, v)) {
        out.push({
          ...inner,
          expr: { k: 'objrel', rel, target, perm: vm.permFilter(target), expr: inner.expr },
        });
      }
      continue;
    }
    const aggRel = t.arrayRels.find((r) => `${r.name}_aggregate` === key);
    const aggCf = t.computedFields.find(
      (c) => `${c.name}_aggregate` === key && c.returns.kind === 'table',
    );
    if (aggRel || aggCf) {
      const target = sourceOf(ctx, t).tables.get(
        aggRel ? aggRel.target : (aggCf!.returns as { table: string }).table,
      )!;
      // the schema offered only count and the table's functions (schema/aggregates.ts)
      const mk = (fn: AggOp | 'count', column?: string): OrderExpr =>
        withCell(
          aggRel
            ? { k: 'arr_agg', rel: aggRel, target, perm: vm.permFilter(target), fn, column }
            : { k: 'cf_agg', cf: aggCf!, target, perm: vm.permFilter(target), fn, column },
          target,
          column,
        );
      for (const [fn, x] of v.obj) {
        if (x === null) continue;
        if (fn === 'count' && isEnum(x)) {
          const { dir, nulls } = x.value as {
            dir: OrderByItem['dir'];
            nulls: OrderByItem['nulls'];
          };
          out.push({ expr: mk('count'), dir, nulls });
        } else if (isObj(x)) {
          for (const [colName, y] of x.obj) {
            if (!y || !isEnum(y)) continue;
            const col = target.columns.find((c) => c.gqlName === colName)!;
            const { dir, nulls } = y.value as {
              dir: OrderByItem['dir'];
              nulls: OrderByItem['nulls'];
            };
            out.push({ expr: mk(fn as AggOp, col.name), dir, nulls });
          }
        }
      }
    }
  }
  return out;
}

export function tableSelect(
  ctx: SelectContext,
  t: TableInfo,
  from: FromItem,
  args: Map<string, Coerced>,
  f: CollectedField,
): AnnSelect {
  const sel = baseSelect(ctx, t, from);
  applySelectArgs(ctx, sel, args);
  sel.fields = withPath(['selectionSet'], () =>
    tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), f)),
  );
  ctx.depth--;
  return sel;
}

/**
 * Relay's `node(id:)`: the id names the table, so it shapes the plan (a variable id is
 * structural); the row is read like `<t>_by_pk` — the role's filter applies, an unseen row is
 * null — and the selection keeps the fragments on that table's type.
 */
function nodeRootField(
  ctx: SelectContext,
  args: Map<string, Coerced>,
  f: CollectedField,
): RootField {
  const vm = makeValueMaker(ctx);
  const id = parseGlobalId(String(vm.lit(args.get('id') as Leaf)));
  // a global id names no source: the served source's table
  const t = [...ctx.source.tables.values()].find(
    (x) => x.qn.schema === id.schema && x.qn.name === id.table,
  );
  // a table outside this role's Relay schema is as unknown as one that does not exist
  if (!t || !(ctx.schema.types.get(t.gqlName)?.kind === 'OBJECT'))
    throw new QErr(
      'validation-failed',
      `invalid node id: the table ${q(`${id.schema}.${id.table}`)} does not exist`,
      200,
      ['args', 'id'],
    );
  const values = matchPrimaryKey(id, t.pg.primaryKey!.columns);
  const items: BoolExp[] = [];
  for (const [cn, value] of values) {
    const c = t.columnsByName.get(cn)!;
    if (c.scalar === 'String' && typeof value !== 'string')
      throw new QErr(
        'parse-failed',
        `value of column ${q(c.name)} in node id: parsing Text failed, expected String, but encountered ${jsonKind(value)}`,
      );
    const pgType = c.pg.formatted;
    items.push({
      k: 'col',
      column: cn,
      pgType,
      ops: [{ op: '_eq', value: { k: 'lit', value, pgType } }],
    });
  }
  const select = baseSelect(ctx, t, { k: 'table' });
  select.args.where = { k: 'and', items };
  select.fields = withPath(['selectionSet'], () =>
    tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), f)),
  );
  ctx.depth--;
  return { k: 'select_one', select };
}

/**
 * A Relay connection (schema/relay-types.ts): the paging arguments checked as Hasura checks them,
 * the selection arguments as on any table field, then `edges` / `pageInfo`.
 */
function connectionSelect(
  ctx: SelectContext,
  t: TableInfo,
  from: FromItem,
  args: Map<string, Coerced>,
  f: CollectedField,
): ConnSelect {
  const vm = makeValueMaker(ctx);
  const paging = (name: string): Val | null => {
    const v = args.get(name);
    return v && isLeaf(v) && (v.fromVar || v.json !== null)
      ? vm.val(v, name === 'after' || name === 'before' ? 'text' : 'integer')
      : null;
  };
  const first = paging('first');
  const last = paging('last');
  const after = paging('after');
  const before = paging('before');
  if (first && last) withPath(['args'], () => fail('"first" and "last" are not allowed at once'));
  if (after && before)
    withPath(['args'], () => fail('"after" and "before" are not allowed at once'));
  const select = baseSelect(ctx, t, from);
  applySelectArgs(ctx, select, args);
  const fields: Array<[string, ConnField]> = [];
  withPath(['selectionSet'], () => {
    for (const sf of subFields(ctx, connectionTypeName(t), f)) {
      fields.push([sf.responseKey, withPath([sf.name], () => connectionField(ctx, t, sf))]);
    }
  });
  ctx.depth--;
  return { select, first, last, after, before, fields };
}

function connectionField(ctx: SelectContext, t: TableInfo, f: CollectedField): ConnField {
  switch (f.name) {
    case '__typename':
      return { k: 'typename', name: connectionTypeName(t) };
    case 'edges': {
      const fields: Array<[string, EdgeField]> = [];
      withPath(['selectionSet'], () => {
        for (const ef of subFields(ctx, edgeTypeName(t), f)) {
          fields.push([ef.responseKey, withPath([ef.name], () => edgeField(ctx, t, ef))]);
        }
      });
      ctx.depth--;
      return { k: 'edges', fields };
    }
    case 'pageInfo': {
      const fields: Array<[string, PageInfoField]> = [];
      for (const pf of withPath(['selectionSet'], () => subFields(ctx, PAGE_INFO, f))) {
        if (pf.name === '__typename')
          fields.push([pf.responseKey, { k: 'typename', name: PAGE_INFO }]);
        else fields.push([pf.responseKey, { k: pf.name as 'startCursor' }]);
      }
      ctx.depth--;
      return { k: 'page_info', fields };
    }
    default:
      return fail(`field ${q(f.name)} not found in type: ${q(connectionTypeName(t))}`);
  }
}

function edgeField(ctx: SelectContext, t: TableInfo, f: CollectedField): EdgeField {
  switch (f.name) {
    case '__typename':
      return { k: 'typename', name: edgeTypeName(t) };
    case 'cursor':
      return { k: 'cursor' };
    case 'node': {
      const fields = withPath(['selectionSet'], () =>
        tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), f)),
      );
      ctx.depth--;
      return { k: 'node', fields };
    }
    default:
      return fail(`field ${q(f.name)} not found in type: ${q(edgeTypeName(t))}`);
  }
}

export function aggSelect(
  ctx: SelectContext,
  t: TableInfo,
  from: FromItem,
  args: Map<string, Coerced>,
  f: CollectedField,
): AggSelect {
  const sel = baseSelect(ctx, t, from);
  applySelectArgs(ctx, sel, args);
  const aggType = ctx.schema.types.get(tableTypeName(ctx, t, 'aggregate')) as ObjectTypeDef;
  const fields: AggSelect['fields'] = [];
  withPath(['selectionSet'], () => {
    for (const sf of subFields(ctx, aggType.name, f)) {
      fields.push([sf.responseKey, withPath([sf.name], () => aggField(ctx, t, aggType, sf))]);
    }
  });
  ctx.depth--;
  return { select: sel, fields };
}

function aggField(
  ctx: SelectContext,
  t: TableInfo,
  aggType: ObjectTypeDef,
  f: CollectedField,
): AggField {
  if (f.name === '__typename') return { k: 'typename', name: aggType.name };
  const def = lookupField(aggType, f);
  fieldArgs(ctx, def, f);
  if (def.info.k === 'agg_nodes') {
    const out = withPath(['selectionSet'], () =>
      tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), f)),
    );
    ctx.depth--;
    return { k: 'nodes', fields: out };
  }
  const fieldsType = ctx.schema.types.get(namedOf(def.type)) as ObjectTypeDef;
  const out: Array<[string, AggFnField]> = [];
  withPath(['selectionSet'], () => {
    for (const sf of subFields(ctx, fieldsType.name, f)) {
      out.push([sf.responseKey, withPath([sf.name], () => aggFnField(ctx, t, fieldsType, sf))]);
    }
  });
  ctx.depth--;
  return { k: 'aggregate', fields: out };
}

function aggFnField(
  ctx: SelectContext,
  t: TableInfo,
  fieldsType: ObjectTypeDef,
  f: CollectedField,
): AggFnField {
  if (f.name === '__typename') return { k: 'typename', name: fieldsType.name };
  const def = lookupField(fieldsType, f);
  const args = fieldArgs(ctx, def, f);
  const vm = makeValueMaker(ctx);
  if (def.info.k === 'agg_count') {
    if (f.selections.length) fail('unexpected subselection set for non-object field');
    const cols = args.get('columns');
    const distinct = args.get('distinct');
    const columns =
      cols && isList(cols) ? cols.list.map((x) => String((x as { value: unknown }).value)) : [];
    const cells = new Map<string, BoolExp>();
    for (const c of columns) {
      const cell = vm.cellFilter(t, c);
      if (cell) cells.set(c, cell);
    }
    return {
      k: 'count',
      columns,
      distinct: distinct && isLeaf(distinct) ? vm.lit(distinct) === true : false,
      ...(cells.size ? { cells } : {}),
    };
  }
  // the schema offered only the table's functions (schema/aggregates.ts)
  const op = (def.info as { op: AggOp }).op;
  const opType = ctx.schema.types.get(namedOf(def.type)) as ObjectTypeDef;
  const out: Array<
    [
      string,
      (
        | { k: 'col'; column: string; stringify: boolean; pgType: string }
        | { k: 'typename'; name: string }
      ),
    ]
  > = [];
  withPath(['selectionSet'], () => {
    for (const sf of subFields(ctx, opType.name, f)) {
      if (sf.name === '__typename') {
        out.push([sf.responseKey, { k: 'typename', name: opType.name }]);
        continue;
      }
      const cd = withPath([sf.name], () => lookupField(opType, sf));
      if (sf.selections.length)
        withPath([sf.name], () => fail('unexpected subselection set for non-object field'));
      const info = cd.info as { column: string };
      const col = t.columnsByName.get(info.column)!;
      const cell = vm.cellFilter(t, info.column);
      out.push([
        sf.responseKey,
        {
          k: 'col',
          column: info.column,
          stringify: ctx.stringifyNumeric && BIG_NUMERIC_TYPES.has(col.pg.type),
          pgType: col.pg.type,
          ...(cell ? { cell } : {}),
        },
      ]);
    }
  });
  ctx.depth--;
  return { k: 'op', op, fields: out };
}

export function tableFields(
  ctx: SelectContext,
  t: TableInfo,
  fields: CollectedField[],
): Array<[string, AnnField]> {
  const objType = ctx.schema.types.get(tableTypeName(ctx, t)) as ObjectTypeDef;
  const out: Array<[string, AnnField]> = [];
  for (const f of fields) {
    out.push([f.responseKey, withPath([f.name], () => tableField(ctx, t, objType, f))]);
  }
  return out;
}

function tableField(
  ctx: SelectContext,
  t: TableInfo,
  objType: ObjectTypeDef,
  f: CollectedField,
): AnnField {
  if (f.name === '__typename') {
    if (f.selections.length) fail('unexpected subselection set for non-object field');
    return { k: 'typename', name: objType.name };
  }
  const def = lookupField(objType, f);
  const saved = ctx.path;
  ctx.path = [...ctx.path, 'selectionSet', f.name];
  try {
    const info = def.info;
    const vm = makeValueMaker(ctx);
    switch (info.k) {
      case 'column': {
        const args = fieldArgs(ctx, def, f);
        if (f.selections.length) fail('unexpected subselection set for non-object field');
        const col = t.columnsByName.get(info.column)!;
        const path = args.get('path');
        const cell = vm.cellFilter(t, col.name);
        return {
          k: 'col',
          column: col.name,
          pgType: col.pg.type,
          stringify: ctx.stringifyNumeric && BIG_NUMERIC_TYPES.has(col.pg.type),
          geo: col.pg.type === 'geometry' || col.pg.type === 'geography',
          path: path && isLeaf(path) ? vm.val(path, 'text') : null,
          ...(cell ? { cell } : {}),
        };
      }
      case 'objrel': {
        fieldArgs(ctx, def, f);
        const target = sourceOf(ctx, t).tables.get(info.rel.target)!;
        const sel = baseSelect(ctx, target, { k: 'table' });
        sel.fields = withPath(['selectionSet'], () =>
          tableFields(ctx, target, subFields(ctx, tableTypeName(ctx, target), f)),
        );
        ctx.depth--;
        return { k: 'objrel', rel: info.rel, select: sel };
      }
      case 'arrrel': {
        const args = fieldArgs(ctx, def, f);
        const target = sourceOf(ctx, t).tables.get(info.rel.target)!;
        return {
          k: 'arrrel',
          rel: info.rel,
          select: tableSelect(ctx, target, { k: 'table' }, args, f),
        };
      }
      case 'node_id':
        if (f.selections.length) fail('unexpected subselection set for non-object field');
        return { k: 'node_id' };
      case 'arrrel_conn': {
        const args = fieldArgs(ctx, def, f);
        const target = sourceOf(ctx, t).tables.get(info.rel.target)!;
        return {
          k: 'arrrel_conn',
          rel: info.rel,
          conn: connectionSelect(ctx, target, { k: 'table' }, args, f),
        };
      }
      case 'arrrel_agg': {
        const args = fieldArgs(ctx, def, f);
        const target = sourceOf(ctx, t).tables.get(info.rel.target)!;
        return {
          k: 'arrrel_agg',
          rel: info.rel,
          agg: aggSelect(ctx, target, { k: 'table' }, args, f),
        };
      }
      case 'cf_scalar': {
        const args = fieldArgs(ctx, def, f);
        if (f.selections.length) fail('unexpected subselection set for non-object field');
        const cf = info.cf;
        const cell = vm.cellFilter(t, cf.name);
        return {
          k: 'cf_scalar',
          cf,
          args: fnArgs(ctx, cf.fn, args.get('args') ?? null, cf.sessionArgIndex, cf.tableArgIndex),
          stringify:
            ctx.stringifyNumeric &&
            cf.returns.kind === 'scalar' &&
            BIG_NUMERIC_TYPES.has(cf.returns.pgType),
          ...(cell ? { cell } : {}),
        };
      }
      case 'cf_table':
      case 'cf_table_agg': {
        const args = fieldArgs(ctx, def, f);
        const cf = info.cf;
        const target = sourceOf(ctx, t).tables.get((cf.returns as { table: string }).table)!;
        const from: FromItem = {
          k: 'cf',
          cf,
          args: fnArgs(ctx, cf.fn, args.get('args') ?? null, cf.sessionArgIndex, cf.tableArgIndex),
        };
        if (info.k === 'cf_table')
          return { k: 'cf_table', select: tableSelect(ctx, target, from, args, f) };
        return { k: 'cf_table_agg', agg: aggSelect(ctx, target, from, args, f) };
      }
      default:
        return fail(`field ${q(f.name)} not found in type: ${q(objType.name)}`);
    }
  } finally {
    ctx.path = saved;
  }
}
