/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;
let stringified: RunningEngine;

async function gql(
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
  e = engine,
) {
  const r = await fetch(`${e.url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as {
    data?: Record<string, any>;
    errors?: Array<{ message: string; extensions: { path: string; code: string } }>;
  };
}

const asUser = (id: string) => ({ 'x-hasura-role': 'user', 'x-hasura-user-id': id });

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine' });
  // two sensors of different owners, a few readings and hourly rollups each
  await query(
    db.pool,
    sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature, humidity)
        SELECT e.id, now() - make_interval(mins => g), 20 + g, 50
          FROM public.entities e, generate_series(1, 5) g WHERE e.key IN ('sensor-0001', 'sensor-0011')`,
  );
  await query(
    db.pool,
    sql`INSERT INTO public.rollups_1h (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
        SELECT 'sensor_readings', e.id, 'temperature', date_trunc('hour', now()) - make_interval(hours => g), 4, 1, 9, 20, 5, now()
          FROM public.entities e, generate_series(0, 3) g WHERE e.key IN ('sensor-0001', 'sensor-0011')`,
  );
  engine = await startTestEngine(db, PROJECT_METADATA);
  stringified = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES: 'true',
  });
});

afterAll(async () => {
  await engine?.close();
  await stringified?.close();
  await db?.drop();
});

