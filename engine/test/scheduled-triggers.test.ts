/**
 * Cron triggers and one-off scheduled events on a real Postgres: delivery with Hasura's payload,
 * retries, `dead` past the tolerance, delivery after downtime within it, and an engine killed
 * with SIGKILL while delivering (the event goes back to `scheduled` once nobody holds it, and
 * another engine delivers it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { spawnEngine } from './engine-process.ts';
import { api, metadata, startTestEngine } from './helpers.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

let db: TestDatabase;
let hooks: TestReceiver;
let client: pg.Client;
let engine: RunningEngine | undefined;

const FAST = { STREAMSYNC_SCHEDULED_EVENTS_FETCH_INTERVAL: '300' };

async function status(table: string, id: string): Promise<{ status: string; tries: number }> {
  const r = await query<{ status: string; tries: number }>(
    client,
    sql`SELECT status, tries FROM ${sql.ident('hdb_catalog', table)} WHERE id = ${sql.value(id)}`,
  );
  return r.rows[0]!;
}

const within = { timeoutMs: 20_000, intervalMs: 100 };

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'scheduled', empty: true });
  hooks = await startReceiver();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await engine?.close();
  await client?.end();
  await hooks?.close();
  await db?.drop();
});

describe('Engine > Scheduled triggers', () => {
  it('should deliver one-off events, retry them, and mark those past their tolerance dead', async () => {
    engine = await startTestEngine(db.url, FAST);
    const now = new Date().toISOString();
    const ok = await metadata(engine, {
      type: 'create_scheduled_event',
      args: {
        webhook: `${hooks.url}/ok`,
        schedule_at: now,
        payload: { a: 1 },
        comment: 'hi',
        headers: [{ name: 'x-k', value: 'v' }],
      },
    });
    const failing = await metadata(engine, {
      type: 'create_scheduled_event',
      args: {
        webhook: `${hooks.url}/fail`,
        schedule_at: now,
        retry_conf: { num_retries: 1, retry_interval_seconds: 1, timeout_seconds: 1 },
      },
    });
    const old = await metadata(engine, {
      type: 'create_scheduled_event',
      args: { webhook: `${hooks.url}/ok`, schedule_at: '2020-01-01T00:00:00Z' },
    });
    await waitFor(
      'the failing event to be in error',
      async () => (await status('hdb_scheduled_events', failing.event_id)).status === 'error',
      within,
    );
    await waitFor(
      'the ok event to be delivered',
      async () => (await status('hdb_scheduled_events', ok.event_id)).status === 'delivered',
      within,
    );
    expect(await status('hdb_scheduled_events', old.event_id)).toEqual({
      status: 'dead',
      tries: 0,
    });
    expect(await status('hdb_scheduled_events', failing.event_id)).toEqual({
      status: 'error',
      tries: 2,
    });
    const hit = hooks.on('/ok').find((h) => h.body.id === ok.event_id)!;
    expect(hit.headers['x-k']).toBe('v');
    expect(Object.keys(hit.body)).toEqual([
      'id',
      'scheduled_time',
      'payload',
      'comment',
      'created_at',
    ]);
    expect(hit.body.payload).toEqual({ a: 1 });
    expect(hit.body.comment).toBe('hi');
    expect(hit.body.created_at).toMatch(/Z$/);
    const inv = await metadata(engine, {
      type: 'get_scheduled_event_invocations',
      args: { type: 'one_off', event_id: failing.event_id },
    });
    expect(inv.invocations).toHaveLength(2);
    expect(inv.invocations[0].response).toMatchObject({ type: 'client_error', version: '1' });
    const listed = await metadata(engine, {
      type: 'get_scheduled_events',
      args: { type: 'one_off', status: ['dead'], get_rows_count: true },
    });
    expect(listed.count).toBe(1);
    expect(listed.events[0].id).toBe(old.event_id);
  });

  it('should keep cron triggers in the metadata and deliver the events that fell due while it was down', async () => {
    await metadata(engine!, {
      type: 'create_cron_trigger',
      args: {
        name: 'hourly',
        webhook: `${hooks.url}/cron`,
        schedule: '0 * * * *',
        payload: { job: 'maintain' },
        include_in_metadata: true,
        retry_conf: { tolerance_seconds: 3600 },
      },
    });
    const future = sql`SELECT count(*)::int AS n FROM hdb_catalog.hdb_cron_events
                        WHERE trigger_name = 'hourly' AND scheduled_time > now()`;
    const gen = await query<{ n: number }>(client, future);
    expect(gen.rows[0]!.n).toBe(100);
    const dup = await api(engine!, '/v1/metadata', {
      type: 'create_cron_trigger',
      args: {
        name: 'hourly',
        webhook: 'http://x',
        schedule: '* * * * *',
        include_in_metadata: true,
      },
    });
    expect(dup.body).toEqual({
      code: 'already-exists',
      error: 'cron trigger with name: hourly already exists',
      path: '$.args',
    });
    const bad = await api(engine!, '/v1/metadata', {
      type: 'create_cron_trigger',
      args: { name: 'x', webhook: 'http://x', schedule: 'every minute', include_in_metadata: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('parse-failed');

    // the engine is down across two scheduled times: one within the tolerance, one beyond it
    await engine!.close();
    engine = undefined;
    const past = await query(
      client,
      sql`INSERT INTO hdb_catalog.hdb_cron_events (trigger_name, scheduled_time)
          VALUES ('hourly', now() - interval '10 minutes'), ('hourly', now() - interval '2 hours')
          RETURNING id, scheduled_time`,
    );
    const [recent, stale] = past.rows as Array<{ id: string }>;
    engine = await startTestEngine(db.url, FAST);
    await waitFor(
      'the recent cron event to be delivered',
      async () => (await status('hdb_cron_events', recent!.id)).status === 'delivered',
      within,
    );
    expect(await status('hdb_cron_events', stale!.id)).toEqual({ status: 'dead', tries: 0 });
    const hit = hooks.on('/cron').find((h) => h.body.id === recent!.id)!;
    expect(hit.body.name).toBe('hourly');
    expect(hit.body.payload).toEqual({ job: 'maintain' });
    expect(hit.body.scheduled_time).toMatch(/Z$/);

    const exported = await metadata(engine, { type: 'export_metadata', args: {} });
    expect(exported.cron_triggers).toEqual([
      {
        name: 'hourly',
        webhook: `${hooks.url}/cron`,
        schedule: '0 * * * *',
        include_in_metadata: true,
        payload: { job: 'maintain' },
        retry_conf: {
          num_retries: 0,
          retry_interval_seconds: 10,
          timeout_seconds: 60,
          tolerance_seconds: 3600,
        },
      },
    ]);
    await metadata(engine, { type: 'delete_cron_trigger', args: { name: 'hourly' } });
    const left = await query<{ n: number }>(client, future);
    expect(left.rows[0]!.n).toBe(0);
    await engine.close();
    engine = undefined;
  });

  it('should hand an event of an engine killed mid-delivery to another engine', async () => {
    const first = await spawnEngine(db.url, { ...FAST, LOG_LEVEL: 'silent' });
    try {
      const r = await fetch(`${first.url}/v1/metadata`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'create_scheduled_event',
          args: { webhook: `${hooks.url}/slow?ms=1500`, schedule_at: new Date().toISOString() },
        }),
      });
      const { event_id: id } = (await r.json()) as { event_id: string };
      await hooks.until((h) => h.some((x) => x.body.id === id));
      expect((await status('hdb_scheduled_events', id)).status).toBe('locked');
      await first.kill9();
      engine = await startTestEngine(db.url, FAST);
      await waitFor(
        'the event to be delivered',
        async () => (await status('hdb_scheduled_events', id)).status === 'delivered',
        within,
      );
      expect(hooks.hits.filter((x) => x.body.id === id)).toHaveLength(2);
      expect(await status('hdb_scheduled_events', id)).toEqual({ status: 'delivered', tries: 1 });
    } finally {
      await first.stop();
    }
  }, 60_000);
});
