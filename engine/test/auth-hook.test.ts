/**
 * Webhook authentication against a real hook server and a real Postgres: GET and POST modes, the
 * headers and request the hook receives, 200 → session variables (permissions apply), 401 →
 * access-denied, answers reused while their Cache-Control allows and not longer, the admin secret
 * before the hook, and WebSocket connection_init.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

const SECRET = 'auth-hook-secret';

interface HookCall {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * The hook: the `token` header (GET) or `headers.token` (POST) names the user; `deny` refuses;
 * `cache` adds `Cache-Control: max-age=<value>` to the answer.
 */
class Hook {
  readonly calls: HookCall[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.calls.push({ method: req.method ?? '', headers: req.headers, body });
      const given =
        req.method === 'POST'
          ? ((JSON.parse(body) as { headers: Record<string, string> }).headers ?? {})
          : (req.headers as Record<string, string>);
      if (given.token === 'deny') return res.writeHead(401).end('{}');
      const answer: Record<string, string> = {
        'x-hasura-role': 'user',
        'x-hasura-user-id': String(given.token),
        'not-a-session-variable': 'ignored',
      };
      if (given.cache) answer['Cache-Control'] = `max-age=${given.cache}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/auth`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let db: TestDatabase;
const hook = new Hook();
let getEngine: RunningEngine;
let postEngine: RunningEngine;

async function gqlAs(
  e: RunningEngine,
  query: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${e.url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'authhook', empty: true });
  const url = await hook.start();
  const env = { HASURA_GRAPHQL_ADMIN_SECRET: SECRET, HASURA_GRAPHQL_AUTH_HOOK: url };
  getEngine = await startTestEngine(db.url, env);
  postEngine = await startTestEngine(db.url, { ...env, HASURA_GRAPHQL_AUTH_HOOK_MODE: 'POST' });
  const admin = { 'x-hasura-admin-secret': SECRET };
  const setup = await api(
    getEngine,
    '/v2/query',
    {
      type: 'run_sql',
      args: {
        sql: `CREATE TABLE account (id int PRIMARY KEY, name text);
              INSERT INTO account VALUES (1, 'alice'), (2, 'bob');`,
      },
    },
    admin,
  );
  expect(setup.status).toBe(200);
  const md = await api(
    getEngine,
    '/v1/metadata',
    {
      type: 'bulk',
      args: [
        { type: 'pg_track_table', args: { table: 'account' } },
        {
          type: 'pg_create_select_permission',
          args: {
            table: 'account',
            role: 'user',
            permission: { columns: ['id', 'name'], filter: { id: { _eq: 'X-Hasura-User-Id' } } },
          },
        },
      ],
    },
    admin,
  );
  expect(md.status, JSON.stringify(md.body)).toBe(200);
  // the other engine learns of the change through the shared metadata
  const deadline = Date.now() + 10_000;
  while (
    JSON.stringify((await gqlAs(postEngine, '{ account { id } }', { token: '2' })).body) !==
    '{"data":{"account":[{"id":2}]}}'
  ) {
    if (Date.now() > deadline) throw new Error('the POST-mode engine did not load the metadata');
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  await getEngine?.close();
  await postEngine?.close();
  await hook.stop();
  await db?.drop();
});

const QUERY = '{ account { id name } }';

describe('auth hook, GET mode', () => {
  it('should run the request as the session the hook answers, with the client headers forwarded', async () => {
    hook.calls.length = 0;
    const r = await gqlAs(getEngine, QUERY, { token: '1', 'x-custom': 'yes' });
    expect(r.body).toEqual({ data: { account: [{ id: 1, name: 'alice' }] } });
    expect(hook.calls).toHaveLength(1);
    const call = hook.calls[0]!;
    expect(call.method).toBe('GET');
    expect(call.headers.token).toBe('1');
    expect(call.headers['x-custom']).toBe('yes');
    // Hasura's dropped headers never reach the hook (the engine's own User-Agent does)
    expect(call.headers['content-length']).toBeUndefined();
    expect(call.headers['user-agent']).toMatch(/^hasura-graphql-engine\//);
    expect(call.body).toBe('');
  });

  it('should refuse what the hook refuses, on every API', async () => {
    const g = await gqlAs(getEngine, QUERY, { token: 'deny' });
    expect(g).toEqual({
      status: 200,
      body: {
        errors: [
          {
            message: 'Authentication hook unauthorized this request',
            extensions: { path: '$', code: 'access-denied' },
          },
        ],
      },
    });
    const q = await api(
      getEngine,
      '/v1/query',
      { type: 'count', args: { table: 'account' } },
      { token: 'deny' },
    );
    expect(q).toEqual({
      status: 401,
      body: {
        error: 'Authentication hook unauthorized this request',
        path: '$',
        code: 'access-denied',
      },
    });
  });

  it('should not call the hook when the admin secret is sent', async () => {
    hook.calls.length = 0;
    const r = await gqlAs(getEngine, '{ account(order_by: {id: asc}) { id } }', {
      'x-hasura-admin-secret': SECRET,
      token: 'deny',
    });
    expect(r.body).toEqual({ data: { account: [{ id: 1 }, { id: 2 }] } });
    expect(hook.calls).toHaveLength(0);
  });

  it('should reuse an answer only for its max-age and only for the same headers', async () => {
    hook.calls.length = 0;
    for (let i = 0; i < 3; i++)
      expect((await gqlAs(getEngine, QUERY, { token: '2', cache: '2' })).body).toEqual({
        data: { account: [{ id: 2, name: 'bob' }] },
      });
    expect(hook.calls).toHaveLength(1);
    // other headers: another hook request
    await gqlAs(getEngine, QUERY, { token: '1', cache: '2' });
    expect(hook.calls).toHaveLength(2);
    // without Cache-Control, every request asks
    await gqlAs(getEngine, QUERY, { token: '1' });
    await gqlAs(getEngine, QUERY, { token: '1' });
    expect(hook.calls).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 2100));
    await gqlAs(getEngine, QUERY, { token: '2', cache: '2' });
    expect(hook.calls).toHaveLength(5);
  });

  it('should authenticate a WebSocket at connection_init', async () => {
    const c = await RawClient.open(wsUrl(getEngine), 'graphql-transport-ws');
    try {
      expect((await c.init({ token: '2' })).type).toBe('connection_ack');
      c.send({ id: '1', type: 'subscribe', payload: { query: QUERY } });
      const next = await c.until(() => c.of('1').find((f) => f.type === 'next'), 'next');
      expect(next.payload).toEqual({ data: { account: [{ id: 2, name: 'bob' }] } });
    } finally {
      c.close();
    }
    const denied = await RawClient.open(wsUrl(getEngine), 'graphql-transport-ws');
    denied.send({ type: 'connection_init', payload: { headers: { token: 'deny' } } });
    expect((await denied.waitClosed()).code).toBe(4403);
  });
});

describe('auth hook, POST mode', () => {
  it('should post the client headers and the GraphQL request', async () => {
    hook.calls.length = 0;
    const r = await gqlAs(postEngine, QUERY, { token: '1' });
    expect(r.body).toEqual({ data: { account: [{ id: 1, name: 'alice' }] } });
    const call = hook.calls[0]!;
    expect(call.method).toBe('POST');
    const sent = JSON.parse(call.body) as { headers: Record<string, string>; request: unknown };
    expect(sent.headers.token).toBe('1');
    expect(sent.request).toEqual({ query: QUERY });
  });

  it('should post a null request for a body that is not a GraphQL request', async () => {
    hook.calls.length = 0;
    const r = await fetch(`${postEngine.url}/v1/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', token: '1' },
      body: '"not a request"',
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(hook.calls[0]!.body)).toMatchObject({ request: null });
  });
});
