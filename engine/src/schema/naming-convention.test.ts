import { describe, expect, it } from 'vitest';
import {
  custom,
  fromSnake,
  generated,
  HASURA_NAMING,
  Naming,
  sourceConvention,
  toCamel,
  toPascal,
  toSnake,
} from './naming-convention.ts';
import { qualifiedIdent } from './source.ts';

const graphql = new Naming('graphql-default');
const hasura = new Naming('hasura-default');
const on = { enabled: true, defaultConvention: 'hasura-default' } as const;

describe('naming conventions', () => {
  it('should split snake_case as Hasura does, keeping a leading underscore with its word', () => {
    expect(fromSnake('author_local')).toEqual(['author', 'local']);
    expect(fromSnake('_hello_world_foo')).toEqual(['_hello', 'world', 'foo']);
    expect(fromSnake('plain')).toEqual(['plain']);
  });

  it('should join identifiers in each case, leaving a user-given first word as it is', () => {
    const t = generated('author_local');
    expect(toSnake(t)).toBe('author_local');
    expect(toCamel(t)).toBe('authorLocal');
    expect(toPascal(t)).toBe('AuthorLocal');
    expect(toPascal(custom('authorDetails'))).toBe('authorDetails');
    expect(toCamel([...custom('AuthorDetails'), ...generated('aggregate')])).toBe(
      'AuthorDetailsAggregate',
    );
  });

  it('should name a table the way the graphql-default cases expect', () => {
    const t = qualifiedIdent({ schema: 'public', name: 'author_local' });
    expect(graphql.tableType(t)).toBe('AuthorLocal');
    expect(graphql.tableField(t)).toBe('authorLocal');
    expect(graphql.tableField(t, '', 'by_pk')).toBe('authorLocalByPk');
    expect(graphql.tableField(t, '', 'aggregate')).toBe('authorLocalAggregate');
    expect(graphql.tableField(t, 'insert', 'one')).toBe('insertAuthorLocalOne');
    expect(graphql.tableField(t, 'update', 'by_pk')).toBe('updateAuthorLocalByPk');
    expect(graphql.tableType(t, 'aggregate_fields')).toBe('AuthorLocalAggregateFields');
    expect(graphql.tableType(t, 'mutation_response')).toBe('AuthorLocalMutationResponse');
    expect(graphql.tableType(t, 'stddev_pop_fields')).toBe('AuthorLocalStddevPopFields');
    expect(hasura.tableField(t, 'delete', 'by_pk')).toBe('delete_author_local_by_pk');
    expect(hasura.tableType(t, 'bool_exp')).toBe('author_local_bool_exp');
  });

  it('should name a table outside public from its schema and table words', () => {
    const t = qualifiedIdent({ schema: 'hge_tests', name: 'days_of_the_week' });
    expect(graphql.tableType(t, 'enum')).toBe('HgeTestsDaysOfTheWeekEnum');
    expect(hasura.tableType(t, 'enum')).toBe('hge_tests_days_of_the_week_enum');
  });

  it('should keep a custom table name as given and build on it', () => {
    const t = qualifiedIdent({ schema: 'public', name: 'author_local' }, 'authorDetails');
    expect(graphql.tableType(t)).toBe('authorDetails');
    expect(graphql.tableField(t)).toBe('authorDetails');
    expect(graphql.tableField(t, 'insert')).toBe('insertAuthorDetails');
    expect(graphql.tableType(t, 'bool_exp')).toBe('authorDetailsBoolExp');
  });

  it('should convert fixed names, columns, type names and enum values', () => {
    expect(graphql.field('order_by')).toBe('orderBy');
    expect(graphql.field('affected_rows')).toBe('affectedRows');
    expect(graphql.field('_is_null')).toBe('_isNull');
    expect(graphql.field('_eq')).toBe('_eq');
    expect(graphql.field('_st_d_within')).toBe('_stDWithin');
    expect(graphql.field('_delete_key')).toBe('_deleteKey');
    expect(graphql.fieldName('author_id')).toBe('authorId');
    expect(graphql.fieldName('articles_aggregate')).toBe('articlesAggregate');
    expect(graphql.typeName('String_comparison_exp')).toBe('StringComparisonExp');
    expect(graphql.typeName('order_by')).toBe('OrderBy');
    expect(graphql.typeName('cursor_ordering')).toBe('CursorOrdering');
    expect(graphql.enumValue('asc_nulls_first')).toBe('ASC_NULLS_FIRST');
    expect(graphql.enumValue('Sunday')).toBe('SUNDAY');
    expect(hasura.fieldName('author_id')).toBe('author_id');
    expect(hasura.enumValue('asc')).toBe('asc');
  });

  it('should combine root field and type prefixes and suffixes with the convention', () => {
    expect(graphql.customized('authorLocal', 'test', 'query')).toBe('testAuthorLocalQuery');
    expect(graphql.customized('authorLocalByPk', 'Test', 'query')).toBe('TestAuthorLocalByPkQuery');
    expect(graphql.customized('authorLocal', '', 'query')).toBe('authorLocalQuery');
    expect(graphql.customized('AuthorLocal', 'tpref_', '_tsuff')).toBe('tpref_AuthorLocal_tsuff');
    expect(hasura.customized('author_local', 'test_', '_query')).toBe('test_author_local_query');
  });

  it('should take the source setting, then the default, only with the experimental feature', () => {
    expect(sourceConvention('graphql-default', HASURA_NAMING)).toBe('hasura-default');
    expect(sourceConvention('graphql-default', on)).toBe('graphql-default');
    expect(sourceConvention(undefined, on)).toBe('hasura-default');
    expect(sourceConvention(undefined, { ...on, defaultConvention: 'graphql-default' })).toBe(
      'graphql-default',
    );
    expect(
      sourceConvention('hasura-default', { ...on, defaultConvention: 'graphql-default' }),
    ).toBe('hasura-default');
  });
});
