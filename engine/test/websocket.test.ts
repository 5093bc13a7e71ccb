/**
 * The two WebSocket protocols on /v1/graphql, frame by frame, as Hasura sends them
 * (Transport/WebSocket.hs, WSServerApp.hs): handshake, connection_init and auth, keep-alives,
 * queries and errors over the socket, protocol errors, close codes, JWT expiry, limits, and the
 * 1012 close on metadata change and shutdown.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

const SECRET = 'ws-test-admin-secret';
const JWT_KEY = 'a-jwt-key-for-the-websocket-tests-0123456789';
const QUERY = 'query { entities(limit: 1, order_by: {id: asc}) { id key } }';

let db: TestDatabase;
let open: RunningEngine;
let secured: RunningEngine;
let limited: RunningEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'ws' });
  open = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT: '1',
  });
  secured = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: JWT_KEY }),
  });
  limited = await startTestEngine(db, {
    ...PROJECT_METADATA,
    STREAMSYNC_ENGINE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    STREAMSYNC_ENGINE_MAX_SUBSCRIPTIONS: '3',
  });
});

afterAll(async () => {
  await open?.close();
  await secured?.close();
  await limited?.close();
  await db?.drop();
});

async function token(claims: Record<string, unknown>, expiresInSec: number): Promise<string> {
  return new SignJWT({
    'https://hasura.io/jwt/claims': {
      'x-hasura-allowed-roles': ['user', 'viewer'],
      'x-hasura-default-role': 'user',
      ...claims,
    },
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSec)
    .sign(new TextEncoder().encode(JWT_KEY));
}

describe('Engine > WebSocket > Apollo subscriptions-transport-ws', () => {
  it('should echo the graphql-ws subprotocol, ack connection_init and send keep-alives', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-ws');
    expect(c.ws.protocol).toBe('graphql-ws');
    expect((await c.init()).type).toBe('connection_ack');
    await c.until(() => c.keepAlives.length >= 2, 'ka at accept and after the ack');
    expect(c.keepAlives[0]).toEqual({ type: 'ka' });
    c.close();
  });

  it('should speak Apollo to a client that asks for no subprotocol', async () => {
    const c = await RawClient.open(wsUrl(open));
    expect(c.ws.protocol).toBe('');
    await c.init();
    c.send({ id: '1', type: 'start', payload: { query: QUERY } });
    await c.until(() => c.of('1').length >= 2, 'data and complete');
    expect(c.of('1')).toEqual([
      { type: 'data', id: '1', payload: { data: { entities: [{ id: 1, key: 'sensor-0001' }] } } },
      { type: 'complete', id: '1' },
    ]);
    c.close();
  });

  it('should answer an unknown frame with connection_error and keep the socket open', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-ws');
    await c.init();
    c.send({ type: 'test' });
    c.send({ type: 'stop' });
    await c.until(
      () => c.frames.filter((f) => f.type === 'connection_error').length >= 2,
      'errors',
    );
    const errors = c.frames.filter((f) => f.type === 'connection_error');
    expect(errors[0]!.payload).toBe(
      'parsing ClientMessage failed: Error in $: unexpected type for ClientMessage: test',
    );
    expect(String(errors[1]!.payload)).toMatch(/^parsing ClientMessage failed: .*"id" not found/);
    c.send({ id: 'q', type: 'start', payload: { query: QUERY } });
    await c.until(() => c.of('q').some((f) => f.type === 'complete'), 'the query after the errors');
    expect(c.closed).toBeUndefined();
    c.close();
  });

  it('should refuse a start before connection_init and a duplicate id with start-failed', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-ws');
    c.send({ id: 'early', type: 'start', payload: { query: QUERY } });
    await c.until(() => c.of('early').length >= 2, 'error and complete');
    expect(c.of('early')).toEqual([
      {
        type: 'error',
        id: 'early',
        payload: {
          message: 'start received before the connection is initialised',
          extensions: { path: '$', code: 'start-failed' },
        },
      },
      { type: 'complete', id: 'early' },
    ]);
    await c.init();
    c.send({
      id: 's',
      type: 'start',
      payload: { query: 'subscription { entities(limit: 1) { id } }' },
    });
    await c.until(() => c.of('s').length >= 1, 'first data');
    c.send({ id: 's', type: 'start', payload: { query: QUERY } });
    await c.until(() => c.of('s').some((f) => f.type === 'error'), 'duplicate error');
    const err = c.of('s').find((f) => f.type === 'error')!;
    expect((err.payload as { message: string }).message).toBe(
      'an operation already exists with this id: s',
    );
    c.close();
  });

  it('should send request errors as an error frame with {errors}, then complete', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-ws');
    await c.init();
    c.send({ id: 'v', type: 'start', payload: { query: 'query { nope { id } }' } });
    await c.until(() => c.of('v').length >= 2, 'error and complete');
    expect(c.of('v')).toEqual([
      {
        type: 'error',
        id: 'v',
        payload: {
          errors: [
            {
              message: "field 'nope' not found in type: 'query_root'",
              extensions: { path: '$.selectionSet.nope', code: 'validation-failed' },
            },
          ],
        },
      },
      { type: 'complete', id: 'v' },
    ]);
    c.close();
  });

  it('should close with 1000 on connection_terminate', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-ws');
    await c.init();
    c.send({ type: 'connection_terminate' });
    expect(await c.waitClosed()).toEqual({
      code: 1000,
      reason: 'GQL_CONNECTION_TERMINATE received',
    });
  });

  it('should send connection_error and close with 4400 when connection_init fails auth', async () => {
    const c = await RawClient.open(wsUrl(secured), 'graphql-ws');
    c.send({ type: 'connection_init', payload: { headers: { 'X-Hasura-Admin-Secret': 'wrong' } } });
    const closed = await c.waitClosed();
    expect(c.frames).toEqual([
      {
        type: 'connection_error',
        payload: 'invalid x-hasura-admin-secret/x-hasura-access-key',
      },
    ]);
    expect(closed.code).toBe(4400);
    expect(JSON.parse(closed.reason)).toEqual({
      server_error_msg:
        '4400: Connection initialization failed: invalid x-hasura-admin-secret/x-hasura-access-key',
    });
  });

  it('should close a connection_init with empty headers when an admin secret is set', async () => {
    const c = await RawClient.open(wsUrl(secured), 'graphql-ws');
    c.send({ type: 'connection_init', payload: {} });
    expect((await c.waitClosed()).code).toBe(4400);
  });
});

describe('Engine > WebSocket > graphql-transport-ws', () => {
  it('should ack, ping with {"message":"keepalive"} and answer a ping with a pong', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-transport-ws');
    expect(c.ws.protocol).toBe('graphql-transport-ws');
    await c.init();
    await c.until(() => c.keepAlives.length >= 1, 'keep-alive ping');
    expect(c.keepAlives[0]).toEqual({ type: 'ping', payload: { message: 'keepalive' } });
    c.send({ type: 'ping', payload: { message: 'hi' } });
    await c.until(() => c.frames.find((f) => f.type === 'pong'), 'pong');
    expect(c.frames.find((f) => f.type === 'pong')).toEqual({
      type: 'pong',
      payload: { message: 'hi' },
    });
    c.close();
  });

  it('should answer a query with next then complete, and errors as a bare list', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-transport-ws');
    await c.init();
    c.send({ id: '1', type: 'subscribe', payload: { query: QUERY } });
    c.send({ id: '2', type: 'subscribe', payload: { query: '{ nope }' } });
    await c.until(() => c.of('1').length >= 2 && c.of('2').length >= 2, 'both answers');
    expect(c.of('1').map((f) => f.type)).toEqual(['next', 'complete']);
    expect(c.of('2')[0]).toEqual({
      type: 'error',
      id: '2',
      payload: [
        {
          message: "field 'nope' not found in type: 'query_root'",
          extensions: { path: '$.selectionSet.nope', code: 'validation-failed' },
        },
      ],
    });
    c.close();
  });

  it('should close with 4400 on a frame it cannot parse', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-transport-ws');
    await c.init();
    c.send({ type: 'complete' });
    const closed = await c.waitClosed();
    expect(closed.code).toBe(4400);
    expect(JSON.parse(closed.reason).server_error_msg).toMatch(
      /^4400: Parsing client message failed: /,
    );
  });

  it('should close with 4408 when connection_init does not come in time', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-transport-ws');
    expect(await c.waitClosed()).toEqual({
      code: 4408,
      reason: 'Connection initialisation timed out',
    });
  });

  it('should close with 4403 when connection_init fails auth', async () => {
    const c = await RawClient.open(wsUrl(secured), 'graphql-transport-ws');
    c.send({ type: 'connection_init', payload: { headers: { Authorization: 'Bearer nope' } } });
    const closed = await c.waitClosed();
    expect(closed).toEqual({ code: 4403, reason: '{"server_error_msg":"4403: Forbidden"}' });
    expect(c.frames).toEqual([]);
  });
});

// The metadata-change tests close the sockets of every engine on this database (schema sync, as
// Hasura does), so they come after the tests that hold sockets open on the other engines.
describe('Engine > WebSocket > Lifecycle', () => {
  it('should authenticate once from connection_init headers and drop the socket at JWT exp', async () => {
    const jwt = await token({ 'x-hasura-user-id': '2' }, 3);
    const c = await RawClient.open(wsUrl(secured), 'graphql-transport-ws');
    expect((await c.init({ Authorization: `Bearer ${jwt}` })).type).toBe('connection_ack');
    c.send({
      id: '1',
      type: 'subscribe',
      payload: {
        query: 'subscription { entities(order_by: {id: asc}, limit: 1) { id owner_id } }',
      },
    });
    const first = await c.until(() => c.of('1')[0], 'first result');
    // the user role sees only the entities user 2 owns
    expect(first.payload).toEqual({ data: { entities: [{ id: 11, owner_id: '2' }] } });
    const closed = await c.waitClosed();
    expect(closed.code).toBe(1006);
  });

  it('should refuse an expired JWT at connection_init', async () => {
    const jwt = await token({ 'x-hasura-user-id': '2' }, -10);
    const c = await RawClient.open(wsUrl(secured), 'graphql-ws');
    c.send({ type: 'connection_init', payload: { headers: { Authorization: `Bearer ${jwt}` } } });
    await c.waitClosed();
    expect(c.frames[0]).toEqual({
      type: 'connection_error',
      payload: 'Could not verify JWT: JWTExpired',
    });
  });

  it('should hold each connection and the engine to their subscription limits', async () => {
    const sub = (c: RawClient, id: string) =>
      c.send({
        id,
        type: 'subscribe',
        payload: { query: `subscription { entities(limit: 1, offset: ${id.length}) { id } }` },
      });
    const a = await RawClient.open(wsUrl(limited), 'graphql-transport-ws');
    await a.init();
    sub(a, 'a');
    sub(a, 'aa');
    sub(a, 'aaa');
    await a.until(() => a.of('aaa').length > 0 && a.of('aa').length > 0, 'answers');
    expect(a.of('a')[0]!.type).toBe('next');
    expect(a.of('aa')[0]!.type).toBe('next');
    expect(a.of('aaa')[0]).toEqual({
      type: 'error',
      id: 'aaa',
      payload: [
        {
          message: 'too many subscriptions on this connection (limit 2)',
          extensions: { path: '$', code: 'bad-request' },
        },
      ],
    });
    // a query is not a subscription: it still runs
    a.send({ id: 'q', type: 'subscribe', payload: { query: QUERY } });
    await a.until(() => a.of('q').some((f) => f.type === 'complete'), 'query');
    expect(a.of('q')[0]!.type).toBe('next');

    const b = await RawClient.open(wsUrl(limited), 'graphql-transport-ws');
    await b.init();
    sub(b, 'b');
    sub(b, 'bb');
    await b.until(() => b.of('b').length > 0 && b.of('bb').length > 0, 'answers');
    expect(b.of('b')[0]!.type).toBe('next');
    expect(
      (b.of('bb')[0]!.payload as Array<{ extensions: { code: string } }>)[0]!.extensions.code,
    ).toBe('busy');
    a.close();
    b.close();
  });

  it('should close every socket with 1012 when the metadata changes', async () => {
    const a = await RawClient.open(wsUrl(open), 'graphql-ws');
    const b = await RawClient.open(wsUrl(open), 'graphql-transport-ws');
    await a.init();
    await b.init();
    await open.engine.reload();
    for (const c of [a, b]) {
      expect(await c.waitClosed()).toEqual({
        code: 1012,
        reason: 'Server state changed, restarting the server',
      });
    }
  });

  it('should close sockets with 1012 when the metadata API changes the metadata', async () => {
    const c = await RawClient.open(wsUrl(open), 'graphql-transport-ws');
    await c.init();
    const r = await fetch(`${open.url}/v1/metadata`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'reload_metadata', args: {} }),
    });
    expect(r.status).toBe(200);
    expect((await c.waitClosed()).code).toBe(1012);
  });

  it('should refuse other paths with 404', async () => {
    await expect(RawClient.open(wsUrl(open, '/v2/graphql'), 'graphql-ws')).rejects.toThrow(
      'HTTP 404',
    );
  });

  it('should close open sockets with 1012 when the engine shuts down', async () => {
    const own = await startTestEngine(db, PROJECT_METADATA);
    const c = await RawClient.open(wsUrl(own), 'graphql-ws');
    await c.init();
    await own.close();
    expect((await c.waitClosed()).code).toBe(1012);
  });
});
