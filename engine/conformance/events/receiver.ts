/**
 * The webhook receiver of Hasura's event and scheduled-trigger tests (EVENTS.md, "The event
 * receiver"), in TypeScript: an HTTP server on a free port of 127.0.0.1 that answers by path
 * (`/fail` 500, `/sleep_2s` 204 after 2 s, `/block` held until unblocked, anything else 204) and
 * records every request — failures and retries too — in a FIFO queue the scenarios read.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** Path with the query string. */
  path: string;
  body: unknown;
  /** Lower-cased names. */
  headers: Record<string, string>;
}

export class EventReceiver {
  private server: http.Server | null = null;
  private queue: ReceivedRequest[] = [];
  private waiters: Array<() => void> = [];
  private blocked: Array<() => void> = [];
  private blocking = true;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200).end();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = String(v);
      const path = req.url ?? '/';
      const answer = (status: number) => {
        if (!res.destroyed) res.writeHead(status).end();
        this.push({ path, body, headers });
      };
      const route = path.split('?')[0];
      if (route === '/fail') answer(500);
      else if (route === '/sleep_2s') setTimeout(() => answer(204), 2000);
      else if (route === '/block') {
        if (!this.blocking) return answer(204);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          clearTimeout(safety);
          this.blocked = this.blocked.filter((b) => b !== release);
          answer(204);
        };
        // upstream's safety timeout
        const safety = setTimeout(release, 60_000);
        this.blocked.push(release);
      } else answer(204);
    });
  }

  private push(r: ReceivedRequest): void {
    this.queue.push(r);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Requests held by `/block` right now. */
  held(): number {
    return this.blocked.length;
  }

  /** Release every held request, and answer later ones at once. */
  unblock(): void {
    this.blocking = false;
    for (const r of [...this.blocked]) r();
  }

  /** The next request, waiting up to `timeoutMs`; undefined if none came. */
  async next(timeoutMs: number): Promise<ReceivedRequest | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.queue.shift();
  }

  pending(): number {
    return this.queue.length;
  }

  async stop(): Promise<void> {
    this.unblock();
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
