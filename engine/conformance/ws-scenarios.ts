/**
 * The WebSocket scenarios of SUBSCRIPTIONS.md, driven over both protocols (Apollo
 * `subscriptions-transport-ws` with `start`/`data`/`stop`, and `graphql-transport-ws` with
 * `subscribe`/`next`/`complete`):
 *
 * - `subscriptions/basic`: the protocol checks (ack, terminate, unknown frames, stop without or
 *   with an unknown id, a query over the socket), reported as extra cases `SUBSCRIPTIONS.md#…`;
 * - `subscriptions/live_queries/steps.yaml`: three live queries follow each mutation of the steps;
 * - `subscriptions/streaming/steps.yaml`: a stream follows rows inserted while subscribed, plus the
 *   static-data, renamed-column and tied-cursor scenarios as extra cases.
 *
 * A step passes when it passes over both protocols. Payloads are compared with the README's rules
 * (compare.ts, key order ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { deepEqual } from './compare.ts';
import { postJson } from './http-client.ts';
import { open, wsUrl, type Frame, type FrameQueue } from './websocket.ts';
import { loadYaml, type Json } from './yaml-load.ts';

export type WsProtocol = 'graphql-ws' | 'graphql-transport-ws';
export const PROTOCOLS: WsProtocol[] = ['graphql-ws', 'graphql-transport-ws'];

export interface ScenarioEnv {
  baseUrl: string;
  /** admin headers (the admin secret when one is configured) */
  headers: Record<string, string>;
  dirPath: string;
  /** a per-scenario fresh setup (per_case style) */
  setup(): Promise<string | undefined>;
  teardown(): Promise<string | undefined>;
}

export interface Outcome {
  ok: boolean;
  reason?: string;
}

const SILENCE_MS = 3000;
const FRAME_MS = 15_000;

class Failed extends Error {}

const fail = (why: string): never => {
  throw new Failed(why);
};

function show(x: unknown): string {
  const t = JSON.stringify(x);
  return t === undefined ? String(x) : t.length > 300 ? `${t.slice(0, 297)}...` : t;
}

function same(expected: unknown, actual: unknown, what: string): void {
  const diffs: string[] = [];
  if (!deepEqual(expected, actual, '$', diffs, false))
    fail(`${what}: ${diffs[0] ?? `expected ${show(expected)}, got ${show(actual)}`}`);
}

const start = (p: WsProtocol) => (p === 'graphql-ws' ? 'start' : 'subscribe');
const stop = (p: WsProtocol) => (p === 'graphql-ws' ? 'stop' : 'complete');
const dataType = (p: WsProtocol) => (p === 'graphql-ws' ? 'data' : 'next');

async function connect(env: ScenarioEnv, p: WsProtocol): Promise<FrameQueue> {
  const q = await open(wsUrl(env.baseUrl, '/v1/graphql'), p, 5000);
  q.send({
    type: 'connection_init',
    payload: Object.keys(env.headers).length ? { headers: env.headers } : {},
  });
  const ack = await q.next(FRAME_MS);
  if (!ack || ack.type !== 'connection_ack')
    fail(`expected connection_ack, got ${ack ? show(ack) : 'nothing'}`);
  return q;
}

/** Frames arrive for several operations at once: keep the ones not asked for yet. */
class Inbox {
  private readonly held: Frame[] = [];
  constructor(private readonly q: FrameQueue) {}

  async next(id: string, what: string): Promise<Frame> {
    const i = this.held.findIndex((f) => f.id === id);
    if (i >= 0) return this.held.splice(i, 1)[0]!;
    const deadline = Date.now() + FRAME_MS;
    for (;;) {
      const f = await this.q.next(Math.max(1, deadline - Date.now()));
      if (!f)
        return fail(
          `${what}: nothing for ${id}${this.q.closed ? ` (closed ${this.q.closed.code})` : ''}`,
        );
      if (f.id === id) return f;
      this.held.push(f);
    }
  }

