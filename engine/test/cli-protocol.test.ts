/**
 * The real hasura CLI's protocol, replayed request by request (test/fixtures/cli) against a
 * running engine with an admin secret: migrate status / apply / apply --down, metadata apply /
 * export / reload, seed apply. Every response is checked, then the database, the metadata, and
 * that the migration state the CLI keeps is exactly what the project's own applier
 * (database/src/migrate.ts) reads — and the other way round.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedVersions,
  listMigrations,
  migrateUp,
  migrationStatus,
  query,
  REPO_ROOT,
  sql,
} from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { loadMetadataDir } from '../src/metadata/load-dir.ts';
import type { RunningEngine } from '../src/server.ts';
import { CliReplay, FIXTURES, loadFixture, type Fixture, type Step } from './cli-replay.ts';
import { gql, startTestEngine } from './helpers.ts';

const SECRET = 'cli-replay-secret';
const PROJECT = path.join(FIXTURES, 'project');
const MIGRATIONS = path.join(PROJECT, 'migrations');

let db: TestDatabase;
let engine: RunningEngine;
let cli: CliReplay;

const columns = async (table: string): Promise<string[]> => {
  const { rows } = await query<{ c: string }>(
    db.pool,
    sql`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${sql.value(table)} ORDER BY ordinal_position`,
  );
  return rows.map((r) => r.c);
};

const replay = async (file: string) => {
  const problems = await cli.run(loadFixture(file));
  expect(problems).toEqual([]);
};

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'cli', empty: true });
  engine = await startTestEngine(db.url, { HASURA_GRAPHQL_ADMIN_SECRET: SECRET });
  cli = new CliReplay(engine.url, SECRET, PROJECT);
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > hasura CLI protocol', () => {
  it('should answer migrate status on a fresh server', async () => {
    await replay('migrate-status.yaml');
    const state = cli.log.at(-1)!.response as { cli_state: Record<string, unknown> };
    expect(state.cli_state).toEqual({
      settings: { migration_mode: 'true' },
      isStateCopyCompleted: false,
    });
    expect((await migrationStatus(db.pool, { dir: MIGRATIONS })).map((m) => m.applied)).toEqual([
      false,
      false,
    ]);
  });

  it('should apply migrations as migrate apply does, in the state the project applier reads', async () => {
    await replay('migrate-apply.yaml');
    expect(await columns('widget')).toEqual(['id', 'name', 'created_at', 'owner_id']);
    expect([...(await appliedVersions(db.pool, 'default'))].sort()).toEqual([
      '1700000000000',
      '1700000000100',
    ]);
    expect((await migrationStatus(db.pool, { dir: MIGRATIONS })).every((m) => m.applied)).toBe(
      true,
    );
  });

  it('should revert the newest migration as migrate apply --down 1 does', async () => {
    await replay('migrate-apply-down.yaml');
    expect(await columns('widget')).toEqual(['id', 'name', 'created_at']);
    expect([...(await appliedVersions(db.pool, 'default'))]).toEqual(['1700000000000']);
  });

  it("should show the project applier's migrations to the CLI as applied", async () => {
    expect(await migrateUp(db.pool, { dir: MIGRATIONS })).toEqual(['1700000000100']);
    const before = cli.log.length;
    await replay('migrate-apply-nothing.yaml');
    // nothing to apply: the CLI sends no SQL
    expect(cli.log.slice(before).some((x) => x.path === '/v2/query')).toBe(false);
    expect(await columns('widget')).toContain('owner_id');
  });

  it('should apply, export and reload metadata as the CLI does', async () => {
    await replay('metadata-apply.yaml');
    await replay('metadata-export.yaml');
    const exported = cli.log.at(-1)!.response as { sources: Array<{ tables: unknown[] }> };
    const dir = loadMetadataDir(path.join(PROJECT, 'metadata'));
    expect(exported.sources[0]!.tables).toEqual(dir.sources[0]!.tables);
    await replay('metadata-reload.yaml');
  });

  it('should apply seeds as seed apply does, into the schema the metadata serves', async () => {
    await replay('seed-apply.yaml');
    const r = await fetch(`${engine.url}/v1/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hasura-admin-secret': SECRET,
        'x-hasura-role': 'user',
        'x-hasura-user-id': '2',
      },
      body: JSON.stringify({ query: '{ widget { name owner_id } }' }),
    });
    expect(await r.json()).toEqual({ data: { widget: [{ name: 'gear', owner_id: 2 }] } });
  });

  it('should refuse the CLI requests without the admin secret', async () => {
    for (const p of ['/v1/metadata', '/v1/query', '/v2/query', '/v1alpha1/config']) {
      const r = await fetch(`${engine.url}${p}`, {
        method: p === '/v1alpha1/config' ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        ...(p === '/v1alpha1/config'
          ? {}
          : { body: JSON.stringify({ type: 'export_metadata', args: {} }) }),
      });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({
        error: 'x-hasura-admin-secret/x-hasura-access-key required, but not found',
        path: '$',
        code: 'access-denied',
      });
    }
  });
});

describe('Engine > hasura CLI protocol on the StreamSync project', () => {
  let db2: TestDatabase;
  let engine2: RunningEngine;
  beforeAll(async () => {
    db2 = await createTestDatabase({ prefix: 'clip', empty: true });
    engine2 = await startTestEngine(db2.url, { HASURA_GRAPHQL_ADMIN_SECRET: SECRET });
  });
  afterAll(async () => {
    await engine2?.close();
    await db2?.drop();
  });

  it('should take hasura/ migrations, metadata and seeds the way the CLI sends them', async () => {
    const project = path.join(REPO_ROOT, 'hasura');
    const migrations = await listMigrations({ dir: path.join(project, 'migrations') });
    // the migrate apply fixture's shape, for every migration of the project
    const base = loadFixture('migrate-apply.yaml').steps.filter(
      (s) =>
        !(s.request === 'POST /v2/query') && !JSON.stringify(s.body ?? {}).includes('setMigration'),
    );
    const setup = base.slice(0, base.length - 2); // up to the migration_mode check
    const steps: Step[] = [...setup];
    for (const m of migrations) {
      const rel = path.relative(project, m.upFile);
      steps.push(
        {
          request: 'POST /v2/query',
          body: { type: 'run_sql', args: { sql: { $file: rel }, source: 'default' } },
          expect: { status: 200 },
        },
        {
          request: 'POST /v1/metadata',
          body: { type: 'get_catalog_state', args: {} },
          expect: { status: 200 },
        },
        {
          request: 'POST /v1/metadata',
          body: {
            type: 'set_catalog_state',
            args: {
              type: 'cli',
              state: { $cliState: { setMigration: ['default', m.version, false] } },
            },
          },
          expect: { status: 200, exact: { message: 'success' } },
        },
      );
    }
    const seeds = fs
      .readdirSync(path.join(project, 'seeds', 'default'))
      .filter((f) => f.endsWith('.sql'))
      .sort();
    const fixture: Fixture = {
      command: 'hasura deploy (migrate apply, metadata apply, seed apply) on hasura/',
      steps: [
        ...steps,
        ...loadFixture('metadata-apply.yaml').steps,
        {
          request: 'POST /v2/query',
          body: {
            type: 'bulk',
            args: seeds.map((f) => ({
              type: 'run_sql',
              args: { sql: { $file: `seeds/default/${f}` }, source: 'default' },
            })),
          },
          expect: { status: 200 },
        },
      ],
    };
    const cli2 = new CliReplay(engine2.url, SECRET, project);
    expect(await cli2.run(fixture)).toEqual([]);
    expect([...(await appliedVersions(db2.pool, 'default'))].sort()).toEqual(
      migrations.map((m) => m.version),
    );
    const r = await gql(engine2, '{ entities_aggregate { aggregate { count } } }', undefined, {
      'x-hasura-admin-secret': SECRET,
    });
    expect(r.data!.entities_aggregate.aggregate.count).toBeGreaterThan(0);
  });
});
