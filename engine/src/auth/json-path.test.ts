import { describe, expect, it } from 'vitest';
import { encodeJsonPath, executeJsonPath, JsonPathError, parseJsonPath } from './json-path.ts';

describe('Auth > JSON path', () => {
  it('should parse the forms Hasura accepts', () => {
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('$.hasura.claims')).toEqual([{ key: 'hasura' }, { key: 'claims' }]);
    expect(parseJsonPath('hasura.claims')).toEqual([{ key: 'hasura' }, { key: 'claims' }]);
    expect(parseJsonPath('$.a[2].b')).toEqual([{ key: 'a' }, { index: 2 }, { key: 'b' }]);
    expect(parseJsonPath('$["https://hasura.io/jwt/claims"]')).toEqual([
      { key: 'https://hasura.io/jwt/claims' },
    ]);
    expect(parseJsonPath("$['it\\'s'].x-y_z")).toEqual([{ key: "it's" }, { key: 'x-y_z' }]);
    expect(parseJsonPath('$.données')).toEqual([{ key: 'données' }]);
  });

  it('should refuse malformed paths with Hasura message', () => {
    for (const bad of ['$.', '$.1abc', '$[', '$["x"', '$.a b', '', '$..a', '$[-1]']) {
      expect(() => parseJsonPath(bad), bad).toThrow(JsonPathError);
    }
    expect(() => parseJsonPath('$.a b')).toThrow(
      '$.a b. Accept letters, digits, underscore (_) or hyphen (-) only. Use quotes enclosed in bracket (["..."]) if there is any special character',
    );
  });

  it('should render paths as Hasura does', () => {
    expect(encodeJsonPath([])).toBe('$');
    expect(encodeJsonPath([{ key: 'hasura' }, { key: 'claims' }])).toBe('$.hasura.claims');
    expect(encodeJsonPath([{ key: 'a.b' }, { index: 3 }])).toBe('$["a.b"][3]');
    expect(encodeJsonPath([{ key: '1st' }, { key: 'x-y' }])).toBe('$["1st"].x-y');
  });

  it('should follow a path and report missing steps as undefined', () => {
    const doc = { a: { b: [10, { c: 'x' }] }, n: null };
    expect(executeJsonPath(parseJsonPath('$.a.b[1].c'), doc)).toBe('x');
    expect(executeJsonPath(parseJsonPath('$.a.b[0]'), doc)).toBe(10);
    expect(executeJsonPath(parseJsonPath('$.n'), doc)).toBeNull();
    expect(executeJsonPath(parseJsonPath('$.a.b[5]'), doc)).toBeUndefined();
    expect(executeJsonPath(parseJsonPath('$.a.x'), doc)).toBeUndefined();
    expect(executeJsonPath(parseJsonPath('$.a[0]'), doc)).toBeUndefined();
    expect(executeJsonPath(parseJsonPath('$.toString'), doc)).toBeUndefined();
  });
});
