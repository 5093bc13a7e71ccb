/**
 * Event triggers against a real Postgres and real webhooks: Hasura's payload and session
 * variables, retries and timeouts, webhooks that hang, fail, answer garbage or cannot be reached
 * (none holds up other events or requests, all show in the logs, invocation records and
 * metrics), manual invocation, redelivery, log clean-up, and the SQL side following the metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

let db: TestDatabase;
let engine: RunningEngine;
let hooks: TestReceiver;

const trigger = (
  name: string,
  table: string,
  webhook: string,
  extra: Record<string, unknown> = {},
) =>
  metadata(engine, {
    type: 'pg_create_event_trigger',
    args: {
      name,
      table,
      webhook,
      insert: { columns: '*' },
      update: { columns: '*' },
      delete: { columns: '*' },
      ...extra,
    },
  });

async function rows<T = Record<string, unknown>>(sqlText: string): Promise<T[]> {
  const r = await runSql(engine, sqlText);
  const [header, ...data] = r.result as string[][];
  return data.map((row) => Object.fromEntries(header!.map((h, i) => [h, row[i]])) as T);
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'events', empty: true });
  hooks = await startReceiver();
  engine = await startTestEngine(db.url, {
    STREAMSYNC_WEBHOOK_BASE: hooks.url,
    HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL: '100',
    HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES: 'true',
    NOTE_HOOK_TOKEN: 's3cret',
  });
  await runSql(
    engine,
    `CREATE TABLE note (id bigserial PRIMARY KEY, body text, meta jsonb);
     CREATE TABLE flaky (id serial PRIMARY KEY, v text);
     CREATE TABLE mixed (id serial PRIMARY KEY, v text)`,
  );
  for (const t of ['note', 'flaky', 'mixed'])
    await metadata(engine, { type: 'pg_track_table', args: { table: t } });
});

afterAll(async () => {
  await engine?.close();
  await hooks?.close();
  await db?.drop();
});

describe('Engine > Event triggers', () => {
  it("should deliver Hasura's payload of a GraphQL mutation, with its session variables and headers", async () => {
    await trigger('note_all', 'note', '{{STREAMSYNC_WEBHOOK_BASE}}/ok', {
      headers: [
        { name: 'X-Token', value_from_env: 'NOTE_HOOK_TOKEN' },
        { name: 'X-Fixed', value: 'yes' },
      ],
    });
    const r = await gql(
      engine,
      `mutation { insert_note_one(object: {body: "hello", meta: {a: 1}}) { id } }`,
      undefined,
      { 'x-hasura-role': 'admin', 'x-hasura-user-id': '7' },
    );
    expect(r.errors).toBeUndefined();
    await hooks.until((h) =>
      h.some((x) => x.path === '/ok' && x.body.trigger?.name === 'note_all'),
    );
    const hit = hooks.on('/ok').find((x) => x.body.trigger.name === 'note_all')!;
    expect(hit.headers['x-token']).toBe('s3cret');
    expect(hit.headers['x-fixed']).toBe('yes');
    expect(hit.headers['user-agent']).toBe('hasura-graphql-engine/v2.48.10');
    expect(Object.keys(hit.body)).toEqual([
      'id',
      'table',
      'trigger',
      'event',
      'delivery_info',
      'created_at',
    ]);
    expect(hit.body.table).toEqual({ schema: 'public', name: 'note' });
    expect(hit.body.event.op).toBe('INSERT');
    expect(hit.body.event.data).toEqual({
      old: null,
      new: { id: '1', body: 'hello', meta: { a: 1 } },
    });
    expect(hit.body.event.session_variables).toEqual({
      'x-hasura-role': 'admin',
      'x-hasura-user-id': '7',
    });
    expect(hit.body.delivery_info).toEqual({ current_retry: 0, max_retries: 0 });
    expect(hit.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);

    await hooks.until(() => false, 300).catch(() => {}); // the record lands after the answer
    const [ev] = await rows(
      `SELECT delivered, error, tries, locked FROM hdb_catalog.event_log WHERE id = '${hit.body.id}'`,
    );
    expect(ev).toEqual({ delivered: 't', error: 'f', tries: '1', locked: null });
    const [inv] = await rows<{
      status: string;
      request: string;
      response: string;
      trigger_name: string;
    }>(
      `SELECT status, request, response, trigger_name FROM hdb_catalog.event_invocation_logs WHERE event_id = '${hit.body.id}'`,
    );
    expect(inv!.status).toBe('200');
    expect(inv!.trigger_name).toBe('note_all');
    const request = JSON.parse(inv!.request);
    expect(request.version).toBe('2');
    expect(request.payload).toEqual(hit.body);
    // a header from the environment is recorded by its variable, never its value
    expect(request.headers).toContainEqual({ name: 'X-Token', value_from_env: 'NOTE_HOOK_TOKEN' });
    expect(JSON.stringify(request)).not.toContain('s3cret');
    expect(JSON.parse(inv!.response)).toMatchObject({
      type: 'webhook_response',
      version: '2',
      data: { status: 200 },
    });

    // an update that changes nothing is no event; one that changes a column is
    await api(engine, '/v1/query', {
      type: 'update',
      args: { table: 'note', where: { id: 1 }, $set: { body: 'hello' } },
    });
    await api(engine, '/v1/query', {
      type: 'update',
      args: { table: 'note', where: { id: 1 }, $set: { body: 'world' } },
    });
    await hooks.until((h) => h.some((x) => x.body.event?.op === 'UPDATE'));
    const updates = hooks.hits.filter((x) => x.body.event?.op === 'UPDATE');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body.event.data.old.body).toBe('hello');
    expect(updates[0]!.body.event.data.new.body).toBe('world');
  });

  it('should retry a failing webhook num_retries times, interval_sec apart, then mark the event failed', async () => {
    await trigger('flaky_fail', 'flaky', '{{STREAMSYNC_WEBHOOK_BASE}}/fail', {
      retry_conf: { num_retries: 2, interval_sec: 1, timeout_sec: 5 },
    });
    await api(engine, '/v1/query', {
      type: 'insert',
      args: { table: 'flaky', objects: [{ v: 'x' }] },
    });
    await hooks.until((h) => h.filter((x) => x.path === '/fail').length >= 3, 15_000);
    const tries = hooks.on('/fail');
    expect(tries.map((t) => t.body.delivery_info.current_retry)).toEqual([0, 1, 2]);
    expect(tries.map((t) => t.body.delivery_info.max_retries)).toEqual([2, 2, 2]);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(900);
    await new Promise((r) => setTimeout(r, 1500));
    expect(hooks.on('/fail')).toHaveLength(3);
    const [ev] = await rows(
      `SELECT delivered, error, tries FROM hdb_catalog.event_log WHERE trigger_name = 'flaky_fail'`,
    );
    expect(ev).toEqual({ delivered: 'f', error: 't', tries: '3' });
    const invs = await rows<{ status: string; response: string }>(
      `SELECT status, response FROM hdb_catalog.event_invocation_logs WHERE trigger_name = 'flaky_fail'`,
    );
    expect(invs).toHaveLength(3);
    for (const i of invs) {
      expect(i.status).toBe('500');
      expect(JSON.parse(i.response)).toEqual({
        type: 'client_error',
        data: { message: 'boom' },
        version: '2',
      });
    }
    await metadata(engine, { type: 'pg_delete_event_trigger', args: { name: 'flaky_fail' } });
  });

  it('should keep hanging, failing, garbage and unreachable webhooks from holding up other events and requests', async () => {
    const bad = { retry_conf: { num_retries: 0, interval_sec: 1, timeout_sec: 2 } };
    await trigger('mixed_hang', 'mixed', '{{STREAMSYNC_WEBHOOK_BASE}}/hang', bad);
    await trigger('mixed_fail', 'mixed', '{{STREAMSYNC_WEBHOOK_BASE}}/fail', bad);
    await trigger('mixed_garbage', 'mixed', '{{STREAMSYNC_WEBHOOK_BASE}}/garbage', bad);
    await trigger('mixed_unreachable', 'mixed', 'http://127.0.0.1:1/nothing', bad);
    await trigger('mixed_ok', 'mixed', '{{STREAMSYNC_WEBHOOK_BASE}}/ok');
    const started = Date.now();
    await api(engine, '/v1/query', {
      type: 'insert',
      args: { table: 'mixed', objects: Array.from({ length: 20 }, (_, i) => ({ v: `r${i}` })) },
    });
    const okHits = () => hooks.hits.filter((h) => h.body.trigger?.name === 'mixed_ok');
    await hooks.until(() => okHits().length === 20, 10_000);
    // while 20 calls hang, the good webhook got all its events and GraphQL answers
    await hooks.until(() => hooks.on('/hang').length === 20, 5000);
    const q = await gql(engine, `{ mixed_aggregate { aggregate { count } } }`);
    expect(q.data?.mixed_aggregate.aggregate.count).toBe(20);
    expect(Date.now() - started).toBeLessThan(10_000);

    const outcome = async () =>
      rows<{ trigger_name: string; n: string; delivered: string; error: string }>(
        `SELECT trigger_name, count(*)::text AS n, count(*) FILTER (WHERE delivered)::text AS delivered,
                count(*) FILTER (WHERE error)::text AS error
           FROM hdb_catalog.event_log WHERE table_name = 'mixed' GROUP BY 1 ORDER BY 1`,
      );
    const deadline = Date.now() + 15_000;
    while (
      (await outcome()).some((r) => Number(r.delivered) + Number(r.error) < 20) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 200));
    expect(await outcome()).toEqual([
      { trigger_name: 'mixed_fail', n: '20', delivered: '0', error: '20' },
      { trigger_name: 'mixed_garbage', n: '20', delivered: '20', error: '0' },
      { trigger_name: 'mixed_hang', n: '20', delivered: '0', error: '20' },
      { trigger_name: 'mixed_ok', n: '20', delivered: '20', error: '0' },
      { trigger_name: 'mixed_unreachable', n: '20', delivered: '0', error: '20' },
    ]);
    const one = async (name: string) =>
      (
        await rows<{ status: string | null; response: string }>(
          `SELECT status, response FROM hdb_catalog.event_invocation_logs WHERE trigger_name = '${name}' LIMIT 1`,
        )
      )[0]!;
    const hang = await one('mixed_hang');
    expect(hang.status).toBeNull();
    expect(JSON.parse(JSON.parse(hang.response).data.message)).toMatchObject({
      type: 'http_exception',
    });
    expect(hang.response).toContain('timeout');
    const unreachable = await one('mixed_unreachable');
    expect(unreachable.status).toBeNull();
    expect(unreachable.response).toContain('ECONNREFUSED');
    const garbage = await one('mixed_garbage');
    expect(garbage.status).toBe('200');
    expect(JSON.parse(garbage.response).data.body).toBe('{"not json');

    const metrics = await (await fetch(`${engine.url}/metrics`)).text();
    expect(metrics).toMatch(
      /hasura_event_invocations_total\{trigger_name="mixed_hang",status="failed"\} 20/,
    );
    expect(metrics).toMatch(
      /hasura_event_processed_total\{trigger_name="mixed_ok",status="success"\} 20/,
    );
    expect(metrics).toMatch(/hasura_event_trigger_http_workers 0/);
  });

  it('should follow Retry-After from the webhook', async () => {
    await runSql(engine, `CREATE TABLE throttled (id serial PRIMARY KEY)`);
    await metadata(engine, { type: 'pg_track_table', args: { table: 'throttled' } });
    await trigger('throttled_all', 'throttled', '{{STREAMSYNC_WEBHOOK_BASE}}/retry-after', {
      retry_conf: { num_retries: 0, interval_sec: 60 },
    });
    await api(engine, '/v1/query', { type: 'insert', args: { table: 'throttled', objects: [{}] } });
    // retried although num_retries is 0, after the answer's 1 s rather than interval_sec
    await hooks.until((h) => h.filter((x) => x.path === '/retry-after').length >= 2, 10_000);
    const [a, b] = hooks.on('/retry-after');
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(900);
    expect(b!.at - a!.at).toBeLessThan(5000);
    await metadata(engine, { type: 'pg_delete_event_trigger', args: { name: 'throttled_all' } });
  });

  it('should invoke a trigger by hand, redeliver an event and clean up old logs', async () => {
    await runSql(engine, `CREATE TABLE manual (id serial PRIMARY KEY)`);
    await metadata(engine, { type: 'pg_track_table', args: { table: 'manual' } });
    await metadata(engine, {
      type: 'pg_create_event_trigger',
      args: {
        name: 'manual_only',
        table: 'manual',
        webhook: '{{STREAMSYNC_WEBHOOK_BASE}}/manual',
        enable_manual: true,
      },
    });
    const inv = await metadata(engine, {
      type: 'pg_invoke_event_trigger',
      args: { name: 'manual_only', payload: { hello: 'there' } },
    });
    expect(typeof inv.event_id).toBe('string');
    await hooks.until((h) => h.some((x) => x.body.id === inv.event_id));
    const hit = hooks.hits.find((x) => x.body.id === inv.event_id)!;
    expect(hit.body.event.op).toBe('MANUAL');
    expect(hit.body.event.data).toEqual({ old: null, new: { hello: 'there' } });
    await hooks.until(() => false, 300).catch(() => {});

    await metadata(engine, { type: 'pg_redeliver_event', args: { event_id: inv.event_id } });
    await hooks.until((h) => h.filter((x) => x.body.id === inv.event_id).length === 2);
    const missing = await api(engine, '/v1/metadata', {
      type: 'pg_redeliver_event',
      args: { event_id: 'nope' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ code: 'not-exists', error: 'event not found', path: '$.args' });

    // the delivery is recorded after the hook has answered: wait for the record, not the hit
    const logs = await waitFor('the redelivery recorded as delivered', async () => {
      const l = await metadata(engine, {
        type: 'pg_get_event_logs',
        args: { name: 'manual_only' },
      });
      return (l as Array<{ delivered: boolean }>)[0]?.delivered ? l : null;
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      id: inv.event_id,
      trigger_name: 'manual_only',
      delivered: true,
    });

    await hooks.until(() => false, 300).catch(() => {});
    const cleaned = await metadata(engine, {
      type: 'cleanup_event_trigger_logs',
      args: { event_trigger_name: 'manual_only', clear_older_than: 0, clean_invocation_logs: true },
    });
    expect(cleaned).toEqual({ deleted_event_logs: 1, deleted_event_invocation_logs: 2 });
    expect(
      await metadata(engine, { type: 'pg_get_event_logs', args: { name: 'manual_only' } }),
    ).toEqual([]);
  });

  it('should keep the SQL triggers in step with the metadata and refuse what would break them', async () => {
    const fns = async () =>
      (
        await rows<{ proname: string }>(
          `SELECT proname FROM pg_proc WHERE proname LIKE 'notify_hasura_note_all_%' ORDER BY 1`,
        )
      ).map((r) => r.proname);
    expect(await fns()).toEqual([
      'notify_hasura_note_all_DELETE',
      'notify_hasura_note_all_INSERT',
      'notify_hasura_note_all_UPDATE',
    ]);
    const exported = await metadata(engine, { type: 'export_metadata', args: {} });
    const note = exported.sources[0].tables.find(
      (t: { table: { name: string } }) => t.table.name === 'note',
    );
    expect(note.event_triggers[0]).toMatchObject({
      name: 'note_all',
      webhook: '{{STREAMSYNC_WEBHOOK_BASE}}/ok',
      definition: { enable_manual: false, insert: { columns: '*' } },
      retry_conf: { num_retries: 0, interval_sec: 10, timeout_sec: 60 },
    });
    // dropping a column the payload names is refused; a table goes with its triggers
    await runSql(engine, `ALTER TABLE note ADD COLUMN extra int`);
    await metadata(engine, {
      type: 'pg_create_event_trigger',
      args: {
        name: 'note_extra',
        table: 'note',
        webhook: '{{STREAMSYNC_WEBHOOK_BASE}}/ok',
        update: { columns: ['extra'] },
      },
    });
    const dep = await api(engine, '/v2/query', {
      type: 'run_sql',
      args: { sql: 'ALTER TABLE note DROP COLUMN extra' },
    });
    expect(dep.status).toBe(400);
    expect(dep.body.code).toBe('dependency-error');
    expect(dep.body.error).toContain('event-trigger public.note.note_extra');

    // replace_metadata without the triggers drops their SQL side and archives their events
    const without = structuredClone(exported);
    for (const t of without.sources[0].tables) delete t.event_triggers;
    await metadata(engine, { type: 'replace_metadata', args: without });
    expect(await fns()).toEqual([]);
    await api(engine, '/v1/query', {
      type: 'insert',
      args: { table: 'note', objects: [{ body: 'unseen' }] },
    });
    expect(
      await rows(
        `SELECT id FROM hdb_catalog.event_log WHERE payload->'data'->'new'->>'body' = 'unseen'`,
      ),
    ).toEqual([]);
    await metadata(engine, { type: 'replace_metadata', args: exported });
    expect(await fns()).toHaveLength(3);
  });

  it("should refuse bad definitions with Hasura's errors", async () => {
    const create = (args: Record<string, unknown>) =>
      api(engine, '/v1/metadata', {
        type: 'pg_create_event_trigger',
        args: { table: 'note', webhook: 'http://127.0.0.1:1', insert: { columns: '*' }, ...args },
      });
    expect((await create({ name: 'bad name' })).body).toEqual({
      code: 'parse-failed',
      error: 'only alphanumeric and underscore and hyphens allowed for name',
      path: '$.args',
    });
    expect((await create({ name: 'note_all' })).body).toEqual({
      code: 'already-exists',
      error: 'Event trigger with name "note_all" already exists',
      path: '$.args',
    });
    expect((await create({ name: 'x', webhook_from_env: 'A' })).body.error).toBe(
      'only one of webhook or webhook_from_env should be given',
    );
    expect((await create({ name: 'x', insert: undefined })).body.error).toBe(
      'atleast one amongst insert/update/delete/enable_manual spec must be provided',
    );
    expect((await create({ name: 'x', webhook: '{{NOT_SET_ANYWHERE}}' })).body).toMatchObject({
      code: 'not-found',
      error: 'Value for environment variables not found: NOT_SET_ANYWHERE',
    });
    expect((await create({ name: 'x', update: { columns: ['nope'] } })).body).toMatchObject({
      code: 'not-exists',
      error: 'column "nope" does not exist',
    });
    const r = await api(engine, '/v1/metadata', {
      type: 'pg_delete_event_trigger',
      args: { name: 'nope' },
    });
    expect(r.body).toEqual({
      code: 'not-exists',
      error: 'event trigger "nope" does not exist',
      path: '$.args',
    });
  });
});
