/**
 * The arguments of a table selection: `distinct_on`, `limit`, `offset`, `order_by`, `where`.
 */
import type { BuilderCore } from './builder-core.ts';
import { selectColumnEnum } from './arguments.ts';
import { boolExp } from './filter-types.ts';
import { orderBy } from './order-types.ts';
import type { TableInfo } from './source.ts';
import { type InputValueDef, list, named, nn } from './types.ts';

export function selectArgs(b: BuilderCore, t: TableInfo): InputValueDef[] {
  const args: InputValueDef[] = [];
  if (b.columns(t).length) {
    args.push({
      name: t.naming.fieldName('distinct_on'),
      key: 'distinct_on',
      description: 'distinct select on columns',
      type: list(nn(selectColumnEnum(b, t))),
      nullable: true,
    });
  }
  args.push({
    name: 'limit',
    description: 'limit the number of rows returned',
    type: named(b.scalar('Int')),
    parse: 'nonneg',
    nullable: true,
  });
  args.push({
    name: 'offset',
    description: 'skip the first n rows. Use only with order_by',
    type: named(b.scalar('Int')),
    parse: 'bigint',
    nullable: true,
  });
  args.push({
    name: t.naming.fieldName('order_by'),
    key: 'order_by',
    description: 'sort the rows by one or more columns',
    type: list(nn(orderBy(b, t))),
    nullable: true,
  });
  args.push({
    name: 'where',
    description: 'filter the rows returned',
    type: named(boolExp(b, t)),
    nullable: true,
  });
  return args;
}
