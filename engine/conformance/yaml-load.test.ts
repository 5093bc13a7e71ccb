import { describe, expect, it } from 'vitest';
import { loadYaml, toJson } from './yaml-load.ts';

describe('Conformance > YAML loading', () => {
  it('should keep dates and YAML 1.1 booleans as strings (core schema)', () => {
    const v = loadYaml('a: 2020-01-01\nb: 2020-01-01T10:00:00Z\nc: yes\nd: true\ne: ~\nf: 1.5\n');
    expect(v).toEqual({
      a: '2020-01-01',
      b: '2020-01-01T10:00:00Z',
      c: 'yes',
      d: true,
      e: null,
      f: 1.5,
    });
  });

  it('should turn integer map keys into JSON string keys', () => {
    const v = loadYaml('body:\n  1: 2\n  2: 3\n');
    expect(v).toEqual({ body: { '1': 2, '2': 3 } });
    expect(toJson(v)).toBe('{"body":{"1":2,"2":3}}');
  });

  it('should keep every digit of integers beyond 2^53', () => {
    const v = loadYaml(
      'big: 9223372036854775807\nsmall: 42\nneg: -9223372036854775808\n',
    ) as Record<string, unknown>;
    expect(v.small).toBe(42);
    expect(typeof v.big).toBe('bigint');
    expect(toJson(v)).toBe('{"big":9223372036854775807,"small":42,"neg":-9223372036854775808}');
  });

  it('should read multi-line query strings literally and lists of cases', () => {
    const v = loadYaml(
      '- url: /v1/graphql\n  query:\n    query: |\n      query {\n        a\n      }\n- url: /v1/query\n',
    );
    expect(v).toEqual([
      { url: '/v1/graphql', query: { query: 'query {\n  a\n}\n' } },
      { url: '/v1/query' },
    ]);
  });

  it('should read double-quoted scalars continued no deeper than their key, as PyYAML does', () => {
    const plain = loadYaml(
      '- description: "the max of the rows. The\n  \'role\' is two"\n  status: 200\n',
    );
    expect(plain).toEqual([{ description: "the max of the rows. The 'role' is two", status: 200 }]);
    const escaped = loadYaml('- message: "a long \\\n  line"\n');
    expect(escaped).toEqual([{ message: 'a long line' }]);
  });

  it('should leave strings alone, even next to bigints', () => {
    const v = { s: '@@bigint-0@@12', n: 12345678901234567890n, t: 'x' };
    expect(toJson(v)).toBe('{"s":"@@bigint-0@@12","n":12345678901234567890,"t":"x"}');
  });
});