describe('Engine > Queries', () => {
  it('should select, filter, order, limit and aggregate as admin', async () => {
    const r = await gql(`{
      entities(where: {kind: {_eq: "sensor"}}, order_by: {key: asc}, limit: 2) { key owner_id }
      entities_aggregate(where: {kind: {_eq: "instrument"}}) { aggregate { count max { key } } }
    }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.entities).toEqual([
      { key: 'sensor-0001', owner_id: '1' },
      { key: 'sensor-0002', owner_id: '1' },
    ]);
    expect(r.data!.entities_aggregate.aggregate).toEqual({ count: 8, max: { key: 'SOL-USD' } });
  });

  it('should follow relationships both ways with nested aggregates', async () => {
    const r = await gql(`{
      entities(where: {key: {_eq: "sensor-0001"}}) {
        key
        sensor_readings(order_by: {ts: desc}, limit: 2) { temperature entity { key } }
        sensor_readings_aggregate { aggregate { count avg { temperature } } }
      }
    }`);
    expect(r.errors).toBeUndefined();
    const e = r.data!.entities[0];
    expect(e.sensor_readings).toEqual([
      { temperature: 21, entity: { key: 'sensor-0001' } },
      { temperature: 22, entity: { key: 'sensor-0001' } },
    ]);
    expect(e.sensor_readings_aggregate.aggregate).toEqual({ count: 5, avg: { temperature: 23 } });
  });

  it('should serve computed fields and tracked functions', async () => {
    const ids = await gql(`{ entities(where: {key: {_eq: "sensor-0001"}}) { id } }`);
    const id = ids.data!.entities[0].id as number;
    const r = await gql(
      `query ($id: bigint!) {
        rollups_1h(where: {entity_id: {_eq: $id}}, order_by: {bucket: asc}, limit: 1) { avg count }
        bucketed_series(args: {stream: "sensor_readings", entity_id: $id, metric: "temperature",
          from_ts: "2000-01-01T00:00:00Z", to_ts: "2100-01-01T00:00:00Z", bucket_width: "1 day"}) { count }
      }`,
      { id },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.rollups_1h).toEqual([{ avg: 5, count: 4 }]);
    expect(
      r.data!.bucketed_series.reduce((n: number, b: { count: number }) => n + b.count, 0),
    ).toBe(16);
  });

  it('should stringify bigint, numeric and float8 when configured', async () => {
    const r = await gql(
      `{ entities(limit: 1, order_by: {id: asc}) { id } rollups_1h(limit: 1) { sum count } }`,
      undefined,
      {},
      stringified,
    );
    expect(typeof r.data!.entities[0].id).toBe('string');
    expect(r.data!.rollups_1h[0]).toEqual({ sum: '20', count: '4' });
  });

  it('should answer batches with one response per request', async () => {
    const res = await fetch(`${engine.url}/v1/graphql`, {
      method: 'POST',
      body: JSON.stringify([{ query: '{ pipelines { name } }' }, { query: '{ nope }' }]),
    });
    const body = (await res.json()) as Array<{ data?: unknown; errors?: unknown }>;
    expect(body).toHaveLength(2);
    expect(body[0]!.data).toBeDefined();
    expect(body[1]!.errors).toBeDefined();
  });

  it('should reuse one plan for different variable values', async () => {
    const q = 'query ($k: String!) { entities(where: {key: {_eq: $k}}) { key } }';
    const before = engine.engine.state.plans.size;
    const a = await gql(q, { k: 'BTC-USD' });
    const b = await gql(q, { k: 'ETH-USD' });
    expect(a.data!.entities).toEqual([{ key: 'BTC-USD' }]);
    expect(b.data!.entities).toEqual([{ key: 'ETH-USD' }]);
    expect(engine.engine.state.plans.size).toBe(before + 1);
  });
});

describe('Engine > Permissions', () => {
  it('should show a user only the rows of the entities they own', async () => {
    const r = await gql(
      `{ entities { owner_id } sensor_readings { entity { owner_id } } }`,
      undefined,
      asUser('2'),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.entities.length).toBeGreaterThan(0);
    expect(r.data!.entities.every((e: { owner_id: string }) => e.owner_id === '2')).toBe(true);
    expect(r.data!.sensor_readings).toHaveLength(5);
    expect(
      r.data!.sensor_readings.every(
        (x: { entity: { owner_id: string } }) => x.entity.owner_id === '2',
      ),
    ).toBe(true);
  });

  it('should not let a where clause reach other users rows, through relationships either', async () => {
    const r = await gql(
      `{ sensor_readings(where: {entity: {owner_id: {_eq: "1"}}}) { temperature }
         entities_aggregate(where: {owner_id: {_neq: "2"}}) { aggregate { count } } }`,
      undefined,
      asUser('2'),
    );
    expect(r.data!.sensor_readings).toEqual([]);
    expect(r.data!.entities_aggregate.aggregate.count).toBe(0);
  });

  it('should refuse a permission that needs a missing session variable', async () => {
    const r = await gql(`{ entities { id } }`, undefined, { 'x-hasura-role': 'user' });
    expect(r.errors![0]).toEqual({
      message: 'missing session variable: "x-hasura-user-id"',
      extensions: { path: '$', code: 'not-found' },
    });
  });

  it('should hide columns and tables a role may not select', async () => {
    const viewer = { 'x-hasura-role': 'viewer' };
    const dl = await gql(`{ dead_letters { message_value } }`, undefined, viewer);
    expect(dl.errors![0]!.message).toBe("field 'message_value' not found in type: 'dead_letters'");
    expect(dl.errors![0]!.extensions.path).toBe(
      '$.selectionSet.dead_letters.selectionSet.message_value',
    );
    const pt = await gql(`{ timeseries_partitioned_tables { table_name } }`, undefined, viewer);
    expect(pt.errors![0]!.message).toBe(
      "field 'timeseries_partitioned_tables' not found in type: 'query_root'",
    );
    const anon = await gql(`{ __schema { queryType { fields { name } } } }`, undefined, {
      'x-hasura-role': 'nobody',
    });
    expect(anon.data!.__schema.queryType.fields).toEqual([{ name: 'no_queries_available' }]);
  });

  it('should apply the permission row limit', async () => {
    const r = await gql(`{ dead_letters_aggregate { aggregate { count } } }`, undefined, {
      'x-hasura-role': 'viewer',
    });
    expect(r.errors).toBeUndefined();
  });
});

describe('Engine > Errors and bad input', () => {
  it('should answer malformed JSON, unknown fields and wrong variable types as Hasura does', async () => {
    const bad = await fetch(`${engine.url}/v1/graphql`, { method: 'POST', body: '{"query": ' });
    // /v1/graphql answers every error with 200 (Hasura's allMod200)
    expect(bad.status).toBe(200);
    const badBody = (await bad.json()) as {
      errors: Array<{ extensions: { code: string; path: string } }>;
    };
    expect(badBody.errors[0]!.extensions).toEqual({ code: 'invalid-json', path: '$' });
    const unknown = await gql(`{ entities { nope } }`);
    expect(unknown.errors![0]!.extensions).toEqual({
      path: '$.selectionSet.entities.selectionSet.nope',
      code: 'validation-failed',
    });
    const wrongVar = await gql('query ($l: String) { entities(limit: $l) { id } }', { l: '1' });
    expect(wrongVar.errors![0]!.message).toBe(
      "variable 'l' is declared as 'String', but used where 'Int' is expected",
    );
    const syntax = await gql('{ entities { id }');
    expect(syntax.errors![0]).toEqual({
      message: 'not a valid graphql query',
      extensions: { path: '$.query', code: 'validation-failed' },
    });
  });

  it('should treat injection attempts in every argument position as plain values', async () => {
    const evil = `x'); DROP TABLE public.entities; --`;
    const r = await gql(
      `query ($v: String!) {
        a: entities(where: {key: {_eq: $v}}) { id }
        b: entities(where: {name: {_ilike: "${evil.replace(/"/g, '\\"')}"}}) { id }
        c: entities(where: {attributes: {_has_key: $v}}) { id }
      }`,
      { v: evil },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: [], b: [], c: [] });
    const still = await gql('{ entities_aggregate { aggregate { count } } }');
    expect(still.data!.entities_aggregate.aggregate.count).toBe(58);
  });

  it('should refuse queries deeper than the configured limit', async () => {
    let q = 'key';
    for (let i = 0; i < 20; i++) q = `entity { market_trades(limit: 1) { ${q} } }`;
    const r = await gql(`{ market_trades(limit: 1) { ${q} } }`);
    expect(r.errors![0]!.extensions.code).toBe('validation-failed');
  });

  it('should serve the service endpoints', async () => {
    expect(await (await fetch(`${engine.url}/v1/version`)).json()).toEqual({
      version: 'v2.48.10',
      server_type: 'ce',
    });
    expect(await (await fetch(`${engine.url}/healthz`)).text()).toBe('OK');
    const nf = await fetch(`${engine.url}/nope`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({
      error: 'resource does not exist',
      path: '$',
      code: 'not-found',
    });
    expect(await (await fetch(`${engine.url}/metrics`)).text()).toContain(
      'engine_http_requests_total',
    );
  });
});
