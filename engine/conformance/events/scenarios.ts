/**
 * The Python-only scenarios of Hasura's event and scheduled trigger tests, as EVENTS.md describes
 * them, driven over HTTP against the engine with the receiver of receiver.ts. Each scenario is
 * one result, with id `<dir>/EVENTS.md#<Class.test>`. Checks EVENTS.md marks *internal* (reading
 * Hasura's catalog) are made too where cheap: this engine keeps Hasura's catalog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { deepEqual } from '../compare.ts';
import { postJson, type PostResult } from '../http-client.ts';
import { loadYaml } from '../yaml-load.ts';
import type { EventReceiver, ReceivedRequest } from './receiver.ts';

export interface EventsEnv {
  baseUrl: string;
  /** admin headers (the admin secret when one is configured) */
  headers: Record<string, string>;
  dirPath: string;
  receiver: EventReceiver;
  /** the directory's per-test setup and teardown (per_case / setup_override); per_dir: none */
  setup(): Promise<string | undefined>;
  teardown(): Promise<string | undefined>;
}

export interface Outcome {
  ok: boolean;
  reason?: string;
}

class Failed extends Error {}
const fail = (why: string): never => {
  throw new Failed(why);
};
const show = (x: unknown) => {
  const t = JSON.stringify(x);
  return t === undefined ? String(x) : t.length > 400 ? `${t.slice(0, 397)}...` : t;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(
  env: EventsEnv,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  status = 200,
): Promise<PostResult> {
  const res = await postJson(env.baseUrl, url, body, { ...headers, ...env.headers });
  if (res.status !== status)
    fail(
      `POST ${url} ${show(body)}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`,
    );
  return res;
}

async function postFile(
  env: EventsEnv,
  file: string,
  url = '/v1/query',
  status = 200,
): Promise<PostResult> {
  const body = loadYaml(fs.readFileSync(path.join(env.dirPath, file), 'utf8'));
  return post(env, url, body, {}, status);
}

const table = (name: string) => ({ schema: 'hge_tests', name });
const ins = (env: EventsEnv, t: string, objects: unknown[], headers: Record<string, string> = {}) =>
  post(
    env,
    '/v1/query',
    { type: 'insert', args: { table: table(t), objects, returning: [] } },
    headers,
  );
const upd = (
  env: EventsEnv,
  t: string,
  where: unknown,
  set: unknown,
  headers: Record<string, string> = {},
) =>
  post(env, '/v1/query', { type: 'update', args: { table: table(t), where, $set: set } }, headers);
const del = (env: EventsEnv, t: string, where: unknown, headers: Record<string, string> = {}) =>
  post(env, '/v1/query', { type: 'delete', args: { table: table(t), where } }, headers);

interface Expected {
  trigger: string;
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  data: { old: unknown; new: unknown };
  headers?: Record<string, string>;
  path?: string;
  session?: Record<string, string>;
  retry?: number;
  timeoutMs?: number;
}

function same(expected: unknown, actual: unknown, what: string): void {
  const diffs: string[] = [];
  if (!deepEqual(expected, actual, '$', diffs, false))
    fail(`${what}: ${diffs[0] ?? `expected ${show(expected)}, got ${show(actual)}`}`);
}

/** EVENTS.md, "What a delivered event must look like". */
function checkEvent(r: ReceivedRequest, e: Expected): void {
  if (r.path !== (e.path ?? '/')) fail(`path: expected ${e.path ?? '/'}, got ${r.path}`);
  for (const [k, v] of Object.entries(e.headers ?? {}))
    if (r.headers[k.toLowerCase()] !== v)
      fail(`header ${k}: expected ${v}, got ${r.headers[k.toLowerCase()]}`);
  const b = r.body as Record<string, Record<string, unknown>>;
  for (const k of ['created_at', 'event', 'id', 'table', 'trigger'])
    if (!b || !(k in b)) fail(`the body has no "${k}": ${show(b)}`);
  if (!('data' in b.event!) || !('op' in b.event!))
    fail(`event without data or op: ${show(b.event)}`);
  same(table(e.table), b.table, 'table');
  same(e.trigger, b.trigger!.name, 'trigger.name');
  same(e.op, b.event!.op, 'event.op');
  same(
    e.session ?? { 'x-hasura-role': 'admin' },
    b.event!.session_variables,
    'event.session_variables',
  );
  same(e.data, b.event!.data, 'event.data');
  same(
    e.retry ?? 0,
    (b.delivery_info as Record<string, unknown> | undefined)?.current_retry,
    'delivery_info.current_retry',
  );
}

async function expectEvent(env: EventsEnv, e: Expected): Promise<void> {
  const r = await env.receiver.next(e.timeoutMs ?? 3000);
  if (!r) fail(`no ${e.op} event of ${e.trigger} within ${e.timeoutMs ?? 3000} ms`);
  checkEvent(r!, e);
}

async function expectNone(env: EventsEnv, ms = 0): Promise<void> {
  if (ms > 0) await sleep(ms);
  const r = await env.receiver.next(0);
  if (r) fail(`expected no event, got ${r.path} ${show(r.body)}`);
}

/** Run a scenario inside the per-test setup/teardown; a failing teardown fails it too. */
async function withSetup(env: EventsEnv, body: () => Promise<void>): Promise<Outcome> {
  const problem = await env.setup();
  if (problem) return { ok: false, reason: `setup failed: ${problem}` };
  let outcome: Outcome = { ok: true };
  try {
    await body();
  } catch (e) {
    outcome = { ok: false, reason: (e as Error).message };
  }
  const td = await env.teardown();
  if (td && outcome.ok) outcome = { ok: false, reason: `teardown failed: ${td}` };
  return outcome;
}

const row = { c1: 1, c2: 'hello' };

/** ins / upd / del of basic: the three events of `trigger` on test_t1. */
async function basicThree(env: EventsEnv, trigger: string, pathName = '/'): Promise<void> {
  await ins(env, 'test_t1', [row]);
  await expectEvent(env, {
    trigger,
    table: 'test_t1',
    op: 'INSERT',
    data: { old: null, new: row },
    path: pathName,
  });
  await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' });
  await expectEvent(env, {
    trigger,
    table: 'test_t1',
    op: 'UPDATE',
    data: { old: row, new: { c1: 1, c2: 'world' } },
    path: pathName,
  });
  await del(env, 'test_t1', { c1: 1 });
  await expectEvent(env, {
    trigger,
    table: 'test_t1',
    op: 'DELETE',
    data: { old: { c1: 1, c2: 'world' }, new: null },
    path: pathName,
  });
}

type Scenario = (env: EventsEnv) => Promise<Outcome>;

const run =
  (f: (env: EventsEnv) => Promise<void>): Scenario =>
  (env) =>
    withSetup(env, () => f(env));

/** Scenarios by `<dir>#<Class.test>`. */
export const EVENT_SCENARIOS: Record<string, Scenario> = {
  'event_triggers/basic#TestCreateEventQueryPostgresMSSQL.test_basic': run((env) =>
    basicThree(env, 't1_all'),
  ),
  'event_triggers/basic#TestCreateEventQueryPostgres.test_partitioned_table_basic_insert': run(
    async (env) => {
      await postFile(env, 'partition_table_setup.yaml');
      const r = { city_id: 1, logdate: '2006-02-02', peaktemp: 1, unitsales: 1 };
      await ins(env, 'measurement', [r]);
      await expectEvent(env, {
        trigger: 'measurement_all',
        table: 'measurement',
        op: 'INSERT',
        data: { old: null, new: r },
      });
      await postFile(env, 'partition_table_teardown.yaml');
    },
  ),
  'event_triggers/basic#TestEventSessionVariables.test_basic': run(async (env) => {
    const h1 = {
      'x-hasura-role': 'admin',
      'x-hasura-allowed-roles': "['admin','user']",
      'x-hasura-user-id': '1',
    };
    await ins(env, 'test_t1', [row], h1);
    await expectEvent(env, {
      trigger: 't1_all',
      table: 'test_t1',
      op: 'INSERT',
      data: { old: null, new: row },
      session: h1,
    });
    const h2 = {
      'x-hasura-role': 'admin',
      'x-hasura-random': 'some_random_info',
      'X-Random-Header': 'not_session_variable',
    };
    await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' }, h2);
    await expectEvent(env, {
      trigger: 't1_all',
      table: 'test_t1',
      op: 'UPDATE',
      data: { old: row, new: { c1: 1, c2: 'world' } },
      session: { 'x-hasura-role': 'admin', 'x-hasura-random': 'some_random_info' },
    });
    await del(env, 'test_t1', { c1: 1 });
    await expectEvent(env, {
      trigger: 't1_all',
      table: 'test_t1',
      op: 'DELETE',
      data: { old: { c1: 1, c2: 'world' }, new: null },
    });
  }),
  'event_triggers/delete_query#TestDeleteEventQuery.test_delete_basic': run(async (env) => {
    await ins(env, 'test_t1', [row]);
    await expectNone(env);
    await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' });
    await expectNone(env);
    await del(env, 'test_t1', { c1: 1 });
    await expectNone(env, 2000);
  }),
  'event_triggers/insert_only#TestEventInsertOnly.test_insert_only': run(async (env) => {
    await ins(env, 'test_t1', [row]);
    await expectEvent(env, {
      trigger: 't1_insert',
      table: 'test_t1',
      op: 'INSERT',
      data: { old: null, new: row },
    });
    await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' });
    await expectNone(env);
    await del(env, 'test_t1', { c1: 1 });
    await expectNone(env, 2000);
  }),
  'event_triggers/selected_cols#TestEventSelCols.test_selected_cols': async (env) =>
    attempt(async () => {
      await ins(env, 'test_t1', [row]);
      await expectEvent(env, {
        trigger: 't1_cols',
        table: 'test_t1',
        op: 'INSERT',
        data: { old: null, new: row },
      });
      await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' });
      await expectNone(env);
      await upd(env, 'test_t1', { c1: 1 }, { c1: 2 });
      await expectEvent(env, {
        trigger: 't1_cols',
        table: 'test_t1',
        op: 'UPDATE',
        data: { old: { c1: 1, c2: 'world' }, new: { c1: 2, c2: 'world' } },
      });
      await del(env, 'test_t1', { c1: 2 });
      await expectEvent(env, {
        trigger: 't1_cols',
        table: 'test_t1',
        op: 'DELETE',
        data: { old: { c1: 2, c2: 'world' }, new: null },
      });
    }),
  'event_triggers/selected_cols#TestEventSelCols.test_selected_cols_dep': async (env) =>
    attempt(async () => {
      const r = await post(
        env,
        '/v1/query',
        { type: 'run_sql', args: { sql: 'alter table hge_tests.test_t1 drop column c1' } },
        {},
        400,
      );
      same('dependency-error', (r.body as { code?: string }).code, 'code');
      await post(env, '/v1/query', {
        type: 'run_sql',
        args: { sql: 'alter table hge_tests.test_t1 drop column c2' },
      });
    }),
  'event_triggers/selected_payload#TestEventSelPayload.test_selected_payload': async (env) =>
    attempt(async () => {
      await ins(env, 'test_t1', [row]);
      await expectEvent(env, {
        trigger: 't1_payload',
        table: 'test_t1',
        op: 'INSERT',
        data: { old: null, new: row },
      });
      await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' });
      await expectEvent(env, {
        trigger: 't1_payload',
        table: 'test_t1',
        op: 'UPDATE',
        data: { old: { c1: 1 }, new: { c1: 1 } },
      });
      await upd(env, 'test_t1', { c1: 1 }, { c1: 2 });
      await expectEvent(env, {
        trigger: 't1_payload',
        table: 'test_t1',
        op: 'UPDATE',
        data: { old: { c1: 1 }, new: { c1: 2 } },
      });
      await del(env, 'test_t1', { c1: 2 });
      await expectEvent(env, {
        trigger: 't1_payload',
        table: 'test_t1',
        op: 'DELETE',
        data: { old: { c2: 'world' }, new: null },
      });
    }),
  'event_triggers/selected_payload#TestEventSelPayload.test_selected_payload_dep': async (env) =>
    attempt(async () => {
      for (const c of ['c1', 'c2']) {
        const r = await post(
          env,
          '/v1/query',
          { type: 'run_sql', args: { sql: `alter table hge_tests.test_t1 drop column ${c}` } },
          {},
          400,
        );
        same('dependency-error', (r.body as { code?: string }).code, `dropping ${c}: code`);
      }
    }),
  'event_triggers/headers#TestEventHeadersPostgresMSSQL.test_basic': run(async (env) => {
    await ins(env, 'test_t1', [row]);
    await expectEvent(env, {
      trigger: 't1_all',
      table: 'test_t1',
      op: 'INSERT',
      data: { old: null, new: row },
      headers: { 'X-Header-From-Value': 'MyValue', 'X-Header-From-Env': 'MyEnvValue' },
    });
  }),
  'event_triggers/webhook_env#TestWebhookEvent.test_basic': run((env) => basicThree(env, 't1_all')),
  'event_triggers/webhook_template_url#TestEventWebhookTemplateURL.test_basic': run((env) =>
    basicThree(env, 't1_all', '/trigger'),
  ),
  'event_triggers/update_query#TestUpdateEventQuery.test_update_basic': async (env) =>
    attempt(async () => {
      await postFile(env, 'create-setup.yaml');
      const res = await postFile(env, 'update-setup.yaml');
      const exported = (res.body as Array<Record<string, unknown>>)[1] as {
        sources: Array<{ tables: Array<{ event_triggers: Array<{ webhook: string }> }> }>;
      };
      same(
        '{{EVENT_WEBHOOK_HANDLER}}/new',
        exported.sources[0]?.tables[0]?.event_triggers[0]?.webhook,
        'exported webhook',
      );
      try {
        const r1 = { c1: 1, c2: 'hello', c3: { name: 'clarke' } };
        await ins(env, 'test_t1', [r1]);
        await expectNone(env);
        await upd(env, 'test_t1', { c1: 1 }, { c2: 'world' });
        await expectNone(env);
        await upd(env, 'test_t1', { c1: 1 }, { c3: { name: 'bellamy' } });
        const w = { c1: 1, c2: 'world', c3: { name: 'clarke' } };
        const b = { ...w, c3: { name: 'bellamy' } };
        await expectEvent(env, {
          trigger: 't1_cols',
          table: 'test_t1',
          op: 'UPDATE',
          data: { old: w, new: b },
          path: '/new',
        });
        await upd(env, 'test_t1', { c1: 1 }, { c1: 2 });
        await expectEvent(env, {
          trigger: 't1_cols',
          table: 'test_t1',
          op: 'UPDATE',
          data: { old: b, new: { ...b, c1: 2 } },
          path: '/new',
        });
        await del(env, 'test_t1', { c1: 2 });
        await expectEvent(env, {
          trigger: 't1_cols',
          table: 'test_t1',
          op: 'DELETE',
          data: { old: { ...b, c1: 2 }, new: null },
          path: '/new',
        });
      } finally {
        await postFile(env, 'teardown.yaml');
      }
    }),
  'event_triggers/retry_conf#TestEventRetryConfPostgresMSSQL.test_basic': run(async (env) => {
    await ins(env, 'test_t1', [row]);
    for (let i = 0; i <= 4; i++)
      await expectEvent(env, {
        trigger: 't1_retry',
        table: 'test_t1',
        op: 'INSERT',
        data: { old: null, new: row },
        path: '/fail',
        retry: i,
      });
  }),
  'event_triggers/retry_conf#TestEventRetryConfPostgresMSSQL.test_timeout_short': run(
    async (env) => {
      await ins(env, 'test_t2', [row]);
      for (let i = 0; i <= 2; i++)
        await expectEvent(env, {
          trigger: 't2_timeout_short',
          table: 'test_t2',
          op: 'INSERT',
          data: { old: null, new: row },
          path: '/sleep_2s',
          retry: i,
          timeoutMs: 5000,
        });
    },
  ),
  'event_triggers/retry_conf#TestEventRetryConfPostgresMSSQL.test_timeout_long': run(
    async (env) => {
      await ins(env, 'test_t3', [row]);
      await sleep(2000);
      await expectEvent(env, {
        trigger: 't3_timeout_long',
        table: 'test_t3',
        op: 'INSERT',
        data: { old: null, new: row },
        path: '/sleep_2s',
      });
    },
  ),
  'event_triggers/retry_conf#TestEventRetryConfPostgresMSSQL.test_queue_empty': run((env) =>
    expectNone(env, 3000),
  ),
  'event_triggers/async_execution#TestEventsAsynchronousExecutionPostgresMSSQL.test_async_execution':
    run(async (env) => {
      await ins(
        env,
        'test_t1',
        [1, 2, 3, 4, 5].map((c1) => ({ c1, c2: 'hello' })),
      );
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const r = await env.receiver.next(5000);
        if (!r) fail(`only ${i} of 5 deliveries within 5 s each`);
      }
      const elapsed = Date.now() - started;
      if (elapsed >= 10_000) fail(`five 2 s webhooks took ${elapsed} ms: calls are not concurrent`);
    }),
  'event_triggers/flood#TestEventFloodPostgresMSSQL.test_flood': run(async (env) => {
    await ins(
      env,
      'test_flood',
      Array.from({ length: 1000 }, (_, i) => ({ c1: i + 1, c2: 'hello' })),
    );
    const locked = async () => {
      const r = await post(env, '/v1/query', {
        type: 'run_sql',
        args: {
          sql: "select count(*) from hdb_catalog.event_log where table_name = 'test_flood' and locked is not null",
        },
      });
      return Number((r.body as { result: string[][] }).result[1]![0]);
    };
    const backpressure = async (what: string) => {
      let last = '';
      for (let i = 0; i < 30; i++) {
        const held = env.receiver.held();
        const n = await locked();
        if (held === 8 && n === 200) return;
        last = `${held} requests held, ${n} events locked`;
        await sleep(300);
      }
      fail(`${what}: expected 8 requests held and 200 events locked, got ${last}`);
    };
    await backpressure('after the insert');
    await sleep(3000);
    await backpressure('3 s later');
    env.receiver.unblock();
    const seen: number[] = [];
    while (seen.length < 1000) {
      const r = await env.receiver.next(30_000);
      if (!r) fail(`only ${seen.length} of 1000 deliveries`);
      seen.push((r!.body as { event: { data: { new: { c1: number } } } }).event.data.new.c1);
    }
    seen.sort((a, b) => a - b);
    same(
      Array.from({ length: 1000 }, (_, i) => i + 1),
      seen,
      'delivered c1 values',
    );
  }),
  'event_triggers/data_format#TestEventDataFormat.test_bigint': async (env) =>
    attempt(async () => {
      // an exact integer beyond 2^53: written as a bigint, sent as its digits
      await ins(env, 'test_bigint', [{ id: 50755254975729665n, name: 'hello' }]);
      await expectEvent(env, {
        trigger: 'bigint_all',
        table: 'test_bigint',
        op: 'INSERT',
        data: { old: null, new: { id: '50755254975729665', name: 'hello' } },
      });
    }),
  'event_triggers/data_format#TestEventDataFormat.test_geojson': async (env) =>
    attempt(async () => {
      await upd(env, 'test_geojson', { id: 1 }, { id: 2 });
      const L = {
        type: 'Point',
        coordinates: [-43.77, 45.64],
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4326' } },
      };
      await expectEvent(env, {
        trigger: 'geojson_all',
        table: 'test_geojson',
        op: 'UPDATE',
        data: { old: { id: 1, location: L }, new: { id: 2, location: L } },
      });
    }),
  'event_triggers/manual_events#TestManualEvents.test_basic': run((env) => manualBasic(env)),
  'event_triggers/manual_events#TestManualEvents.test_basic_with_reload_metadata': run(
    async (env) => {
      for (let i = 0; i < 5; i++) {
        await manualBasic(env);
        await post(env, '/v1/metadata', {
          type: 'reload_metadata',
          args: { source: 'mssql', reload_sources: true },
        });
        await manualBasic(env);
      }
    },
  ),
  // not a manifest scenario: the delivery check upstream makes after basic_transform.yaml
  'event_triggers/transform#TestEventTransform.test_basic': async (env) =>
    attempt(async () => {
      const r = { id: 0, first_name: 'Simon', last_name: 'Marlow' };
      await ins(env, 'test_t1', [r]);
      const got = await env.receiver.next(3000);
      if (!got) fail('no delivery within 3 s');
      same('/?foo=bar', got!.path, 'path');
      same(r, got!.body, 'body');
      same('bar', got!.headers.foo, 'header foo');
      if ('user-agent' in got!.headers)
        fail(`user-agent should be removed, got ${got!.headers['user-agent']}`);
    }),
};

