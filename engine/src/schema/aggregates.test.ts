import { describe, expect, it } from 'vitest';
import type { PgColumn } from '../introspection/catalog.ts';
import { aggColumns, aggScalar } from './aggregates.ts';
import type { ColumnInfo } from './source.ts';

const column = (name: string, type: string, category = 'base', scalar = type): ColumnInfo => ({
  name,
  gqlName: name,
  scalar,
  nullable: true,
  description: null,
  pg: { name, type, category } as PgColumn,
});

const columns = [
  column('id', 'int8', 'base', 'bigint'),
  column('price', 'numeric'),
  column('title', 'text', 'base', 'String'),
  column('at', 'timestamptz'),
  column('key', 'uuid'),
  column('ok', 'bool', 'base', 'Boolean'),
  column('doc', 'jsonb'),
  column('raw', 'bytea'),
  column('took', 'interval'),
  column('clock', 'time'),
  column('addr', 'inet'),
  column('mood', 'mood', 'enum'),
];
const names = (op: Parameters<typeof aggColumns>[0]) => aggColumns(op, columns).map((c) => c.name);

describe('the aggregate table', () => {
  it('gives max and min the columns Hasura finds comparable, leaving its unknown types out', () => {
    expect(names('max')).toEqual(['id', 'price', 'title', 'at', 'key', 'mood']);
    expect(names('min')).toEqual(names('max'));
  });

  it('gives sum, avg and the statistics numeric columns only', () => {
    for (const op of ['sum', 'avg', 'stddev', 'variance'] as const)
      expect(names(op)).toEqual(['id', 'price']);
  });

  it('types sum, max and min as the column, the statistics as Float', () => {
    expect(aggScalar('sum', columns[0]!)).toBe('bigint');
    expect(aggScalar('max', columns[3]!)).toBe('timestamptz');
    expect(aggScalar('avg', columns[0]!)).toBe('Float');
  });
});
