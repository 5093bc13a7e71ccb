/**
 * The SQL golden cases against a real Postgres: the fixture catalog.json is still what the
 * engine's catalog query reads from schema.sql (UPDATE_GOLDEN=1 rewrites it), and every golden
 * statement runs with its parameters (mutations in a transaction that is rolled back).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { rawCatalog } from '../src/introspection/catalog.ts';
import { generate, GOLDEN_CASES, GOLDEN_DIR, sessionOf } from './sql-golden/generate.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'golden', empty: true });
  await db.pool.query(fs.readFileSync(path.join(GOLDEN_DIR, 'schema.sql'), 'utf8'));
});
afterAll(async () => {
  await db?.drop();
});

describe('SQL golden cases on Postgres', () => {
  it('reads catalog.json from schema.sql', async () => {
    const file = path.join(GOLDEN_DIR, 'catalog.json');
    const raw = await rawCatalog(db.pool);
    if (process.env.UPDATE_GOLDEN === '1')
      fs.writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
    expect(raw).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
  });

  for (const c of GOLDEN_CASES) {
    it(`runs ${c.name}`, async () => {
      const statements = generate(c);
      expect(statements.length).toBeGreaterThan(0);
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT set_config($1, $2, true)', [
          'hasura.user',
          JSON.stringify(sessionOf(c).variables),
        ]);
        for (const s of statements) {
          const res = await client.query(s.text, s.values);
          expect(res.rows.length).toBeGreaterThan(0);
        }
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });
  }
});
