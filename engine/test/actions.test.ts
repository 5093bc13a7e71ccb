/**
 * Actions against a real Postgres and a real handler on a free 127.0.0.1 port: Hasura's payload
 * and forwarded headers, answers checked against the output type, relationships from the output
 * to tables under the role's permissions, the handler's own errors in Hasura's shape, timeouts,
 * action permissions, and async actions stored in hdb_catalog.hdb_action_log and read back by the
 * session that made them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

interface Call {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked field by field
  body: any;
  headers: http.IncomingHttpHeaders;
}

let db: TestDatabase;
let engine: RunningEngine;
let handler: http.Server;
let handlerUrl: string;
const calls: Call[] = [];

/** The handler: answers by path, as an action handler would. */
function answer(
  path: string,
  body: Call['body'],
): { status: number; body: string; delayMs?: number } {
  const input = body?.input?.user ?? body?.input ?? {};
  switch (path) {
    case '/make-user':
      return { status: 200, body: JSON.stringify({ id: input.id, label: `user ${input.name}` }) };
    case '/refuse':
      return {
        status: 400,
        body: JSON.stringify({ message: 'name is taken', code: 'name-taken' }),
      };
    case '/refuse-extensions':
      return {
        status: 422,
        body: JSON.stringify({ message: 'bad', extensions: { code: 'mine', field: 'name' } }),
      };
    case '/garbage':
      return { status: 200, body: '<html>oops' };
    case '/wrong-type':
      return { status: 200, body: JSON.stringify({ id: 'not-a-number', label: 'x' }) };
    case '/missing-field':
      return { status: 200, body: JSON.stringify({ label: 'x' }) };
    case '/server-error':
      return { status: 500, body: JSON.stringify({ message: 'boom' }) };
    case '/make-user-slowly':
      return {
        status: 200,
        body: JSON.stringify({ id: input.id, label: `user ${input.name}` }),
        delayMs: 800,
      };
    case '/slow':
      return { status: 200, body: JSON.stringify({ id: 1, label: 'late' }), delayMs: 3000 };
    case '/headers':
      return { status: 200, body: JSON.stringify({ id: 1, label: String(body.__headers) }) };
    default:
      return { status: 404, body: '' };
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'actions', empty: true });
  handler = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as Call['body'];
      const path = req.url ?? '/';
      calls.push({ path, body, headers: req.headers });
      if (path === '/headers') body.__headers = req.headers['x-client-thing'];
      const a = answer(path, body);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(a.status, { 'content-type': 'application/json', 'set-cookie': 'k=v' });
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => handler.listen(0, '127.0.0.1', r));
  handlerUrl = `http://127.0.0.1:${(handler.address() as AddressInfo).port}`;
  engine = await startTestEngine(db.url, {
    ACTIONS_HANDLER: handlerUrl,
    HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL: '200',
  });
  await runSql(
    engine,
    `CREATE TABLE person (id int PRIMARY KEY, name text NOT NULL, secret text);
     INSERT INTO person VALUES (1, 'ada', 's1'), (2, 'bob', 's2');`,
  );
  await metadata(engine, { type: 'pg_track_table', args: { table: 'person' } });
  await metadata(engine, {
    type: 'pg_create_select_permission',
    args: {
      table: 'person',
      role: 'user',
      permission: { columns: ['id', 'name'], filter: { id: { _eq: 'X-Hasura-User-Id' } } },
    },
  });
  await metadata(engine, {
    type: 'set_custom_types',
    args: {
      input_objects: [
        {
          name: 'NewUser',
          fields: [
            { name: 'id', type: 'Int!' },
            { name: 'name', type: 'String!' },
          ],
        },
      ],
      objects: [
        {
          name: 'UserOut',
          fields: [
            { name: 'id', type: 'Int!' },
            { name: 'label', type: 'String' },
          ],
          relationships: [
            { name: 'person', type: 'object', remote_table: 'person', field_mapping: { id: 'id' } },
          ],
        },
      ],
    },
  });
  const action = (name: string, path: string, extra: Record<string, unknown> = {}) =>
    metadata(engine, {
      type: 'create_action',
      args: {
        name,
        definition: {
          kind: 'synchronous',
          arguments: [{ name: 'user', type: 'NewUser!' }],
          output_type: 'UserOut',
          handler: `{{ACTIONS_HANDLER}}${path}`,
          ...extra,
        },
      },
    });
  await action('make_user', '/make-user');
  await action('refuse', '/refuse');
  await action('refuse_ext', '/refuse-extensions');
  await action('garbage', '/garbage');
  await action('wrong_type', '/wrong-type');
  await action('missing_field', '/missing-field');
  await action('server_error', '/server-error');
  await action('slow', '/slow', { timeout: 1 });
  await action('forwarding', '/headers', { forward_client_headers: true });
  await action('later', '/make-user', { kind: 'asynchronous' });
  await action('later_slowly', '/make-user-slowly', { kind: 'asynchronous' });
  await metadata(engine, {
    type: 'create_action',
    args: {
      name: 'find_user',
      definition: {
        type: 'query',
        arguments: [{ name: 'id', type: 'Int!' }],
        output_type: 'UserOut!',
        handler: '{{ACTIONS_HANDLER}}/make-user',
      },
    },
  });
  for (const a of ['find_user', 'later'])
    await metadata(engine, { type: 'create_action_permission', args: { action: a, role: 'user' } });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await new Promise<void>((r) => (handler ? handler.close(() => r()) : r()));
  await db?.drop();
});

