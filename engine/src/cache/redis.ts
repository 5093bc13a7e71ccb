/**
 * The `@cached` store in Redis (HASURA_GRAPHQL_REDIS_URL, `redis://[:password@]host:port[/db]`):
 * a minimal RESP2 client over one connection — the three commands the cache needs (`SET … EX`,
 * `GET`, `TTL`), pipelined, replies matched to requests in order. A lost connection fails the
 * requests in flight (the query then runs uncached) and is made again on the next use.
 */
import net from 'node:net';
import type { CachedAnswer, QueryCacheStore } from './store.ts';

type Reply = string | number | null | Error;

export class RedisQueryCache implements QueryCacheStore {
  readonly kind = 'redis' as const;
  private socket: net.Socket | null = null;
  private ready: Promise<void> | null = null;
  private pending: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private buffer: Buffer = Buffer.alloc(0);
  private readonly url: URL;

  constructor(
    url: string,
    private readonly prefix = 'streamsync:qc:',
  ) {
    this.url = new URL(url);
    if (this.url.protocol !== 'redis:')
      throw new Error(
        `HASURA_GRAPHQL_REDIS_URL: expected a redis:// URL, got ${this.url.protocol}`,
      );
  }

  async get(key: string): Promise<CachedAnswer | null> {
    const [body, ttl] = await Promise.all([
      this.command('GET', this.prefix + key),
      this.command('TTL', this.prefix + key),
    ]);
    if (typeof body !== 'string') return null;
    return { body, ttl: typeof ttl === 'number' && ttl > 0 ? ttl : 1 };
  }

  async set(key: string, body: string, ttlSeconds: number): Promise<void> {
    await this.command('SET', this.prefix + key, body, 'EX', String(Math.max(1, ttlSeconds)));
  }

  /** Round trip to the server (start-up check). */
  async ping(): Promise<void> {
    const r = await this.command('PING');
    if (r !== 'PONG') throw new Error(`redis: unexpected PING reply ${String(r)}`);
  }

  async close(): Promise<void> {
    this.socket?.end();
    this.socket = null;
    this.ready = null;
  }

  private connect(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      const s = net.connect(Number(this.url.port || 6379), this.url.hostname || '127.0.0.1');
      this.socket = s;
      s.setNoDelay(true);
      s.once('connect', () => resolve());
      s.on('data', (chunk: Buffer) => this.onData(chunk));
      const fail = (e: Error) => {
        reject(e);
        this.socket = null;
        this.ready = null;
        this.buffer = Buffer.alloc(0);
        for (const p of this.pending.splice(0)) p.reject(e);
      };
      s.on('error', fail);
      s.on('close', () => fail(new Error('redis connection closed')));
    }).then(async () => {
      const password = decodeURIComponent(this.url.password);
      if (password) this.check(await this.send(['AUTH', password]));
      const db = this.url.pathname.slice(1);
      if (db) this.check(await this.send(['SELECT', db]));
    });
    return this.ready;
  }

  private check(r: Reply): Reply {
    if (r instanceof Error) throw r;
    return r;
  }

  private async command(...args: string[]): Promise<Reply> {
    await this.connect();
    return this.check(await this.send(args));
  }

  private send(args: string[]): Promise<Reply> {
    const s = this.socket;
    if (!s) return Promise.reject(new Error('redis: not connected'));
    let out = `*${args.length}\r\n`;
    for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      s.write(out);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const parsed = parseReply(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      this.pending.shift()?.resolve(parsed.value);
    }
  }
}

/** One RESP2 reply at `at` (simple string, error, integer, bulk string), or null if incomplete. */
function parseReply(buf: Buffer, at: number): { value: Reply; end: number } | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const line = buf.toString('utf8', at + 1, eol);
  switch (String.fromCharCode(buf[at]!)) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new Error(`redis: ${line}`), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return null;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
    }
    default:
      throw new Error(`redis: unexpected reply type ${line}`);
  }
}
