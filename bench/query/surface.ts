/**
 * bench/query surface: what the response cache and the REST endpoints cost or save on the
 * project's own schema (hasura/), in one run.
 *
 *   npm run bench:query-surface [-- --seconds 3 --rounds 3 --warmup 1 --concurrency 8
 *        --hours 24 --interval 10 --label <text>]
 *
 * - cache: the dashboard's bucketed history (web/lib/graphql/panel-documents.ts's PanelBuckets: a
 *   day of three metrics of one sensor in hourly buckets) sent plain, and sent `@cached(ttl: 300)`
 *   to an engine with its in-process store and to one with Redis (HASURA_GRAPHQL_REDIS_URL, a
 *   redis-server of its own on a free port). The requests rotate over every sensor, so after the
 *   first round each cached request is a hit: the figure is the steady state of many people
 *   opening the same dashboards.
 * - rest: a stream's latest 100 points by its REST endpoint (GET /api/rest/streams/sensor_readings/
 *   :entity_id/latest) beside the same query sent to /v1/graphql.
 * Each case runs `rounds` times, the sides of a comparison alternating which goes first.
 *
 * Progress goes to stderr; the last stdout line is the JSON result (per case p50/p99 ms, req/s and
 * the engine's CPU ms per request, and the ratios), also written to bench/results/. Needs a
 * Postgres where it may create a throwaway database (DATABASE_URL, else 127.0.0.1:5432) and
 * redis-server on the PATH.
 */
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';
import { startRedis, type RunningRedis } from '@streamsync/stack/redis';
import { cliOptions } from '../cli.ts';
import { machineLoad, saveResult } from '../results.ts';
import { credentials } from './cases.ts';
import { createDataset } from './dataset.ts';
import { startEngineProcess, type EngineProcess } from './engine-process.ts';
import { closedLoop, httpClient, summarize, type HttpClient, type Segment } from './load.ts';

const opt = cliOptions(process.argv.slice(2), import.meta.url, [
  'seconds',
  'rounds',
  'warmup',
  'concurrency',
  'hours',
  'interval',
  'label',
]);
const SECONDS = Number(opt('seconds', '3'));
const ROUNDS = Number(opt('rounds', '3'));
const WARMUP = Number(opt('warmup', '1'));
const CONCURRENCY = Number(opt('concurrency', '8'));
const HOURS = Number(opt('hours', '24'));
const INTERVAL = Number(opt('interval', '10'));
const LABEL = opt('label', '');

const log = (line: string) => console.error(`[bench/query surface] ${line}`);
const round2 = (x: number) => Math.round(x * 100) / 100;

/** PanelBuckets as the dashboard sends it for one series of three metrics. */
function bucketsDocument(cached: boolean): string {
  const calls = ['temperature', 'humidity', 'pressure'].map(
    (m) =>
      `${m}: bucketed_series(args: { stream: "sensor_readings", entity_id: $entity, metric: "${m}", from_ts: $from, to_ts: $to, bucket_width: "1 hour" }) { bucket count min max sum last }`,
  );
  return `query PanelBuckets($entity: bigint!, $from: timestamptz!, $to: timestamptz!)${cached ? ' @cached(ttl: 300)' : ''} {
  ${calls.join('\n  ')}
}`;
}

/** The REST endpoint's query (hasura/metadata/query_collections.yaml), sent as GraphQL. */
const LATEST_DOCUMENT = `query sensor_readings_latest($entity_id: bigint!, $limit: Int = 100) {
  sensor_readings(where: {entity_id: {_eq: $entity_id}}, order_by: {ts: desc}, limit: $limit) {
    entity_id ts temperature humidity pressure battery dew_point
  }
}`;

type Request = (i: number) => Promise<void>;

interface Side {
  name: string;
  engine: EngineProcess;
  request: Request;
}

async function measure(sides: Side[]): Promise<Record<string, unknown>> {
  const segs = new Map(sides.map((s) => [s.name, { runs: [] as Segment[], cpuS: 0 }]));
  for (const s of sides) await closedLoop(WARMUP, CONCURRENCY, s.request);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const seg = segs.get(s.name)!;
      const cpu0 = s.engine.cpuSeconds();
      seg.runs.push(await closedLoop(SECONDS, CONCURRENCY, s.request));
      seg.cpuS += s.engine.cpuSeconds() - cpu0;
    }
  }
  const out: Record<string, unknown> = {};
  for (const s of sides) {
    const seg = segs.get(s.name)!;
    const st = summarize(seg.runs);
    const firstError = seg.runs.find((x) => x.firstError)?.firstError;
    out[s.name] = {
      ...st,
      cpu_ms_per_req: st.requests ? round2((seg.cpuS * 1000) / st.requests) : null,
      ...(firstError ? { first_error: firstError } : {}),
    };
  }
  return out;
}