  async silence(what: string): Promise<void> {
    if (this.held.length) fail(`${what}: unexpected ${show(this.held[0])}`);
    const f = await this.q.next(SILENCE_MS);
    if (f) fail(`${what}: unexpected ${show(f)}`);
  }
}

async function data(inbox: Inbox, p: WsProtocol, id: string, what: string): Promise<unknown> {
  const f = await inbox.next(id, what);
  if (f.type !== dataType(p)) fail(`${what}: expected ${dataType(p)}, got ${show(f)}`);
  const payload = f.payload as { data?: unknown; errors?: unknown };
  if (payload.errors) fail(`${what}: errors ${show(payload.errors)}`);
  return payload.data;
}

/** Send a mutation over the socket: its data, then `complete`. */
async function mutate(
  q: FrameQueue,
  inbox: Inbox,
  p: WsProtocol,
  id: string,
  query: string,
  variables: unknown,
  response: unknown,
): Promise<void> {
  q.send({ id, type: start(p), payload: { query, variables } });
  const f = await inbox.next(id, `mutation ${id}`);
  if (f.type !== dataType(p)) fail(`mutation ${id}: expected ${dataType(p)}, got ${show(f)}`);
  same({ data: response }, f.payload, `mutation ${id}`);
  const done = await inbox.next(id, `mutation ${id} complete`);
  if (done.type !== 'complete') fail(`mutation ${id}: expected complete, got ${show(done)}`);
}

function steps(env: ScenarioEnv): Array<Record<string, Json>> {
  const doc = loadYaml(fs.readFileSync(path.join(env.dirPath, 'steps.yaml'), 'utf8'));
  return (Array.isArray(doc) ? doc : [doc]) as Array<Record<string, Json>>;
}

const parsed = (v: Json | undefined): unknown =>
  typeof v === 'string' ? (JSON.parse(v) as unknown) : (v ?? null);

/** Run `body` per protocol with a fresh setup; per-step outcomes are merged over protocols. */
async function perProtocol(
  env: ScenarioEnv,
  n: number,
  body: (p: WsProtocol, record: (i: number, o: Outcome) => void) => Promise<void>,
): Promise<Outcome[]> {
  const out: Outcome[] = Array.from({ length: n }, () => ({ ok: true }));
  for (const p of PROTOCOLS) {
    const seen = new Set<number>();
    const record = (i: number, o: Outcome) => {
      seen.add(i);
      if (!o.ok && out[i]!.ok) out[i] = { ok: false, reason: `${p}: ${o.reason}` };
    };
    const problem = await env.setup();
    try {
      if (problem) throw new Failed(`setup failed: ${problem}`);
      await body(p, record);
    } catch (e) {
      const why = e instanceof Failed ? e.message : (e as Error).message;
      for (let i = 0; i < n; i++) if (!seen.has(i)) record(i, { ok: false, reason: why });
    } finally {
      await env.teardown();
    }
  }
  return out;
}

