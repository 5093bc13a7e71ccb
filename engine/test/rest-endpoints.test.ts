/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
/**
 * Query collections, REST endpoints (`/api/rest/…`), their OpenAPI document and the allow list,
 * against a real Postgres: an endpoint runs its query as the caller's role with variables from the
 * path, the query string, a JSON body or a form; the metadata (export, a CLI metadata directory)
 * carries collections, endpoints and the allow list; with HASURA_GRAPHQL_ENABLE_ALLOWLIST only
 * listed documents run for non-admin roles, per the collection's scope.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

const COLLECTION = {
  name: 'readings',
  definition: {
    queries: [
      {
        name: 'latest',
        query:
          'query ($series: String!, $limit: Int = 2) { points(where: {series: {_eq: $series}}, order_by: {ts: desc}, limit: $limit) { series value } }',
      },
      { name: 'all', query: 'query { points(order_by: {ts: asc}) { series value } }' },
      {
        name: 'add',
        query:
          'mutation ($series: String!, $value: Int!) { insert_points_one(object: {series: $series, value: $value}) { value } }',
      },
    ],
  },
};

const ENDPOINTS = [
  { name: 'latest', url: 'series/:series/latest', methods: ['GET', 'POST'], query: 'latest' },
  { name: 'all', url: 'points', methods: ['GET'], query: 'all' },
  { name: 'add', url: 'points', methods: ['POST'], query: 'add' },
];

async function rest(
  p: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const r = await fetch(`${engine.url}/api/rest/${p}`, {
    method: init.method ?? 'GET',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: r.status, body: (await r.json()) as any };
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_rest' });
  engine = await startTestEngine(db);
  await runSql(
    engine,
    `CREATE TABLE points (id serial PRIMARY KEY, series text NOT NULL, value int NOT NULL,
       ts timestamptz NOT NULL DEFAULT now());
     INSERT INTO points (series, value, ts) VALUES
       ('a', 1, '2026-01-01'), ('a', 2, '2026-01-02'), ('a', 3, '2026-01-03'), ('b', 10, '2026-01-01');`,
  );
  await metadata(engine, { type: 'pg_track_table', args: { table: 'points' } });
  await metadata(engine, {
    type: 'pg_create_select_permission',
    args: {
      table: 'points',
      role: 'viewer',
      permission: { columns: ['series', 'value', 'ts'], filter: { series: { _eq: 'a' } } },
    },
  });
  await metadata(engine, { type: 'create_query_collection', args: COLLECTION });
  for (const e of ENDPOINTS)
    await metadata(engine, {
      type: 'create_rest_endpoint',
      args: {
        name: e.name,
        url: e.url,
        methods: e.methods,
        definition: { query: { collection_name: 'readings', query_name: e.query } },
      },
    });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > REST endpoints', () => {
  it('should take variables from the path and the query string, with the query defaults', async () => {
    expect(await rest('series/a/latest')).toEqual({
      status: 200,
      body: {
        points: [
          { series: 'a', value: 3 },
          { series: 'a', value: 2 },
        ],
      },
    });
    // `limit` is an Int: its text is read as JSON
    expect((await rest('series/a/latest?limit=1')).body).toEqual({
      points: [{ series: 'a', value: 3 }],
    });
  });

  it('should take variables from a JSON body and from a form', async () => {
    const json = await rest('series/a/latest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 1 }),
    });
    expect(json.body).toEqual({ points: [{ series: 'a', value: 3 }] });
    const form = await rest('series/b/latest', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'limit=5',
    });
    expect(form.body).toEqual({ points: [{ series: 'b', value: 10 }] });
  });

  it("should run the query as the caller's role, with its permissions", async () => {
    const r = await rest('points', { headers: { 'x-hasura-role': 'viewer' } });
    expect(r.body.points.map((p: any) => p.series)).toEqual(['a', 'a', 'a']);
    const b = await rest('series/b/latest', { headers: { 'x-hasura-role': 'viewer' } });
    expect(b).toEqual({ status: 200, body: { points: [] } });
  });

  it('should pick the endpoint by method on a shared URL, and run mutations', async () => {
    const added = await rest('points', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ series: 'c', value: 7 }),
    });
    expect(added).toEqual({ status: 200, body: { insert_points_one: { value: 7 } } });
    expect((await rest('series/c/latest')).body).toEqual({ points: [{ series: 'c', value: 7 }] });
  });

  it("should answer Hasura's errors: unknown URL, wrong method, missing variable, role without the field", async () => {
    expect(await rest('nothing/here')).toEqual({
      status: 404,
      body: { path: '$', error: 'Endpoint not found', code: 'not-found' },
    });
    expect(await rest('points', { method: 'DELETE' })).toEqual({
      status: 405,
      body: { path: '$', error: 'Allowed methods: GET, POST', code: 'method-not-allowed' },
    });
    const missing = await rest('points', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ series: 'c' }),
    });
    expect(missing).toEqual({
      status: 400,
      body: {
        path: '$',
        error: 'expecting a value for non-nullable variable: "value"',
        code: 'validation-failed',
      },
    });
    const stranger = await rest('points', { headers: { 'x-hasura-role': 'stranger' } });
    expect(stranger.status).toBe(400);
    expect(stranger.body.code).toBe('validation-failed');
  });

  it('should refuse bad and ambiguous endpoints when they are created', async () => {
    const create = (url: string, name: string) =>
      api(engine, '/v1/metadata', {
        type: 'create_rest_endpoint',
        args: {
          url,
          name,
          methods: ['GET'],
          definition: { query: { collection_name: 'readings', query_name: 'all' } },
        },
      });
    const dup = await create('x/:id/y/:id', 'dup');
    expect(dup.status).toBe(400);
    expect(dup.body.error).toBe('Duplicate variables found in endpoint path: x/:id/y/:id');
    const ambiguous = await create('series/:s/:t', 'ambiguous');
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error).toBe('Ambiguous URL paths: series/:s/:t, series/:series/latest');
    expect(ambiguous.body.code).toBe('invalid-configuration');
  });

  it('should keep collections and endpoints in the exported metadata', async () => {
    const md = await metadata(engine, { type: 'export_metadata', args: {} });
    expect(md.query_collections).toEqual([COLLECTION]);
    expect(md.rest_endpoints.map((e: any) => [e.name, e.url, e.methods])).toEqual(
      ENDPOINTS.map((e) => [e.name, e.url, e.methods]),
    );
  });

  it('should refuse to untrack a table a collection query reads', async () => {
    const r = await api(engine, '/v1/query', {
      type: 'untrack_table',
      args: { table: 'points' },
    });
    expect(r.status).toBe(500);
    expect(r.body.error).toBe('cannot continue due to newly found inconsistent metadata');
    expect(r.body.internal[0].type).toBe('query_collections');
  });

  it('should describe the endpoints in the OpenAPI document', async () => {
    const r = await fetch(`${engine.url}/api/swagger/json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as any;
    expect(doc.openapi).toBe('3.0.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/rest/points',
      '/api/rest/series/{series}/latest',
    ]);
    const get = doc.paths['/api/rest/series/{series}/latest'].get;
    expect(get.parameters.map((p: any) => [p.in, p.name, p.required ?? null])).toEqual([
      ['header', 'x-hasura-admin-secret', null],
      ['path', 'series', true],
      ['query', 'limit', false],
    ]);
    expect(doc.paths['/api/rest/points'].post.requestBody.required).toBe(false);
  });
});

describe('Engine > REST endpoints > from a metadata directory', () => {
  it('should serve the endpoints of query_collections.yaml and rest_endpoints.yaml', async () => {
    const md = await metadata(engine, { type: 'export_metadata', args: {} });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-rest-md-'));
    const dbs = path.join(dir, 'databases');
    fs.mkdirSync(dbs);
    fs.writeFileSync(path.join(dir, 'version.yaml'), 'version: 3\n');
    fs.writeFileSync(path.join(dbs, 'databases.yaml'), JSON.stringify(md.sources));
    fs.writeFileSync(
      path.join(dir, 'query_collections.yaml'),
      JSON.stringify(md.query_collections),
    );
    fs.writeFileSync(path.join(dir, 'rest_endpoints.yaml'), JSON.stringify(md.rest_endpoints));
    const other = await createTestDatabase({ prefix: 'engine_rest_dir' });
    try {
      await other.pool.query(
        "CREATE TABLE points (id serial PRIMARY KEY, series text NOT NULL, value int NOT NULL, ts timestamptz NOT NULL DEFAULT now()); INSERT INTO points (series, value) VALUES ('z', 5)",
      );
      const e2 = await startTestEngine(other, { HASURA_GRAPHQL_METADATA_DIR: dir });
      try {
        const r = await fetch(`${e2.url}/api/rest/series/z/latest`);
        expect(await r.json()).toEqual({ points: [{ series: 'z', value: 5 }] });
      } finally {
        await e2.close();
      }
    } finally {
      await other.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Engine > Allow list', () => {
  let guarded: RunningEngine;
  const as = (role: string) => ({ 'x-hasura-role': role });
  const allowed = 'query { points(order_by: {ts: asc}) { series value } }';

  beforeAll(async () => {
    guarded = await startTestEngine(db, { HASURA_GRAPHQL_ENABLE_ALLOWLIST: 'true' });
    await metadata(guarded, {
      type: 'create_query_collection',
      args: {
        name: 'editors_only',
        definition: { queries: [{ name: 'series', query: 'query { points { series } }' }] },
      },
    });
    await metadata(guarded, {
      type: 'pg_create_select_permission',
      args: { table: 'points', role: 'editor', permission: { columns: ['series'], filter: {} } },
    });
  });

  afterAll(async () => {
    await metadata(guarded, {
      type: 'drop_query_collection',
      args: { collection: 'editors_only', cascade: true },
    });
    await guarded?.close();
  });

  const notAllowed = {
    errors: [
      { message: 'query is not allowed', extensions: { path: '$', code: 'validation-failed' } },
    ],
  };

  it('should refuse documents that are not listed, for every role but admin', async () => {
    expect(await gql(guarded, 'query { points { value } }', undefined, as('viewer'))).toEqual(
      notAllowed,
    );
    const admin = await gql(guarded, 'query { points(limit: 1) { value } }');
    expect(admin.data?.points).toHaveLength(1);
  });

  it('should allow a globally listed collection, whatever the spacing and __typename', async () => {
    await metadata(guarded, {
      type: 'add_collection_to_allowlist',
      args: { collection: 'readings' },
    });
    const r = await gql(
      guarded,
      'query {\n  points(order_by: {ts: asc}) { __typename series value }\n}',
      undefined,
      as('viewer'),
    );
    expect(r.data?.points[0]).toEqual({ __typename: 'points', series: 'a', value: 1 });
    expect((await gql(guarded, allowed, undefined, as('viewer'))).data?.points).toHaveLength(3);
  });

  it('should hold a role-scoped collection to its roles, and follow scope updates', async () => {
    const q = 'query { points { series } }';
    await metadata(guarded, {
      type: 'add_collection_to_allowlist',
      args: { collection: 'editors_only', scope: { global: false, roles: ['editor'] } },
    });
    expect((await gql(guarded, q, undefined, as('editor'))).errors).toBeUndefined();
    expect(await gql(guarded, q, undefined, as('viewer'))).toEqual(notAllowed);
    await metadata(guarded, {
      type: 'update_scope_of_collection_in_allowlist',
      args: { collection: 'editors_only', scope: { global: true } },
    });
    expect((await gql(guarded, q, undefined, as('viewer'))).errors).toBeUndefined();
    await metadata(guarded, {
      type: 'drop_collection_from_allowlist',
      args: { collection: 'editors_only' },
    });
    expect(await gql(guarded, q, undefined, as('editor'))).toEqual(notAllowed);
  });

  it("should answer Hasura's metadata errors", async () => {
    const r = await api(guarded, '/v1/metadata', {
      type: 'drop_collection_from_allowlist',
      args: { collection: 'editors_only' },
    });
    expect(r).toEqual({
      status: 400,
      body: {
        path: '$.args',
        error: 'collection "editors_only" doesn\'t exist in the allowlist',
        code: 'not-found',
      },
    });
    const empty = await api(guarded, '/v1/metadata', {
      type: 'add_collection_to_allowlist',
      args: { collection: 'editors_only', scope: { global: false, roles: [] } },
    });
    expect(empty.body).toEqual({
      path: '$.args.scope.roles',
      error: 'parsing NonEmpty failed, unexpected empty list',
      code: 'parse-failed',
    });
  });
});
