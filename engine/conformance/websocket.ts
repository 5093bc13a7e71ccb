/**
 * The WebSocket side of the runner (SUBSCRIPTIONS.md): detecting whether the engine serves
 * GraphQL over WebSocket at all, and replaying an HTTP case over the Apollo
 * `subscriptions-transport-ws` protocol, as a query (`websocket` transport) or rewritten into a
 * subscription (`subscription` transport).
 *
 * The scenarios of SUBSCRIPTIONS.md (`ws-scenario` files and the basic protocol checks) are
 * driven by ws-scenarios.ts with the same frame queue.
 */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  id?: string;
  payload?: unknown;
}

export interface ProbeResult {
  served: boolean;
  reason?: string;
}

export function wsUrl(baseUrl: string, endpoint: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}${endpoint}`;
}

/** A connection that queues incoming frames and lets the caller await them one by one. */
export class FrameQueue {
  private frames: Frame[] = [];
  private waiters: Array<(f: Frame | undefined) => void> = [];
  closed: { code: number; reason: string } | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        frame = { type: '<unparseable>', payload: data.toString() };
      }
      // keep-alives are ignored, as upstream does (Apollo `ka`, graphql-ws keep-alive pings)
      if (frame.type === 'ka') return;
      if (
        frame.type === 'ping' &&
        (frame.payload as { message?: unknown })?.message === 'keepalive'
      )
        return;
      const w = this.waiters.shift();
      if (w) w(frame);
      else this.frames.push(frame);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w(undefined);
    });
  }

  /** The next frame, or undefined on timeout or close. */
  next(timeoutMs: number): Promise<Frame | undefined> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (frame: Frame | undefined) => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiters.push(done);
    });
  }

  send(frame: Frame): void {
    this.ws.send(JSON.stringify(frame));
  }
}

export function open(url: string, protocol: string, timeoutMs: number): Promise<FrameQueue> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol);
    const queue = new FrameQueue(ws);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no WebSocket handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(queue);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`));
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function initApollo(
  q: FrameQueue,
  headers: Record<string, string>,
): Promise<string | undefined> {
  q.send({ type: 'connection_init', payload: Object.keys(headers).length > 0 ? { headers } : {} });
  const ack = await q.next(3000);
  if (!ack)
    return q.closed
      ? `connection closed (${q.closed.code}) before connection_ack`
      : 'no connection_ack within 3 s';
  if (ack.type !== 'connection_ack') return `expected connection_ack, got ${JSON.stringify(ack)}`;
  return undefined;
}

/** Does the engine serve the Apollo protocol on /v1/graphql? */
export async function probeWebSocket(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<ProbeResult> {
  let q: FrameQueue;
  try {
    q = await open(wsUrl(baseUrl, '/v1/graphql'), 'graphql-ws', 3000);
  } catch (e) {
    return { served: false, reason: (e as Error).message };
  }
  try {
    const problem = await initApollo(q, headers);
    return problem === undefined ? { served: true } : { served: false, reason: problem };
  } finally {
    q.ws.terminate();
  }
}

export interface ReplayOutcome {
  /** The first frame for the operation (data / error), whose payload is compared. */
  frame?: Frame;
  /** A protocol problem (no ack, complete before data, a frame after stop …). */
  problem?: string;
}

/** Upstream's rewrite of a query into a subscription with several root fields allowed. */
export function asSubscription(queryText: string): string | undefined {
  if (!queryText.startsWith('query ')) return undefined;
  return `subscription${queryText.slice('query'.length)}`.replace(
    '{',
    ' @_multiple_top_level_fields {',
  );
}

/**
 * Replay one GraphQL request over the Apollo protocol: connection_init with the case headers,
 * `start` with id `hge_test`, the first frame, then `complete` (query) or `stop` and silence
 * (subscription).
 */
export async function replayApollo(
  baseUrl: string,
  endpoint: string,
  request: Record<string, unknown>,
  headers: Record<string, string>,
  mode: 'websocket' | 'subscription',
): Promise<ReplayOutcome> {
  let payload = request;
  if (mode === 'subscription') {
    const text = typeof request.query === 'string' ? asSubscription(request.query) : undefined;
    if (text === undefined)
      return { problem: 'the query does not start with "query ": cannot replay as a subscription' };
    payload = { ...request, query: text };
  }
  let q: FrameQueue;
  try {
    q = await open(wsUrl(baseUrl, endpoint), 'graphql-ws', 5000);
  } catch (e) {
    return { problem: (e as Error).message };
  }
  try {
    const initProblem = await initApollo(q, headers);
    if (initProblem) return { problem: initProblem };
    q.send({ id: 'hge_test', type: 'start', payload });
    const first = await q.next(15_000);
    if (!first)
      return {
        problem: q.closed
          ? `connection closed (${q.closed.code} ${q.closed.reason})`
          : 'no answer within 15 s',
      };
    if (first.type === 'complete') return { problem: 'got complete before any payload' };
    if (mode === 'subscription' && first.type === 'error') {
      // Hasura ends a request error with `complete` (preExecErr under withComplete)
      const done = await q.next(5000);
      if (!done || done.type !== 'complete')
        return {
          frame: first,
          problem: `expected complete after the error, got ${done ? JSON.stringify(done) : 'nothing'}`,
        };
    }
    if (mode === 'websocket') {
      const done = await q.next(5000);
      if (!done || done.type !== 'complete') {
        return {
          frame: first,
          problem: `expected complete after the payload, got ${done ? JSON.stringify(done) : 'nothing'}`,
        };
      }
    } else {
      q.send({ id: 'hge_test', type: 'stop' });
      const extra = await q.next(500);
      if (extra)
        return {
          frame: first,
          problem: `expected silence after stop, got ${JSON.stringify(extra)}`,
        };
    }
    return { frame: first };
  } finally {
    q.ws.terminate();
  }
}
