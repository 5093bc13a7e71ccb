/**
 * The project's own triggers (hasura/metadata), as `npm start` and the compose file run them: the
 * cron triggers for partition maintenance and alert evaluation, and the event trigger that
 * notifies the alert webhook, with URLs and the shared secret from the environment.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, metadata, startTestEngine } from './helpers.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

let db: TestDatabase;
let engine: RunningEngine;
let hooks: TestReceiver;
const SECRET = 'project-webhook-secret-0123456789';

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'projtrig' });
  hooks = await startReceiver();
  engine = await startTestEngine(db.url, {
    HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
    STREAMSYNC_WEBHOOK_BASE: hooks.url,
    STREAMSYNC_WEBHOOK_SECRET: SECRET,
    HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL: '100',
  });
});

afterAll(async () => {
  await engine?.close();
  await hooks?.close();
  await db?.drop();
});

describe('Engine > Project triggers', () => {
  it('should declare the cron triggers with webhooks from the environment', async () => {
    const { cron_triggers: crons } = await metadata(engine, {
      type: 'get_cron_triggers',
      args: {},
    });
    expect(
      crons.map((c: { name: string; webhook: string; schedule: string }) => [
        c.name,
        c.webhook,
        c.schedule,
      ]),
    ).toEqual([
      ['maintain_partitions', '{{STREAMSYNC_WEBHOOK_BASE}}/hooks/maintain-partitions', '7 * * * *'],
    ]);
    // the scheduler fills in each cron trigger's next events as it starts
    const upcoming = async () =>
      (
        await api(engine, '/v1/metadata', {
          type: 'get_scheduled_events',
          args: { type: 'cron', trigger_name: 'maintain_partitions', get_rows_count: true },
        })
      ).body.count as number;
    const deadline = Date.now() + 10_000;
    while ((await upcoming()) < 100 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await upcoming()).toBe(100);
  });

  it('should notify the alert webhook, with the shared secret, when an alert row is inserted', async () => {
    const r = await api(engine, '/v2/query', {
      type: 'run_sql',
      args: {
        sql: `INSERT INTO public.alerts (rule_name, stream, metric, op, threshold, for_seconds, entity_id,
                                           started_at, fired_at, fired_value)
              VALUES ('hot sensor', 'sensor_readings', 'temperature', 'above', 30, 0, 1, now(), now(), 42)`,
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await hooks.until((h) => h.some((x) => x.path === '/hooks/alert-fired'));
    const hit = hooks.on('/hooks/alert-fired')[0]!;
    expect(hit.headers['x-streamsync-webhook-secret']).toBe(SECRET);
    expect(hit.body.trigger.name).toBe('alert_fired');
    const alert = hit.body.event.data.new;
    expect([alert.rule_name, Number(alert.fired_value), alert.state]).toEqual([
      'hot sensor',
      42,
      'firing',
    ]);
  });
});
