/**
 * The worker's operational endpoints: /healthz (the process is alive and serving), /readyz (it can
 * do its job now: Postgres answers and the consumer is in its group; 503 with the reasons
 * otherwise), /metrics (Prometheus text), and the webhooks of hooks.ts under /hooks/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerMetrics } from './metrics.ts';
import { handleHook, type HooksDeps } from './hooks.ts';

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

export async function startOpsServer(opts: {
  host: string;
  port: number;
  metrics: WorkerMetrics;
  readiness(): Readiness;
  /** the webhooks the GraphQL server calls (cron and event triggers) */
  hooks?: HooksDeps;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url?.startsWith('/hooks/') && opts.hooks && handleHook(opts.hooks, req, res, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/healthz') return json(200, { status: 'ok' });
    if (url === '/readyz') {
      const r = opts.readiness();
      return json(r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', ...r.detail });
    }
    if (url === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
          res.end(text);
        },
        (err: Error) => json(500, { error: err.message }),
      );
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
