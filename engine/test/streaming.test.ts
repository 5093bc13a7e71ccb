/**
 * Streaming subscriptions (`<t>_stream`): batches in cursor order with ties kept together, no
 * empty batch, permissions — and completeness: every committed row is received exactly once even
 * when writers commit out of cursor order (tables with the commit-order column), while a table
 * without it shows Hasura's hole.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, query, sql } from '@streamsync/database';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, startTestEngine } from './helpers.ts';
import { metric, RawClient, wsUrl } from './live-helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;
let writers: pg.Pool;
// within the partitions the migrations keep around the current time
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (ms: number) => new Date(BASE + ms).toISOString();

type Row = { entity_id: number; ts: string };
const STREAM = `subscription ($from: timestamptz!, $ids: [bigint!]!, $n: Int!) {
  sensor_readings_stream(batch_size: $n, cursor: {initial_value: {ts: $from}, ordering: ASC},
                         where: {entity_id: {_in: $ids}}) { entity_id ts }
}`;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'stream' });
  engine = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '50',
    STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'false',
  });
  writers = createPool({ connectionString: db.url, applicationName: 'stream-writers', max: 10 });
});

afterAll(async () => {
  await engine?.close();
  await writers?.end();
  await db?.drop();
});

async function stream(
  vars: Record<string, unknown>,
  headers: Record<string, string> = {},
  q = STREAM,
): Promise<{ c: RawClient; batches: () => Row[][]; rows: () => Row[] }> {
  const c = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
  await c.init(headers);
  c.send({ id: 's', type: 'subscribe', payload: { query: q, variables: vars } });
  const batches = () =>
    c.of('s').map((f) => {
      const data = (f.payload as { data: Record<string, Row[]> }).data;
      return Object.values(data)[0]!;
    });
  return { c, batches, rows: () => batches().flat() };
}

const key = (r: Row) => `${r.entity_id}@${Date.parse(r.ts)}`;

async function insert(client: pg.Pool | pg.PoolClient, entity: number, ms: number): Promise<void> {
  await query(
    client,
    sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature) VALUES (${sql.value(entity)}, ${sql.value(at(ms))}::timestamptz, 1)`,
  );
}

describe('Engine > Streaming > Batches', () => {
  it('should send rows after the cursor in batches, growing a batch over tied values', async () => {
    await insert(writers, 30, 1000);
    await insert(writers, 30, 2000);
    await insert(writers, 31, 2000);
    await insert(writers, 30, 3000);
    const s = await stream({ from: at(0), ids: [30, 31], n: 2 });
    await s.c.until(() => s.rows().length === 4, 'four rows');
    const b = s.batches();
    expect(b.map((x) => x.length)).toEqual([3, 1]);
    expect(b[0]!.map((r) => Date.parse(r.ts) - BASE)).toEqual([1000, 2000, 2000]);
    expect(b[1]!).toEqual([{ entity_id: 30, ts: expect.any(String) }]);
    s.c.close();
  });

  it('should send no empty batch and keep its cursor while nothing comes', async () => {
    const s = await stream({ from: at(50_000), ids: [32], n: 5 });
    const polls = () =>
      metric(engine, 'engine_subscription_polls_total', { kind: 'stream', trigger: 'interval' });
    const before = await polls();
    await waitFor('five polls', async () => (await polls()) >= before + 5);
    expect(s.batches()).toEqual([]);
    await insert(writers, 32, 10_000); // before the initial value: never sent
    await insert(writers, 32, 60_000);
    await s.c.until(() => s.rows().length >= 1, 'the row');
    await insert(writers, 32, 70_000);
    await s.c.until(() => s.rows().length >= 2, 'the next row');
    expect(s.rows().map((r) => Date.parse(r.ts) - BASE)).toEqual([60_000, 70_000]);
    s.c.close();
  });

  it('should drain a backlog in one poll, in frames of batch_size with ties kept together', async () => {
    // one transaction: 23 rows, ties at 10 and 11 (two series) and at 20
    const client = await writers.connect();
    try {
      await query(client, sql`BEGIN`);
      for (let t = 1; t <= 20; t++) await insert(client, 45, 400_000 + t * 1000);
      for (const t of [10, 11, 20]) await insert(client, 46, 400_000 + t * 1000);
      await query(client, sql`COMMIT`);
    } finally {
      client.release();
    }
    const catchups = () =>
      metric(engine, 'engine_subscription_polls_total', { kind: 'stream', trigger: 'catchup' });
    const before = await catchups();
    const s = await stream({ from: at(400_000), ids: [45, 46], n: 10 });
    await s.c.until(() => s.rows().length === 23, '23 rows');
    expect(s.batches().map((b) => b.length)).toEqual([11, 10, 2]);
    const seconds = s.rows().map((r) => (Date.parse(r.ts) - BASE - 400_000) / 1000);
    expect(seconds).toEqual([...seconds].sort((x, y) => x - y));
    // the three frames came from the one poll that read them, not one poll each
    expect(await catchups()).toBe(before);
    s.c.close();
  });

  it('should stream only the rows the role may see', async () => {
    const s = await stream(
      { from: at(100_000), ids: [1, 11], n: 10 },
      { 'X-Hasura-Role': 'user', 'X-Hasura-User-Id': '1' },
    );
    await insert(writers, 11, 100_500); // owned by user 2
    await insert(writers, 1, 101_000);
    await s.c.until(() => s.rows().length >= 1, 'a row');
    await insert(writers, 1, 102_000);
    await s.c.until(() => s.rows().length >= 2, 'two rows');
    expect(s.rows().map((r) => r.entity_id)).toEqual([1, 1]);
    s.c.close();
  });
});

describe('Engine > Streaming > Completeness', () => {
  it('should send a row that commits after a higher cursor value was sent', async () => {
    const s = await stream({ from: at(200_000), ids: [40], n: 10 });
    const late = await writers.connect();
    try {
      await query(late, sql`BEGIN`);
      await insert(late, 40, 210_000); // the lower value, still in flight
      await insert(writers, 40, 220_000); // the higher value, committed first
      await s.c.until(() => s.rows().length === 1, 'the higher row');
      await query(late, sql`COMMIT`);
    } finally {
      late.release();
    }
    await s.c.until(() => s.rows().length === 2, 'the late row');
    expect(s.rows().map((r) => Date.parse(r.ts) - BASE)).toEqual([220_000, 210_000]);
    s.c.close();
  });

  it('should show Hasura’s hole on a table without the commit-order column', async () => {
    const q = `subscription ($from: timestamptz!) {
      entities_stream(batch_size: 10, cursor: {initial_value: {created_at: $from}}, where: {kind: {_eq: "probe"}}) { key }
    }`;
    const s = await stream({ from: at(0) }, {}, q);
    const entity = (client: pg.Pool | pg.PoolClient, k: string, ms: number) =>
      query(
        client,
        sql`INSERT INTO public.entities (kind, key, created_at) VALUES ('probe', ${sql.value(k)}, ${sql.value(at(ms))}::timestamptz)`,
      );
    const keys = () => (s.rows() as unknown as Array<{ key: string }>).map((r) => r.key);
    const late = await writers.connect();
    try {
      await query(late, sql`BEGIN`);
      await entity(late, 'late', 10_000);
      await entity(writers, 'early', 20_000);
      await s.c.until(() => keys().includes('early'), 'the committed row');
      await query(late, sql`COMMIT`);
    } finally {
      late.release();
    }
    await entity(writers, 'after', 30_000);
    await s.c.until(() => keys().includes('after'), 'a later row');
    expect(keys()).toEqual(['early', 'after']); // 'late' is behind the cursor: lost, as in Hasura
    s.c.close();
  });

  it('should receive every row committed by concurrent writers that commit out of order', async () => {
    const entities = [41, 42, 43, 44];
    const s = await stream({ from: at(300_000), ids: entities, n: 7 });
    const committed = new Set<string>();
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const used = new Set<number>();
    const writer = async (entity: number) => {
      for (let t = 0; t < 15; t++) {
        const client = await writers.connect();
        try {
          await query(client, sql`BEGIN`);
          const mine: string[] = [];
          for (let r = 0; r < 5; r++) {
            let ms: number;
            do ms = 300_001 + Math.floor(random() * 100_000);
            while (used.has(ms * 100 + entity));
            used.add(ms * 100 + entity);
            await insert(client, entity, ms);
            mine.push(`${entity}@${BASE + ms}`);
          }
          // hold the transaction a little, so commits interleave out of cursor order
          await sleep(Math.floor(random() * 30));
          await query(client, sql`COMMIT`);
          for (const k of mine) committed.add(k);
        } finally {
          client.release();
        }
      }
    };
    await Promise.all(entities.map(writer));
    expect(committed.size).toBe(entities.length * 15 * 5);
    await s.c.until(() => s.rows().length >= committed.size, `${committed.size} rows`, 60_000);
    const received = s.rows().map(key);
    expect(new Set(received).size).toBe(received.length); // nothing twice
    expect(new Set(received)).toEqual(committed); // nothing lost, nothing extra
    expect(s.batches().every((b) => b.length > 0)).toBe(true);
    // the workload did commit rows behind values already sent (the case Hasura loses)
    let high = -Infinity;
    let late = 0;
    for (const r of s.rows()) {
      const t = Date.parse(r.ts);
      if (t < high) late++;
      high = Math.max(high, t);
    }
    expect(late).toBeGreaterThan(0);
    s.c.close();
  });
});