const p50 = (r: Record<string, unknown>, k: string) => (r[k] as { p50_ms: number }).p50_ms;

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const secrets = { adminSecret: 'bench-admin-secret', jwtKey: 'bench-jwt-key-'.padEnd(40, 'x') };
  const data = await createDataset({ hours: HOURS, intervalSeconds: INTERVAL, log });
  let redis: RunningRedis | undefined;
  const engines: EngineProcess[] = [];
  const clients: HttpClient[] = [];
  try {
    redis = await startRedis();
    const start = async (env: Record<string, string>) => {
      const e = await startEngineProcess({
        dbUrl: data.url,
        engineDir: path.join(REPO_ROOT, 'engine'),
        ...secrets,
        poolSize: CONCURRENCY,
        nodeArgs: [],
        env,
      });
      engines.push(e);
      return e;
    };
    const memory = await start({});
    const viaRedis = await start({ HASURA_GRAPHQL_REDIS_URL: redis.url });
    const creds = credentials('viewer', secrets, '1');
    const entities = data.sensors.map((s) => s.id);
    const pick = (i: number) => entities[i % entities.length]!;
    const client = (e: EngineProcess) => {
      const c = httpClient(e.url, CONCURRENCY);
      clients.push(c);
      return c;
    };
    const memoryClient = client(memory);
    const redisClient = client(viaRedis);

    const to = new Date(Math.floor(started.getTime() / 3600_000) * 3600_000);
    const from = new Date(to.getTime() - 24 * 3600_000);
    const bodies = (cached: boolean) =>
      entities.map((entity) =>
        Buffer.from(
          JSON.stringify({
            query: bucketsDocument(cached),
            variables: { entity, from: from.toISOString(), to: to.toISOString() },
          }),
        ),
      );
    const plain = bodies(false);
    const cachedBodies = bodies(true);
    const graphql =
      (c: HttpClient, list: Buffer[]): Request =>
      async (i) => {
        const text = await c.post('/v1/graphql', list[i % list.length]!, creds.headers);
        if (!text.startsWith('{"data"')) throw new Error(text.slice(0, 300));
      };

    log('cache: PanelBuckets plain, cached in process, cached in Redis');
    const cache = await measure([
      { name: 'uncached', engine: memory, request: graphql(memoryClient, plain) },
      { name: 'cached_in_process', engine: memory, request: graphql(memoryClient, cachedBodies) },
      { name: 'cached_redis', engine: viaRedis, request: graphql(redisClient, cachedBodies) },
    ]);

    log('rest: latest 100 points by REST and by GraphQL');
    const latest = entities.map((entity_id) =>
      Buffer.from(JSON.stringify({ query: LATEST_DOCUMENT, variables: { entity_id } })),
    );
    const rest = await measure([
      {
        name: 'rest_endpoint',
        engine: memory,
        request: async (i) => {
          const text = await memoryClient.get(
            `/api/rest/streams/sensor_readings/${pick(i)}/latest`,
            creds.headers,
          );
          if (!text.startsWith('{"sensor_readings"')) throw new Error(text.slice(0, 300));
        },
      },
      { name: 'graphql', engine: memory, request: graphql(memoryClient, latest) },
    ]);

    const out = {
      bench: 'query-surface',
      label: LABEL || undefined,
      at: started.toISOString(),
      machine: machineLoad(loadAtStart),
      settings: {
        role: 'viewer (HS256 JWT)',
        concurrency: CONCURRENCY,
        seconds_per_segment: SECONDS,
        rounds: ROUNDS,
        warmup_seconds: WARMUP,
        series: entities.length,
        hours: HOURS,
        points_every_s: INTERVAL,
        rows: data.rows,
      },
      results: {
        cache,
        rest,
        ratio: {
          cached_in_process_p50_over_uncached: round2(
            p50(cache, 'cached_in_process') / p50(cache, 'uncached'),
          ),
          cached_redis_p50_over_uncached: round2(
            p50(cache, 'cached_redis') / p50(cache, 'uncached'),
          ),
          rest_p50_over_graphql: round2(p50(rest, 'rest_endpoint') / p50(rest, 'graphql')),
        },
      },
      note: 'The cached rows are steady-state hits (every series asked before the first round). Lower ratios are better; the goal is only that the cache saves time and REST costs about what GraphQL does.',
    };
    saveResult('query-surface', out, { at: out.at });
  } finally {
    for (const c of clients) c.close();
    for (const e of engines) await e.stop();
    await redis?.stop();
    await data.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