/** SUBSCRIPTIONS.md "live queries": one outcome per item of steps.yaml. */
export async function liveQueriesScenario(env: ScenarioEnv): Promise<Outcome[]> {
  const items = steps(env);
  const limits = [1, 2, 2];
  return perProtocol(env, items.length, async (p, record) => {
    const q = await connect(env, p);
    const inbox = new Inbox(q);
    try {
      for (let n = 0; n < 3; n++) {
        q.send({
          id: `live_${n}`,
          type: start(p),
          payload: {
            query: `subscription ($result_limit: Int!) { hge_tests_live_query_${n}: hge_tests_test_t2(order_by: {c1: asc}, limit: $result_limit) { c1, c2 } }`,
            variables: { result_limit: limits[n] },
          },
        });
      }
      for (let n = 0; n < 3; n++)
        same(
          { [`hge_tests_live_query_${n}`]: [] },
          await data(inbox, p, `live_${n}`, `live_${n} first`),
          `live_${n} first`,
        );
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        try {
          const response = parsed(item.response) as Record<string, { returning?: unknown[] }>;
          await mutate(
            q,
            inbox,
            p,
            `mutation_${i}`,
            String(item.query),
            parsed(item.variables),
            response,
          );
          const name = String(item.name);
          const expected = (
            item.live_response !== undefined
              ? parsed(item.live_response)
              : (response[name]?.returning ?? [])
          ) as unknown[];
          for (let n = 0; n < 3; n++) {
            const got = await data(inbox, p, `live_${n}`, `live_${n} after step ${i}`);
            same(
              { [`hge_tests_live_query_${n}`]: expected.slice(0, limits[n]) },
              got,
              `live_${n} after step ${i}`,
            );
          }
          if (i === items.length - 1) {
            for (let n = 0; n < 3; n++) q.send({ id: `live_${n}`, type: stop(p) });
            await inbox.silence('after stop');
          }
          record(i, { ok: true });
        } catch (e) {
          if (!(e instanceof Failed)) throw e;
          record(i, { ok: false, reason: e.message });
          throw e;
        }
      }
    } finally {
      q.ws.terminate();
    }
  });
}

async function streamFrames(
  inbox: Inbox,
  p: WsProtocol,
  id: string,
  count: number,
  field: string,
): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const d = (await data(inbox, p, id, `stream batch ${i + 1}`)) as Record<string, unknown>;
    const rows = d?.[field];
    if (!Array.isArray(rows)) return fail(`stream batch ${i + 1}: no ${field} in ${show(d)}`);
    if (rows.length === 0) fail(`stream batch ${i + 1}: an empty batch was sent`);
    out.push(rows);
  }
  return out;
}

/** SUBSCRIPTIONS.md streaming scenario 2: one outcome per item of steps.yaml. */
export async function streamingStepsScenario(env: ScenarioEnv): Promise<Outcome[]> {
  const items = steps(env);
  return perProtocol(env, items.length, async (p, record) => {
    const q = await connect(env, p);
    const inbox = new Inbox(q);
    try {
      q.send({
        id: 'stream_1',
        type: start(p),
        payload: {
          query:
            'subscription ($batch_size: Int!, $initial_created_at: timestamptz!) { hge_tests_stream_query: hge_tests_test_t2_stream(cursor: [{initial_value: {created_at: $initial_created_at}, ordering: ASC}], batch_size: $batch_size) { c1 c2 } }',
          variables: { batch_size: 2, initial_created_at: '2020-01-01' },
        },
      });
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        try {
          await mutate(
            q,
            inbox,
            p,
            `mutation_${i}`,
            String(item.query),
            parsed(item.variables),
            parsed(item.response),
          );
          const got = await data(inbox, p, 'stream_1', `stream after step ${i}`);
          same(
            { hge_tests_stream_query: parsed(item.stream_response) },
            got,
            `stream after step ${i}`,
          );
          record(i, { ok: true });
        } catch (e) {
          if (!(e instanceof Failed)) throw e;
          record(i, { ok: false, reason: e.message });
          throw e;
        }
      }
    } finally {
      q.ws.terminate();
    }
  });
}

async function v1(env: ScenarioEnv, endpoint: string, body: unknown): Promise<void> {
  const res = await postJson(env.baseUrl, endpoint, body, env.headers);
  if (res.status !== 200) fail(`${endpoint} answered ${res.status}: ${res.text.slice(0, 200)}`);
}

