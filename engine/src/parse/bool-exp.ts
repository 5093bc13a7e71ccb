/**
 * Boolean expressions into IR, from the two places they come from: a `where` argument (already
 * checked against `<t>_bool_exp`) and a permission filter in metadata (JSON, with `$and`-style
 * keys, bare values meaning `_eq`, and `X-Hasura-*` strings meaning session variables).
 */
import { QErr } from '../errors.ts';
import type { BoolExp, CmpOp, Val } from '../ir/types.ts';
import type { SourceInfo, TableInfo } from '../schema/source.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { normalizeName } from '../metadata/types.ts';
import { isLeaf, isList, isObj, type Leaf, type ObjVal } from './input.ts';
import {
  COLUMN_COMPARISONS,
  isOperatorName,
  type OperatorDef,
  type OperatorName,
  operator,
  permissionOperatorName,
  takesList,
  valueTypeOf,
} from '../schema/operators.ts';

/** Turns leaves into values: placeholders for variables, literals otherwise. */
export interface ValueMaker {
  val(leaf: Leaf, pgType: string): Val;
  /** a value needed while compiling (shapes the plan) */
  lit(leaf: Leaf): unknown;
  /** select permission filter of a table for the current role (admin: true) */
  permFilter(t: TableInfo): BoolExp;
  /**
   * For an inherited role: the rows on which it may read a column or scalar computed field of a
   * table, when that is not every row it may select (schema/inherited-roles.ts); else null.
   */
  cellFilter(t: TableInfo, field: string): BoolExp | null;
}

/** A condition on a field the role reads only on some rows holds only on those rows. */
function onReadableRows(vm: ValueMaker, t: TableInfo, field: string, e: BoolExp): BoolExp {
  const cell = vm.cellFilter(t, field);
  return cell ? and([cell, e]) : e;
}

function knownOperator(op: string): OperatorDef & { name: OperatorName } {
  if (!isOperatorName(op)) throw new Error(`unknown operator ${op}`);
  return { ...operator(op)!, name: op };
}

const and = (items: BoolExp[]): BoolExp => (items.length === 1 ? items[0]! : { k: 'and', items });

function cmpOps(o: ObjVal, pgType: string, vm: ValueMaker): CmpOp[] {
  const ops: CmpOp[] = [];
  for (const [op, v] of o.obj) {
    if (op === '_cast') {
      if (!isObj(v)) continue;
      for (const [to, inner] of v.obj) {
        if (!isObj(inner)) continue;
        const toType = to === 'String' ? 'text' : to;
        ops.push({ op: '_cast', cast: { to: toType, ops: cmpOps(inner, toType, vm) } });
      }
      continue;
    }
    if (op === '_is_null') {
      if (v && isLeaf(v)) ops.push({ op: vm.lit(v) ? '_is_null' : '_is_not_null' });
      continue;
    }
    // the schema (schema/operators.ts) admitted only the column type's operators
    const def = knownOperator(op);
    if (def.sql.k === 'distance') {
      if (!isObj(v)) continue;
      const extra: Record<string, Val> = {};
      for (const [k, x] of v.obj) {
        if (x && isLeaf(x))
          extra[k] = vm.val(
            x,
            k === 'distance' ? 'float8' : k === 'use_spheroid' ? 'boolean' : pgType,
          );
      }
      ops.push({ op: def.name, extra });
      continue;
    }
    if (v === null) continue;
    const valueType = valueTypeOf(def, pgType);
    if (isList(v)) {
      const items = v.list.map((x) => (x && isLeaf(x) ? x.json : null));
      const fromVars = v.list.some((x) => x && isLeaf(x) && x.fromVar);
      if (fromVars) v.list.forEach((x) => x && isLeaf(x) && vm.lit(x));
      ops.push({ op: def.name, value: { k: 'lit', value: items, pgType: `${valueType}[]` } });
      continue;
    }
    if (isLeaf(v)) ops.push({ op: def.name, value: vm.val(v, valueType) });
  }
  return ops;
}

