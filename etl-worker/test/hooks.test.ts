/**
 * The worker's webhooks for the GraphQL server's cron and event triggers, on a real Postgres with
 * the project's migrations and seeds: partition maintenance, the alert notification (logged and
 * counted),
 * the shared secret, and bad bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createPool } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { startOpsServer } from '../src/ops/http.ts';
import { WorkerMetrics } from '../src/ops/metrics.ts';

const SECRET = 'a-webhook-secret-of-32-characters';
let db: TestDatabase;
let pool: ReturnType<typeof createPool>;
let ops: Awaited<ReturnType<typeof startOpsServer>>;
let metrics: WorkerMetrics;

const post = async (path: string, body: unknown, secret: string | null = SECRET) => {
  const r = await fetch(`http://127.0.0.1:${ops.port}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-streamsync-webhook-secret': secret }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as Record<string, unknown> };
};

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'hooks' });
  pool = createPool({ connectionString: db.url, applicationName: 'hooks-test', max: 2 });
  metrics = new WorkerMetrics();
  ops = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    readiness: () => ({ ready: true, detail: {} }),
    hooks: {
      pool,
      log: pino({ level: 'silent' }),
      secret: SECRET,
      onAlert: () => metrics.alertsNotified.inc(),
    },
  });
});

afterAll(async () => {
  await ops?.close();
  await pool?.end();
  await db?.drop();
});

describe('Worker > Webhooks', () => {
  it('should refuse calls without the shared secret, and other methods', async () => {
    expect((await post('/hooks/maintain-partitions', {}, null)).status).toBe(401);
    expect((await post('/hooks/maintain-partitions', {}, 'wrong-secret-wrong-secret')).status).toBe(
      401,
    );
    const get = await fetch(`http://127.0.0.1:${ops.port}/hooks/maintain-partitions`);
    expect(get.status).toBe(405);
  });

  it('should maintain the partitions of every time-series table', async () => {
    const r = await post('/hooks/maintain-partitions', {
      name: 'maintain_partitions',
      payload: {},
    });
    expect(r.status).toBe(200);
    const tables = (r.body.tables as Array<{ table_name: string }>).map((t) => t.table_name);
    expect(tables).toEqual(expect.arrayContaining(['sensor_readings', 'rollups_1m']));
  });

  it('should log and count each alert notification, and refuse bodies that are not one', async () => {
    const alert = {
      id: '7',
      rule_name: 'hot sensor',
      stream: 'sensor_readings',
      entity_id: '3',
      metric: 'temperature',
      op: 'above',
      threshold: 30,
      state: 'firing',
      fired_value: 35,
      fired_at: '2026-01-01T00:00:00+00:00',
    };
    const payload = {
      id: 'e1',
      trigger: { name: 'alert_fired' },
      table: { schema: 'public', name: 'alerts' },
      event: { op: 'INSERT', data: { old: null, new: alert } },
    };
    expect(await post('/hooks/alert-fired', payload)).toEqual({
      status: 200,
      body: { notified: true },
    });
    const resolved = {
      ...payload,
      event: { op: 'UPDATE', data: { old: alert, new: { ...alert, state: 'resolved' } } },
    };
    expect((await post('/hooks/alert-fired', resolved)).status).toBe(200);
    expect(await metrics.registry.metrics()).toMatch(/etl_alerts_notified_total 2/);
    expect((await post('/hooks/alert-fired', '{"no json')).status).toBe(400);
    expect((await post('/hooks/alert-fired', { event: {} })).status).toBe(400);
  });

  it('should answer replay requests 503 when it has no Kafka producer, and still want the secret', async () => {
    const body = { input: { pipeline: 'sensor_readings' } };
    expect((await post('/hooks/replay-dead-letters', body, null)).status).toBe(401);
    const r = await post('/hooks/replay-dead-letters', body);
    expect(r.status).toBe(503);
    expect(r.body.message).toBe('replay is not available: no Kafka producer');
  });
});
