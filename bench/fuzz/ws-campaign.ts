/**
 * A WebSocket fuzz campaign against a running engine, over both protocols (graphql-transport-ws
 * and Apollo's legacy graphql-ws): operations before `connection_init`, floods of frames,
 * oversized frames, hundreds of idle sockets, abrupt drops mid-subscription, a JWT that expires
 * mid-stream, garbage frames and headers, hostile documents and too many subscriptions on one
 * socket. Beside them a good client runs a query over its own socket every 50 ms. Counts the
 * episodes, what the engine answered (frames, close codes), transport failures, crashes, the
 * good client's failures and latency, and the sockets and subscriptions left open at the end.
 * Shared by bench/fuzz/ws.ts (the runner) and the engine's bounded WebSocket fuzz test.
 */
import WebSocket from 'ws';
import { latency, type Latency } from './graphql-campaign.ts';
import { rng } from './random.ts';

export interface WsCampaignOptions {
  url: string;
  /** headers of a role that may subscribe (e.g. viewer) */
  good: Record<string, string>;
  /** a token for that role expiring `seconds` from now */
  expiringToken: (seconds: number) => string;
  episodes: number;
  concurrency: number;
  seed: number;
  /** sockets opened at once by the idle-sockets episode */
  idleSockets: number;
  alive: () => Promise<boolean>;
  progress?: (done: number) => void;
}

export interface WsCampaignResult {
  episodes: number;
  seconds: number;
  crashes: number;
  by_scenario: Record<string, number>;
  /** close codes the engine sent, and `error` / `next` / `complete` / `connection_error` frames */
  closes: Record<string, number>;
  frames: Record<string, number>;
  frames_sent: number;
  transport_failures: number;
  /** scenarios whose expected answer did not come (e.g. an expired JWT's socket left open) */
  unexpected: Array<{ scenario: string; detail: string }>;
  good_client: { during: Latency; failures: number };
  open_at_end: { connections: number; subscribers: number };
}

const PROTOCOLS = ['graphql-transport-ws', 'graphql-ws'] as const;
type Proto = (typeof PROTOCOLS)[number];

const LIVE = 'subscription { sensor_readings(order_by: {ts: desc}, limit: 1) { ts } }';
const QUERY = '{ entities(limit: 1) { id } }';

class Sock {
  readonly frames: Array<{ type: string; id?: string; payload?: unknown }> = [];
  closed: { code: number } | null = null;
  private readonly done: Promise<void>;
  sent = 0;

  constructor(
    readonly ws: WebSocket,
    readonly proto: Proto,
  ) {
    ws.on('message', (d) => {
      try {
        this.frames.push(JSON.parse(d.toString()));
      } catch {
        this.frames.push({ type: 'not-json' });
      }
    });
    ws.on('error', () => {});
    this.done = new Promise((r) =>
      ws.on('close', (code) => {
        this.closed = { code };
        r();
      }),
    );
  }