/** A `where` value (coerced against `<t>_bool_exp`) → IR. The caller adds the table's own filter. */
export function whereToIR(o: ObjVal, t: TableInfo, source: SourceInfo, vm: ValueMaker): BoolExp {
  const items: BoolExp[] = [];
  for (const [key, v] of o.obj) {
    if (v === null) continue;
    if (key === '_and' || key === '_or') {
      if (!isList(v)) continue;
      const parts = v.list.filter(isObj).map((x) => whereToIR(x, t, source, vm));
      items.push(key === '_and' ? { k: 'and', items: parts } : { k: 'or', items: parts });
      continue;
    }
    if (key === '_not') {
      if (isObj(v)) items.push({ k: 'not', e: whereToIR(v, t, source, vm) });
      continue;
    }
    if (!isObj(v)) continue;
    const col = t.columns.find((c) => c.gqlName === key);
    if (col) {
      items.push(
        onReadableRows(vm, t, col.name, {
          k: 'col',
          column: col.name,
          pgType: col.pg.formatted,
          ops: cmpOps(v, col.pg.formatted, vm),
        }),
      );
      continue;
    }
    const rel = [...t.objectRels, ...t.arrayRels].find((r) => r.name === key);
    if (rel) {
      const target = source.tables.get(rel.target)!;
      items.push({
        k: 'rel',
        rel,
        target,
        e: and([vm.permFilter(target), whereToIR(v, target, source, vm)]),
      });
      continue;
    }
    const aggRel = t.arrayRels.find((r) => `${r.name}_aggregate` === key);
    if (aggRel) {
      const target = source.tables.get(aggRel.target)!;
      const count = v.obj.get('count');
      if (count && isObj(count)) {
        const args = count.obj.get('arguments');
        const distinct = count.obj.get('distinct');
        const filter = count.obj.get('filter');
        const predicate = count.obj.get('predicate');
        items.push({
          k: 'agg_count',
          rel: aggRel,
          target,
          columns:
            args && isList(args)
              ? args.list.map((x) => String((x as { value: unknown }).value))
              : [],
          distinct: distinct && isLeaf(distinct) ? vm.lit(distinct) === true : false,
          filter: and([
            vm.permFilter(target),
            filter && isObj(filter) ? whereToIR(filter, target, source, vm) : { k: 'true' },
          ]),
          predicate: predicate && isObj(predicate) ? cmpOps(predicate, 'integer', vm) : [],
        });
      }
      continue;
    }
    const cf = t.computedFields.find((c) => c.name === key);
    if (cf) {
      if (cf.returns.kind === 'scalar') {
        items.push(
          onReadableRows(vm, t, cf.name, {
            k: 'cf_scalar',
            cf,
            pgType: cf.returns.pgType,
            ops: cmpOps(v, cf.returns.pgType, vm),
          }),
        );
      } else {
        const target = source.tables.get(cf.returns.table)!;
        items.push({
          k: 'cf_table',
          cf,
          target,
          e: and([vm.permFilter(target), whereToIR(v, target, source, vm)]),
        });
      }
    }
  }
  return items.length === 0 ? { k: 'true' } : and(items);
}

const SESSION_PREFIX = /^x-hasura-/i;

function permValue(v: unknown, pgType: string): Val {
  if (typeof v === 'string' && SESSION_PREFIX.test(v))
    return { k: 'session', name: v.toLowerCase(), pgType };
  return { k: 'lit', value: v, pgType };
}

function permOps(spec: unknown, pgType: string): CmpOp[] {
  const isOpObject =
    spec !== null &&
    typeof spec === 'object' &&
    !Array.isArray(spec) &&
    Object.keys(spec).every((k) => k.startsWith('_') || k.startsWith('$'));
  if (
    !isOpObject ||
    (pgType.startsWith('json') &&
      !Object.keys(spec as object).some((k) => k.startsWith('_') || k.startsWith('$')))
  ) {
    return [{ op: '_eq', value: permValue(spec, pgType) }];
  }
  const ops: CmpOp[] = [];
  for (const [rawOp, v] of Object.entries(spec as Record<string, unknown>)) {
    const op = permissionOperatorName(rawOp);
    const colOp = COLUMN_COMPARISONS[op];
    if (colOp) {
      // the other column: a name, or ["$", name] for the root table (treated the same here)
      const other = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
      ops.push({ op: colOp, col: other, colRoot: Array.isArray(v) && v[0] === '$' });
      continue;
    }
    // metadata checks (schema/permission-checks.ts) admitted only the table's operators; an
    // operator of no meaning must fail the request, never drop a clause of a filter
    const def = knownOperator(op);
    const valueType = valueTypeOf(def, pgType);
    if (op === '_is_null') {
      ops.push({ op: v ? '_is_null' : '_is_not_null' });
    } else if (op === '_cast') {
      if (!v || typeof v !== 'object') throw new Error(`_cast needs an object, not ${String(v)}`);
      for (const [to, inner] of Object.entries(v as Record<string, unknown>)) {
        const toType = to === 'String' ? 'text' : to;
        ops.push({ op: '_cast', cast: { to: toType, ops: permOps(inner, toType) } });
      }
    } else if (def.sql.k === 'distance') {
      const o = v as Record<string, unknown>;
      const extra: Record<string, Val> = {};
      for (const [k, x] of Object.entries(o))
        extra[k] = permValue(
          x,
          k === 'distance' ? 'float8' : k === 'use_spheroid' ? 'boolean' : pgType,
        );
      ops.push({ op: def.name, extra });
    } else if (takesList(def)) {
      if (typeof v === 'string' && SESSION_PREFIX.test(v)) {
        // a session variable holding a Postgres array literal
        ops.push({
          op: def.name,
          value: { k: 'session', name: v.toLowerCase(), pgType: `${valueType}[]` },
        });
      } else {
        ops.push({
          op: def.name,
          value: { k: 'lit', value: Array.isArray(v) ? v : [v], pgType: `${valueType}[]` },
        });
      }
    } else {
      ops.push({ op: def.name, value: permValue(v, valueType) });
    }
  }
  return ops;
}

