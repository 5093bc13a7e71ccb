/**
 * Two engine processes over one database behind a real HAProxy (deploy/haproxy/haproxy.cfg, from
 * /usr/sbin/haproxy, on free ports of 127.0.0.1), as `npm start` with STREAMSYNC_ENGINES=2 and the
 * compose scale profile run them:
 *
 * - a metadata change made through the balancer is served by both engines within a bounded wait
 *   (engine/src/metadata/sync.ts: resource_version + NOTIFY);
 * - a stock graphql-ws client streams rows inserted at a steady rate and watches a live count,
 *   through the balancer; the engine serving it is killed with SIGKILL; the client reconnects
 *   through the balancer to the other engine and re-subscribes from the last cursor it received
 *   (its payload's variables are read at each send); every inserted row arrives exactly once and
 *   in order (count and checksum), and the live query answers again with the final count.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPool, query, sql } from '@streamsync/database';
import { startBalancer, type Balancer } from '@streamsync/stack/haproxy';
import { freePort } from '@streamsync/stack/ports';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import { spawnEngine, type EngineProcess } from './engine-process.ts';
import { PROJECT_METADATA } from './helpers.ts';
import { metric } from './live-helpers.ts';

let db: TestDatabase;
const engines: EngineProcess[] = [];
let lb: Balancer;
let writer: pg.Pool;
let versionAfterFirst: number;

const ENGINE_ENV = {
  ...PROJECT_METADATA,
  HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '100',
  HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '100',
  HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL: '1000',
};

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'balanced' });
  // one after the other, as the launcher does: the second finds the metadata already stored
  writer = createPool({ connectionString: db.url, applicationName: 'balanced-writer', max: 2 });
  engines.push(await spawnEngine(db.url, ENGINE_ENV));
  versionAfterFirst = await resourceVersion();
  engines.push(await spawnEngine(db.url, ENGINE_ENV));
  lb = await startBalancer({
    bind: `127.0.0.1:${await freePort()}`,
    servers: engines.map((e) => e.url.replace('http://', '')),
  });
});

async function resourceVersion(): Promise<number> {
  const { rows } = await query<{ v: number }>(
    writer,
    sql`SELECT resource_version AS v FROM hdb_catalog.hdb_metadata WHERE id = 1`,
  );
  return rows[0]!.v;
}

afterAll(async () => {
  await lb?.stop();
  for (const e of engines) await e.stop();
  await writer?.end();
  await db?.drop();
});

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

describe('Engine > Behind HAProxy > Metadata', () => {
  it('should not store a new resource_version when a second engine applies the same metadata', async () => {
    // a new version would make the first engine reload and close every socket it holds
    expect(versionAfterFirst).toBeGreaterThan(0);
    expect(await resourceVersion()).toBe(versionAfterFirst);
  });

  it('should serve a metadata change made through the balancer from both engines within 5 s', async () => {
    expect((await fetch(`${lb.url}/lb/healthz`)).status).toBe(200);
    const created = await post(`${lb.url}/v2/query`, {
      type: 'run_sql',
      args: { sql: `CREATE TABLE lb_probe (id int PRIMARY KEY); INSERT INTO lb_probe VALUES (7)` },
    });
    expect(created.status).toBe(200);
    const t0 = Date.now();
    const tracked = await post(`${lb.url}/v1/metadata`, {
      type: 'pg_track_table',
      args: { table: 'lb_probe' },
    });
    expect(tracked).toEqual({ status: 200, body: { message: 'success' } });
    for (const e of engines) {
      const data = await waitFor(
        `${e.url} to serve lb_probe`,
        async () =>
          (
            (await post(`${e.url}/v1/graphql`, { query: '{ lb_probe { id } }' })).body as {
              data?: unknown;
            }
          ).data,
        { timeoutMs: 5_000 },
      );
      expect(data).toEqual({ lb_probe: [{ id: 7 }] });
    }
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

type Reading = { ts: string; temperature: number };
const ENTITY = 424_242;
const STREAM = `subscription ($from: timestamptz!, $n: Int!) {
  sensor_readings_stream(batch_size: $n, cursor: {initial_value: {ts: $from}, ordering: ASC},
                         where: {entity_id: {_eq: ${ENTITY}}}) { ts temperature }
}`;
const COUNT = `subscription { sensor_readings_aggregate(where: {entity_id: {_eq: ${ENTITY}}}) { aggregate { count } } }`;

const checksum = (rows: Reading[]) =>
  createHash('sha256')
    .update(rows.map((r) => `${Date.parse(r.ts)}:${r.temperature}`).join('\n'))
    .digest('hex');

describe('Engine > Behind HAProxy > An engine killed under its subscribers', () => {
  it('should resume the stream from the last cursor on the other engine: every row once, in order; and the live query answers again', async () => {
    // within the partitions the migrations keep around the current time; one writer, one row a
    // transaction, times rising: commit order is cursor order
    const base = Date.now() - 1_800_000;
    let inserted = 0;
    let writing = true;
    const writes = (async () => {
      while (writing) {
        await query(
          writer,
          sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
              VALUES (${sql.value(ENTITY)}, ${sql.value(new Date(base + inserted * 10).toISOString())}::timestamptz, ${sql.value(inserted)})`,
        );
        inserted++;
        await sleep(20);
      }
    })();

    const received: Reading[] = [];
    const counts: Array<{ at: number; count: number }> = [];
    let connects = 0;
    // the cursor the client last saw, exactly as the server sent it
    let cursor = new Date(base - 1).toISOString();
    const client: Client = createClient({
      url: `${lb.url.replace('http', 'ws')}/v1/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: () => sleep(200),
      on: { connected: () => connects++ },
    });
    const errors: unknown[] = [];
    try {
      client.subscribe(
        {
          query: STREAM,
          // read each time graphql-ws (re)sends the subscription: after a reconnect, the last cursor
          get variables() {
            return { from: cursor, n: 100 };
          },
        },
        {
          next: (r) => {
            const rows = (r.data as { sensor_readings_stream: Reading[] }).sensor_readings_stream;
            received.push(...rows);
            if (rows.length) cursor = rows.at(-1)!.ts;
          },
          error: (e) => errors.push(e),
          complete: () => {},
        },
      );
      client.subscribe(
        { query: COUNT },
        {
          next: (r) => {
            const agg = (r.data as { sensor_readings_aggregate: { aggregate: { count: number } } })
              .sensor_readings_aggregate;
            counts.push({ at: Date.now(), count: agg.aggregate.count });
          },
          error: (e) => errors.push(e),
          complete: () => {},
        },
      );

      await waitFor('50 rows streamed', () => received.length >= 50, { timeoutMs: 30_000 });
      // the engine holding the socket (leastconn put it on one of them)
      const open = await Promise.all(engines.map((e) => metric(e, 'engine_websocket_connections')));
      expect([...open].sort()).toEqual([0, 1]);
      const victim = engines[open.indexOf(1)]!;
      const survivor = engines.find((e) => e !== victim)!;
      const killedAt = Date.now();
      await victim.kill9();

      // rows keep coming while the client finds its way back
      await waitFor('the client to reconnect through the balancer', () => connects >= 2, {
        timeoutMs: 20_000,
      });
      expect(await metric(survivor, 'engine_websocket_connections')).toBe(1);
      await sleep(1_000);
      writing = false;
      await writes;

      const { rows: stored } = await query<{ ts: Date; temperature: number }>(
        writer,
        sql`SELECT ts, temperature FROM public.sensor_readings WHERE entity_id = ${sql.value(ENTITY)} ORDER BY ts`,
      );
      expect(stored.length).toBe(inserted);
      await waitFor(
        `all ${inserted} rows received (have ${received.length})`,
        () => received.length >= inserted,
        { timeoutMs: 20_000 },
      );
      await sleep(300); // a duplicate would arrive now
      expect(errors).toEqual([]);
      expect(received.length).toBe(inserted);
      expect(received.map((r) => r.temperature)).toEqual(stored.map((_, i) => i));
      expect(checksum(received)).toBe(
        checksum(stored.map((r) => ({ ts: r.ts.toISOString(), temperature: r.temperature }))),
      );
      // rows were written while the client was away: the resumed stream caught up on them
      expect(received.length).toBeGreaterThan(50);

      // the live query: answered again after the kill, with the final count
      await waitFor(
        'the live count to reach the rows inserted',
        () => counts.some((c) => c.at > killedAt && c.count === inserted),
        { timeoutMs: 10_000 },
      );
      expect(counts.filter((c) => c.at <= killedAt).length).toBeGreaterThan(0);
    } finally {
      writing = false;
      await writes;
      await client.dispose();
    }
  });
});
