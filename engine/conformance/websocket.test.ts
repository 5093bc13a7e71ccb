/**
 * The runner's WebSocket client, against a minimal server speaking the Apollo protocol the way
 * SUBSCRIPTIONS.md describes Hasura's (the engine does not serve WebSocket yet).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { asSubscription, probeWebSocket, replayApollo } from './websocket.ts';

describe('Conformance > websocket replay', () => {
  let server: http.Server;
  let base: string;
  const seen: unknown[] = [];

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server, path: '/v1/graphql' });
    wss.on('connection', (ws) => {
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as {
          type: string;
          id?: string;
          payload?: { query?: string; headers?: unknown };
        };
        seen.push(msg);
        const send = (f: object) => ws.send(JSON.stringify(f));
        if (msg.type === 'connection_init') {
          send({ type: 'connection_ack' });
          send({ type: 'ka' });
        } else if (msg.type === 'start') {
          const q = msg.payload?.query ?? '';
          if (q.includes('broken'))
            send({ type: 'error', id: msg.id, payload: { errors: [{ message: 'nope' }] } });
          else send({ type: 'data', id: msg.id, payload: { data: { q } } });
          if (!q.startsWith('subscription') && !q.includes('noisy'))
            send({ type: 'complete', id: msg.id });
        } else if (msg.type === 'stop' && (msg.payload?.query ?? '').includes('x')) {
          send({ type: 'complete', id: msg.id });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('should detect a server that speaks the Apollo protocol, and one that does not', async () => {
    expect(await probeWebSocket(base)).toEqual({ served: true });
    const plain = http.createServer((_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const probe = await probeWebSocket(
        `http://127.0.0.1:${(plain.address() as AddressInfo).port}`,
      );
      expect(probe).toEqual({ served: false, reason: 'WebSocket upgrade refused with HTTP 405' });
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('should replay a query: init with the headers, start hge_test, data then complete', async () => {
    seen.length = 0;
    const out = await replayApollo(
      base,
      '/v1/graphql',
      { query: 'query { a }' },
      { 'X-Hasura-Role': 'user' },
      'websocket',
    );
    expect(out).toEqual({
      frame: { type: 'data', id: 'hge_test', payload: { data: { q: 'query { a }' } } },
    });
    expect(seen[0]).toEqual({
      type: 'connection_init',
      payload: { headers: { 'X-Hasura-Role': 'user' } },
    });
    expect(seen[1]).toEqual({ id: 'hge_test', type: 'start', payload: { query: 'query { a }' } });
  });

  it('should hand back an error frame and report a missing complete', async () => {
    const err = await replayApollo(
      base,
      '/v1/graphql',
      { query: 'query { broken }' },
      {},
      'websocket',
    );
    expect(err.frame).toEqual({
      type: 'error',
      id: 'hge_test',
      payload: { errors: [{ message: 'nope' }] },
    });
    const noisy = await replayApollo(
      base,
      '/v1/graphql',
      { query: 'query { noisy }' },
      {},
      'websocket',
    );
    expect(noisy.problem).toBe('expected complete after the payload, got nothing');
  });

  it('should replay as a subscription and expect silence after stop', async () => {
    seen.length = 0;
    const out = await replayApollo(
      base,
      '/v1/graphql',
      { query: 'query q { a }' },
      {},
      'subscription',
    );
    expect(out.problem).toBeUndefined();
    expect(out.frame?.type).toBe('data');
    expect(seen.map((m) => (m as { type: string }).type)).toEqual([
      'connection_init',
      'start',
      'stop',
    ]);
    expect(asSubscription('query q { a { b } }')).toBe(
      // upstream's exact rewrite, double space included
      'subscription q  @_multiple_top_level_fields { a { b } }',
    );
    expect(asSubscription('{ a }')).toBeUndefined();
  });
});
