/**
 * Helpers for the WebSocket and subscription tests: a raw frame-level client (for hand-crafted,
 * even invalid, frames) and reading /metrics. (Starting an engine: helpers.ts.)
 */
import WebSocket from 'ws';
import type { RunningEngine } from '../src/server.ts';

export const wsUrl = (e: RunningEngine, p = '/v1/graphql') => `${e.url.replace(/^http/, 'ws')}${p}`;

export interface Frame {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A client that queues every frame (keep-alives apart) and lets a test await them in order. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly keepAlives: Frame[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;
  private readonly closedPromise: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as Frame;
      if (f.type === 'ka' || (f.type === 'ping' && isKeepAlive(f))) this.keepAlives.push(f);
      else this.frames.push(f);
      this.notify();
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.notify();
        resolve(this.closed);
      });
    });
  }

  static open(url: string, protocol?: string | string[]): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = protocol === undefined ? new WebSocket(url) : new WebSocket(url, protocol);
      const c = new RawClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Wait until `pred` holds (re-checked on every frame), or fail after `ms`. */
  async until<T>(pred: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (this.closed)
        throw new Error(`the socket closed (${this.closed.code}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Frames for an operation id. */
  of(id: string): Frame[] {
    return this.frames.filter((f) => f.id === id);
  }

  waitClosed(): Promise<{ code: number; reason: string }> {
    return this.closedPromise;
  }

  async init(headers: Record<string, string> = {}): Promise<Frame> {
    this.send({ type: 'connection_init', payload: { headers } });
    return this.until(
      () => this.frames.find((f) => f.type === 'connection_ack' || f.type === 'connection_error'),
      'connection_ack',
    );
  }

  close(): void {
    this.ws.close();
  }
}

function isKeepAlive(f: Frame): boolean {
  return (f.payload as { message?: string } | undefined)?.message === 'keepalive';
}

/** The value of a Prometheus sample (0 when absent). */
export async function metric(
  e: Pick<RunningEngine, 'url'>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await fetch(`${e.url}/metrics`).then((r) => r.text());
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean).sort();
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}
