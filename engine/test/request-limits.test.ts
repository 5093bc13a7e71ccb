/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
/**
 * Request limits (engine/src/limits): a request crafted to hurt is measured on the document as
 * written and refused before any work — the 29-level fragment fan-out, `where` variables
 * nested 1,000 and 100,000 deep, deep selections, huge `_in` lists — with Hasura's error shape,
 * while other clients are served. Hasura's api_limits metadata (depth, nodes, batch, rate, time)
 * is stored, exported and enforced over HTTP and WebSocket; time_limit cancels the statement in
 * Postgres. Admin is held only to the engine's caps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, PROJECT_METADATA, startTestEngine } from './helpers.ts';
import { metric, RawClient, wsUrl } from './live-helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

const viewer: Record<string, string> = { 'x-hasura-role': 'viewer' };

async function post(
  body: string | unknown,
  headers: Record<string, string> = viewer,
  p = '/v1/graphql',
) {
  const r = await fetch(`${engine.url}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
}

const gql = (query: string, variables?: unknown, headers = viewer) =>
  post({ query, variables }, headers).then((r) => {
    expect(r.status).toBe(200);
    return r.body;
  });

const metadata = (body: unknown) => api(engine, '/v1/metadata', body);

/** The document: fragments that each spread the previous one twice. */
function fanout(levels: number): string {
  let q = `query { sensor_readings(limit: 1) { ...F${levels} } }\nfragment F0 on sensor_readings { ts }\n`;
  for (let i = 1; i <= levels; i++)
    q += `fragment F${i} on sensor_readings { ...F${i - 1} ...F${i - 1} }\n`;
  return q;
}

/** A request body whose `where` variable nests `n` `_and`s (built as text: no recursion here). */
const deepWhereBody = (n: number) =>
  `{"query":"query ($w: sensor_readings_bool_exp) { sensor_readings(where: $w, limit: 1) { ts } }","variables":{"w":${'{"_and":['.repeat(n)}{"ts":{"_is_null":false}}${']}'.repeat(n)}}}`;

