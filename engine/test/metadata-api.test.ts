/**
 * The metadata API (/v1/metadata, /v1/query) and the schema API (/v2/query) on a real Postgres:
 * Hasura's success bodies, error codes, messages and paths, and — for every refused request —
 * that neither the data nor the stored metadata changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

const exported = async () =>
  (await api(engine, '/v1/metadata', { type: 'export_metadata', version: 2, args: {} })).body;

/** Run `fn` and check that the metadata (and its resource_version) did not move. */
async function unchanged(fn: () => Promise<void>): Promise<void> {
  const before = await exported();
  await fn();
  expect(await exported()).toEqual(before);
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'mdapi', empty: true });
  engine = await startTestEngine(db.url);
  await runSql(
    engine,
    `CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, bio text);
     CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));
     INSERT INTO author (name) VALUES ('Ada'), ('Grace');`,
  );
  await metadata(engine, {
    type: 'bulk',
    args: [
      { type: 'pg_track_table', args: { table: 'author' } },
      { type: 'pg_track_table', args: { table: 'article' } },
      {
        type: 'pg_create_object_relationship',
        args: {
          table: 'article',
          name: 'author',
          using: { foreign_key_constraint_on: 'author_id' },
        },
      },
      {
        type: 'pg_create_select_permission',
        args: {
          table: 'author',
          role: 'user',
          permission: { columns: ['id', 'name', 'bio'], filter: {} },
        },
      },
      {
        type: 'pg_create_select_permission',
        args: {
          table: 'article',
          role: 'user',
          permission: { columns: ['id', 'title'], filter: { author: { name: { _eq: 'Ada' } } } },
        },
      },
    ],
  });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > Metadata API', () => {
  it('should export, with resource_version in the v2 form', async () => {
    const v1 = await api(engine, '/v1/query', { type: 'export_metadata', args: {} });
    expect(v1.status).toBe(200);
    expect(v1.body.version).toBe(3);
    expect(v1.body.sources[0].tables.map((t: { table: { name: string } }) => t.table.name)).toEqual(
      ['author', 'article'],
    );
    const v2 = await exported();
    expect(typeof v2.resource_version).toBe('number');
    expect(v2.metadata).toEqual(v1.body);
  });

  it('should refuse operations with Hasura errors and leave the metadata as it was', async () => {
    await unchanged(async () => {
      const missing = await api(engine, '/v1/metadata', {
        type: 'pg_track_table',
        args: { table: 'nope' },
      });
      expect(missing).toEqual({
        status: 400,
        body: {
          error: 'no such table/view exists in source: "nope"',
          path: '$.args',
          code: 'not-exists',
        },
      });
      const again = await api(engine, '/v1/metadata', {
        type: 'pg_track_table',
        args: { table: 'author' },
      });
      expect(again.body).toEqual({
        error: 'view/table already tracked: "author"',
        path: '$.args',
        code: 'already-tracked',
      });
      const badFilter = await api(engine, '/v1/metadata', {
        type: 'pg_create_select_permission',
        args: {
          table: 'author',
          role: 'viewer',
          permission: { columns: '*', filter: { nope: { _eq: 1 } } },
        },
      });
      expect(badFilter.status).toBe(400);
      expect(badFilter.body.code).toBe('invalid-configuration');
      expect(badFilter.body.error).toBe(
        'Inconsistent object: in table "public.author": in permission for role "viewer": "nope" does not exist',
      );
      expect(badFilter.body.internal[0].type).toBe('select_permission');
      const admin = await api(engine, '/v1/metadata', {
        type: 'pg_create_insert_permission',
        args: { table: 'author', role: 'admin', permission: { columns: '*', check: {} } },
      });
      expect(admin.body.error).toContain('cannot define permission for admin role');
      // a failing element rolls back the whole bulk, with the path of the element
      const bulk = await api(engine, '/v1/metadata', {
        type: 'bulk',
        args: [
          {
            type: 'pg_create_select_permission',
            args: { table: 'author', role: 'x', permission: { columns: '*', filter: {} } },
          },
          { type: 'pg_track_table', args: { table: 'nope' } },
        ],
      });
      expect(bulk.body.path).toBe('$.args[1].args');
      const legacy = await api(engine, '/v1/metadata', {
        type: 'track_table',
        args: { table: 'author' },
      });
      expect(legacy.body).toEqual({
        error:
          'unknown metadata command "track_table"; "track" was not recognized as a valid backend name',
        path: '$',
        code: 'parse-failed',
      });
      const untrack = await api(engine, '/v1/metadata', {
        type: 'pg_untrack_table',
        args: { table: 'author' },
      });
      expect(untrack.body).toEqual({
        error:
          'cannot drop due to the following dependent objects: permission article.user.select in source "default", relationship article.author in source "default"',
        path: '$.args',
        code: 'dependency-error',
      });
      const stale = await api(engine, '/v1/metadata', {
        type: 'pg_track_table',
        resource_version: 0,
        args: { table: 'author' },
      });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('conflict');
    });
  });

  it('should refuse inconsistent replace_metadata unless allowed, then report it', async () => {
    const current = (await exported()).metadata;
    const broken = structuredClone(current);
    broken.sources[0].tables.push({ table: { schema: 'public', name: 'ghost' } });
    await unchanged(async () => {
      const r = await api(engine, '/v1/metadata', {
        type: 'replace_metadata',
        version: 2,
        args: { allow_inconsistent_metadata: false, metadata: broken },
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('cannot continue due to inconsistent metadata');
      expect(r.body.code).toBe('unexpected');
      expect(r.body.internal).toEqual([
        {
          definition: { table: { schema: 'public', name: 'ghost' } },
          name: 'table public.ghost in source default',
          reason: 'Inconsistent object: no such table/view exists in source: "public.ghost"',
          type: 'table',
        },
      ]);
    });
    const allowed = await metadata(engine, {
      type: 'replace_metadata',
      version: 2,
      args: { allow_inconsistent_metadata: true, metadata: broken },
    });
    expect(allowed.is_consistent).toBe(false);
    expect(allowed.inconsistent_objects).toHaveLength(1);
    const ic = await metadata(engine, { type: 'get_inconsistent_metadata', args: {} });
    expect(ic.is_consistent).toBe(false);
    expect((await fetch(`${engine.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${engine.url}/healthz`)).text()).toBe(
      'WARN: inconsistent objects in schema',
    );
    expect((await fetch(`${engine.url}/healthz?strict=true`)).status).toBe(500);
    // the rest of the schema is served
    const q = await gql(engine, `{ author(order_by: {id: asc}) { name } }`);
    expect(q.data!.author).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
    expect(await metadata(engine, { type: 'drop_inconsistent_metadata', args: {} })).toEqual({
      message: 'success',
    });
    expect(
      (await metadata(engine, { type: 'get_inconsistent_metadata', args: {} })).is_consistent,
    ).toBe(true);
    expect(await (await fetch(`${engine.url}/healthz`)).text()).toBe('OK');
  });

  it('should reload metadata from storage', async () => {
    const { metadata: md } = await exported();
    md.sources[0].tables = md.sources[0].tables.filter(
      (t: { table: { name: string } }) => t.table.name !== 'article',
    );
    // another writer changes the stored metadata behind the engine's back
    await engine.engine.sync.stop();
    await engine.engine.store.save(md);
    const r = await metadata(engine, { type: 'reload_metadata', args: { reload_sources: true } });
    expect(r).toEqual({ is_consistent: true, message: 'success' });
    const q = await gql(engine, `{ article { id } }`);
    expect(q.errors![0]!.message).toBe("field 'article' not found in type: 'query_root'");
    await metadata(engine, { type: 'pg_track_table', args: { table: 'article' } });
    await metadata(engine, {
      type: 'pg_create_object_relationship',
      args: { table: 'article', name: 'author', using: { foreign_key_constraint_on: 'author_id' } },
    });
    await metadata(engine, {
      type: 'pg_create_select_permission',
      args: {
        table: 'article',
        role: 'user',
        permission: { columns: ['id', 'title'], filter: { author: { name: { _eq: 'Ada' } } } },
      },
    });
  });

  it('should keep only admins on the metadata and schema APIs', async () => {
    const r = await api(
      engine,
      '/v2/query',
      { type: 'run_sql', args: { sql: 'select 1' } },
      { 'x-hasura-role': 'user' },
    );
    // Hasura reports the refusal at the operation's arguments
    expect(r).toEqual({
      status: 400,
      body: { error: 'restricted access : admin only', path: '$.args', code: 'access-denied' },
    });
  });
});

