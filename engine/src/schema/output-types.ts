/**
 * The output types of a table: its object type (columns, relationships, computed fields), its
 * `<t>_aggregate` and `<t>_aggregate_fields`.
 */
import type { BuilderCore } from './builder-core.ts';
import { AGG_OPS, aggColumns, aggScalar } from './aggregates.ts';
import { cfArgs, selectColumnEnum } from './arguments.ts';
import { fnDisplayName, tableDisplayName } from './builder-core.ts';
import { JSON_TYPES } from './scalars.ts';
import { selectArgs } from './select-args.ts';
import {
  NODE_ID_FIELD,
  connectionArgs,
  connectionFieldName,
  connectionObject,
  implementNode,
} from './relay-types.ts';
import type { TableInfo } from './source.ts';
import {
  type FieldDef,
  type InputValueDef,
  type ObjectTypeDef,
  list,
  named,
  nn,
  nonNull,
} from './types.ts';

export function tableObject(b: BuilderCore, t: TableInfo): string {
  const name = t.gqlName;
  if (b.types.has(name)) return name;
  const obj: ObjectTypeDef = {
    kind: 'OBJECT',
    name,
    description: t.explicitDescription
      ? t.description
      : (t.description ?? `columns and relationships of "${tableDisplayName(t)}"`),
    fields: new Map(),
  };
  b.types.set(name, obj);
  const relay = b.opts.relay === true;
  for (const c of b.columns(t)) {
    // in the Relay schema `id` is the row's global id; a column of that name gives way to it
    if (relay && c.gqlName === NODE_ID_FIELD) continue;
    const args: InputValueDef[] = JSON_TYPES.has(c.pg.type)
      ? [
          {
            name: 'path',
            description: 'JSON select path',
            type: named(b.scalar('String')),
            parse: 'string',
            nullable: true,
          },
        ]
      : [];
    const ty = named(b.scalar(c.scalar));
    obj.fields.set(c.gqlName, {
      name: c.gqlName,
      description: c.description,
      args,
      // an inherited role's column hidden on some rows reads as null there
      type: c.nullable || b.perm(t)?.cellFilters?.has(c.name) ? ty : nonNull(ty),
      info: { k: 'column', table: t, column: c.name },
    });
  }
  for (const rel of t.objectRels) {
    const target = b.table(rel.target);
    if (!b.perm(target)) continue;
    const ty = named(tableObject(b, target));
    obj.fields.set(rel.name, {
      name: rel.name,
      description: rel.comment ?? 'An object relationship',
      args: [],
      type: rel.nonNull ? nonNull(ty) : ty,
      info: { k: 'objrel', table: t, rel },
    });
  }
  for (const rel of t.arrayRels) {
    const target = b.table(rel.target);
    const tp = b.perm(target);
    if (!tp) continue;
    obj.fields.set(rel.name, {
      name: rel.name,
      description: rel.comment ?? 'An array relationship',
      args: selectArgs(b, target),
      type: nonNull(list(nonNull(named(tableObject(b, target))))),
      info: { k: 'arrrel', table: t, rel },
    });
    if (relay) {
      const field = connectionFieldName(rel.name);
      obj.fields.set(field, {
        name: field,
        description: rel.comment ?? 'An array relationship connection',
        args: connectionArgs(b, target),
        type: nn(connectionObject(b, target, tableObject(b, target))),
        info: { k: 'arrrel_conn', table: t, rel },
      });
    }
    if (tp.allowAggregations) {
      const aggName = t.naming.fieldName(`${rel.name}_aggregate`);
      obj.fields.set(aggName, {
        name: aggName,
        description: rel.comment ?? 'An aggregate relationship',
        args: selectArgs(b, target),
        type: nn(aggregateObject(b, target)),
        info: { k: 'arrrel_agg', table: t, rel },
      });
    }
  }
  for (const cf of b.computedFields(t)) {
    const extra = cfArgs(b, cf);
    const description = cf.explicitComment
      ? cf.comment
      : (cf.comment ?? `A computed field, executes function "${fnDisplayName(cf.fn)}"`);
    if (cf.returns.kind === 'scalar') {
      obj.fields.set(cf.name, {
        name: cf.name,
        description,
        args: extra,
        type: named(b.scalar(cf.returns.scalar)),
        info: { k: 'cf_scalar', table: t, cf },
      });
    } else {
      const target = b.table(cf.returns.table);
      obj.fields.set(cf.name, {
        name: cf.name,
        description,
        args: [...extra, ...selectArgs(b, target)],
        type: nonNull(list(nonNull(named(tableObject(b, target))))),
        info: { k: 'cf_table', table: t, cf },
      });
      if (b.perm(target)!.allowAggregations) {
        const aggName = t.naming.fieldName(`${cf.name}_aggregate`);
        obj.fields.set(aggName, {
          name: aggName,
          description,
          args: [...extra, ...selectArgs(b, target)],
          type: nn(aggregateObject(b, target)),
          info: { k: 'cf_table_agg', table: t, cf },
        });
      }
    }
  }
  if (relay) implementNode(b, t, obj);
  return name;
}

export function aggregateObject(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'aggregate');
  if (b.types.has(name)) return name;
  const obj: ObjectTypeDef = {
    kind: 'OBJECT',
    name,
    description: `aggregated selection of "${tableDisplayName(t)}"`,
    fields: new Map(),
  };
  b.types.set(name, obj);
  obj.fields.set('aggregate', {
    name: 'aggregate',
    description: null,
    args: [],
    type: named(aggregateFields(b, t)),
    info: { k: 'agg_aggregate', table: t },
  });
  obj.fields.set('nodes', {
    name: 'nodes',
    description: null,
    args: [],
    type: nonNull(list(nonNull(named(tableObject(b, t))))),
    info: { k: 'agg_nodes', table: t },
  });
  return name;
}

export function aggregateFields(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'aggregate_fields');
  if (b.types.has(name)) return name;
  const obj: ObjectTypeDef = {
    kind: 'OBJECT',
    name,
    description: `aggregate fields of "${tableDisplayName(t)}"`,
    fields: new Map(),
  };
  b.types.set(name, obj);
  const cols = b.columns(t);
  const countArgs: InputValueDef[] = [];
  if (cols.length) {
    countArgs.push({
      name: 'columns',
      description: null,
      type: list(nn(selectColumnEnum(b, t))),
      nullable: true,
    });
  }
  countArgs.push({
    name: 'distinct',
    description: null,
    type: named(b.scalar('Boolean')),
    parse: 'bool',
    nullable: true,
  });
  obj.fields.set('count', {
    name: 'count',
    description: null,
    args: countArgs,
    type: nn(b.scalar('Int')),
    info: { k: 'agg_count', table: t },
  });
  for (const op of AGG_OPS) {
    const opCols = aggColumns(op, cols);
    if (!opCols.length) continue;
    const tn = t.naming.tableType(t.ident, `${op}_fields`);
    const opName = t.naming.field(op);
    const fields = new Map<string, FieldDef>();
    for (const c of opCols) {
      fields.set(c.gqlName, {
        name: c.gqlName,
        description: null,
        args: [],
        type: named(b.scalar(aggScalar(op, c))),
        info: { k: 'agg_col', table: t, op, column: c.name },
      });
    }
    b.addType({ kind: 'OBJECT', name: tn, description: `aggregate ${opName} on columns`, fields });
    obj.fields.set(opName, {
      name: opName,
      description: null,
      args: [],
      type: named(tn),
      info: { k: 'agg_op', table: t, op },
    });
  }
  return name;
}
