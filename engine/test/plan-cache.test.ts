/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
/**
 * The plan cache of /v1/graphql: a repeated operation is answered from its cached plan (counted in
 * /metrics), a cached plan is never used for another role, after a metadata change, or for
 * variable values that would have planned differently; and whatever the cache holds, every
 * answer is the one an engine without a cache gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

let db: TestDatabase;
let cached: RunningEngine;
let uncached: RunningEngine;

async function post(
  e: RunningEngine,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ text: string; headers: Headers }> {
  const r = await fetch(`${e.url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  return { text: await r.text(), headers: r.headers };
}

async function gql(
  e: RunningEngine,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<any> {
  return JSON.parse((await post(e, { query, variables }, headers)).text);
}

async function metadata(e: RunningEngine, body: unknown): Promise<void> {
  const r = await fetch(`${e.url}/v1/metadata`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, await r.clone().text()).toBe(200);
}

/** hits and misses of the plan cache, from the Prometheus text of /metrics */
async function cacheCounts(e: RunningEngine): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${e.url}/metrics`)).text();
  const read = (name: string) => {
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return {
    hits: read('engine_plan_cache_hits_total'),
    misses: read('engine_plan_cache_misses_total'),
  };
}

const viewer = { 'x-hasura-role': 'viewer' };
const asUser = (id: string) => ({ 'x-hasura-role': 'user', 'x-hasura-user-id': id });

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_plan_cache' });
  cached = await startTestEngine(db, PROJECT_METADATA);
  // the reference: the same metadata (already stored), no plan cache at all
  uncached = await startTestEngine(db, { STREAMSYNC_ENGINE_PLAN_CACHE_SIZE: '0' });
});

afterAll(async () => {
  await cached?.close();
  await uncached?.close();
  await db?.drop();
});

describe('Engine > Plan cache', () => {
  it('should answer a repeated operation from its cached plan', async () => {
    const q = 'query Keys($k: String!) { entities(where: {key: {_eq: $k}}) { key kind } }';
    const c0 = await cacheCounts(cached);
    const a = await gql(cached, q, { k: 'BTC-USD' }, viewer);
    const c1 = await cacheCounts(cached);
    const b = await gql(cached, q, { k: 'ETH-USD' }, viewer);
    const c2 = await cacheCounts(cached);
    expect(a.data.entities).toEqual([{ key: 'BTC-USD', kind: 'instrument' }]);
    expect(b.data.entities).toEqual([{ key: 'ETH-USD', kind: 'instrument' }]);
    expect(c1).toEqual({ hits: c0.hits, misses: c0.misses + 1 });
    expect(c2).toEqual({ hits: c1.hits + 1, misses: c1.misses });
  });

  it('should plan again for another role, and apply that role s permissions', async () => {
    const q = '{ entities(order_by: {key: asc}) { owner_id } }';
    const asViewer = await gql(cached, q, undefined, viewer);
    const c0 = await cacheCounts(cached);
    const asUser2 = await gql(cached, q, undefined, asUser('2'));
    const c1 = await cacheCounts(cached);
    expect(c1.misses).toBe(c0.misses + 1);
    expect(asViewer.data.entities.length).toBe(58);
    expect(asUser2.data.entities.length).toBeGreaterThan(0);
    expect(asUser2.data.entities.every((e: any) => e.owner_id === '2')).toBe(true);
    // the session variable is a parameter of the one plan of the role, never part of it
    const asUser3 = await gql(cached, q, undefined, asUser('3'));
    expect(asUser3.data.entities.every((e: any) => e.owner_id === '3')).toBe(true);
    expect((await cacheCounts(cached)).hits).toBe(c1.hits + 1);
  });

  it('should not use a cached plan after a metadata change', async () => {
    const q = '{ market_trades_aggregate { aggregate { count } } }';
    const before = await gql(cached, q, undefined, viewer);
    expect(before.errors).toBeUndefined();
    await gql(cached, q, undefined, viewer); // now cached
    await metadata(cached, {
      type: 'pg_drop_select_permission',
      args: {
        source: 'default',
        table: { schema: 'public', name: 'market_trades' },
        role: 'viewer',
      },
    });
    const c0 = await cacheCounts(cached);
    const dropped = await gql(cached, q, undefined, viewer);
    expect(dropped.errors[0]).toEqual({
      message: "field 'market_trades_aggregate' not found in type: 'query_root'",
      extensions: { path: '$.selectionSet.market_trades_aggregate', code: 'validation-failed' },
    });
    expect((await cacheCounts(cached)).hits).toBe(c0.hits);
    // a narrower permission: the new plan carries its filter
    await metadata(cached, {
      type: 'pg_create_select_permission',
      args: {
        source: 'default',
        table: { schema: 'public', name: 'market_trades' },
        role: 'viewer',
        permission: {
          columns: ['price'],
          filter: { price: { _lt: -1 } },
          allow_aggregations: true,
        },
      },
    });
    const narrowed = await gql(cached, q, undefined, viewer);
    expect(narrowed.errors).toBeUndefined();
    expect(narrowed.data.market_trades_aggregate.aggregate.count).toBe(0);
  });

  // Sequences of requests of one operation whose variable values would plan differently: null,
  // absent (default value), a field skipped by one value and not by the next. Each answer must be
  // the uncached engine's.
  const sequences: Array<{
    name: string;
    query: string;
    steps: Array<Record<string, unknown>>;
    headers?: Array<Record<string, string>>;
  }> = [
    {
      name: 'a nullable scalar variable: a value, then null, then absent',
      query:
        'query ($k: String) { entities(where: {key: {_eq: $k}}, order_by: {key: asc}) { key } }',
      steps: [{ k: 'BTC-USD' }, { k: null }, {}, { k: 'ETH-USD' }],
    },
    {
      name: 'a scalar variable with a default: a value, then absent, then null',
      query:
        'query ($k: String = "SOL-USD") { entities(where: {key: {_eq: $k}}, order_by: {key: asc}) { key } }',
      steps: [{ k: 'BTC-USD' }, {}, { k: null }, { k: 'AAPL' }],
    },
    {
      name: 'a where object variable with a default: a value, then absent, then null',
      query:
        'query ($w: entities_bool_exp = {key: {_eq: "AAPL"}}) { entities(where: $w, order_by: {key: asc}) { key } }',
      steps: [{ w: { key: { _eq: 'BTC-USD' } } }, {}, { w: null }, { w: { key: { _eq: 'MSFT' } } }],
    },
    {
      name: 'a field skipped by the first request, with a where object variable',
      query:
        'query ($s: Boolean!, $w: entities_bool_exp) { entities(where: $w, order_by: {key: asc}) @skip(if: $s) { key } }',
      steps: [
        { s: true, w: { key: { _eq: 'BTC-USD' } } },
        { s: false, w: { key: { _eq: 'BTC-USD' } } },
        { s: false, w: { key: { _eq: 'ETH-USD' } } },
      ],
    },
    {
      name: 'a nullable limit: a value, null, absent, a bad value',
      query: 'query ($l: Int) { entities(order_by: {key: asc}, limit: $l) { key } }',
      steps: [{ l: 1 }, { l: null }, {}, { l: 'x' }, { l: 2 }],
    },
    {
      name: 'a permission filter whose session variable comes and goes',
      query: '{ entities(order_by: {key: asc}) { key } }',
      steps: [{}, {}, {}],
      headers: [asUser('1'), { 'x-hasura-role': 'user' }, asUser('4')],
    },
  ];

  for (const s of sequences) {
    it(`should answer as an uncached engine does: ${s.name}`, async () => {
      for (const [i, variables] of s.steps.entries()) {
        const headers = s.headers?.[i] ?? viewer;
        const want = await post(uncached, { query: s.query, variables }, headers);
        const got = await post(cached, { query: s.query, variables }, headers);
        expect(got.text, `step ${i}: ${JSON.stringify(variables)}`).toBe(want.text);
      }
    });
  }
});

describe('Engine > Plan cache > Subscriptions', () => {
  it('should give each subscriber the plan of its own variable values', async () => {
    const c = await RawClient.open(wsUrl(cached), 'graphql-transport-ws');
    try {
      expect((await c.init(viewer)).type).toBe('connection_ack');
      const skip = `subscription ($s: Boolean!, $w: entities_bool_exp) @_multiple_top_level_fields {
        all: entities_aggregate { aggregate { count } }
        entities(where: $w) @skip(if: $s) { key } }`;
      const dflt =
        'subscription ($k: String = "SOL-USD") { entities(where: {key: {_eq: $k}}) { key } }';
      const subscribe = async (id: string, query: string, variables: Record<string, unknown>) => {
        c.send({ id, type: 'subscribe', payload: { query, variables } });
        const f = await c
          .until(() => c.of(id).find((x) => x.type === 'next'), `next for ${id}`, 5000)
          .catch((e) => {
            throw new Error(`${e}: ${JSON.stringify(c.frames)}`);
          });
        return (f.payload as { data: unknown }).data;
      };
      const all = { aggregate: { count: 58 } };
      expect(await subscribe('a', skip, { s: true, w: { key: { _eq: 'BTC-USD' } } })).toEqual({
        all,
      });
      expect(await subscribe('b', skip, { s: false, w: { key: { _eq: 'BTC-USD' } } })).toEqual({
        all,
        entities: [{ key: 'BTC-USD' }],
      });
      expect(await subscribe('c', skip, { s: false, w: { key: { _eq: 'ETH-USD' } } })).toEqual({
        all,
        entities: [{ key: 'ETH-USD' }],
      });
      expect(await subscribe('d', dflt, { k: 'BTC-USD' })).toEqual({
        entities: [{ key: 'BTC-USD' }],
      });
      expect(await subscribe('e', dflt, {})).toEqual({ entities: [{ key: 'SOL-USD' }] });
    } finally {
      c.close();
    }
  });
});

describe('Engine > Root fields', () => {
  it('should place each root field s value under its own key, with __typename among them', async () => {
    const r = await gql(
      cached,
      `{ a: __typename b: entities(where: {key: {_eq: "BTC-USD"}}) { key } c: __typename
         d: entities_aggregate(where: {key: {_eq: "ETH-USD"}}) { aggregate { count } } }`,
      undefined,
      viewer,
    );
    expect(r).toEqual({
      data: {
        a: 'query_root',
        b: [{ key: 'BTC-USD' }],
        c: 'query_root',
        d: { aggregate: { count: 1 } },
      },
    });
  });
});

describe('Engine > HTTP responses', () => {
  it('should send a Content-Length and no chunked encoding', async () => {
    const r = await post(cached, { query: '{ entities(limit: 3) { key } }' }, viewer);
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(r.text)));
    expect(r.headers.get('transfer-encoding')).toBeNull();
  });
});

describe('Engine > Explain', () => {
  const explain = async (body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${cached.url}/v1/graphql/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };

  it('should give each root field s statement, plan and arguments, session values as parameters', async () => {
    const evil = "1' OR '1'='1";
    const r = await explain({
      query: {
        query: 'query ($k: String!) { entities(where: {key: {_eq: $k}}) { key } __typename }',
        variables: { k: 'BTC-USD' },
      },
      user: { 'X-Hasura-Role': 'user', 'x-hasura-user-id': evil },
    });
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(2);
    const [entities, typename] = r.body;
    expect(entities.field).toBe('entities');
    expect(entities.sql).toMatch(/^SELECT /);
    expect(entities.sql).not.toContain(evil);
    expect(entities.sql).not.toContain('BTC-USD');
    expect(entities.prepared_arguments).toContain(evil);
    expect(entities.prepared_arguments).toContain('BTC-USD');
    expect(entities.plan.length).toBeGreaterThan(0);
    expect(typename).toEqual({ field: '__typename', sql: null, plan: null });
  });

  it('should refuse mutations and non-admin callers as Hasura does', async () => {
    const m = await explain({
      query: { query: 'mutation { delete_entities(where: {}) { affected_rows } }' },
    });
    expect(m).toEqual({
      status: 400,
      body: { error: 'only queries can be explained', path: '$', code: 'invalid-params' },
    });
    const v = await explain({ query: { query: '{ entities { key } }' } }, viewer);
    expect(v).toEqual({
      status: 400,
      body: { error: 'restricted access : admin only', path: '$', code: 'access-denied' },
    });
  });
});
