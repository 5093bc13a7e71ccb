/**
 * The HTTP client every webhook call goes through (event triggers, scheduled events, and later
 * action handlers): keep-alive connection pools with a cap on sockets per host, a deadline for the
 * whole exchange (connect, headers and body), a cap on how much of an answer is read, and an
 * outcome that is always a value, never a throw, so a webhook that hangs, answers garbage or is
 * unreachable costs its caller a bounded wait and nothing else.
 */
import http from 'node:http';
import https from 'node:https';
import { ENGINE_VERSION } from '../version.ts';

export interface WebhookRequest {
  url: string;
  method?: string;
  /** Sent as given (names keep their case); Content-Type and User-Agent are added when absent. */
  headers: Array<{ name: string; value: string }>;
  body: string | null;
  timeoutMs: number;
  /** Aborts the call (engine shutdown). */
  signal?: AbortSignal;
}

export interface WebhookHttpResponse {
  kind: 'response';
  status: number;
  headers: Array<{ name: string; value: string }>;
  /** The body as text (lossy UTF-8), at most `maxResponseBytes` of it. */
  body: string;
  /** Bytes received (up to the cap). */
  size: number;
  truncated: boolean;
  durationMs: number;
}

export interface WebhookFailure {
  kind: 'timeout' | 'network' | 'invalid_url' | 'aborted';
  message: string;
  durationMs: number;
}

export type WebhookOutcome = WebhookHttpResponse | WebhookFailure;

export interface WebhookClientOptions {
  /** Most open sockets per origin (Hasura's HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE). */
  maxSockets?: number;
  /** Most bytes of an answer kept (the rest is not read). */
  maxResponseBytes?: number;
}

/** The headers Hasura adds to every webhook call, overriding the caller's. */
export const DEFAULT_HEADERS: ReadonlyArray<{ name: string; value: string }> = [
  { name: 'Content-Type', value: 'application/json' },
  { name: 'User-Agent', value: `hasura-graphql-engine/${ENGINE_VERSION}` },
];

/** Hasura's addDefaultHeaders: the defaults first, the caller's headers with those names dropped. */
export function withDefaultHeaders(
  headers: ReadonlyArray<{ name: string; value: string }>,
): Array<{ name: string; value: string }> {
  const defaults = new Set(DEFAULT_HEADERS.map((h) => h.name.toLowerCase()));
  return [...DEFAULT_HEADERS, ...headers.filter((h) => !defaults.has(h.name.toLowerCase()))];
}

export class WebhookClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly maxResponseBytes: number;

  constructor(opts: WebhookClientOptions = {}) {
    const maxSockets = opts.maxSockets ?? 100;
    // every socket the pool may open stays open between calls: with fewer kept idle, a busy
    // pool closes and reconnects a socket for most calls (about a fifth of the engine's CPU
    // while delivering events went to connect and close)
    const agent = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    this.httpAgent = new http.Agent(agent);
    this.httpsAgent = new https.Agent(agent);
    this.maxResponseBytes = opts.maxResponseBytes ?? 1024 * 1024;
  }

  send(req: WebhookRequest): Promise<WebhookOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(req.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol);
    } catch {
      return Promise.resolve({
        kind: 'invalid_url',
        message: `Invalid URL: ${JSON.stringify(req.url)}`,
        durationMs: elapsed(),
      });
    }
    return new Promise((resolve) => {
      let settled = false;
      const done = (o: WebhookOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const headers: Record<string, string> = {};
      for (const h of req.headers) headers[h.name] = h.value;
      const body = req.body === null ? null : Buffer.from(req.body);
      if (body) headers['Content-Length'] = String(body.length);
      const lib = url.protocol === 'https:' ? https : http;
      const request = lib.request(url, {
        method: req.method ?? 'POST',
        headers,
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
      });
      const fail = (kind: WebhookFailure['kind'], message: string) => {
        request.destroy();
        done({ kind, message, durationMs: elapsed() });
      };
      const timer = setTimeout(
        () => fail('timeout', `response timeout after ${req.timeoutMs} ms`),
        req.timeoutMs,
      );
      const onAbort = () => fail('aborted', 'the call was abandoned (engine shutting down)');
      if (req.signal?.aborted) {
        onAbort();
        return;
      }
      req.signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (e: NodeJS.ErrnoException) =>
        fail('network', e.code ? `${e.code}: ${e.message}` : e.message),
      );
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () =>
          done({
            kind: 'response',
            status: res.statusCode ?? 0,
            headers: rawHeaderPairs(res.rawHeaders),
            body: Buffer.concat(chunks).toString('utf8'),
            size,
            truncated,
            durationMs: elapsed(),
          });
        res.on('data', (c: Buffer) => {
          if (truncated) return;
          const room = this.maxResponseBytes - size;
          if (c.length > room) {
            chunks.push(c.subarray(0, room));
            size += room;
            truncated = true;
            // the rest is not worth reading: drop the connection and keep what we have
            res.destroy();
            finish();
            return;
          }
          chunks.push(c);
          size += c.length;
        });
        res.on('end', finish);
        res.on('error', (e) => (truncated ? finish() : fail('network', e.message)));
        res.on('aborted', () => fail('network', 'the webhook closed the connection mid-answer'));
      });
      request.end(body ?? undefined);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function rawHeaderPairs(raw: string[]): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push({ name: raw[i]!, value: raw[i + 1]! });
  return out;
}
