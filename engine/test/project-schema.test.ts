/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
/**
 * What the project's own schema (hasura/) uses beyond plain tables, served from hasura/metadata as
 * `npm start` does: the panel_visualizations enum table, the entities.latest_values computed field,
 * the REST endpoints of a stream's latest points, and `@cached` on the dashboard's bucketed history.
 * Real Hasura serves the same from the same files; these check that the engine does, under the
 * roles the page uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { gql, PROJECT_METADATA, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;
const viewer = { 'x-hasura-role': 'viewer' };
const alice = { 'x-hasura-role': 'user', 'x-hasura-user-id': 'alice' };
let mine: number;
let theirs: number;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'projschema' });
  engine = await startTestEngine(db, PROJECT_METADATA);
  const entity = async (key: string, owner: string): Promise<number> =>
    Number(
      (
        await query<{ id: string }>(
          db.pool,
          sql`INSERT INTO public.entities (kind, key, name, owner_id)
              VALUES ('sensor', ${sql.value(key)}, ${sql.value(key)}, ${sql.value(owner)}) RETURNING id`,
        )
      ).rows[0]!.id,
    );
  mine = await entity('schema-test-a', 'alice');
  theirs = await entity('schema-test-b', 'bob');
  // three minutes of two metrics for alice's sensor, one for bob's; the newest minute's `last` is 3
  for (const [id, minutesAgo, last] of [
    [mine, 3, 1],
    [mine, 2, 2],
    [mine, 1, 3],
    [theirs, 1, 9],
  ] as const) {
    for (const metric of ['temperature', 'humidity']) {
      await query(
        db.pool,
        sql`INSERT INTO public.rollups_1m (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
            VALUES ('sensor_readings', ${sql.value(id)}, ${sql.value(metric)},
                    date_trunc('minute', now()) - make_interval(mins => ${sql.value(minutesAgo)}),
                    1, ${sql.value(last)}, ${sql.value(last)}, ${sql.value(last)}, ${sql.value(last)},
                    date_trunc('minute', now()) - make_interval(mins => ${sql.value(minutesAgo)}))`,
      );
    }
    await query(
      db.pool,
      sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
          VALUES (${sql.value(id)}, now() - make_interval(mins => ${sql.value(minutesAgo)}), ${sql.value(last)})`,
    );
  }
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > Project schema features', () => {
  it('should type panels.visualization by the panel_visualizations enum and refuse other values before SQL', async () => {
    const r = await gql(
      engine,
      `{ __type(name: "panel_visualizations_enum") { kind enumValues { name description } } }`,
    );
    expect(r.data!.__type.kind).toBe('ENUM');
    expect(r.data!.__type.enumValues.map((v: any) => v.name).sort()).toEqual([
      'area',
      'bar',
      'heatmap',
      'line',
      'stat',
      'table',
    ]);
    expect(r.data!.__type.enumValues.find((v: any) => v.name === 'stat').description).toMatch(
      /sparkline/,
    );
    const field = await gql(
      engine,
      `{ __type(name: "panels") { fields { name type { kind name ofType { name } } } } }`,
    );
    const vis = field.data!.__type.fields.find((f: any) => f.name === 'visualization');
    expect(vis.type.ofType?.name ?? vis.type.name).toBe('panel_visualizations_enum');

    // the user's own dashboard; a panel with a known value goes in, an unknown one is refused by
    // validation (the value is a variable, as the page sends it)
    const dash = await gql(
      engine,
      `mutation { insert_dashboards_one(object: { title: "mine" }) { id } }`,
      undefined,
      alice,
    );
    expect(dash.errors).toBeUndefined();
    const insert = (visualization: string) =>
      gql(
        engine,
        `mutation ($o: panels_insert_input!) { insert_panels_one(object: $o) { visualization } }`,
        {
          o: {
            dashboard_id: dash.data!.insert_dashboards_one.id,
            title: 'p',
            stream: 'sensor_readings',
            metrics: ['temperature'],
            visualization,
          },
        },
        alice,
      );
    expect((await insert('heatmap')).data).toEqual({
      insert_panels_one: { visualization: 'heatmap' },
    });
    const bad = await insert('pie');
    expect(bad.errors?.[0]?.extensions.code).toBe('validation-failed');
    expect(bad.errors?.[0]?.message).toMatch(/pie/);
  });

  it("should answer entities.latest_values with each series' newest minute, under the role's rollup permission", async () => {
    const q = `query ($ids: [bigint!]!) {
      entities(where: { id: { _in: $ids } }, order_by: { id: asc }) {
        id latest_values(order_by: { metric: asc }) { stream metric last avg }
      }
    }`;
    const asViewer = await gql(engine, q, { ids: [mine, theirs] }, viewer);
    expect(asViewer.errors).toBeUndefined();
    expect(asViewer.data!.entities).toEqual([
      {
        id: mine,
        latest_values: [
          { stream: 'sensor_readings', metric: 'humidity', last: 3, avg: 3 },
          { stream: 'sensor_readings', metric: 'temperature', last: 3, avg: 3 },
        ],
      },
      {
        id: theirs,
        latest_values: [
          { stream: 'sensor_readings', metric: 'humidity', last: 9, avg: 9 },
          { stream: 'sensor_readings', metric: 'temperature', last: 9, avg: 9 },
        ],
      },
    ]);
    // a user sees their own entities only, and so only their own series
    const asAlice = await gql(engine, q, { ids: [mine, theirs] }, alice);
    expect(asAlice.data!.entities.map((e: any) => e.id)).toEqual([mine]);
  });

  it("should serve a stream's latest points at its REST endpoint, newest first, as the caller's role", async () => {
    const get = async (p: string, headers: Record<string, string>) => {
      const r = await fetch(`${engine.url}/api/rest/${p}`, { headers });
      return { status: r.status, body: (await r.json()) as any };
    };
    const all = await get(`streams/sensor_readings/${mine}/latest`, viewer);
    expect(all.status).toBe(200);
    expect(all.body.sensor_readings.map((r: any) => r.temperature)).toEqual([3, 2, 1]);
    const two = await get(`streams/sensor_readings/${mine}/latest?limit=2`, viewer);
    expect(two.body.sensor_readings.map((r: any) => r.temperature)).toEqual([3, 2]);
    // bob's sensor is not alice's: her role's filter applies to the endpoint's query
    const other = await get(`streams/sensor_readings/${theirs}/latest`, alice);
    expect(other.body).toEqual({ sensor_readings: [] });
    const doc = await fetch(`${engine.url}/api/swagger/json`);
    const paths = Object.keys(((await doc.json()) as any).paths);
    expect(paths).toContain('/api/rest/streams/sensor_readings/{entity_id}/latest');
    expect(paths).toContain('/api/rest/streams/market_trades/{entity_id}/latest');
  });

  it('should answer the bucketed history from the cache per role and session, not across them', async () => {
    const q = `query ($id: bigint!) @cached(ttl: 30) {
      bucketed_series(args: { stream: "sensor_readings", entity_id: $id, metric: "temperature",
        from_ts: "2000-01-01T00:00:00Z", to_ts: "2100-01-01T00:00:00Z", bucket_width: "1 minute" }) { count last }
    }`;
    const ask = async (headers: Record<string, string>) => {
      const r = await fetch(`${engine.url}/v1/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: q, variables: { id: mine } }),
      });
      return { cache: r.headers.get('cache-control'), body: (await r.json()) as any };
    };
    const first = await ask(alice);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.bucketed_series.length).toBeGreaterThan(0);
    expect(first.cache).toMatch(/max-age=30/);
    // bob asks the same question and must not read alice's answer: her sensor is not his
    const bob = await ask({ 'x-hasura-role': 'user', 'x-hasura-user-id': 'bob' });
    expect(bob.body.data.bucketed_series).toEqual([]);
    // a later row does not change a cached answer within the ttl (it is served from the cache)
    await query(
      db.pool,
      sql`INSERT INTO public.rollups_1m (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
          VALUES ('sensor_readings', ${sql.value(mine)}, 'temperature', date_trunc('minute', now()) - interval '5 minutes',
                  1, 7, 7, 7, 7, date_trunc('minute', now()) - interval '5 minutes')`,
    );
    expect((await ask(alice)).body).toEqual(first.body);
  });
});