/** A permission filter from metadata → IR (relationships here do not add the target's filter). */
export function permFilterToIR(json: unknown, t: TableInfo, source: SourceInfo): BoolExp {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { k: 'true' };
  const items: BoolExp[] = [];
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    if (key === '_and' || key === '$and' || key === '_or' || key === '$or') {
      const parts = (Array.isArray(v) ? v : []).map((x) => permFilterToIR(x, t, source));
      items.push(key.endsWith('and') ? { k: 'and', items: parts } : { k: 'or', items: parts });
      continue;
    }
    if (key === '_not' || key === '$not') {
      items.push({ k: 'not', e: permFilterToIR(v, t, source) });
      continue;
    }
    if (key === '_exists' || key === '$exists') {
      const spec = (v ?? {}) as { _table?: unknown; _where?: unknown };
      const target = source.tables.get(qualifiedKey(normalizeName(spec._table)));
      if (!target)
        throw new QErr('not-exists', `table "${JSON.stringify(spec._table)}" is not tracked`, 400);
      items.push({ k: 'exists', target, e: permFilterToIR(spec._where ?? {}, target, source) });
      continue;
    }
    const col = t.columnsByName.get(key);
    if (col) {
      items.push({
        k: 'col',
        column: col.name,
        pgType: col.pg.formatted,
        ops: permOps(v, col.pg.formatted),
      });
      continue;
    }
    const rel = [...t.objectRels, ...t.arrayRels].find((r) => r.name === key);
    if (rel) {
      const target = source.tables.get(rel.target)!;
      items.push({ k: 'rel', rel, target, e: permFilterToIR(v, target, source) });
      continue;
    }
    const cf = t.computedFields.find((c) => c.name === key);
    if (cf) {
      if (cf.returns.kind === 'scalar')
        items.push({
          k: 'cf_scalar',
          cf,
          pgType: cf.returns.pgType,
          ops: permOps(v, cf.returns.pgType),
        });
      else {
        const target = source.tables.get(cf.returns.table)!;
        items.push({ k: 'cf_table', cf, target, e: permFilterToIR(v, target, source) });
      }
      continue;
    }
    throw new QErr(
      'validation-failed',
      `"${key}" is not a column, relationship or computed field of table "${t.qn.name}"`,
      400,
    );
  }
  return items.length === 0 ? { k: 'true' } : and(items);
}

/** Session variables a filter reads, for the "missing session variable" check. */
export function sessionVarsOf(e: BoolExp, out = new Set<string>()): Set<string> {
  const ops = (xs: CmpOp[]) =>
    xs.forEach((o) => {
      if (o.value?.k === 'session') out.add(o.value.name);
      if (o.extra) Object.values(o.extra).forEach((x) => x.k === 'session' && out.add(x.name));
      if (o.cast) ops(o.cast.ops);
    });
  switch (e.k) {
    case 'and':
    case 'or':
      e.items.forEach((x) => sessionVarsOf(x, out));
      break;
    case 'not':
      sessionVarsOf(e.e, out);
      break;
    case 'col':
    case 'cf_scalar':
      ops(e.ops);
      break;
    case 'rel':
    case 'cf_table':
    case 'exists':
      sessionVarsOf(e.e, out);
      break;
    case 'agg_count':
      sessionVarsOf(e.filter, out);
      ops(e.predicate);
      break;
  }
  return out;
}
