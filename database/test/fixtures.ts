/**
 * Test fixtures: a private database per test file, cloned from the migrated and seeded template
 * that the global setup prepared, on the real Postgres the setup started.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { createPool, query, sql } from '../src/index.ts';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Close the pool and drop the database. */
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database: a clone of the template (`empty: true` gives one with nothing in it). */
export async function createTestDatabase(
  opts: { prefix?: string; empty?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const template = opts.empty ? 'template0' : inject('pgTemplateDb');
  const name = `${opts.prefix ?? 't'}_${randomBytes(5).toString('hex')}`;
  const admin = createPool({
    connectionString: adminUrl,
    applicationName: 'streamsync-test',
    max: 1,
  });
  try {
    await query(admin, sql`CREATE DATABASE ${sql.ident(name)} TEMPLATE ${sql.ident(template)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const pool = createPool({ connectionString: url, applicationName: 'streamsync-test', max: 5 });
  return {
    name,
    url,
    pool,
    drop: async () => {
      if (!pool.ended) await pool.end();
      const a = createPool({
        connectionString: adminUrl,
        applicationName: 'streamsync-test',
        max: 1,
      });
      try {
        await query(a, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
