/**
 * The aggregate functions of `<t>_aggregate_fields` (besides `count`), each declared once: the
 * columns it applies to, the GraphQL scalar of its result and its SQL function. The schema
 * (output-types.ts, order-types.ts), the parser and the translator read this table.
 */
import { isComparableType, isNumericType } from './scalars.ts';
import type { ColumnInfo } from './source.ts';

export interface AggregateDef {
  /** numeric columns, or every comparable one (Hasura's isComparableType, numbers included) */
  columns: 'numeric' | 'comparable';
  /** the result is of the column's scalar, or a Float */
  result: 'column' | 'Float';
  /** the Postgres aggregate function */
  sql: string;
}

/** In the order of Hasura's `<t>_aggregate_fields`. */
export const AGGREGATES = {
  avg: { columns: 'numeric', result: 'Float', sql: 'avg' },
  max: { columns: 'comparable', result: 'column', sql: 'max' },
  min: { columns: 'comparable', result: 'column', sql: 'min' },
  stddev: { columns: 'numeric', result: 'Float', sql: 'stddev' },
  stddev_pop: { columns: 'numeric', result: 'Float', sql: 'stddev_pop' },
  stddev_samp: { columns: 'numeric', result: 'Float', sql: 'stddev_samp' },
  sum: { columns: 'numeric', result: 'column', sql: 'sum' },
  var_pop: { columns: 'numeric', result: 'Float', sql: 'var_pop' },
  var_samp: { columns: 'numeric', result: 'Float', sql: 'var_samp' },
  variance: { columns: 'numeric', result: 'Float', sql: 'variance' },
} as const satisfies Record<string, AggregateDef>;

export type AggOp = keyof typeof AGGREGATES;

export const AGG_OPS = Object.keys(AGGREGATES) as AggOp[];

/** Which columns of a table an aggregate function applies to. */
export function aggColumns(op: AggOp, cols: ColumnInfo[]): ColumnInfo[] {
  if (AGGREGATES[op].columns === 'comparable') {
    return cols.filter(
      (c) => isNumericType(c.pg.type) || isComparableType(c.pg.type, c.pg.category),
    );
  }
  return cols.filter((c) => isNumericType(c.pg.type));
}

/** The GraphQL scalar of `op(column)`. */
export function aggScalar(op: AggOp, c: ColumnInfo): string {
  return AGGREGATES[op].result === 'column' ? c.scalar : 'Float';
}