/** SUBSCRIPTIONS.md streaming scenarios 1, 3 and 4, each its own extra case. */
export async function streamingExtraScenarios(
  env: ScenarioEnv,
): Promise<Array<{ name: string } & Outcome>> {
  const scenarios: Array<{ name: string; run(p: WsProtocol): Promise<void> }> = [
    {
      name: 'static-data',
      async run(p) {
        await v1(env, '/v1/query', {
          type: 'insert',
          args: {
            table: { schema: 'hge_tests', name: 'articles' },
            objects: Array.from({ length: 10 }, (_, i) => ({
              id: i + 1,
              title: `Article title ${i + 1}`,
            })),
          },
        });
        const q = await connect(env, p);
        const inbox = new Inbox(q);
        try {
          q.send({
            id: 'stream_1',
            type: start(p),
            payload: {
              query:
                'subscription ($batch_size: Int!) { hge_tests_stream_query: hge_tests_articles_stream(cursor: {initial_value: {id: 0}}, batch_size: $batch_size) { id title } }',
              variables: { batch_size: 2 },
            },
          });
          const got = await streamFrames(inbox, p, 'stream_1', 5, 'hge_tests_stream_query');
          same(
            [1, 3, 5, 7, 9].map((i) => [
              { id: i, title: `Article title ${i}` },
              { id: i + 1, title: `Article title ${i + 1}` },
            ]),
            got,
            'batches',
          );
          q.send({ id: 'stream_1', type: stop(p) });
          await inbox.silence('after stop');
        } finally {
          q.ws.terminate();
        }
      },
    },
    {
      name: 'renamed-cursor-column',
      async run(p) {
        const q = await connect(env, p);
        const inbox = new Inbox(q);
        try {
          q.send({
            id: 'stream_1',
            type: start(p),
            payload: {
              query:
                'subscription ($batch_size: Int!) { hge_tests_stream_query: hge_tests_users_stream(cursor: {initial_value: {userId: 0}}, batch_size: $batch_size) { userId name } }',
              variables: { batch_size: 1 },
            },
          });
          same(
            [[{ userId: 1, name: 'Name 1' }], [{ userId: 2, name: 'Name 2' }]],
            await streamFrames(inbox, p, 'stream_1', 2, 'hge_tests_stream_query'),
            'batches',
          );
        } finally {
          q.ws.terminate();
        }
      },
    },
    {
      name: 'duplicate-cursor-values',
      async run(p) {
        await v1(env, '/v1/query', {
          type: 'run_sql',
          args: {
            sql: `ALTER TABLE hge_tests.articles ADD COLUMN IF NOT EXISTS priority INT;
DELETE FROM hge_tests.articles;
INSERT INTO hge_tests.articles (id, priority) VALUES (7, 1), (6, 2), (5, 2), (4, 2), (1, 3), (2, 4), (3, 5);`,
          },
        });
        const q = await connect(env, p);
        const inbox = new Inbox(q);
        try {
          q.send({
            id: 'stream_1',
            type: start(p),
            payload: {
              query:
                'subscription ($batch_size: Int!) { stream_data: hge_tests_articles_stream(cursor: [{initial_value: {priority: 0}, ordering: ASC}], batch_size: $batch_size) { id priority } }',
              variables: { batch_size: 2 },
            },
          });
          const got = (await streamFrames(inbox, p, 'stream_1', 3, 'stream_data')) as Array<
            Array<{ id: number; priority: number }>
          >;
          same(
            [[1, 2, 2, 2], [3, 4], [5]],
            got.map((b) => b.map((r) => r.priority)),
            'priorities',
          );
          same(
            [[4, 5, 6, 7], [1, 2], [3]],
            got.map((b) => b.map((r) => r.id).sort((a, b) => a - b)),
            'ids',
          );
        } finally {
          q.ws.terminate();
        }
      },
    },
  ];
  const out: Array<{ name: string } & Outcome> = [];
  for (const s of scenarios) {
    const [outcome] = await perProtocol(env, 1, async (p, record) => {
      await s.run(p);
      record(0, { ok: true });
    });
    out.push({ name: s.name, ...outcome! });
  }
  return out;
}

