/** The aggregate functions of `<t>_aggregate_fields` and the columns each applies to. */
import { isComparableType, isNumericType } from './scalars.ts';
import type { ColumnInfo } from './source.ts';

export const AGG_OPS = [
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
