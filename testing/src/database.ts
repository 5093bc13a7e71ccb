/**
 * A private database per test file, cloned from the migrated and seeded template that the
 * integration lane's global setup (stack/test/global-setup.ts) prepared on the run's Postgres.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { createPool, query, sql, withDatabase, type SQL } from '@streamsync/database';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection URL of a maintenance database on the test server (for CREATE DATABASE). */
    pgAdminUrl: string;
    /** Name of the migrated and seeded template database. */
    pgTemplateDb: string;
    kafkaBrokers: string[];
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Close the pool and drop the database. */
  drop(): Promise<void>;
}

/** A fresh database: a clone of the template (`empty: true` gives one with nothing in it). */
export async function createTestDatabase(
  opts: { prefix?: string; empty?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const template = opts.empty ? 'template0' : inject('pgTemplateDb');
  const name = `${opts.prefix ?? 't'}_${randomBytes(5).toString('hex')}`;
  await onServer(adminUrl, sql`CREATE DATABASE ${sql.ident(name)} TEMPLATE ${sql.ident(template)}`);
  const url = withDatabase(adminUrl, name);
  const pool = createPool({ connectionString: url, applicationName: 'streamsync-test', max: 5 });
  return {
    name,
    url,
    pool,
    drop: async () => {
      if (!pool.ended) await pool.end();
      await onServer(adminUrl, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
    },
  };
}

/** One statement on a short-lived connection to the server's maintenance database. */
async function onServer(adminUrl: string, statement: SQL): Promise<void> {
  const admin = createPool({
    connectionString: adminUrl,
    applicationName: 'streamsync-test',
    max: 1,
  });
  try {
    await query(admin, statement);
  } finally {
    await admin.end();
  }
}
