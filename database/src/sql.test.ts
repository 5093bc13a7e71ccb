import { describe, expect, it } from 'vitest';
import { bindPlaceholders, compile, quoteIdent, sql, UnsafeSqlError } from './sql.ts';

describe('Database > SQL builder', () => {
  it('should turn every value into a parameter, whatever it contains', () => {
    const attacks = [
      "'; DROP TABLE entities; --",
      '1 OR 1=1',
      '$1',
      "\\'; SELECT pg_sleep(10); --",
      "x'||(SELECT version())||'",
      '"; DELETE FROM etl.pipelines; --',
      '\u0000',
      '/* */ UNION SELECT * FROM pg_shadow',
    ];
    for (const attack of attacks) {
      const q = compile(
        sql`SELECT * FROM t WHERE a = ${sql.value(attack)} AND b = ${sql.value(attack, 'text')}`,
      );
      expect(q.text).toBe('SELECT * FROM t WHERE a = $1 AND b = $2::text');
      expect(q.values).toEqual([attack, attack]);
    }
  });

  it('should quote identifiers by doubling embedded quotes, and only there', () => {
    expect(quoteIdent('readings')).toBe('"readings"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    expect(
      compile(sql`SELECT ${sql.ident('a"b')} FROM ${sql.ident('public', 'my table')}`).text,
    ).toBe('SELECT "a""b" FROM "public"."my table"');
  });

  it.each([
    ['a string', 'robert'],
    ['a number', 42],
    ['a boolean', true],
    ['null', null],
    ['undefined', undefined],
    ['an object', { toString: () => '1' }],
    ['an array', ['a']],
    ['a template string result', `${'x'}`],
  ])('should refuse to interpolate %s', (_label, value) => {
    expect(() => sql`SELECT ${value as never}`).toThrow(UnsafeSqlError);
  });

  it('should refuse to be called as a plain function', () => {
    // @ts-expect-error — the point is that this is refused at run time too
    expect(() => sql('SELECT 1')).toThrow(/template tag/);
  });

  it.each([
    ['', /non-empty/],
    ['a\u0000b', /NUL/],
    ['x'.repeat(64), /63 bytes/],
  ])('should refuse the identifier %j', (name, message) => {
    expect(() => sql.ident(name)).toThrow(message);
  });

  it.each(['int; DROP TABLE x', 'text --', 'int/*', "text' OR '1", 'numeric(10,2)); SELECT (1'])(
    'should refuse the cast type %j',
    (type) => {
      expect(() => sql.value(1, type)).toThrow(UnsafeSqlError);
      expect(() => sql.type(type)).toThrow(UnsafeSqlError);
    },
  );

  it.each([
    'int4',
    'timestamptz',
    'numeric(10,2)',
    'text[]',
    'double precision',
    'public.my_type',
    '"My Type"[]',
  ])('should accept the cast type %j', (type) => {
    expect(compile(sql`SELECT ${sql.value(1, type)}`).text).toBe(`SELECT $1::${type}`);
  });

  it('should accept only keywords from its vocabulary', () => {
    expect(compile(sql`ORDER BY x ${sql.keyword('DESC')} ${sql.keyword('NULLS LAST')}`).text).toBe(
      'ORDER BY x DESC NULLS LAST',
    );
    for (const bad of ['DESC; DROP TABLE t', 'desc', 'pg_sleep(1)', '1=1']) {
      expect(() => sql.keyword(bad)).toThrow(UnsafeSqlError);
    }
  });

  it('should number parameters across nested and joined fragments', () => {
    const conds = [1, 2, 3].map((n) => sql`c${sql.ident(`c${n}`)} = ${sql.value(n)}`);
    const q = compile(
      sql`SELECT ${sql.value('first')} WHERE ${sql.join(conds, ' AND ')} LIMIT ${sql.value(10)}`,
    );
    expect(q.text).toBe('SELECT $1 WHERE c"c1" = $2 AND c"c2" = $3 AND c"c3" = $4 LIMIT $5');
    expect(q.values).toEqual(['first', 1, 2, 3, 10]);
  });

  it('should refuse separators that smuggle SQL into a join', () => {
    expect(() => sql.join([sql`a`, sql`b`], '; DROP TABLE t; ')).toThrow(UnsafeSqlError);
    expect(() => sql.join([sql`a`, 'b' as never], ', ')).toThrow(UnsafeSqlError);
  });

  it('should bind placeholders at execution time and refuse a missing binding', () => {
    const q = compile(
      sql`SELECT ${sql.placeholder('limit', 'int')}, ${sql.value('x')}, ${sql.placeholder('user')}`,
    );
    expect(q.text).toBe('SELECT $1::int, $2, $3');
    expect(bindPlaceholders(q, (k) => ({ limit: 5, user: 'u1' })[k])).toEqual([5, 'x', 'u1']);
    expect(() => bindPlaceholders(q, () => undefined)).toThrow(/no value bound/);
  });

  it('should refuse undefined as a value rather than send NULL by accident', () => {
    expect(() => sql.value(undefined)).toThrow(/pass null/);
  });

  it('should inline GraphQL names as literals and parameterise anything else', () => {
    const q = compile(
      sql`json_build_object(${sql.literal('author_id')}, 1, ${sql.literal("x'); DROP TABLE t; --")}, 2)`,
    );
    expect(q.text).toBe("json_build_object('author_id', 1, $1, 2)");
    expect(q.values).toEqual(["x'); DROP TABLE t; --"]);
  });
});
