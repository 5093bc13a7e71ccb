import { sql } from '@streamsync/database';
import { describe, expect, it } from 'vitest';
import {
  isPermissionOperator,
  OPERATORS,
  operatorsFor,
  permissionOperatorName,
  type OperatorName,
} from './operators.ts';

const names = (pgType: string, category = 'base') =>
  operatorsFor(pgType, category).map((o) => o.name);

describe('the operator table', () => {
  it('gives every column its operators in the order of Hasura comparison types', () => {
    expect(names('int4')).toEqual([
      '_eq',
      '_gt',
      '_gte',
      '_in',
      '_is_null',
      '_lt',
      '_lte',
      '_neq',
      '_nin',
    ]);
    expect(names('text').slice(9)).toEqual([
      '_like',
      '_nlike',
      '_ilike',
      '_nilike',
      '_similar',
      '_nsimilar',
      '_regex',
      '_iregex',
      '_nregex',
      '_niregex',
    ]);
    expect(names('jsonb')[0]).toBe('_cast');
    expect(names('jsonb').slice(10)).toEqual([
      '_contains',
      '_contained_in',
      '_has_key',
      '_has_keys_any',
      '_has_keys_all',
    ]);
    expect(names('_int4', 'array').slice(9)).toEqual(['_contains', '_contained_in']);
    expect(names('geography').slice(9)).toEqual(['_st_intersects', '_st_d_within']);
    expect(names('geometry').slice(9)).toEqual([
      '_st_contains',
      '_st_crosses',
      '_st_equals',
      '_st_overlaps',
      '_st_touches',
      '_st_within',
      '_st_intersects',
      '_st_3d_intersects',
      '_st_d_within',
      '_st_3d_d_within',
    ]);
  });

  it('renders only SQL the one quoting helper accepts', () => {
    for (const [name, def] of Object.entries(OPERATORS)) {
      const how = def.sql as { k: string; op?: string; fn?: string };
      const word = how.op ?? how.fn;
      if (word) expect(() => sql.keyword(word), name).not.toThrow();
    }
  });

  it('reads the permission spellings of an operator', () => {
    expect(permissionOperatorName('$eq')).toBe('_eq');
    expect(permissionOperatorName('_ne')).toBe('_neq');
    expect(permissionOperatorName('$ne')).toBe('_neq');
    expect(isPermissionOperator('_ceq')).toBe(true);
    expect(isPermissionOperator('$st_d_within')).toBe(true);
    expect(isPermissionOperator('_is_not_null')).toBe(false);
    expect(isPermissionOperator('_nope')).toBe(false);
    const all = Object.keys(OPERATORS) as OperatorName[];
    expect(all.every((n) => isPermissionOperator(n))).toBe(true);
  });
});