  static open(url: string, proto: Proto, headers: Record<string, string> = {}): Promise<Sock> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/graphql`, proto, {
        headers,
        maxPayload: 64 * 1024 * 1024,
      });
      const s = new Sock(ws, proto);
      ws.once('open', () => resolve(s));
      ws.once('error', reject);
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(x: unknown): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(typeof x === 'string' || Buffer.isBuffer(x) ? x : JSON.stringify(x));
    this.sent++;
  }

  start(id: string, query: string, variables?: unknown): void {
    this.send({
      id,
      type: this.proto === 'graphql-ws' ? 'start' : 'subscribe',
      payload: { query, variables },
    });
  }

  init(headers: Record<string, string>): void {
    this.send({ type: 'connection_init', payload: { headers } });
  }

  async until(pred: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (pred()) return true;
      if (this.closed) return pred();
      await new Promise((r) => setTimeout(r, 10));
    }
    return pred();
  }

  has(type: string, id?: string): boolean {
    return this.frames.some((f) => f.type === type && (id === undefined || f.id === id));
  }

  async close(): Promise<void> {
    if (!this.closed) this.ws.close();
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 3000))]);
    if (!this.closed) this.ws.terminate();
  }

  drop(): void {
    // abrupt: the TCP connection goes without a close frame
    (this.ws as unknown as { _socket?: { destroy(): void } })._socket?.destroy();
  }
}

function fanout(levels: number): string {
  let q = `subscription { entities(limit: 1) { ...F${levels} } }\nfragment F0 on entities { id }\n`;
  for (let i = 1; i <= levels; i++)
    q += `fragment F${i} on entities { ...F${i - 1} ...F${i - 1} }\n`;
  return q;
}

async function metric(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
      if (m) sum += Number(m[1]);
    }
    return sum;
  } catch {
    return -1;
  }
}

export async function runWsCampaign(o: WsCampaignOptions): Promise<WsCampaignResult> {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const res: WsCampaignResult = {
    episodes: 0,
    seconds: 0,
    crashes: 0,
    by_scenario: {},
    closes: {},
    frames: {},
    frames_sent: 0,
    transport_failures: 0,
    unexpected: [],
    good_client: { during: latency([]), failures: 0 },
    open_at_end: { connections: 0, subscribers: 0 },
  };
  const tally = (s: Sock) => {
    res.frames_sent += s.sent;
    for (const f of s.frames) res.frames[f.type] = (res.frames[f.type] ?? 0) + 1;
    if (s.closed) res.closes[String(s.closed.code)] = (res.closes[String(s.closed.code)] ?? 0) + 1;
  };
  const unexpected = (scenario: string, detail: string) => {
    if (res.unexpected.length < 20) res.unexpected.push({ scenario, detail });
  };

  const scenarios: Record<string, (p: Proto) => Promise<void>> = {
    'no-init': async (p) => {
      const s = await Sock.open(o.url, p, o.good);
      s.start('1', QUERY);
      s.start('2', LIVE);
      const answered = await s.until(() => s.closed !== null || s.has('error'), 5000);
      if (!answered) unexpected('no-init', `${p}: no error and no close`);
      tally(s);
      await s.close();
    },
    flood: async (p) => {
      const s = await Sock.open(o.url, p);
      s.init(o.good);
      for (let i = 0; i < 2000; i++) {
        const k = r();
        if (k < 0.3) s.send({ type: 'ping' });
        else if (k < 0.5) s.send('{"type":');
        else if (k < 0.8) s.start(`f${i}`, QUERY);
        else s.send({ id: `f${i}`, type: p === 'graphql-ws' ? 'stop' : 'complete' });
      }
      await s.until(() => s.closed !== null, 1500);
      tally(s);
      await s.close();
    },
    'oversized-frame': async (p) => {
      const s = await Sock.open(o.url, p);
      s.init(o.good);
      s.send(
        JSON.stringify({
          id: 'big',
          type: 'subscribe',
          payload: { query: `{ ${'x'.repeat(11 * 1024 * 1024)} }` },
        }),
      );
      const closed = await s.until(() => s.closed !== null, 10_000);
      if (!closed || s.closed?.code !== 1009)
        unexpected('oversized-frame', `${p}: closed ${JSON.stringify(s.closed)}`);
      tally(s);
      await s.close();
    },
    'idle-sockets': async (p) => {
      const socks = (
        await Promise.allSettled(Array.from({ length: o.idleSockets }, () => Sock.open(o.url, p)))
      ).flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
      res.transport_failures += o.idleSockets - socks.length;
      // half of them authenticate and then say nothing
      socks.forEach((s, i) => i % 2 === 0 && s.init(o.good));
      await new Promise((w) => setTimeout(w, 4000));
      for (const s of socks) tally(s);
      await Promise.all(socks.map((s) => s.close()));
    },
    'abrupt-drop': async (p) => {
      const s = await Sock.open(o.url, p);
      s.init(o.good);
      s.start('live', LIVE);
      await s.until(() => s.has(p === 'graphql-ws' ? 'data' : 'next', 'live'), 5000);
      s.drop();
      tally(s);
    },
    'jwt-expiry': async (p) => {
      const s = await Sock.open(o.url, p);
      s.init({ authorization: `Bearer ${o.expiringToken(2)}` });
      s.start('live', LIVE);
      const closed = await s.until(() => s.closed !== null, 8000);
      if (!closed) unexpected('jwt-expiry', `${p}: socket open 8 s after a 2 s token`);
      tally(s);
      await s.close();
    },
    garbage: async (p) => {
      const s = await Sock.open(o.url, p);
      s.init(o.good);
      const junk: unknown[] = [
        Buffer.from([0xff, 0x00, 0xfe]),
        '[]',
        'null',
        '"x"',
        { type: 42 },
        { type: 'subscribe' },
        { id: 'x'.repeat(100_000), type: 'subscribe', payload: { query: QUERY } },
        { id: '\u0000\ud800', type: 'subscribe', payload: { query: QUERY } },
        { id: 'dup', type: 'subscribe', payload: { query: LIVE } },
        { id: 'dup', type: 'subscribe', payload: { query: LIVE } },
        { id: 'v', type: 'subscribe', payload: { query: QUERY, variables: 'x' } },
        {
          id: 'e',
          type: 'subscribe',
          payload: { extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } },
        },
        { type: 'connection_init', payload: { headers: { authorization: 'Bearer \u0000' } } },
      ];
      for (const j of junk) s.send(j);
      await s.until(() => s.closed !== null, 1000);
      tally(s);
      await s.close();
    },
    'hostile-document': async (p) => {
      const s = await Sock.open(o.url, p);
      s.init(o.good);
      s.start('fan', fanout(pick([20, 29, 40])));
      const n = 50_000;
      s.send(
        `{"id":"deep","type":"${p === 'graphql-ws' ? 'start' : 'subscribe'}","payload":{"query":"subscription ($w: entities_bool_exp) { entities(where: $w) { id } }","variables":{"w":${'{"_and":['.repeat(n)}{}${']}'.repeat(n)}}}}`,
      );
      const answered = await s.until(
        () => s.closed !== null || (s.has('error', 'fan') && s.has('error', 'deep')),
        10_000,
      );
      if (!answered) unexpected('hostile-document', `${p}: no error for fan-out or deep where`);
      tally(s);
      await s.close();
    },
    'many-subscriptions': async (p) => {
      const s = await Sock.open(o.url, p);
      s.init(o.good);
      for (let i = 0; i < 250; i++) s.start(`s${i}`, LIVE);
      await s.until(
        () => s.closed !== null || s.frames.filter((f) => f.type === 'error').length > 0,
        10_000,
      );
      tally(s);
      await s.close();
    },
    'init-garbage-headers': async (p) => {
      const s = await Sock.open(o.url, p);
      s.send({
        type: 'connection_init',
        payload: pick([
          { headers: { 'x-hasura-role': 'x'.repeat(100_000) } },
          { headers: 'str' },
          { headers: { authorization: 7 } },
          'payload',
          null,
        ]),
      });
      s.start('1', QUERY);
      await s.until(() => s.closed !== null || s.frames.length > 1, 3000);
      tally(s);
      await s.close();
    },
  };
  const names = Object.keys(scenarios);

  // the good client: its own socket, a query every 50 ms
  const goodLat: number[] = [];
  let goodFailures = 0;
  let stop = false;
  const good = (async () => {
    let s = await Sock.open(o.url, 'graphql-transport-ws');
    s.init(o.good);
    await s.until(() => s.has('connection_ack'), 5000);
    for (let i = 0; !stop; i++) {
      if (s.closed) {
        goodFailures++;
        s = await Sock.open(o.url, 'graphql-transport-ws').catch(() => s);
        s.init(o.good);
        await s.until(() => s.has('connection_ack'), 5000);
      }
      const t0 = performance.now();
      s.start(`g${i}`, QUERY);
      const ok = await s.until(() => s.has('next', `g${i}`), 30_000);
      goodLat.push(performance.now() - t0);
      if (!ok) goodFailures++;
      s.frames.length = 0;
      await new Promise((w) => setTimeout(w, 50));
    }
    await s.close();
  })();

  const started = performance.now();
  let issued = 0;
  const worker = async () => {
    while (issued < o.episodes) {
      const i = issued++;
      // one idle-sockets episode per worker round at most: it holds hundreds of sockets
      let name = names[i % names.length]!;
      if (name === 'idle-sockets' && i >= names.length * 2)
        name = pick(names.filter((n) => n !== 'idle-sockets'));
      const proto = pick(PROTOCOLS);
      res.by_scenario[name] = (res.by_scenario[name] ?? 0) + 1;
      try {
        await scenarios[name]!(proto);
      } catch {
        res.transport_failures++;
        if (!(await o.alive())) {
          res.crashes++;
          return;
        }
      }
      res.episodes++;
      if (res.episodes % 20 === 0) o.progress?.(res.episodes);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  res.seconds = Math.round((performance.now() - started) / 100) / 10;
  stop = true;
  await good;
  res.good_client = { during: latency(goodLat), failures: goodFailures };
  // what is left once every fuzz socket has gone (an abrupt drop is noticed by the server)
  await new Promise((w) => setTimeout(w, 2000));
  res.open_at_end = {
    connections: await metric(o.url, 'engine_websocket_connections'),
    subscribers: await metric(o.url, 'engine_subscription_subscribers'),
  };
  return res;
}