async function manualBasic(env: EventsEnv): Promise<void> {
  await postFile(env, 'enabled.yaml', '/v1/metadata', 200);
  await postFile(env, 'disabled.yaml', '/v1/metadata', 400);
}

async function attempt(f: () => Promise<void>): Promise<Outcome> {
  try {
    await f();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

// ---------------------------------------------------------------- scheduled_triggers

/** Schedule-related scenarios run against the scheduled-event receiver, by URL. */
export const SCHEDULED_SCENARIOS: Record<string, Scenario> = {
  'scheduled_triggers#TestScheduledEvent.test_scheduled_events': (env) =>
    attempt(async () => {
      const url = env.receiver.url;
      const now = new Date().toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
      const common = {
        payload: { foo: 'baz' },
        headers: [{ name: 'header-key', value: 'header-value' }],
      };
      const res = await post(env, '/v1/query', {
        type: 'bulk',
        args: [
          {
            type: 'create_scheduled_event',
            args: {
              ...common,
              webhook: `${url}/test`,
              schedule_at: now,
              comment: 'test scheduled event',
            },
          },
          {
            type: 'create_scheduled_event',
            args: { ...common, webhook: `${url}/`, schedule_at: '2020-01-01T00:00:00Z' },
          },
          {
            type: 'create_scheduled_event',
            args: {
              ...common,
              webhook: `${url}/fail`,
              schedule_at: now,
              retry_conf: {
                num_retries: 1,
                retry_interval_seconds: 1,
                timeout_seconds: 1,
                tolerance_seconds: 21600,
              },
            },
          },
        ],
      });
      const ids = (res.body as Array<{ event_id?: string }>).map((x) => x.event_id);
      if (ids.length !== 3 || ids.some((x) => typeof x !== 'string'))
        fail(`expected three event ids, got ${show(res.body)}`);
      const got: ReceivedRequest[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await env.receiver.next(12_000);
        if (!r) fail(`only ${i} of 3 deliveries (12 s each)`);
        got.push(r!);
      }
      same(['/fail', '/fail', '/test'], got.map((g) => g.path).sort(), 'delivery paths');
      const t = got.find((g) => g.path === '/test')!;
      same('header-value', t.headers['header-key'], 'header-key');
      const b = t.body as Record<string, unknown>;
      same({ foo: 'baz' }, b.payload, 'payload');
      for (const k of ['scheduled_time', 'created_at', 'id'])
        if (!(k in b)) fail(`the /test body has no "${k}"`);
      // internal: the statuses reach error (2 tries), delivered (1), dead (0)
      let last = '';
      for (let i = 0; i < 100; i++) {
        const r = await post(env, '/v1/query', {
          type: 'run_sql',
          args: {
            sql: 'select status, tries from hdb_catalog.hdb_scheduled_events order by status desc',
          },
        });
        last = JSON.stringify((r.body as { result: string[][] }).result.slice(1));
        if (
          last ===
          JSON.stringify([
            ['error', '2'],
            ['delivered', '1'],
            ['dead', '0'],
          ])
        )
          return;
        await sleep(300);
      }
      fail(`event statuses: expected error/2, delivered/1, dead/0, got ${last}`);
    }),
};

/** TestCronTrigger: eight steps that depend on each other, one result each. */
export async function cronTriggerScenarios(env: EventsEnv): Promise<Array<[string, Outcome]>> {
  const url = env.receiver.url;
  const minute = (new Date().getUTCMinutes() + 30) % 60;
  const cron = {
    name: 'cron_trigger',
    webhook: `${url}/foo`,
    schedule: `${minute} * * * *`,
    headers: [{ name: 'foo', value: 'baz' }],
    payload: { foo: 'baz' },
    include_in_metadata: true,
  };
  const futureEvents = async (name: string) => {
    const r = await post(env, '/v1/query', {
      type: 'run_sql',
      args: {
        sql: `select count(*) from hdb_catalog.hdb_cron_events where trigger_name = '${name}' and status = 'scheduled' and scheduled_time > now()`,
      },
    });
    return Number((r.body as { result: string[][] }).result[1]![0]);
  };
  const steps: Array<[string, () => Promise<void>]> = [
    [
      'test_create_cron_schedule_triggers',
      async () => {
        const r = await post(env, '/v1/query', { type: 'create_cron_trigger', args: cron });
        same({ message: 'success' }, r.body, 'response');
      },
    ],
    [
      'test_check_generated_cron_scheduled_events',
      async () => same(100, await futureEvents('cron_trigger'), 'future cron events'),
    ],
    [
      'test_update_existing_cron_trigger',
      async () => {
        const headers = [{ name: 'header-name', value: 'header-value' }];
        await post(env, '/v1/query', {
          type: 'create_cron_trigger',
          args: { ...cron, headers, replace: true },
        });
        const md = (await post(env, '/v1/query', { type: 'export_metadata', args: {} })).body as {
          cron_triggers?: Array<{ name: string; headers?: unknown }>;
        };
        same(
          headers,
          md.cron_triggers?.find((t) => t.name === 'cron_trigger')?.headers,
          'exported headers',
        );
        same(100, await futureEvents('cron_trigger'), 'future cron events');
      },
    ],
    [
      'test_check_fired_webhook_event',
      async () => {
        await post(env, '/v1/query', {
          type: 'create_cron_trigger',
          args: {
            name: 'test_cron_trigger',
            webhook: `${url}/test`,
            schedule: '* * * * *',
            headers: [{ name: 'header-key', value: 'header-value' }],
            payload: { foo: 'baz' },
            include_in_metadata: false,
          },
        });
        const r = await env.receiver.next(75_000);
        if (!r) fail('no cron delivery within 75 s');
        same('/test', r!.path, 'path');
        same('header-value', r!.headers['header-key'], 'header-key');
        same({ foo: 'baz' }, (r!.body as Record<string, unknown>).payload, 'payload');
        same('test_cron_trigger', (r!.body as Record<string, unknown>).name, 'name');
      },
    ],
    [
      'test_get_cron_triggers',
      async () => {
        const r = await post(env, '/v1/metadata', { type: 'get_cron_triggers', args: {} });
        const retry = {
          num_retries: 0,
          retry_interval_seconds: 10,
          timeout_seconds: 60,
          tolerance_seconds: 21600,
        };
        same(
          {
            cron_triggers: [
              {
                headers: [{ name: 'header-name', value: 'header-value' }],
                include_in_metadata: true,
                name: 'cron_trigger',
                payload: { foo: 'baz' },
                retry_conf: retry,
                schedule: cron.schedule,
                webhook: `${url}/foo`,
              },
              {
                headers: [{ name: 'header-key', value: 'header-value' }],
                include_in_metadata: false,
                name: 'test_cron_trigger',
                payload: { foo: 'baz' },
                retry_conf: retry,
                schedule: '* * * * *',
                webhook: `${url}/test`,
              },
            ],
          },
          r.body,
          'get_cron_triggers',
        );
      },
    ],
    [
      'test_export_and_import_cron_triggers',
      async () => {
        const md = (await post(env, '/v1/query', { type: 'export_metadata', args: {} })).body as {
          cron_triggers?: unknown[];
        };
        same(
          [
            {
              headers: [{ name: 'header-name', value: 'header-value' }],
              include_in_metadata: true,
              name: 'cron_trigger',
              payload: { foo: 'baz' },
              schedule: cron.schedule,
              webhook: `${url}/foo`,
            },
          ],
          md.cron_triggers,
          'exported cron_triggers',
        );
        await post(env, '/v1/query', { type: 'replace_metadata', args: md });
        const n = await futureEvents('cron_trigger');
        if (n < 100) fail(`expected 100 future events after replace_metadata, got ${n}`);
      },
    ],
    [
      'test_attempt_to_create_duplicate_cron_trigger_fail',
      async () => {
        const r = await post(
          env,
          '/v1/query',
          {
            type: 'create_cron_trigger',
            args: {
              name: 'test_cron_trigger',
              webhook: `${url}/test`,
              schedule: '* * * * *',
              headers: [{ name: 'header-key', value: 'header-value' }],
              payload: { foo: 'baz' },
              include_in_metadata: false,
            },
          },
          {},
          400,
        );
        same(
          {
            code: 'already-exists',
            error: 'cron trigger with name: test_cron_trigger already exists',
            path: '$.args',
          },
          r.body,
          'error',
        );
      },
    ],
    [
      'test_delete_cron_scheduled_trigger',
      async () => {
        await post(env, '/v1/query', {
          type: 'bulk',
          args: [
            { type: 'delete_cron_trigger', args: { name: 'cron_trigger' } },
            { type: 'delete_cron_trigger', args: { name: 'test_cron_trigger' } },
          ],
        });
      },
    ],
  ];
  const out: Array<[string, Outcome]> = [];
  for (const [name, step] of steps) out.push([`TestCronTrigger.${name}`, await attempt(step)]);
  return out;
}
