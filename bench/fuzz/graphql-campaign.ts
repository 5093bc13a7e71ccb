/**
 * A GraphQL fuzz campaign against a running engine: `requests` generated requests (graphql-cases)
 * from `concurrency` workers, while a good client (a dashboard's query as `viewer`, every 20 ms)
 * is timed beside them, after a baseline of the good client alone. Counts what matters: transport
 * failures (a crash), 5xx, answers slower than the time limit, "internal error" answers, non-JSON
 * answers, and the good client's failures and latency.
 */
import {
  CaseGenerator,
  send,
  type FuzzClient,
  type FuzzScale,
  type RoleSchema,
} from './graphql-cases.ts';

export interface CampaignOptions {
  url: string;
  schemas: RoleSchema[];
  strangers: FuzzClient[];
  goodClient: FuzzClient;
  requests: number;
  concurrency: number;
  seed: number;
  scale: FuzzScale;
  /** an answer slower than this is counted slow (the time limit) */
  slowMs: number;
  baselineMs: number;
  /** is the engine still up (its process, /healthz) */
  alive: () => Promise<boolean>;
  progress?: (done: number) => void;
}

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface CampaignResult {
  requests: number;
  seconds: number;
  crashes: number;
  transport_failures: number;
  http_5xx: number;
  slow: number;
  internal_errors: number;
  not_json: number;
  max_ms: number;
  by_family: Record<string, number>;
  by_result: Record<string, number>;
  /** shape → result → count */
  by_shape: Record<string, Record<string, number>>;
  /** the first few requests of each bad kind, to reproduce */
  findings: Array<{
    kind: string;
    shape: string;
    role: string;
    status: number | null;
    result: string;
    ms: number;
    body: string;
  }>;
  good_client: { baseline: Latency; during: Latency; failures: number };
}

export function latency(xs: number[]): Latency {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : 0);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? 0) };
}

const GOOD_QUERY = {
  query:
    'query Latest { sensor_readings(order_by: {ts: desc}, limit: 10) { ts entity_id temperature } }',
  operationName: 'Latest',
};

async function goodLoop(
  url: string,
  client: FuzzClient,
  stop: { v: boolean },
  out: number[],
  failures: { n: number },
) {
  while (!stop.v) {
    const t0 = performance.now();
    try {
      const r = await fetch(`${url}/v1/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...client.headers },
        body: JSON.stringify(GOOD_QUERY),
        signal: AbortSignal.timeout(30_000),
      });
      const j = (await r.json()) as { data?: unknown };
      if (r.status !== 200 || !j.data) failures.n++;
    } catch {
      failures.n++;
    }
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runGraphqlCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const baseline: number[] = [];
  const failures = { n: 0 };
  const stopBase = { v: false };
  const base = goodLoop(o.url, o.goodClient, stopBase, baseline, failures);
  await new Promise((r) => setTimeout(r, o.baselineMs));
  stopBase.v = true;
  await base;

  const gen = new CaseGenerator(o.schemas, o.strangers, o.seed, o.scale);
  const res: CampaignResult = {
    requests: 0,
    seconds: 0,
    crashes: 0,
    transport_failures: 0,
    http_5xx: 0,
    slow: 0,
    internal_errors: 0,
    not_json: 0,
    max_ms: 0,
    by_family: {},
    by_result: {},
    by_shape: {},
    findings: [],
    good_client: { baseline: latency(baseline), during: latency([]), failures: 0 },
  };
  const during: number[] = [];
  const stopGood = { v: false };
  const good = goodLoop(o.url, o.goodClient, stopGood, during, failures);
  failures.n = 0;
  const started = performance.now();
  let issued = 0;
  const finding = (
    kind: string,
    req: ReturnType<CaseGenerator['next']>,
    out: Awaited<ReturnType<typeof send>>,
  ) => {
    if (res.findings.filter((f) => f.kind === kind).length >= 5) return;
    const body = typeof req.body === 'string' ? req.body : req.body.toString('latin1');
    res.findings.push({
      kind,
      shape: req.shape,
      role: req.client.role,
      status: out.status,
      result: out.result,
      ms: Math.round(out.ms),
      body: body.slice(0, 300),
    });
  };
  const worker = async () => {
    while (issued < o.requests) {
      issued++;
      const req = gen.next();
      const out = await send(o.url, req, o.slowMs * 3);
      res.requests++;
      res.by_family[req.family] = (res.by_family[req.family] ?? 0) + 1;
      res.by_result[out.result] = (res.by_result[out.result] ?? 0) + 1;
      const shape = (res.by_shape[`${req.family}/${req.shape}`] ??= {});
      shape[out.result] = (shape[out.result] ?? 0) + 1;
      if (out.ms > res.max_ms) res.max_ms = Math.round(out.ms);
      if (out.status === null) {
        res.transport_failures++;
        finding('transport', req, out);
        if (!(await o.alive())) {
          res.crashes++;
          finding('crash', req, out);
          return;
        }
      } else if (out.status >= 500) {
        res.http_5xx++;
        finding('5xx', req, out);
      }
      if (out.ms > o.slowMs) {
        res.slow++;
        finding('slow', req, out);
      }
      if (out.result === 'internal-error') {
        res.internal_errors++;
        finding('internal-error', req, out);
      }
      if (out.result === 'not-json' && req.method !== 'GET') {
        res.not_json++;
        finding('not-json', req, out);
      }
      if (res.requests % 1000 === 0) o.progress?.(res.requests);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  res.seconds = Math.round((performance.now() - started) / 100) / 10;
  stopGood.v = true;
  await good;
  res.good_client = { baseline: latency(baseline), during: latency(during), failures: failures.n };
  return res;
}
