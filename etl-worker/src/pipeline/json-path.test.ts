import { describe, expect, it } from 'vitest';
import { compileJsonPath, JsonPathError, parseJsonPathAt } from './json-path.ts';

const doc = {
  a: { b: 1, 'odd key': 'x', list: [{ b: 'first' }, { b: 'second' }] },
  top: 42,
  'odd key': true,
  "it's": 'quoted',
  n: null,
  arr: [10, 20, 30],
};

describe('Pipeline > JSON paths', () => {
  it.each([
    ['$.top', 42],
    ['$.a.b', 1],
    ['$.a.list[0].b', 'first'],
    ['$.a.list[1].b', 'second'],
    ["$['odd key']", true],
    ['$["odd key"]', true],
    ["$.a['odd key']", 'x'],
    ["$['it\\'s']", 'quoted'],
    ['$.arr[2]', 30],
    ['$.n', null],
  ])('should read %s', (path, expected) => {
    expect(compileJsonPath(path).get(doc)).toEqual(expected);
  });

  it('should give the whole document for $', () => {
    expect(compileJsonPath('$').get(doc)).toBe(doc);
  });

  it.each([
    '$.missing',
    '$.a.missing.deeper',
    '$.arr[3]',
    '$.top.b',
    '$.a.list.b',
    '$.arr.length',
    '$.a[0]',
    '$.n.x',
    '$.a.list[0].b.c.d',
  ])('should give undefined for %s (missing or the wrong shape)', (path) => {
    expect(compileJsonPath(path).get(doc)).toBeUndefined();
  });

  it.each(['$.constructor', '$.__proto__', '$.toString', '$.hasOwnProperty', '$.a.constructor'])(
    'should not reach inherited properties through %s',
    (path) => {
      expect(compileJsonPath(path).get(doc)).toBeUndefined();
    },
  );

  it('should read own fields named like inherited ones', () => {
    const parsed = JSON.parse('{"constructor": 1, "__proto__": {"x": 2}}') as unknown;
    expect(compileJsonPath('$.constructor').get(parsed)).toBe(1);
    expect(compileJsonPath('$.__proto__.x').get(parsed)).toBe(2);
  });

  it('should expose the parsed segments', () => {
    expect(compileJsonPath("$.a[0]['b c'].d").segments).toEqual(['a', 0, 'b c', 'd']);
  });

  it.each([
    ['a.b', 'starts with $'],
    ['', 'starts with $'],
    ['$..a', 'recursive descent'],
    ['$.*', 'wildcards'],
    ['$[*]', 'wildcards'],
    ['$.a[-1]', 'negative'],
    ['$.a[0:2]', 'slices'],
    ['$[?(@.a)]', 'filter'],
    ['$.a[01]', 'leading zeros'],
    ["$['open", 'unterminated'],
    ['$.a[0', "expected ']'"],
    ['$.1a', 'field name'],
    ['$.a b', 'unexpected'],
    ['$.a-b', 'unexpected'],
    ['$.', 'field name'],
    ["$['a\\q']", 'unknown escape'],
  ])('should reject %j (%s)', (path, reason) => {
    expect(() => compileJsonPath(path)).toThrow(JsonPathError);
    expect(() => compileJsonPath(path)).toThrow(reason);
  });

  it('should stop where the path ends, for embedding in expressions', () => {
    expect(parseJsonPathAt('$.a.b + 1', 0)).toEqual({ segments: ['a', 'b'], end: 5 });
    expect(parseJsonPathAt("x = $['k'][1])", 4)).toEqual({ segments: ['k', 1], end: 13 });
  });
});
