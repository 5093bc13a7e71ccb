/**
 * The `order_by` input types: the `order_by` enum, `<t>_order_by` and `<t>_aggregate_order_by`.
 */
import type { BuilderCore } from './builder-core.ts';
import { AGG_OPS, aggColumns } from './aggregates.ts';
import { cfArgs } from './arguments.ts';
import { tableDisplayName } from './builder-core.ts';
import type { TableInfo } from './source.ts';
import { generated } from './naming-convention.ts';
import { type InputValueDef, named } from './types.ts';

/** `order_by` (graphql-default: `OrderBy`, its values upper case). */
export function orderByEnum(b: BuilderCore): string {
  const naming = b.source.naming;
  const name = naming.typeName('order_by');
  if (!b.types.has(name)) {
    const v = (value: string, description: string, dir: string, nulls: string) => ({
      name: naming.enumValue(value),
      description,
      value: { dir, nulls },
    });
    b.types.set(name, {
      kind: 'ENUM',
      name,
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
  return name;
}

export function orderBy(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'order_by');
  const fields = b.inputObject(
    name,
    `Ordering options when selecting data from "${tableDisplayName(t)}".`,
    { k: 'order_by', table: t },
  );
  if (!fields) return name;
  const ob = orderByEnum(b);
  for (const c of b.columns(t))
    fields.set(c.gqlName, {
      name: c.gqlName,
      description: null,
      type: named(ob),
      nullable: true,
    });
  for (const rel of t.objectRels) {
    const target = b.table(rel.target);
    if (!b.perm(target)) continue;
    fields.set(rel.name, {
      name: rel.name,
      description: null,
      type: named(orderBy(b, target)),
      nullable: true,
    });
  }
  for (const rel of t.arrayRels) {
    const target = b.table(rel.target);
    const tp = b.perm(target);
    if (!tp || !tp.allowAggregations) continue;
    const aggName = aggregateFieldName(t, rel.name);
    fields.set(aggName, {
      name: aggName,
      key: `${rel.name}_aggregate`,
      description: null,
      type: named(aggregateOrderBy(b, target)),
      nullable: true,
    });
  }
  for (const cf of b.computedFields(t)) {
    if (cf.returns.kind === 'scalar' && cfArgs(b, cf).length === 0) {
      fields.set(cf.name, { name: cf.name, description: null, type: named(ob), nullable: true });
    } else if (
      cf.returns.kind === 'table' &&
      cfArgs(b, cf).length === 0 &&
      b.perm(b.table(cf.returns.table))!.allowAggregations
    ) {
      const aggName = aggregateFieldName(t, cf.name);
      fields.set(aggName, {
        name: aggName,
        key: `${cf.name}_aggregate`,
        description: null,
        type: named(aggregateOrderBy(b, b.table(cf.returns.table))),
        nullable: true,
      });
    }
  }
  return name;
}

export function aggregateOrderBy(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'aggregate_order_by');
  const fields = b.inputObject(
    name,
    `order by aggregate values of table "${tableDisplayName(t)}"`,
    { k: 'agg_order_by', table: t },
  );
  if (!fields) return name;
  const ob = orderByEnum(b);
  fields.set('count', { name: 'count', description: null, type: named(ob), nullable: true });
  const cols = b.columns(t);
  for (const op of AGG_OPS) {
    const opCols = aggColumns(op, cols);
    if (!opCols.length) continue;
    const tn = t.naming.tableType(t.ident, `${op}_order_by`);
    const opName = t.naming.field(op);
    const f = new Map<string, InputValueDef>();
    for (const c of opCols)
      f.set(c.gqlName, { name: c.gqlName, description: null, type: named(ob), nullable: true });
    b.addType({
      kind: 'INPUT_OBJECT',
      name: tn,
      description: `order by ${opName}() on columns of table "${tableDisplayName(t)}"`,
      fields: f,
      info: { k: 'agg_op_order_by', table: t, op },
    });
    fields.set(opName, {
      name: opName,
      key: op,
      description: null,
      type: named(tn),
      nullable: true,
    });
  }
  return name;
}

/** `<rel>_aggregate` of an order by: the relationship's name is one generated word (OrderBy.hs). */
function aggregateFieldName(t: TableInfo, name: string): string {
  return t.naming.fieldOf([{ text: name, custom: false }, ...generated('aggregate')]);
}
