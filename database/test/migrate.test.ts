import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  getCatalogState,
  listMigrations,
  migrateDown,
  migrateUp,
  migrationStatus,
  MigrationError,
  query,
  sql,
} from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';

/** Every user-visible object in the database, outside Hasura's catalog: what a migration changes. */
async function schemaSnapshot(pool: pg.Pool): Promise<string[]> {
  const { rows } = await query<{ o: string }>(
    pool,
    sql`
      SELECT 'schema ' || nspname AS o FROM pg_namespace
       WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('information_schema', 'hdb_catalog')
      UNION ALL
      SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname || ' ' ||
             coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) ||
                                         CASE WHEN a.attnotnull THEN '!' ELSE '' END, ',' ORDER BY a.attnum)
                         FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT IN ('information_schema', 'hdb_catalog')
      UNION ALL
      SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT IN ('information_schema', 'hdb_catalog')
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace NOT IN (SELECT oid FROM pg_namespace
                                                       WHERE nspname LIKE 'pg\_%' OR nspname IN ('information_schema', 'hdb_catalog'))
      UNION ALL
      SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
      ORDER BY 1`,
  );
  return rows.map((r) => r.o);
}

function describeMigrations(
  serverLabel: string,
  getUrl: () => Promise<{ url: string; drop: () => Promise<void> }>,
) {
  describe(`Database > Migrations on ${serverLabel}`, () => {
    let pool: pg.Pool;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const db = await getUrl();
      drop = db.drop;
      pool = createPool({ connectionString: db.url, applicationName: 'migrate-test', max: 3 });
    });
    afterAll(async () => {
      await pool?.end();
      await drop?.();
    });

    it('should apply every migration to an empty database, and then apply nothing on a rerun', async () => {
      const all = await listMigrations();
      expect(all.length).toBeGreaterThan(0);
      expect(await migrateUp(pool)).toEqual(all.map((m) => m.version));
      expect(await migrateUp(pool)).toEqual([]);
      expect((await migrationStatus(pool)).every((m) => m.applied)).toBe(true);
    });

    it('should record applied versions where the hasura CLI keeps them', async () => {
      const state = await getCatalogState(pool);
      const all = await listMigrations();
      expect(state.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(state.cli_state.migrations?.default).toEqual(
        Object.fromEntries(all.map((m) => [m.version, false])),
      );
    });

    it('should make each down exactly reverse its up', async () => {
      const all = await listMigrations();
      await migrateDown(pool, { steps: all.length });
      expect(await schemaSnapshot(pool)).toEqual(['schema public']); // nothing of ours is left
      for (const m of all) {
        const before = await schemaSnapshot(pool);
        await migrateUp(pool, { to: m.version });
        const after = await schemaSnapshot(pool);
        expect(after).not.toEqual(before);
        await migrateDown(pool, { steps: 1 });
        expect(await schemaSnapshot(pool), `down of ${m.version}_${m.name}`).toEqual(before);
        await migrateUp(pool, { to: m.version });
        expect(await schemaSnapshot(pool)).toEqual(after);
      }
    });

    it('should round-trip down then up to the same schema', async () => {
      const all = await listMigrations();
      const full = await schemaSnapshot(pool);
      await migrateDown(pool, { steps: all.length });
      await migrateUp(pool);
      expect(await schemaSnapshot(pool)).toEqual(full);
    });
  });
}

describeMigrations('embedded Postgres 17', async () => {
  const db: TestDatabase = await createTestDatabase({ prefix: 'mig', empty: true });
  await db.pool.end();
  return { url: db.url, drop: db.drop };
});

// The system Postgres 15 this machine runs (trust auth). Not optional: if it is down, this fails.
const PG15_URL = process.env.STREAMSYNC_PG15_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
describeMigrations('system Postgres 15', async () => {
  const admin = createPool({ connectionString: PG15_URL, applicationName: 'migrate-test', max: 1 });
  const name = `streamsync_mig_${Date.now().toString(36)}`;
  const { rows } = await query<{ server_version_num: string }>(admin, sql`SHOW server_version_num`);
  expect(Number(rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
  await query(admin, sql`CREATE DATABASE ${sql.ident(name)}`);
  const u = new URL(PG15_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
      await admin.end();
    },
  };
});

describe('Database > Migration failures', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'migfail', empty: true });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    const write = async (name: string, up: string, down: string) => {
      await fs.mkdir(path.join(dir, 'default', name), { recursive: true });
      await fs.writeFile(path.join(dir, 'default', name, 'up.sql'), up);
      await fs.writeFile(path.join(dir, 'default', name, 'down.sql'), down);
    };
    await write('1700000000000_one', 'CREATE TABLE one (id int);', 'DROP TABLE one;');
    await write(
      '1700000000100_two',
      'CREATE TABLE two (id int);\nCREATE TABLE two (id int);',
      'DROP TABLE two;',
    );
    await write('1700000000200_three', 'CREATE TABLE three (id int);', 'DROP TABLE three;');
  });
  afterAll(async () => {
    await db?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('should stop at the failing migration, naming its file and the Postgres error', async () => {
    const err = await migrateUp(db.pool, { dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/1700000000100_two\/up\.sql/);
    expect((err as Error).message).toMatch(/relation "two" already exists/);
    expect((err as Error).message).toMatch(/SQLSTATE 42P07/);
    const status = await migrationStatus(db.pool, { dir });
    expect(status.map((m) => m.applied)).toEqual([true, false, false]);
    // the failed migration left nothing behind: its transaction rolled back
    const { rows } = await query(
      db.pool,
      sql`SELECT to_regclass('public.two') AS t, to_regclass('public.three') AS u`,
    );
    expect(rows[0]).toEqual({ t: null, u: null });
  });

  it('should resume at the failed migration once it is fixed', async () => {
    await fs.writeFile(
      path.join(dir, 'default', '1700000000100_two', 'up.sql'),
      'CREATE TABLE two (id int);',
    );
    expect(await migrateUp(db.pool, { dir })).toEqual(['1700000000100', '1700000000200']);
  });

  it('should let only one of two concurrent appliers run each migration', async () => {
    await migrateDown(db.pool, { dir, steps: 3 });
    const other = createPool({
      connectionString: db.url,
      applicationName: 'migrate-test-2',
      max: 2,
    });
    try {
      const [a, b] = await Promise.all([migrateUp(db.pool, { dir }), migrateUp(other, { dir })]);
      expect([...a, ...b].sort()).toEqual(['1700000000000', '1700000000100', '1700000000200']);
    } finally {
      await other.end();
    }
  });
});
