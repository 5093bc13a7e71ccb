/**
 * A webhook endpoint for the event tests: records every request and answers by path —
 * `/ok` 200, `/fail` 500, `/garbage` 200 with a body that is not JSON, `/retry-after` 503 with
 * `Retry-After: 1`, `/hang` never answers, `/slow?ms=N` answers after N ms.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- event payloads are checked field by field
  body: any;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface TestReceiver {
  url: string;
  hits: Hit[];
  /** Hits on a path (without the query). */
  on(path: string): Hit[];
  /** Most requests open at once (received, not yet answered) since the start or `resetPeak()`. */
  peakOpen(): number;
  resetPeak(): void;
  /** Wait until `pred` holds for the hits (or fail after `ms`). */
  until(pred: (hits: Hit[]) => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<TestReceiver> {
  const hits: Hit[] = [];
  const hanging = new Set<http.ServerResponse>();
  let open = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    open++;
    peak = Math.max(peak, open);
    res.once('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const url = new URL(req.url ?? '/', 'http://x');
      hits.push({ path: url.pathname, body, headers: req.headers, at: Date.now() });
      switch (url.pathname) {
        case '/fail':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
          return;
        case '/garbage':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"not json');
          return;
        case '/retry-after':
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        case '/hang':
          hanging.add(res);
          return;
        case '/slow':
          setTimeout(
            () => res.writeHead(200).end('{}'),
            Number(url.searchParams.get('ms') ?? 1000),
          );
          return;
        default:
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    on: (p) => hits.filter((h) => h.path === p),
    peakOpen: () => peak,
    resetPeak() {
      peak = open;
    },
    async until(pred, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!pred(hits)) {
        if (Date.now() > deadline)
          throw new Error(`receiver: condition not met within ${ms} ms (${hits.length} hits)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
