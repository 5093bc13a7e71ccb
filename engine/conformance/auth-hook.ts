/**
 * The auth webhook of `webhooks/request_context` (GRAPHQL-EXTRAS.md, "Auth webhook request
 * context"), upstream's `auth-hook:request-echo`: a POST-mode hook on a free port of 127.0.0.1
 * that answers 200 with role `user` and the user id of the client's `auth-user-id` header, and
 * records what it received (`{headers, request}`) for the scenarios to read.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookCall {
  headers: Record<string, unknown>;
  request: unknown;
}

export class AuthHook {
  private server: http.Server | null = null;
  private waiters: Array<(c: HookCall) => void> = [];
  readonly calls: HookCall[] = [];

  /** Start listening; the URL the engine gets in `HASURA_GRAPHQL_AUTH_HOOK`. */
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: { headers?: Record<string, unknown>; request?: unknown } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          // recorded as empty
        }
        const headers = body.headers ?? {};
        const userId = Object.entries(headers).find(([k]) => k.toLowerCase() === 'auth-user-id');
        const call = { headers, request: body.request };
        const w = this.waiters.shift();
        if (w) w(call);
        else this.calls.push(call);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ 'x-hasura-role': 'user', 'x-hasura-user-id': String(userId?.[1]) }),
          );
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** The next recorded call, or undefined after `timeoutMs`. */
  nextCall(timeoutMs: number): Promise<HookCall | undefined> {
    const c = this.calls.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => {
      const done = (call: HookCall) => {
        clearTimeout(timer);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