const good = async () => (await gql('{ entities(limit: 1, order_by: {key: asc}) { key } }')).data;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_limits' });
  engine = await startTestEngine(db, PROJECT_METADATA);
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > Request limits > Hostile documents', () => {
  it('should refuse the 29-level fragment fan-out by its node count, and serve the next client', async () => {
    const refusals = await metric(engine, 'engine_limit_refusals_total', { kind: 'nodes' });
    const r = await gql(fanout(29));
    expect(r).toEqual({
      errors: [
        {
          message:
            'the query has 536870913 nodes (fields, counted through fragments), more than the limit of 1000',
          extensions: { path: '$', code: 'validation-failed' },
        },
      ],
    });
    expect(await good()).toEqual({ entities: [{ key: expect.any(String) }] });
    expect(await metric(engine, 'engine_limit_refusals_total', { kind: 'nodes' })).toBe(
      refusals + 1,
    );
  });

  it('should hold admin to the engine s node cap though admin has no policy limits', async () => {
    const r = await gql(fanout(29), undefined, {});
    expect(r.errors[0].extensions.code).toBe('validation-failed');
    expect(r.errors[0].message).toMatch(/more than the limit of 2000$/);
    // a fan-out within the cap still runs, merged as Hasura merges it
    const ok = await gql(fanout(8), undefined, {});
    expect(ok.data.sensor_readings).toEqual([]);
  });

  it('should answer a where variable nested 1,000 and 100,000 deep with a validation error', async () => {
    for (const n of [1000, 100_000]) {
      const r = await post(deepWhereBody(n));
      expect(r.body).toEqual({
        errors: [
          {
            message: 'an input value nests more than 32 levels',
            extensions: { path: '$.variables.w', code: 'validation-failed' },
          },
        ],
      });
    }
  });

  it('should refuse deep JSON in a jsonb variable and deep literals in the document', async () => {
    const deepJson = `{"query":"query ($v: jsonb) { entities(where: {attributes: {_contains: $v}}) { id } }","variables":{"v":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`;
    expect((await post(deepJson)).body.errors[0]).toEqual({
      message: 'an input value nests more than 32 levels',
      extensions: { path: '$.variables.v', code: 'validation-failed' },
    });
    const literal = `{ entities(where: ${'{_and: ['.repeat(60)}{id: {_eq: 1}}${']}'.repeat(60)}) { id } }`;
    expect((await gql(literal)).errors[0]).toEqual({
      message: 'an input value nests more than 32 levels',
      extensions: { path: '$.query', code: 'validation-failed' },
    });
  });

  it('should refuse selections nested past the caps, however they are nested', async () => {
    let sel = 'ts';
    for (let i = 0; i < 2000; i++) sel = `entity { sensor_readings(limit: 1) { ${sel} } }`;
    expect((await gql(`{ sensor_readings(limit: 1) { ${sel} } }`)).errors[0]).toEqual({
      message: 'the query nests more than 256 levels',
      extensions: { path: '$.query', code: 'validation-failed' },
    });
    // a chain of 5,000 fragments, each spreading the next: no recursion over the chain
    let frags = '';
    for (let i = 0; i < 5000; i++) frags += `fragment G${i} on entities { ...G${i + 1} }\n`;
    frags += 'fragment G5000 on entities { id }\n';
    const chain = await gql(`{ entities(limit: 1) { ...G0 } }\n${frags}`);
    expect(chain.errors[0]).toEqual({
      message: 'the query nests more than 256 levels',
      extensions: { path: '$.query', code: 'validation-failed' },
    });
    // viewer's default depth limit
    let twelve = 'id';
    for (let i = 0; i < 6; i++) twelve = `sensor_readings(limit: 1) { entity { ${twelve} } }`;
    expect((await gql(`{ entities(limit: 1) { ${twelve} } }`)).errors[0].message).toBe(
      'the query has a depth of 14, more than the limit of 12',
    );
  });

  it('should refuse an _in list past the list cap and run one within it', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => i);
    const q = 'query ($ids: [bigint!]) { entities(where: {id: {_in: $ids}}) { id } }';
    expect((await gql(q, { ids })).errors[0]).toEqual({
      message: 'an input list has 20000 elements, more than the limit of 10000',
      extensions: { path: '$.variables.ids', code: 'validation-failed' },
    });
    const within = await gql(q, { ids: ids.slice(0, 5000) });
    expect(within.data.entities.length).toBeGreaterThan(0);
  });

  it('should refuse the same documents over WebSocket', async () => {
    const c = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
    await c.init(viewer);
    c.send({
      id: '1',
      type: 'subscribe',
      payload: { query: fanout(29).replace('query', 'subscription') },
    });
    c.send({ id: '2', type: 'subscribe', payload: { query: fanout(29) } });
    const e1 = await c.until(() => c.of('1').find((f) => f.type === 'error'), 'error 1');
    const e2 = await c.until(() => c.of('2').find((f) => f.type === 'error'), 'error 2');
    for (const e of [e1, e2]) {
      expect((e.payload as any)[0].message).toMatch(/^the query has 536870913 nodes/);
    }
    c.send({ id: '3', type: 'subscribe', payload: { query: '{ entities(limit: 1) { id } }' } });
    const next = await c.until(() => c.of('3').find((f) => f.type === 'next'), 'data 3');
    expect((next.payload as any).data.entities).toHaveLength(1);
    c.close();
  });
});