/** SUBSCRIPTIONS.md "basic protocol", per protocol: each check its own extra case. */
export async function basicProtocolScenarios(
  env: ScenarioEnv,
  adminSecretSet: boolean,
): Promise<Array<{ name: string } & Outcome>> {
  const sub = 'subscription { hge_tests_test_t1(order_by: {c1: desc}, limit: 1) { c1, c2 } }';
  const query = 'query { hge_tests_test_t1(order_by: {c1: desc}, limit: 1) { c1, c2 } }';
  const checks: Array<{ name: string; p: WsProtocol; run(): Promise<void> }> = [];
  for (const p of PROTOCOLS) {
    const apollo = p === 'graphql-ws';
    checks.push(
      {
        name: `${p}-init`,
        p,
        run: async () => (await connect(env, p)).ws.terminate(),
      },
      {
        name: `${p}-terminate`,
        p,
        async run() {
          if (!apollo) return; // connection_terminate is Apollo's
          const q = await connect(env, p);
          q.send({ type: 'connection_terminate' });
          const f = await q.next(SILENCE_MS);
          if (f) fail(`unexpected ${show(f)} after connection_terminate`);
          q.ws.terminate();
        },
      },
      {
        name: `${p}-unknown-frame`,
        p,
        async run() {
          const q = await connect(env, p);
          try {
            q.send({ type: 'test' });
            const f = await q.next(FRAME_MS);
            if (apollo) {
              if (f?.type !== 'connection_error') fail(`expected connection_error, got ${show(f)}`);
            } else if (f || !q.closed) fail(`expected the server to close, got ${show(f)}`);
          } finally {
            q.ws.terminate();
          }
        },
      },
      {
        name: `${p}-subscription-and-stop-without-id`,
        p,
        async run() {
          const q = await connect(env, p);
          const inbox = new Inbox(q);
          try {
            const id = `sub-${Math.random().toString(36).slice(2)}`;
            q.send({ id, type: start(p), payload: { query: sub } });
            await data(inbox, p, id, 'subscription');
            q.send({ type: stop(p) });
            const f = await q.next(FRAME_MS);
            if (apollo) {
              if (f?.type !== 'connection_error') fail(`expected connection_error, got ${show(f)}`);
            } else if (f || !q.closed) fail(`expected the server to close, got ${show(f)}`);
          } finally {
            q.ws.terminate();
          }
        },
      },
      {
        name: `${p}-stop-unknown-id`,
        p,
        async run() {
          const q = await connect(env, p);
          try {
            q.send({ id: '1', type: stop(p) });
            const f = await q.next(SILENCE_MS);
            if (f) fail(`unexpected ${show(f)}`);
          } finally {
            q.ws.terminate();
          }
        },
      },
      {
        name: `${p}-query`,
        p,
        async run() {
          const q = await connect(env, p);
          const inbox = new Inbox(q);
          try {
            q.send({ id: '2', type: start(p), payload: { query } });
            await data(inbox, p, '2', 'query');
            const done = await inbox.next('2', 'complete');
            if (done.type !== 'complete') fail(`expected complete, got ${show(done)}`);
          } finally {
            q.ws.terminate();
          }
        },
      },
    );
    if (adminSecretSet) {
      checks.push({
        name: `${p}-init-without-secret`,
        p,
        async run() {
          const q = await open(wsUrl(env.baseUrl, '/v1/graphql'), p, 5000);
          q.send({ type: 'connection_init', payload: { headers: {} } });
          const deadline = Date.now() + 2000;
          while (!q.closed && Date.now() < deadline) await q.next(deadline - Date.now());
          if (!q.closed) fail('the server did not close the connection within 2 s');
        },
      });
    }
  }
  const out: Array<{ name: string } & Outcome> = [];
  for (const c of checks) {
    try {
      await c.run();
      out.push({ name: c.name, ok: true });
    } catch (e) {
      out.push({ name: c.name, ok: false, reason: (e as Error).message });
    }
  }
  return out;
}