describe('Engine > Schema API (run_sql)', () => {
  it('should answer TuplesOk with a header row and text values, or CommandOk', async () => {
    expect(
      await runSql(
        engine,
        `SELECT 1 AS n, 'x' AS s, NULL::int AS z, true AS b, '{"a":1}'::jsonb AS j`,
      ),
    ).toEqual({
      result_type: 'TuplesOk',
      result: [
        ['n', 's', 'z', 'b', 'j'],
        ['1', 'x', null, 't', '{"a": 1}'],
      ],
    });
    expect(await runSql(engine, `SELECT 1 WHERE false`)).toEqual({
      result_type: 'TuplesOk',
      result: [['?column?']],
    });
    expect(await runSql(engine, `CREATE TABLE scratch (id int); DROP TABLE scratch`)).toEqual({
      result_type: 'CommandOk',
      result: null,
    });
  });

  it('should report SQL errors and roll every statement back', async () => {
    const r = await api(engine, '/v2/query', {
      type: 'run_sql',
      args: { sql: `INSERT INTO author (name) VALUES ('Linus'); SELECT nope FROM author` },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('query execution failed');
    expect(r.body.code).toBe('postgres-error');
    expect(r.body.path).toBe('$');
    expect(r.body.internal.error).toMatchObject({
      exec_status: 'FatalError',
      status_code: '42703',
    });
    const { rows } = await query<{ n: number }>(
      db.pool,
      sql`SELECT count(*)::int AS n FROM author`,
    );
    expect(rows[0]!.n).toBe(2);
    const ro = await api(engine, '/v2/query', {
      type: 'run_sql',
      args: { sql: `INSERT INTO author (name) VALUES ('Linus')`, read_only: true },
    });
    expect(ro.body.internal.error.status_code).toBe('25006');
    const bulk = await api(engine, '/v2/query', {
      type: 'bulk',
      args: [
        { type: 'run_sql', args: { sql: 'select 1' } },
        { type: 'run_sql', args: { sql: 'select nope' } },
      ],
    });
    expect(bulk.body.path).toBe('$[1]');
    const v1 = await api(engine, '/v1/query', {
      type: 'bulk',
      args: [
        { type: 'run_sql', args: { sql: 'select 1' } },
        { type: 'run_sql', args: { sql: 'select nope' } },
      ],
    });
    expect(v1.body.path).toBe('$.args[1].args');
  });

  it('should refuse to drop what metadata depends on, unless cascade', async () => {
    await unchanged(async () => {
      const r = await api(engine, '/v2/query', {
        type: 'run_sql',
        args: { sql: 'ALTER TABLE author DROP COLUMN name' },
      });
      expect(r).toEqual({
        status: 400,
        body: {
          error:
            'cannot drop due to the following dependent objects: permission article.user.select in source "default", permission author.user.select in source "default"',
          path: '$',
          code: 'dependency-error',
        },
      });
    });
    const { rows } = await query<{ n: number }>(
      db.pool,
      sql`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'author' AND column_name = 'name'`,
    );
    expect(rows[0]!.n).toBe(1);
    await api(engine, '/v2/query', {
      type: 'run_sql',
      args: { sql: 'ALTER TABLE author DROP COLUMN bio', cascade: true },
    });
    const md = (await exported()).metadata;
    const author = md.sources[0].tables.find(
      (t: { table: { name: string } }) => t.table.name === 'author',
    );
    expect(author.select_permissions).toEqual([]);
  });

  it('should check metadata only for schema-changing SQL, or as check_metadata_consistency says', async () => {
    const version = async () => (await exported()).resource_version as number;
    const v0 = await version();
    await runSql(
      engine,
      `INSERT INTO author (name) VALUES ('Linus'); DELETE FROM author WHERE name = 'Linus'`,
    );
    await runSql(engine, 'CREATE TABLE scratch2 (id int)');
    expect(await version()).toBe(v0);
    await api(engine, '/v2/query', {
      type: 'run_sql',
      args: { sql: 'COMMENT ON TABLE scratch2 IS NULL', check_metadata_consistency: false },
    });
    expect(await version()).toBe(v0);
    await api(engine, '/v2/query', { type: 'run_sql', args: { sql: 'DROP TABLE scratch2' } });
    expect(await version()).toBe(v0 + 1);
  });

  it('should refuse to drop a relationship a permission goes through, unless cascade', async () => {
    await unchanged(async () => {
      const r = await api(engine, '/v1/metadata', {
        type: 'pg_drop_relationship',
        args: { table: 'article', relationship: 'author' },
      });
      expect(r.body).toEqual({
        error:
          'cannot drop due to the following dependent objects: permission article.user.select in source "default"',
        path: '$.args',
        code: 'dependency-error',
      });
    });
  });

  it('should follow tables and columns renamed by SQL', async () => {
    await runSql(engine, 'ALTER TABLE article RENAME COLUMN title TO headline');
    await runSql(engine, 'ALTER TABLE article RENAME TO post');
    const md = (await exported()).metadata;
    const post = md.sources[0].tables.find(
      (t: { table: { name: string } }) => t.table.name === 'post',
    );
    expect(post.select_permissions[0].permission.columns).toEqual(['id', 'headline']);
    const r = await gql(engine, `{ post { headline author { name } } }`);
    expect(r.errors).toBeUndefined();
    const asUser = await gql(engine, `{ post { headline } }`, undefined, {
      'x-hasura-role': 'user',
    });
    expect(asUser.errors).toBeUndefined();
    expect(
      (await metadata(engine, { type: 'get_inconsistent_metadata', args: {} })).is_consistent,
    ).toBe(true);
  });

  it('should drop a dropped table from metadata, and relationships to it only with cascade', async () => {
    await unchanged(async () => {
      const r = await api(engine, '/v2/query', {
        type: 'run_sql',
        args: { sql: 'DROP TABLE author CASCADE' },
      });
      expect(r.body.code).toBe('dependency-error');
      expect(r.body.error).toContain('relationship post.author in source "default"');
    });
    await api(engine, '/v2/query', { type: 'run_sql', args: { sql: 'DROP TABLE post' } });
    const md = (await exported()).metadata;
    expect(md.sources[0].tables.map((t: { table: { name: string } }) => t.table.name)).toEqual([
      'author',
    ]);
  });
});

describe('Engine > v1 DML (/v1/query, /v2/query)', () => {
  it('should insert, select, update, count and delete rows of a tracked table', async () => {
    const ins = await api(engine, '/v1/query', {
      type: 'insert',
      args: { table: 'author', objects: [{ name: 'Edsger' }, { name: 'Barbara' }] },
    });
    expect(ins.body).toEqual({ affected_rows: 2 });
    const sel = await api(engine, '/v2/query', {
      type: 'select',
      args: {
        table: 'author',
        columns: ['name'],
        where: { name: { _in: ['Edsger', 'Barbara', 'Ada'] } },
        order_by: ['-name'],
        limit: 2,
      },
    });
    expect(sel.body).toEqual([{ name: 'Edsger' }, { name: 'Barbara' }]);
    const upd = await api(engine, '/v2/query', {
      type: 'bulk',
      args: [
        {
          type: 'update',
          args: { table: 'author', where: { name: 'Edsger' }, $set: { name: 'E.W.D.' } },
        },
        { type: 'count', args: { table: 'author', where: { name: { _like: 'E%' } } } },
        {
          type: 'delete',
          args: { table: 'author', where: { name: { _in: ['E.W.D.', 'Barbara'] } } },
        },
      ],
    });
    expect(upd.body).toEqual([{ affected_rows: 1 }, { count: 1 }, { affected_rows: 2 }]);
    const bad = await api(engine, '/v2/query', {
      type: 'select',
      args: { table: 'author', columns: ['nope'] },
    });
    expect(bad.body).toEqual({
      error: 'column "nope" does not exist',
      path: '$.columns[0]',
      code: 'not-exists',
    });
  });
});

describe('Engine > Metadata load', () => {
  it('should refuse a metadata directory with cyclic includes and keep the stored metadata', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-cycle-'));
    fs.writeFileSync(path.join(dir, 'version.yaml'), 'version: 3\n');
    fs.mkdirSync(path.join(dir, 'databases'));
    fs.writeFileSync(
      path.join(dir, 'databases', 'databases.yaml'),
      '- name: default\n  kind: postgres\n  configuration: {}\n  tables: "!include a.yaml"\n',
    );
    fs.writeFileSync(path.join(dir, 'databases', 'a.yaml'), '- "!include b.yaml"\n');
    fs.writeFileSync(path.join(dir, 'databases', 'b.yaml'), '- "!include a.yaml"\n');
    const before = await exported();
    await expect(startTestEngine(db.url, { HASURA_GRAPHQL_METADATA_DIR: dir })).rejects.toThrow(
      /cyclic !include/,
    );
    expect(await exported()).toEqual(before);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('Engine > Metadata API > NonEmptyText', () => {
  it('should refuse an empty name or role at the field, as Hasura parses them', async () => {
    for (const [type, args, key] of [
      ['pg_create_insert_permission', { table: 'author', role: '', permission: {} }, 'role'],
      ['pg_create_object_relationship', { table: 'article', name: '', using: {} }, 'name'],
      ['create_query_collection', { name: '', definition: { queries: [] } }, 'name'],
    ] as const) {
      await unchanged(async () => {
        const r = await api(engine, '/v1/metadata', { type, args });
        expect(r).toEqual({
          status: 400,
          body: { path: `$.${key}`, error: 'empty string not allowed', code: 'parse-failed' },
        });
      });
    }
  });
});