const user = (id: number) => ({ 'x-hasura-role': 'user', 'x-hasura-user-id': String(id) });

describe('Engine > Actions', () => {
  it("should call the handler with Hasura's payload and answer its output with a relationship", async () => {
    const q = `mutation { make_user(user: {id: 2, name: "bob"}) { id label person { name secret } } }`;
    const r = await gql(engine, q);
    expect(r).toEqual({
      data: { make_user: { id: 2, label: 'user bob', person: { name: 'bob', secret: 's2' } } },
    });
    const c = calls.filter((x) => x.path === '/make-user').at(-1)!;
    expect(c.body).toEqual({
      action: { name: 'make_user' },
      input: { user: { id: 2, name: 'bob' } },
      session_variables: { 'x-hasura-role': 'admin' },
      request_query: q,
    });
    expect(c.headers['user-agent']).toMatch(/^hasura-graphql-engine\//);
  });

  it('should read the relationship under the role permission, and only for roles with the action', async () => {
    const q = `query ($id: Int!) { find_user(id: $id) { id person { id name } } }`;
    expect(await gql(engine, q, { id: 1 }, user(1))).toEqual({
      data: { find_user: { id: 1, person: { id: 1, name: 'ada' } } },
    });
    // the permission filter hides another user's row
    expect(await gql(engine, q, { id: 2 }, user(1))).toEqual({
      data: { find_user: { id: 2, person: null } },
    });
    // a column the role may not select is not in its schema
    const secret = await gql(
      engine,
      `query { find_user(id: 1) { person { secret } } }`,
      {},
      user(1),
    );
    expect(secret.errors?.[0]?.extensions.code).toBe('validation-failed');
    // an action without a permission for the role is not in its schema, and no call is made
    const before = calls.length;
    const denied = await gql(
      engine,
      `mutation { make_user(user: {id: 1, name: "x"}) { id } }`,
      {},
      user(1),
    );
    expect(denied.errors?.[0]).toMatchObject({
      message: "field 'make_user' not found in type: 'mutation_root'",
      extensions: { code: 'validation-failed' },
    });
    expect(calls.length).toBe(before);
  });

  it("should answer the handler's own errors in Hasura's shape", async () => {
    const arg = `(user: {id: 1, name: "x"}) { id }`;
    expect(await gql(engine, `mutation { refuse${arg} }`)).toEqual({
      errors: [{ message: 'name is taken', extensions: { path: '$', code: 'name-taken' } }],
    });
    expect(await gql(engine, `mutation { refuse_ext${arg} }`)).toEqual({
      errors: [{ message: 'bad', extensions: { code: 'mine', field: 'name' } }],
    });
    const cases: Array<[string, string]> = [
      ['garbage', 'not a valid json response from webhook'],
      ['wrong_type', 'got scalar String for the action webhook response, expecting Int'],
      ['missing_field', 'field "id" expected in webhook response, but not found'],
      ['server_error', 'internal error'],
    ];
    for (const [name, message] of cases) {
      const r = await gql(engine, `mutation { ${name}${arg} }`);
      expect(r.errors?.[0]?.message, name).toBe(message);
      expect(r.errors?.[0]?.extensions.code, name).toBe('unexpected');
    }
    // the admin sees the call in `internal`, with the handler as configured (not resolved)
    const r = await gql(engine, `mutation { wrong_type${arg} }`);
    expect(r.errors?.[0]?.extensions.internal).toMatchObject({
      error: 'unexpected response',
      request: { url: '{{ACTIONS_HANDLER}}/wrong-type' },
      response: { status: 200, body: { id: 'not-a-number' } },
    });
  });

  it('should give up on a handler after the action timeout, without holding other requests', async () => {
    const started = Date.now();
    const [slow, fast] = await Promise.all([
      gql(engine, `mutation { slow(user: {id: 1, name: "x"}) { id } }`),
      gql(engine, `query { find_user(id: 1) { id } }`),
    ]);
    expect(fast).toEqual({ data: { find_user: { id: 1 } } });
    expect(slow.errors?.[0]).toMatchObject({
      message: 'http exception when calling webhook',
      extensions: { code: 'unexpected' },
    });
    expect(Date.now() - started).toBeLessThan(2900);
  });

  it('should forward client headers only when the action says so', async () => {
    const r = await gql(
      engine,
      `mutation { forwarding(user: {id: 1, name: "x"}) { label } }`,
      {},
      {
        'x-client-thing': 'from-client',
      },
    );
    expect(r).toEqual({ data: { forwarding: { label: 'from-client' } } });
    await gql(
      engine,
      `mutation { make_user(user: {id: 1, name: "x"}) { id } }`,
      {},
      { 'x-client-thing': 'no' },
    );
    expect(
      calls.filter((c) => c.path === '/make-user').at(-1)!.headers['x-client-thing'],
    ).toBeUndefined();
  });

  it('should store an async action, process it, and let only the session that made it read it', async () => {
    const m = await gql(engine, `mutation { later(user: {id: 1, name: "ada"}) }`, {}, user(1));
    const id = m.data?.later as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const q = `query ($id: uuid!) { later(id: $id) { id errors output { id label person { name } } } }`;
    let got = await gql(engine, q, { id }, user(1));
    for (let i = 0; i < 50 && !got.data?.later?.output; i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await gql(engine, q, { id }, user(1));
    }
    expect(got).toEqual({
      data: {
        later: { id, errors: null, output: { id: 1, label: 'user ada', person: { name: 'ada' } } },
      },
    });
    expect(await gql(engine, q, { id }, user(2))).toEqual({ data: { later: null } });
    const log = await runSql(
      engine,
      `SELECT status, session_variables->>'x-hasura-user-id' FROM hdb_catalog.hdb_action_log WHERE id = '${id}'`,
    );
    expect(log.result[1]).toEqual(['completed', '1']);
  });

  it("should send an async action's result over a subscription when it arrives", async () => {
    const m = await gql(engine, `mutation { later_slowly(user: {id: 2, name: "bob"}) }`);
    const id = m.data?.later_slowly as string;
    const ws = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
    try {
      await ws.init();
      ws.send({
        type: 'subscribe',
        id: 's1',
        payload: {
          query: `subscription ($id: uuid!) { later_slowly(id: $id) { id output { label person { name } } } }`,
          variables: { id },
        },
      });
      const payloads = () =>
        ws
          .of('s1')
          .filter((f) => f.type === 'next')
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field
          .map((f) => f.payload as { data: any });
      // first what is stored now (no output yet), then the output once the handler answered
      const done = await ws.until(
        () => payloads().find((p) => p.data?.later_slowly?.output),
        'the async result over the subscription',
      );
      expect(done).toEqual({
        data: { later_slowly: { id, output: { label: 'user bob', person: { name: 'bob' } } } },
      });
      expect(payloads()[0]).toEqual({ data: { later_slowly: { id, output: null } } });
    } finally {
      ws.close();
    }
  });

  it('should manage actions through the metadata API and export them', async () => {
    const bad = await api(engine, '/v1/metadata', {
      type: 'create_action',
      args: {
        name: 'broken',
        definition: { arguments: [], output_type: 'Nope', handler: 'http://x' },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid-configuration');
    const exported = await metadata(engine, { type: 'export_metadata', args: {} });
    expect(exported.actions.map((a: { name: string }) => a.name)).toContain('make_user');
    expect(exported.custom_types.objects[0].name).toBe('UserOut');
    await metadata(engine, {
      type: 'drop_action_permission',
      args: { action: 'find_user', role: 'user' },
    });
    const gone = await gql(engine, `query { find_user(id: 1) { id } }`, {}, user(1));
    expect(gone.errors?.[0]?.extensions.code).toBe('validation-failed');
    await metadata(engine, { type: 'drop_action', args: { name: 'garbage' } });
    const dropped = await gql(engine, `mutation { garbage(user: {id: 1, name: "x"}) { id } }`);
    expect(dropped.errors?.[0]?.extensions.code).toBe('validation-failed');
    // an action that no longer resolves is reported, and drop_inconsistent_metadata removes it
    const md = await metadata(engine, { type: 'export_metadata', args: {} });
    md.actions.push({ name: 'stale', definition: { output_type: 'Gone', handler: 'http://x' } });
    const replaced = await api(engine, '/v1/metadata', {
      type: 'replace_metadata',
      version: 2,
      args: { metadata: md, allow_inconsistent_metadata: true },
    });
    expect(replaced.body.is_consistent).toBe(false);
    const inc = await metadata(engine, { type: 'get_inconsistent_metadata', args: {} });
    expect(inc.inconsistent_objects.map((o: { name: string }) => o.name)).toEqual(['action stale']);
    await metadata(engine, { type: 'drop_inconsistent_metadata', args: {} });
    const after = await metadata(engine, { type: 'export_metadata', args: {} });
    const names = after.actions.map((a: { name: string }) => a.name);
    expect(names).not.toContain('stale');
    expect(names).toContain('make_user');
  });
});
