/**
 * The `where` input types: `<t>_bool_exp` (columns, relationships, computed fields, `_and`/`_or`/`_not`)
 * and `<t>_aggregate_bool_exp` for array relationships.
 */
import type { BuilderCore } from './builder-core.ts';
import { cfArgs, selectColumnEnum } from './arguments.ts';
import { tableDisplayName } from './builder-core.ts';
import { comparisonExp } from './comparison-types.ts';
import type { TableInfo } from './source.ts';
import { custom, generated } from './naming-convention.ts';
import { type InputValueDef, list, named, nn } from './types.ts';

export function boolExp(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'bool_exp');
  const fields = b.inputObject(
    name,
    `Boolean expression to filter rows from the table "${tableDisplayName(t)}". All fields are combined with a logical 'AND'.`,
    { k: 'bool_exp', table: t },
  );
  if (!fields) return name;
  fields.set('_and', { name: '_and', description: null, type: list(nn(name)) });
  fields.set('_not', { name: '_not', description: null, type: named(name) });
  fields.set('_or', { name: '_or', description: null, type: list(nn(name)) });
  for (const c of b.columns(t)) {
    fields.set(c.gqlName, {
      name: c.gqlName,
      description: null,
      type: named(comparisonExp(b, c.scalar, c.pg.type, c.pg.category, c.pg.formatted)),
    });
  }
  for (const rel of t.objectRels) {
    const target = b.table(rel.target);
    if (!b.perm(target)) continue;
    fields.set(rel.name, {
      name: rel.name,
      description: null,
      type: named(boolExp(b, target)),
    });
  }
  for (const rel of t.arrayRels) {
    const target = b.table(rel.target);
    const tp = b.perm(target);
    if (!tp) continue;
    fields.set(rel.name, {
      name: rel.name,
      description: null,
      type: named(boolExp(b, target)),
    });
    if (tp.allowAggregations) {
      // the relationship's name is a user-given word (AggregationPredicates.hs)
      const aggName = t.naming.fieldOf([...custom(rel.name), ...generated('aggregate')]);
      fields.set(aggName, {
        name: aggName,
        key: `${rel.name}_aggregate`,
        description: null,
        type: named(aggregateBoolExp(b, target)),
      });
    }
  }
  for (const cf of b.computedFields(t)) {
    if (cfArgs(b, cf).length) continue;
    if (cf.returns.kind === 'scalar') {
      const scalar = cf.returns.scalar;
      fields.set(cf.name, {
        name: cf.name,
        description: null,
        type: named(comparisonExp(b, scalar, cf.returns.pgType, 'base', cf.returns.pgType)),
      });
    } else {
      fields.set(cf.name, {
        name: cf.name,
        description: null,
        type: named(boolExp(b, b.table(cf.returns.table))),
      });
    }
  }
  return name;
}

export function aggregateBoolExp(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'aggregate_bool_exp');
  const fields = b.inputObject(name, null, { k: 'agg_bool_exp', table: t });
  if (!fields) return name;
  // Hasura spells this input type as a field name (AggregationPredicates.hs)
  const cn = t.naming.fieldOf([...t.ident, ...generated('aggregate_bool_exp'), ...custom('count')]);
  const cf = new Map<string, InputValueDef>();
  if (b.columns(t).length) {
    cf.set('arguments', {
      name: 'arguments',
      description: null,
      type: list(nn(selectColumnEnum(b, t))),
      nullable: true,
    });
  }
  cf.set('distinct', {
    name: 'distinct',
    description: null,
    type: named(b.scalar('Boolean')),
    parse: 'bool',
    nullable: true,
  });
  cf.set('filter', {
    name: 'filter',
    description: null,
    type: named(boolExp(b, t)),
    nullable: true,
  });
  cf.set('predicate', {
    name: 'predicate',
    description: null,
    type: nn(comparisonExp(b, 'Int', 'int4', 'base', 'integer')),
  });
  b.types.set(cn, {
    kind: 'INPUT_OBJECT',
    name: cn,
    description: null,
    fields: cf,
    info: { k: 'agg_bool_exp_count', table: t },
  });
  fields.set('count', { name: 'count', description: null, type: named(cn) });
  return name;
}
