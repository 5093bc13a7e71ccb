/**
 * /v1/query insert, update and delete as a role other than admin, on a real Postgres: the role's
 * insert check and presets, update filter, check, columns and presets, delete filter, upserts,
 * backend-only permissions, and Hasura's errors — checked against what the rows really became.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, startTestEngine } from './helpers.ts';

const SECRET = 'v1-dml-secret';
let db: TestDatabase;
let engine: RunningEngine;

const admin = { 'x-hasura-admin-secret': SECRET };
const asUser = (id: string) => ({ ...admin, 'x-hasura-role': 'user', 'x-hasura-user-id': id });
const v1 = (body: unknown, headers: Record<string, string>) =>
  api(engine, '/v1/query', body, headers);

async function notes(): Promise<Array<{ id: number; owner: number; body: string; flag: string }>> {
  const r = await query<{ id: number; owner: number; body: string; flag: string }>(
    db.pool,
    sql`SELECT id, owner, body, flag FROM note ORDER BY id`,
  );
  return r.rows;
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'v1dml', empty: true });
  engine = await startTestEngine(db.url, { HASURA_GRAPHQL_ADMIN_SECRET: SECRET });
  await api(
    engine,
    '/v2/query',
    {
      type: 'run_sql',
      args: {
        sql: `CREATE TABLE note (id int PRIMARY KEY, owner int NOT NULL, body text NOT NULL,
                flag text NOT NULL DEFAULT 'none', secret text, tag text);
              CREATE TABLE audit (id int PRIMARY KEY, what text);
              INSERT INTO note (id, owner, body) VALUES (1, 1, 'one'), (2, 2, 'two');`,
      },
    },
    admin,
  );
  const md = (body: unknown) => api(engine, '/v1/metadata', body, admin);
  const r = await md({
    type: 'bulk',
    args: [
      { type: 'pg_track_table', args: { table: 'note' } },
      { type: 'pg_track_table', args: { table: 'audit' } },
      {
        type: 'pg_create_select_permission',
        args: {
          table: 'note',
          role: 'user',
          permission: { columns: ['id', 'owner', 'body', 'flag'], filter: {} },
        },
      },
      {
        type: 'pg_create_insert_permission',
        args: {
          table: 'note',
          role: 'user',
          permission: {
            check: { owner: { _eq: 'X-Hasura-User-Id' } },
            columns: ['id', 'owner', 'body', 'tag'],
            set: { flag: 'from-user' },
          },
        },
      },
      {
        type: 'pg_create_update_permission',
        args: {
          table: 'note',
          role: 'user',
          permission: {
            columns: ['id', 'owner', 'body'],
            filter: { owner: { _eq: 'X-Hasura-User-Id' } },
            check: { body: { _neq: 'forbidden' } },
            set: { flag: 'edited' },
          },
        },
      },
      {
        type: 'pg_create_delete_permission',
        args: {
          table: 'note',
          role: 'user',
          permission: { filter: { owner: { _eq: 'X-Hasura-User-Id' } } },
        },
      },
      {
        type: 'pg_create_insert_permission',
        args: {
          table: 'audit',
          role: 'user',
          permission: { check: {}, columns: ['id', 'what'], backend_only: true },
        },
      },
    ],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('v1 insert as a role', () => {
  it('should insert with the preset and answer the permitted columns', async () => {
    const r = await v1(
      {
        type: 'insert',
        args: {
          table: 'note',
          objects: [{ id: 10, owner: 1, body: 'ten' }],
          returning: ['id', 'flag'],
        },
      },
      asUser('1'),
    );
    expect(r.body).toEqual({ affected_rows: 1, returning: [{ id: 10, flag: 'from-user' }] });
    expect((await notes()).find((n) => n.id === 10)).toEqual({
      id: 10,
      owner: 1,
      body: 'ten',
      flag: 'from-user',
    });
  });

  it('should refuse a row that fails the check and insert nothing', async () => {
    const r = await v1(
      {
        type: 'insert',
        args: {
          table: 'note',
          objects: [
            { id: 11, owner: 1, body: 'mine' },
            { id: 12, owner: 2, body: 'not mine' },
          ],
        },
      },
      asUser('1'),
    );
    expect(r).toEqual({
      status: 400,
      body: {
        path: '$.args',
        error: 'check constraint of an insert/update permission has failed',
        code: 'permission-error',
      },
    });
    expect((await notes()).map((n) => n.id)).not.toContain(11);
  });

  it('should refuse a preset column, a column outside the permission and returning a hidden one', async () => {
    const preset = await v1(
      {
        type: 'insert',
        args: { table: 'note', objects: [{ id: 13, owner: 1, body: 'x', flag: 'y' }] },
      },
      asUser('1'),
    );
    expect(preset).toEqual({
      status: 400,
      body: {
        path: '$.args.objects[0]',
        error: 'column "flag" is not insertable for role "user"',
        code: 'not-supported',
      },
    });
    const hidden = await v1(
      {
        type: 'insert',
        args: { table: 'note', objects: [{ id: 13, owner: 1, body: 'x', secret: 's' }] },
      },
      asUser('1'),
    );
    expect(hidden.body).toEqual({
      path: '$.args.objects[0]',
      error: 'role "user" does not have permission to insert column "secret"',
      code: 'permission-denied',
    });
    const ret = await v1(
      {
        type: 'insert',
        args: { table: 'note', objects: [{ id: 13, owner: 1, body: 'x' }], returning: ['secret'] },
      },
      asUser('1'),
    );
    expect(ret.body).toEqual({
      path: '$.args.returning[0]',
      error: 'role "user" does not have permission to select column "secret"',
      code: 'permission-denied',
    });
    expect((await notes()).map((n) => n.id)).not.toContain(13);
  });

  it('should upsert only rows the update filter lets through, with the update presets', async () => {
    const upsert = (id: number, owner: number, body: string) =>
      v1(
        {
          type: 'insert',
          args: {
            table: 'note',
            objects: [{ id, owner, body }],
            on_conflict: { constraint: 'note_pkey', action: 'update' },
            returning: ['id', 'body', 'flag'],
          },
        },
        asUser(String(owner)),
      );
    // id 2 belongs to user 2; user 1 may not update it: no row changes
    const other = await v1(
      {
        type: 'insert',
        args: {
          table: 'note',
          objects: [{ id: 2, owner: 1, body: 'stolen' }],
          on_conflict: { constraint: 'note_pkey', action: 'update' },
        },
      },
      asUser('1'),
    );
    expect(other.body).toEqual({ affected_rows: 0 });
    expect((await notes()).find((n) => n.id === 2)?.body).toBe('two');
    // the insert names `tag`, which the update permission does not allow
    const cols = await v1(
      {
        type: 'insert',
        args: {
          table: 'note',
          objects: [{ id: 1, owner: 1, body: 'x', tag: 't' }],
          on_conflict: { constraint: 'note_pkey', action: 'update' },
        },
      },
      asUser('1'),
    );
    expect(cols.body).toEqual({
      path: '$.args.on_conflict',
      error: 'column "tag" is not updatable',
      code: 'validation-failed',
    });
    const own = await upsert(1, 1, 'one again');
    expect(own.body).toEqual({
      affected_rows: 1,
      returning: [{ id: 1, body: 'one again', flag: 'edited' }],
    });
  });

  it('should refuse an upsert without an update permission and an insert without one', async () => {
    const r = await v1(
      {
        type: 'insert',
        args: { table: 'audit', objects: [{ id: 1, what: 'x' }] },
      },
      asUser('1'),
    );
    // the permission is backend-only and the request did not ask for it
    expect(r.body).toEqual({
      path: '$.args',
      error: 'insert on "audit" for role "user" is not allowed. ',
      code: 'permission-denied',
    });
    const backend = await v1(
      { type: 'insert', args: { table: 'audit', objects: [{ id: 1, what: 'x' }] } },
      { ...asUser('1'), 'x-hasura-use-backend-only-permissions': 'true' },
    );
    expect(backend.body).toEqual({ affected_rows: 1 });
    const upsert = await v1(
      {
        type: 'insert',
        args: {
          table: 'audit',
          objects: [{ id: 1, what: 'y' }],
          on_conflict: { constraint: 'audit_pkey', action: 'ignore' },
        },
      },
      { ...asUser('1'), 'x-hasura-use-backend-only-permissions': 'true' },
    );
    expect(upsert.body).toEqual({
      path: '$.args.on_conflict',
      error: 'upsert is not allowed for role "user" since update permissions are not defined',
      code: 'permission-denied',
    });
  });
});

describe('v1 update and delete as a role', () => {
  it('should update only the rows of the filter, with the presets, under the check', async () => {
    const r = await v1(
      {
        type: 'update',
        args: {
          table: 'note',
          $set: { body: 'changed' },
          where: {},
          returning: ['id', 'body', 'flag'],
        },
      },
      asUser('2'),
    );
    expect(r.body).toEqual({
      affected_rows: 1,
      returning: [{ id: 2, body: 'changed', flag: 'edited' }],
    });
    expect((await notes()).find((n) => n.id === 1)?.body).not.toBe('changed');
    const failed = await v1(
      { type: 'update', args: { table: 'note', $set: { body: 'forbidden' }, where: { id: 2 } } },
      asUser('2'),
    );
    expect(failed).toEqual({
      status: 400,
      body: {
        path: '$.args',
        error: 'check constraint of an insert/update permission has failed',
        code: 'permission-error',
      },
    });
    expect((await notes()).find((n) => n.id === 2)?.body).toBe('changed');
  });

  it('should refuse columns outside the permission and preset columns', async () => {
    const owner = await v1(
      { type: 'update', args: { table: 'note', $set: { secret: 's' }, where: {} } },
      asUser('2'),
    );
    expect(owner.body).toEqual({
      path: "$.args['$set']",
      error: 'role "user" does not have permission to update column "secret"',
      code: 'permission-denied',
    });
    const flag = await v1(
      { type: 'update', args: { table: 'note', $set: { flag: 'x' }, where: {} } },
      asUser('2'),
    );
    expect(flag.body).toEqual({
      path: "$.args['$set']",
      error:
        'column "flag" is not updatable for role "user"; its value is predefined in permission',
      code: 'not-supported',
    });
  });

  it('should refuse an update or delete without where, from $', async () => {
    for (const type of ['update', 'delete']) {
      const r = await v1({ type, args: { table: 'note', $set: { body: 'x' } } }, asUser('1'));
      expect(r).toEqual({
        status: 400,
        body: { path: '$', error: 'key "where" not found', code: 'parse-failed' },
      });
    }
  });

  it('should delete only the rows of the filter', async () => {
    const r = await v1(
      { type: 'delete', args: { table: 'note', where: {}, returning: ['id'] } },
      asUser('1'),
    );
    expect(r.body.affected_rows).toBeGreaterThan(0);
    expect(r.body.returning.every((x: { id: number }) => x.id !== 2)).toBe(true);
    expect((await notes()).map((n) => n.owner)).toEqual([2]);
  });

  it('should refuse a role without a delete permission', async () => {
    const r = await v1(
      { type: 'delete', args: { table: 'audit', where: {} } },
      { ...asUser('1'), 'x-hasura-use-backend-only-permissions': 'true' },
    );
    expect(r.body).toEqual({
      path: '$.args',
      error: 'delete on "audit" for role "user" is not allowed. ',
      code: 'permission-denied',
    });
  });
});

describe('/v1/query request shape', () => {
  it('should refuse an unknown version and a body that is not an object', async () => {
    const v = await v1({ type: 'count', version: 3, args: { table: 'note' } }, admin);
    expect(v).toEqual({
      status: 400,
      body: { path: '$.version', error: 'expected 1 or 2, encountered 3', code: 'parse-failed' },
    });
    const s = await v1('type: count', admin);
    expect(s.body).toEqual({
      path: '$',
      error: 'parsing Object failed, expected Object, but encountered String',
      code: 'parse-failed',
    });
  });

  it('should report a string limit at $.limit', async () => {
    const r = await v1(
      { type: 'select', args: { table: 'note', columns: ['id'], limit: '3' } },
      admin,
    );
    expect(r.body).toEqual({
      path: '$.limit',
      error: 'parsing Int failed, expected Number, but encountered String',
      code: 'parse-failed',
    });
  });
});
