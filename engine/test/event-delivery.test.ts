/**
 * Event delivery under failure and scale-out, on a real Postgres with engines in processes of
 * their own: an engine killed with SIGKILL in the middle of delivering loses no event (the events
 * are rows committed with the changes; its locks lapse and the restarted engine delivers the
 * rest, at least once), and two engines on one database deliver each event exactly once
 * (`FOR UPDATE SKIP LOCKED`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { spawnEngine, type EngineProcess } from './engine-process.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

let db: TestDatabase;
let hooks: TestReceiver;
let client: pg.Client;
const running: EngineProcess[] = [];

async function post(url: string, path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return JSON.parse(text);
}

async function start(env: Record<string, string> = {}): Promise<EngineProcess> {
  const e = await spawnEngine(db.url, {
    HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL: '100',
    STREAMSYNC_EVENTS_LOCK_LEASE_SECONDS: '3',
    WEBHOOK_BASE: hooks.url,
    ...env,
  });
  running.push(e);
  return e;
}

async function eventIds(trigger: string): Promise<string[]> {
  const r = await client.query<{ id: string }>(
    'SELECT id FROM hdb_catalog.event_log WHERE trigger_name = $1 ORDER BY id',
    [trigger],
  );
  return r.rows.map((x) => x.id);
}

async function undelivered(trigger: string): Promise<number> {
  const r = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM hdb_catalog.event_log WHERE trigger_name = $1 AND NOT delivered',
    [trigger],
  );
  return r.rows[0]!.n;
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'evdeliver', empty: true });
  hooks = await startReceiver();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(
    'CREATE TABLE job (id serial PRIMARY KEY, n int); CREATE TABLE task (id serial PRIMARY KEY, n int)',
  );
});

afterAll(async () => {
  for (const e of running) await e.stop().catch(() => {});
  await client?.end();
  await hooks?.close();
  await db?.drop();
});

describe('Engine > Event delivery', () => {
  it('should deliver every event at least once when the engine is killed mid-delivery and restarted', async () => {
    const first = await start({ HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE: '4' });
    await post(first.url, '/v1/metadata', { type: 'pg_track_table', args: { table: 'job' } });
    await post(first.url, '/v1/metadata', {
      type: 'pg_create_event_trigger',
      args: {
        name: 'job_slow',
        table: 'job',
        webhook: '{{WEBHOOK_BASE}}/slow?ms=300',
        insert: { columns: '*' },
      },
    });
    // the events are committed with the rows, in one statement of another client
    hooks.resetPeak();
    await client.query('INSERT INTO job (n) SELECT g FROM generate_series(1, 60) g');
    const ids = await eventIds('job_slow');
    expect(ids).toHaveLength(60);
    await hooks.until(
      (h) => h.filter((x) => x.body.trigger?.name === 'job_slow').length >= 8,
      20_000,
    );
    // the pool bounds the calls in flight, though a call's worker is freed before its outcome
    // is written
    expect(hooks.peakOpen()).toBeGreaterThan(1);
    expect(hooks.peakOpen()).toBeLessThanOrEqual(4);
    await first.kill9();
    const atKill = hooks.hits.filter((x) => x.body.trigger?.name === 'job_slow').length;
    expect(await undelivered('job_slow')).toBeGreaterThan(0);

    const second = await start({ HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE: '16' });
    const deadline = Date.now() + 45_000;
    while ((await undelivered('job_slow')) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await undelivered('job_slow')).toBe(0);
    const seen = new Set(
      hooks.hits.filter((x) => x.body.trigger?.name === 'job_slow').map((x) => x.body.id as string),
    );
    expect([...seen].sort()).toEqual(ids);
    const total = hooks.hits.filter((x) => x.body.trigger?.name === 'job_slow').length;
    // only what was in flight when the engine died may have gone out twice
    expect(total - 60).toBeLessThanOrEqual(atKill);
    await second.stop();
  }, 120_000);

  it('should deliver each event once with two engines on one database', async () => {
    const env = {
      HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE: '20',
      HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE: '8',
    };
    const a = await start(env);
    const b = await start(env);
    await post(a.url, '/v1/metadata', { type: 'pg_track_table', args: { table: 'task' } });
    await post(a.url, '/v1/metadata', {
      type: 'pg_create_event_trigger',
      args: {
        name: 'task_all',
        table: 'task',
        webhook: '{{WEBHOOK_BASE}}/slow?ms=20',
        insert: { columns: '*' },
      },
    });
    // b learns of the trigger through schema sync
    await new Promise((r) => setTimeout(r, 1500));
    await client.query('INSERT INTO task (n) SELECT g FROM generate_series(1, 400) g');
    const hits = () => hooks.hits.filter((x) => x.body.trigger?.name === 'task_all');
    await hooks.until(() => hits().length >= 400, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const ids = hits().map((x) => x.body.id as string);
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);
    expect(await undelivered('task_all')).toBe(0);
    const delivered = async (e: EngineProcess) => {
      const m = await (await fetch(`${e.url}/metrics`)).text();
      return Number(
        /hasura_event_invocations_total\{trigger_name="task_all",status="success"\} (\d+)/.exec(
          m,
        )?.[1] ?? 0,
      );
    };
    const [na, nb] = [await delivered(a), await delivered(b)];
    expect(na + nb).toBe(400);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
  }, 120_000);
});
