/**
 * Enum tables as source.ts resolves them against a catalog: a valid one becomes `<table>_enum` and
 * types the columns whose foreign key is its key; one that cannot be an enum is an inconsistent
 * table with Hasura's reasons, and is left out.
 */
import { describe, expect, it } from 'vitest';
import type { DbCatalog, PgColumn, PgEnumRow, PgTable } from '../introspection/catalog.ts';
import { emptyMetadata } from '../metadata/types.ts';
import { resolveSource } from './source.ts';

const col = (name: string, type: string, formatted = type): PgColumn => ({
  name,
  type,
  typeSchema: 'pg_catalog',
  formatted,
  category: 'base',
  elemType: null,
  nullable: false,
  hasDefault: false,
  isIdentity: false,
  isGenerated: false,
  comment: null,
  position: 0,
});

const table = (
  name: string,
  columns: PgColumn[],
  pk: string[],
  refs: PgTable['foreignKeys'] = [],
) =>
  ({
    schema: 'public',
    name,
    kind: 'table',
    comment: null,
    columns,
    primaryKey: { name: `${name}_pkey`, columns: pk },
    uniques: [],
    foreignKeys: refs,
    insertable: true,
    updatable: true,
    deletable: true,
  }) satisfies PgTable;

/** `colors` (marked is_enum) with the given shape and rows, and `users` referencing its key. */
function resolve(colors: PgTable, rows: PgEnumRow[]) {
  const users = table(
    'users',
    [col('id', 'int4', 'integer'), col('color', 'text')],
    ['id'],
    [{ name: 'users_color_fkey', columns: { color: colors.columns[0]!.name }, ref: colors }],
  );
  const catalog: DbCatalog = {
    tables: new Map([
      ['public.colors', colors],
      ['public.users', users],
    ]),
    functions: new Map(),
    enums: new Map(),
    extensions: new Set(),
    enumTableRows: new Map([['public.colors', rows]]),
  };
  const metadata = emptyMetadata();
  metadata.sources[0]!.tables = [
    { table: { schema: 'public', name: 'colors' }, is_enum: true },
    { table: { schema: 'public', name: 'users' } },
  ];
  return resolveSource(metadata, catalog);
}

const rows = (...values: string[]): PgEnumRow[] =>
  values.map((value) => ({ value, comment: null }));

describe('enum tables', () => {
  it('types a referencing column by <table>_enum, its values sorted, comments as descriptions', () => {
    const info = resolve(
      table('colors', [col('value', 'text'), col('comment', 'text')], ['value']),
      [
        { value: 'red', comment: '#FF0000' },
        { value: 'blue', comment: null },
      ],
    );
    expect(info.inconsistencies).toEqual([]);
    expect(info.enumTypes.get('colors_enum')?.values).toEqual([
      { name: 'blue', description: null, value: 'blue' },
      { name: 'red', description: '#FF0000', value: 'red' },
    ]);
    expect(info.tables.get('public.users')!.columnsByName.get('color')!.scalar).toBe('colors_enum');
    // the enum table itself stays a table
    expect(info.tables.get('public.colors')!.columnsByName.get('value')!.scalar).toBe('String');
  });

  it('reports a non-text key and extra columns with all of Hasura’s reasons, and leaves the table out', () => {
    const info = resolve(
      table(
        'colors',
        [col('id', 'int4', 'integer'), col('name', 'text'), col('hex', 'text')],
        ['id'],
      ),
      rows('red'),
    );
    expect(info.inconsistencies).toEqual([
      {
        type: 'table',
        name: 'table colors in source default',
        definition: { schema: 'public', name: 'colors' },
        reason:
          'Inconsistent object: the table "colors" cannot be used as an enum for the following reasons:\n' +
          '  • the table’s primary key ("id") must have type "text", not type "integer"\n' +
          '  • the table must have exactly one primary key and optionally one comment column, not 3 columns (hex, id, name)\n',
      },
    ]);
    expect(info.tables.has('public.colors')).toBe(false);
    expect(info.tables.get('public.users')!.columnsByName.get('color')!.scalar).toBe('String');
  });

  it('refuses values that are not GraphQL names, and an empty table', () => {
    const shape = () => table('colors', [col('value', 'text')], ['value']);
    expect(resolve(shape(), rows('ok', 'not ok', 'x-y')).inconsistencies[0]!.reason).toBe(
      'Inconsistent object: the table "colors" cannot be used as an enum because the values "not ok" and "x-y" are not valid GraphQL enum value names',
    );
    expect(resolve(shape(), rows('1st')).inconsistencies[0]!.reason).toBe(
      'Inconsistent object: the table "colors" cannot be used as an enum because the value "1st" is not a valid GraphQL enum value name',
    );
    expect(resolve(shape(), []).inconsistencies[0]!.reason).toBe(
      'Inconsistent object: the table "colors" cannot be used as an enum because the table must have at least one row',
    );
  });
});
