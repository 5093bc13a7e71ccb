import { describe, expect, it } from 'vitest';
import { QErr, renderPath } from '../errors.ts';
import { encodeCursor, encodeGlobalId, matchPrimaryKey, parseGlobalId } from './global-id.ts';

/** The error parseGlobalId / matchPrimaryKey throw, rendered as the GraphQL response shows it. */
function failure(fn: () => unknown): { message: string; path: string; code: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof QErr)) throw e;
    return { message: e.message, path: renderPath(e.path), code: e.code };
  }
  throw new Error('expected a QErr');
}

describe('relay global ids', () => {
  it('writes the ids and cursors Hasura writes (conformance relay/basic)', () => {
    expect(encodeGlobalId('public', 'article', [1])).toBe('WzEsICJwdWJsaWMiLCAiYXJ0aWNsZSIsIDFd');
    expect(encodeGlobalId('public', 'author', [2])).toBe('WzEsICJwdWJsaWMiLCAiYXV0aG9yIiwgMl0=');
    expect(encodeCursor({ id: 4 })).toBe('eyJpZCIgOiA0fQ==');
    expect(encodeCursor({ articles_aggregate: { count: 3 }, id: 1 })).toBe(
      'eyJhcnRpY2xlc19hZ2dyZWdhdGUiIDogeyJjb3VudCIgOiAzfSwgImlkIiA6IDF9',
    );
    expect(encodeCursor({ title: 'Article 5', id: 5 })).toBe(
      'eyJ0aXRsZSIgOiAiQXJ0aWNsZSA1IiwgImlkIiA6IDV9',
    );
  });

  it('reads back what it writes, and ids with a trailing newline (psql-made ids)', () => {
    expect(parseGlobalId(encodeGlobalId('public', 'user', ['a', 'b']))).toEqual({
      schema: 'public',
      table: 'user',
      values: ['a', 'b'],
    });
    expect(parseGlobalId('WzEsICJwdWJsaWMiLCJhcnRpY2xlIiwzXQo=')).toEqual({
      schema: 'public',
      table: 'article',
      values: [3],
    });
  });

  it.each([
    ['random', "Error in $: Failed reading: not a valid json value at '\u00ad\u00a9\u00dd\u00a2'"],
    [
      'eyJpZCIgOiA0fQ==',
      'Error in $: parsing node id failed, expected Array, but encountered Object',
    ],
    [
      'WyIxIiwgInB1YmxpYyIsICJ1c2VyIiwgImZpcnN0XzIiLCAibGFzdF8yIiwgMl0K',
      'Error in $: unexpected GUID format, needs to start with a version number',
    ],
    ['WzIsICJwdWJsaWMiLCAiYXV0aG9yIiwgMV0K', 'Error in $: unsupported GUID version: 2.0'],
    [
      'WzEsICJwdWJsaWMiLCAidXNlciJdCg==',
      'Error in $: GUID version 1: expecting schema name, table name and at least one column value',
    ],
  ])('rejects the malformed id %s with Hasura message', (id, message) => {
    expect(failure(() => parseGlobalId(id))).toEqual({
      message: `invalid node id: ${message}`,
      path: '$.args.id',
      code: 'validation-failed',
    });
  });

  it('pairs values with the primary key and names what is missing or extra', () => {
    const pk = ['first_name', 'last_name'];
    expect([
      ...matchPrimaryKey(parseGlobalId(encodeGlobalId('public', 'user', ['f', 'l'])), pk),
    ]).toEqual([
      ['first_name', 'f'],
      ['last_name', 'l'],
    ]);
    expect(
      failure(() =>
        matchPrimaryKey(parseGlobalId('WzEsICJwdWJsaWMiLCAidXNlciIsICJmaXJzdF8yIl0K'), pk),
      ).message,
    ).toBe("invalid node id: primary key columns ['last_name'] are missing");
    expect(
      failure(() =>
        matchPrimaryKey(
          parseGlobalId('WzEsICJwdWJsaWMiLCAidXNlciIsICJmaXJzdF8yIiwgImxhc3RfMiIsIDJdCg=='),
          pk,
        ),
      ).message,
    ).toBe('invalid node id: unexpected column values [2]');
  });
});