describe('Engine > Request limits > api_limits metadata', () => {
  it('should store set_api_limits, export it, and enforce per-role depth and node limits', async () => {
    const limits = {
      depth_limit: { global: 5, per_role: { viewer: 3 } },
      node_limit: { global: 50, per_role: { viewer: 3 } },
    };
    expect((await metadata({ type: 'set_api_limits', args: limits })).body).toEqual({
      message: 'success',
    });
    const exported = (await metadata({ type: 'export_metadata', args: {} })).body;
    expect(exported.api_limits).toEqual({ disabled: false, ...limits });
    expect(
      (await gql('{ entities(limit: 1) { sensor_readings(limit: 1) { ts } } }')).data,
    ).toBeDefined();
    const deep = await gql(
      '{ entities(limit: 1) { sensor_readings(limit: 1) { entity { id } } } }',
    );
    expect(deep.errors[0].message).toBe('the query has a depth of 4, more than the limit of 3');
    const wide = await gql('{ entities(limit: 1) { a: id b: id c: id d: id } }');
    expect(wide.errors[0].message).toBe(
      'the query has 5 nodes (fields, counted through fragments), more than the limit of 3',
    );
    // another role gets the global limit; admin none of them
    const user = { 'x-hasura-role': 'user', 'x-hasura-user-id': 'u1' };
    expect(
      (await gql('{ entities(limit: 1) { a: id b: id c: id d: id } }', undefined, user)).data,
    ).toBeDefined();
    expect(
      (
        await gql(
          '{ entities(limit: 1) { id sensor_readings(limit: 1) { entity { sensor_readings(limit: 1) { entity { id } } } } } }',
          undefined,
          user,
        )
      ).errors[0].message,
    ).toBe('the query has a depth of 6, more than the limit of 5');
    expect(
      (
        await gql(
          '{ entities(limit: 1) { id sensor_readings(limit: 1) { entity { sensor_readings(limit: 1) { entity { id } } } } } }',
          undefined,
          {},
        )
      ).data,
    ).toBeDefined();
  });

  it('should enforce batch_limit and answer a batch within it', async () => {
    await metadata({ type: 'set_api_limits', args: { batch_limit: { global: 2 } } });
    const q = { query: '{ entities(limit: 1) { id } }' };
    const over = await post([q, q, q]);
    expect(over.body).toEqual({
      errors: [
        {
          message: 'too many requests in one batch (limit 2)',
          extensions: { path: '$', code: 'bad-request' },
        },
      ],
    });
    const within = await post([q, q]);
    expect(within.body).toHaveLength(2);
  });

  it('should count operations per minute per role and client, over HTTP and WebSocket', async () => {
    await metadata({
      type: 'set_api_limits',
      args: {
        rate_limit: {
          global: { max_reqs_per_min: 1000 },
          per_role: { user: { max_reqs_per_min: 3, unique_params: ['x-hasura-user-id'] } },
        },
      },
    });
    const u = (id: string) => ({ 'x-hasura-role': 'user', 'x-hasura-user-id': id });
    const q = '{ entities(limit: 1) { id } }';
    for (let i = 0; i < 3; i++) expect((await gql(q, undefined, u('rate-a'))).data).toBeDefined();
    const refused = await gql(q, undefined, u('rate-a'));
    expect(refused.errors[0]).toEqual({
      message: 'rate limit exceeded: at most 3 operations per minute',
      extensions: { path: '$', code: 'bad-request' },
    });
    // another user has a count of its own; v1alpha1 keeps the real status
    expect((await gql(q, undefined, u('rate-b'))).data).toBeDefined();
    expect((await post({ query: q }, u('rate-a'), '/v1alpha1/graphql')).status).toBe(429);
    const c = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
    await c.init(u('rate-b'));
    for (const id of ['1', '2', '3']) c.send({ id, type: 'subscribe', payload: { query: q } });
    const err = await c.until(() => c.frames.find((f) => f.type === 'error'), 'rate error');
    expect((err.payload as any)[0].message).toBe(
      'rate limit exceeded: at most 3 operations per minute',
    );
    c.close();
  });

  it('should cancel the statement in Postgres at time_limit', async () => {
    // a view that takes 5 s per row, readable by viewer
    await api(engine, '/v2/query', {
      type: 'run_sql',
      args: {
        sql: 'CREATE VIEW public.slow_rows AS SELECT g AS n, pg_sleep(5) IS NULL AS slept FROM generate_series(1, 3) g',
      },
    });
    expect((await metadata({ type: 'pg_track_table', args: { table: 'slow_rows' } })).status).toBe(
      200,
    );
    await metadata({
      type: 'pg_create_select_permission',
      args: { table: 'slow_rows', role: 'viewer', permission: { columns: ['n'], filter: {} } },
    });
    await metadata({ type: 'set_api_limits', args: { time_limit: { global: 1 } } });
    const started = Date.now();
    const r = await gql('{ slow_rows { n } }');
    expect(r).toEqual({
      errors: [
        {
          message: 'the operation exceeded the time limit of 1 seconds',
          extensions: { path: '$', code: 'timeout' },
        },
      ],
    });
    expect(Date.now() - started).toBeLessThan(4000);
    const running = await api(engine, '/v2/query', {
      type: 'run_sql',
      args: {
        sql: "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%slow_rows%' AND state = 'active' AND pid <> pg_backend_pid()",
      },
    });
    expect(running.body.result[1]).toEqual(['0']);
    expect(await metric(engine, 'engine_limit_refusals_total', { kind: 'time' })).toBeGreaterThan(
      0,
    );
    // the next statement on the same pooled connections runs to its end
    expect(await good()).toBeDefined();
  });

  it('should refuse bad api_limits with Hasura s parse errors, and remove them', async () => {
    const bad = await metadata({ type: 'set_api_limits', args: { depth_limit: { per_role: {} } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: 'key "global" not found',
      path: '$.args.depth_limit',
      code: 'parse-failed',
    });
    const badIp = await metadata({
      type: 'set_api_limits',
      args: { rate_limit: { global: { max_reqs_per_min: 1, unique_params: ['x-hasura-role'] } } },
    });
    expect(badIp.body.error).toBe(
      "Not a valid value. Should be either: 'IP' or a list of Hasura session variables",
    );
    const exported = (await metadata({ type: 'export_metadata', args: {} })).body;
    const replaced = await metadata({
      type: 'replace_metadata',
      args: { ...exported, api_limits: { node_limit: { global: 'many' } } },
    });
    expect(replaced.body).toEqual({
      error: 'parsing Int failed, expected Number, but encountered String',
      path: '$.args.api_limits.node_limit.global',
      code: 'parse-failed',
    });
    expect((await metadata({ type: 'remove_api_limits', args: {} })).body).toEqual({
      message: 'success',
    });
    expect((await metadata({ type: 'export_metadata', args: {} })).body.api_limits).toBeUndefined();
    // the defaults for non-admin roles hold again
    const wide = Array.from({ length: 1001 }, (_, i) => `a${i}: id`).join(' ');
    expect((await gql(`{ entities(limit: 1) { ${wide} } }`)).errors[0].message).toMatch(
      /more than the limit of 1000$/,
    );
  });
});

describe('Engine > Request limits > Persisted queries and request shape', () => {
  it('should answer GET /v1/graphql and a hash-only request as Hasura CE does', async () => {
    const expected = {
      errors: [
        { message: 'PersistedQueryNotSupported', extensions: { path: '$', code: 'not-supported' } },
      ],
    };
    const g = await fetch(
      `${engine.url}/v1/graphql?extensions=${encodeURIComponent('{"persistedQuery":{"version":1,"sha256Hash":"x"}}')}`,
    );
    expect(g.status).toBe(200);
    expect(await g.json()).toEqual(expected);
    const hashOnly = await post({
      operationName: 'Q',
      variables: {},
      extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
    });
    expect(hashOnly).toEqual({ status: 200, body: expected });
    // with the query too, Hasura's other answer (conformance: select_query_with_extensions)
    const both = await post({
      query: '{ entities { id } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } },
    });
    expect(both.body.errors[0].message).toBe('Automatic Persisted Queries is not enabled');
  });

  it('should refuse variables that are not an object, and accept null', async () => {
    for (const [v, kind] of [
      ['x', 'String'],
      [[1], 'Array'],
      [3, 'Number'],
      [true, 'Boolean'],
    ] as const) {
      expect((await post({ query: '{ entities(limit: 1) { id } }', variables: v })).body).toEqual({
        errors: [
          {
            message: `parsing HashMap failed, expected Object, but encountered ${kind}`,
            extensions: { path: '$.variables', code: 'parse-failed' },
          },
        ],
      });
    }
    expect(
      (await post({ query: '{ entities(limit: 1) { id } }', variables: null })).body.data,
    ).toBeDefined();
  });
});
