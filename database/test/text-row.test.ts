import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { compile, queryTextRow, sql } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';

describe('Database > One row of text', () => {
  let db: TestDatabase;
  let client: pg.PoolClient;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'textrow', empty: true });
    client = await db.pool.connect();
  });
  afterAll(async () => {
    client?.release();
    await db?.drop();
  });

  const prepared = async () =>
    (
      await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'tr_%'",
      )
    ).rows[0]!.n;

  it('should answer the columns as Postgres sent them, parsing a named statement once per connection', async () => {
    const statement = compile(
      sql`SELECT (json_build_object('n', ${sql.value(1, 'int')}, 'at', ${sql.value('2024-01-02T03:04:05Z', 'timestamptz')}))::text AS c0, NULL::text AS c1, ${sql.value('é ✓', 'text')} AS c2`,
    );
    expect(statement.text).toContain('$1');
    const first = await queryTextRow(client, statement, 'tr_a', [
      7,
      new Date('2024-01-02T03:04:05Z'),
      'é ✓',
    ]);
    expect(first).toEqual(['{"n" : 7, "at" : "2024-01-02T03:04:05+00:00"}', null, 'é ✓']);
    const again = await queryTextRow(client, statement, 'tr_a', [8, '2024-01-02T03:04:05Z', 'x']);
    expect(again?.[0]).toBe('{"n" : 8, "at" : "2024-01-02T03:04:05+00:00"}');
    expect(await prepared()).toBe(1);
    // pg's own queries share the connection's book of prepared statements
    const viaPg = await client.query({
      name: 'tr_a',
      text: statement.text,
      values: [9, '2024-01-02T03:04:05Z', 'y'],
    });
    expect(viaPg.rows[0].c2).toBe('y');
    expect(await prepared()).toBe(1);
  });

  it('should bind values as pg does (arrays, JSON, null), and answer null for no row', async () => {
    const statement = compile(
      sql`SELECT array_length(${sql.value(null, 'int[]')}, 1)::text, ${sql.value(null, 'jsonb')}::text, (${sql.value(null, 'text')} IS NULL)::text WHERE ${sql.value(true, 'boolean')}`,
    );
    expect(
      await queryTextRow(client, statement, null, [[1, 2, 3], { a: [1, 'b'] }, null, true]),
    ).toEqual(['3', '{"a": [1, "b"]}', 'true']);
    expect(await queryTextRow(client, statement, null, [[1], {}, 'x', false])).toBeNull();
  });

  it("should fail with Postgres's error and leave the connection usable", async () => {
    const bad = compile(sql`SELECT (1 / ${sql.value(0, 'int')})::text`);
    await expect(queryTextRow(client, bad, 'tr_div', [0])).rejects.toMatchObject({
      code: '22012',
      message: 'division by zero',
    });
    expect(await queryTextRow(client, bad, 'tr_div', [2])).toEqual(['0']);
    // a statement that does not parse is not remembered as prepared: the next use parses again
    const wrong = compile(sql`SELECT nope_column::text`);
    await expect(queryTextRow(client, wrong, 'tr_wrong', [])).rejects.toMatchObject({
      code: '42703',
    });
    await expect(queryTextRow(client, wrong, 'tr_wrong', [])).rejects.toMatchObject({
      code: '42703',
    });
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('should refuse a name already given to another statement on the connection, unsent', async () => {
    const one = compile(sql`SELECT 'one'`);
    const two = compile(sql`SELECT 'two'`);
    expect(await queryTextRow(client, one, 'tr_name', [])).toEqual(['one']);
    await expect(queryTextRow(client, two, 'tr_name', [])).rejects.toThrow(/another statement/);
    expect(await queryTextRow(client, one, 'tr_name', [])).toEqual(['one']);
  });
});
