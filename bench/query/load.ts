/**
 * Closed-loop load: `concurrency` workers each send a request, wait for the answer and send the
 * next, for a fixed time. The same loop drives the engine (HTTP/1.1 keep-alive, one socket per
 * worker) and pg (a pool of `concurrency` connections), so both see the same offered load.
 */
import http from 'node:http';

export interface Segment {
  latenciesMs: number[];
  errors: number;
  firstError?: string;
  elapsedS: number;
}

/** Run `request(i)` from `concurrency` workers for `seconds`; `i` counts requests from 0. */
export async function closedLoop(
  seconds: number,
  concurrency: number,
  request: (i: number) => Promise<void>,
): Promise<Segment> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const i = next++;
        const t = performance.now();
        try {
          await request(i);
          latenciesMs.push(performance.now() - t);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message.slice(0, 300);
        }
      }
    }),
  );
  return { latenciesMs, errors, firstError, elapsedS: (performance.now() - started) / 1000 };
}

export interface HttpClient {
  /** POST `body` to `path`; resolves with the response text, rejects on a non-200 status. */
  post(path: string, body: Buffer, headers: Record<string, string>): Promise<string>;
  /** GET `path`; the same. */
  get(path: string, headers: Record<string, string>): Promise<string>;
  close(): void;
}

export function httpClient(baseUrl: string, sockets: number): HttpClient {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const send = (
    method: 'GET' | 'POST',
    path: string,
    body: Buffer | undefined,
    headers: Record<string, string>,
  ) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path,
          method,
          headers: body
            ? {
                'content-type': 'application/json',
                'content-length': String(body.length),
                ...headers,
              }
            : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text}`));
            else resolve(text);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    post: (path, body, headers) => send('POST', path, body, headers),
    get: (path, headers) => send('GET', path, undefined, headers),
    close: () => agent.destroy(),
  };
}

export interface Stats {
  requests: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  req_per_s: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Latency percentiles over every sample of the segments; throughput over their total time. */
export function summarize(segments: Segment[]): Stats {
  const all = segments.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const elapsed = segments.reduce((a, s) => a + s.elapsedS, 0);
  return {
    requests: all.length,
    errors: segments.reduce((a, s) => a + s.errors, 0),
    p50_ms: round3(percentile(all, 0.5)),
    p99_ms: round3(percentile(all, 0.99)),
    mean_ms: round3(all.reduce((a, b) => a + b, 0) / Math.max(1, all.length)),
    req_per_s: Math.round((all.length / Math.max(elapsed, 1e-9)) * 10) / 10,
  };
}

/** The p50 of each segment on its own: how much rounds differ (machine noise). */
export function roundP50s(segments: Segment[]): number[] {
  return segments.map((s) =>
    round3(
      percentile(
        [...s.latenciesMs].sort((a, b) => a - b),
        0.5,
      ),
    ),
  );
}
