/**
 * Freshness: rows flow in at a steady rate and live-query subscribers measure the time from a
 * row's production to the frame that shows it. Two engines run side by side on the same data, one
 * in Hasura's polling mode and one with event wake-ups, so both see exactly the same load.
 *
 * - `pipeline`: Kafka → the ETL worker (etl-worker/src/main.ts) → Postgres → engines. The
 *   producer stamps each message with its production time, which becomes the row's `ts`, so the
 *   latency is frame arrival − ts. Needs the worker on this branch and a Kafka broker
 *   (KAFKA_BROKERS, or one the stack launches).
 * - `postgres`: our own writer does what the worker does (one transaction per batch, the
 *   `streamsync_changes` notification inside it), measuring the Postgres → engine part.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_CHANGE_CHANNEL,
  encodeChangeNotice,
  query,
  REPO_ROOT,
  sql,
} from '@streamsync/database';
import type { ChunkTiming } from '@streamsync/etl-worker';
import { roleToken } from '../query/cases.ts';
import { rowStages, stageReport, type RowPoints, type StageReport } from './stages.ts';
import {
  Child,
  freePort,
  startEngineProcess,
  stats,
  subscribeMany,
  type BenchDb,
  type LatencyStats,
} from './support.ts';

export interface FreshnessResult {
  source: 'pipeline' | 'postgres';
  target_rows_per_s: number;
  achieved_rows_per_s: number;
  seconds: number;
  subscribers_per_engine: number;
  polling: LatencyStats;
  event: LatencyStats;
  ratio_p50_polling_over_event: number;
  worker?: Record<string, unknown>;
}

const QUERY = `subscription ($id: bigint!) {
  sensor_readings(where: {entity_id: {_eq: $id}}, order_by: {ts: desc}, limit: 1) { ts }
}`;

/**
 * Both engines with `watched.length` subscribers each (one per watched series). Every row the
 * source produces for a watched series is `produced(series index, ts)`; its latency on an engine
 * is the time until a frame showing it, or a newer row of its series, arrives there — a row
 * superseded before a poll still waited for that poll.
 */
async function twoEngines(
  db: BenchDb,
  watched: number[],
): Promise<{
  latencies: { polling: number[]; event: number[] };
  produced(series: number, ts: number): void;
  reset(): void;
  stop(): Promise<void>;
}> {
  const latencies = { polling: [] as number[], event: [] as number[] };
  const index = new Map(watched.map((id, i) => [id, i]));
  const pending = {
    polling: watched.map(() => [] as number[]),
    event: watched.map(() => [] as number[]),
  };
  const engines = {
    polling: await startEngineProcess(db.url, { STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'false' }),
    event: await startEngineProcess(db.url, { STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'true' }),
  };
  const subs: Array<{ close(): void }> = [];
  for (const mode of ['polling', 'event'] as const) {
    subs.push(
      await subscribeMany(
        engines[mode].url,
        watched.length,
        100,
        (i) => ({ query: QUERY, variables: { id: watched[i] } }),
        (i, data) => {
          const row = (data as { sensor_readings: Array<{ ts: string }> }).sensor_readings[0];
          if (!row) return;
          const shown = Date.parse(row.ts);
          const now = Date.now();
          const q = pending[mode][i]!;
          let k = 0;
          while (k < q.length && q[k]! <= shown) latencies[mode].push(now - q[k++]!);
          if (k) q.splice(0, k);
        },
      ),
    );
  }
  return {
    latencies,
    produced(series, ts) {
      const i = index.get(series);
      if (i === undefined) return;
      pending.polling[i]!.push(ts);
      pending.event[i]!.push(ts);
    },
    reset() {
      latencies.polling.length = 0;
      latencies.event.length = 0;
    },
    async stop() {
      for (const s of subs) s.close();
      await engines.polling.stop();
      await engines.event.stop();
    },
  };
}

/** Our own writer: every 50 ms one transaction of rate/20 rows over all series, notified. */
export async function freshnessPostgres(
  db: BenchDb,
  rate: number,
  seconds: number,
  watchedCount: number,
): Promise<FreshnessResult> {
  const watched = db.series.slice(0, watchedCount);
  const run = await twoEngines(db, watched);
  run.reset();
  const tickMs = 50;
  const perTick = Math.round((rate * tickMs) / 1000);
  let rows = 0;
  let next = 0;
  let lastTs = 0;
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < seconds * 1000) {
      const tick = performance.now();
      const ids: number[] = [];
      const stamps: string[] = [];
      // distinct, increasing timestamps: the produce time of each row (ms)
      let ts = Math.max(Date.now(), lastTs + 1);
      for (let k = 0; k < perTick; k++) {
        ids.push(db.series[next++ % db.series.length]!);
        if (k > 0 && k % db.series.length === 0) ts++;
        stamps.push(new Date(ts).toISOString());
      }
      lastTs = ts;
      const produced = ids.map((id, k) => [id, Date.parse(stamps[k]!)] as const);
      const payload = encodeChangeNotice({
        tables: ['public.sensor_readings', 'public.rollups_1m', 'public.rollups_1h'],
        series: { 'public.sensor_readings': [...new Set(ids)].slice(0, 800) },
      });
      const client = await db.pool.connect();
      try {
        await query(client, sql`BEGIN`);
        await query(
          client,
          sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
              SELECT * FROM unnest(${sql.value(ids, 'bigint[]')}, ${sql.value(stamps, 'timestamptz[]')}, array_fill(1.0::float8, ARRAY[${sql.value(ids.length)}::int]))
              ON CONFLICT DO NOTHING`,
        );
        await query(
          client,
          sql`SELECT pg_notify(${sql.value(DEFAULT_CHANGE_CHANNEL)}, ${sql.value(payload)})`,
        );
        for (const [id, t] of produced) run.produced(id, t);
        await query(client, sql`COMMIT`);
      } finally {
        client.release();
      }
      rows += perTick;
      const wait = tickMs - (performance.now() - tick);
      if (wait > 0) await sleep(wait);
    }
    const elapsed = (performance.now() - t0) / 1000;
    await sleep(2500);
    return result('postgres', rate, rows / elapsed, elapsed, watched.length, run.latencies);
  } finally {
    await run.stop();
  }
}

function result(
  source: FreshnessResult['source'],
  rate: number,
  achieved: number,
  elapsed: number,
  watched: number,
  l: { polling: number[]; event: number[] },
): FreshnessResult {
  const polling = stats(l.polling);
  const event = stats(l.event);
  return {
    source,
    target_rows_per_s: rate,
    achieved_rows_per_s: Math.round(achieved),
    seconds: Math.round(elapsed * 10) / 10,
    subscribers_per_engine: watched,
    polling,
    event,
    ratio_p50_polling_over_event:
      event.p50_ms > 0 ? Math.round((polling.p50_ms / event.p50_ms) * 10) / 10 : 0,
  };
}

export const WORKER_ENTRY = path.join(REPO_ROOT, 'etl-worker', 'src', 'main.ts');

export interface PipelineFreshnessResult {
  source: 'pipeline';
  target_rows_per_s: number;
  achieved_rows_per_s: number;
  seconds: number;
  goal: { stream_p50_ms: number; stream_p99_ms: number; live_p50_ms: number };
  /** every produced row on one `sensor_readings_stream` (graphql-ws client, viewer token) */
  stream: LatencyStats & {
    batch_size: number;
    rows_expected: number;
    missing: number;
    repeated: number;
    frames: number;
  };
  /** where a streamed row's time went (stages.ts), the p50 budget of each beside it */
  stream_stages: StageReport | null;
  /** live queries of the latest point of `watched` series (viewer token) */
  live: LatencyStats & { subscribers: number };
  live_stages: StageReport | null;
  /** CPU seconds each process spent while rows were produced and drained (load-proof) */
  cpu_seconds: { worker: number; engine: number; bench_clients_and_producer: number };
  cpu_ms_per_1000_rows: { worker: number; engine: number };
  worker: Record<string, string>;
  engine: Record<string, string>;
}

const GOAL = { stream_p50_ms: 50, stream_p99_ms: 250, live_p50_ms: 30 };
// as many partitions as the worker writes at once (ETL_PARTITIONS_CONCURRENCY, 3), the layout of the
// topics it creates (ETL_TOPIC_PARTITIONS, 3): kafkajs fetches again only once every batch of a
// fetch is written, so a fourth partition would wait a whole transaction for a free slot
const PARTITIONS = 3;
const JWT_KEY = 'bench-jwt-key-'.padEnd(40, 'x');
const ADMIN_SECRET = 'bench-admin-secret';

const STREAM_QUERY = `subscription ($from: timestamptz!, $n: Int!) {
  sensor_readings_stream(batch_size: $n, cursor: {initial_value: {ts: $from}, ordering: ASC}) {
    entity_id ts
  }
}`;

/** The engine's `extensions.timings` of a frame (STREAMSYNC_ENGINE_DEBUG_TIMINGS). */
interface FrameTimings {
  trigger: string;
  notified: number | null;
  started: number;
  read: number;
  sent: number;
}

/** What the bench knows of one produced row. */
interface Produced {
  produced: number;
  partition: number;
  offset: number;
  appended: number;
}

/**
 * The whole pipeline: a producer at `rate` messages a second to the `sensor-readings` topic of
 * the seeded pipeline (3 partitions, LogAppendTime), the ETL worker loading them (its batch
 * trace on), and one engine with wake-ups (its frame timings on) serving one stream of every row
 * and `watchedCount` live queries, all as the viewer role. Each message's `time` is its
 * production time.
 */
export async function freshnessPipeline(
  db: BenchDb,
  rate: number,
  seconds: number,
  watchedCount: number,
  streamBatch: number,
): Promise<PipelineFreshnessResult> {
  const { resolveKafka } = await import('@streamsync/stack/kafka');
  const { Kafka, logLevel } = await import('kafkajs');
  const { createClient } = await import('graphql-ws');
  const { default: WebSocket } = await import('ws');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-live-kafka-'));
  const traceFile = path.join(dataDir, 'worker-trace.jsonl');
  const kafka = await resolveKafka({ dataDir });
  let worker: Child | undefined;
  let engine: Awaited<ReturnType<typeof startEngineProcess>> | undefined;
  const closers: Array<() => void> = [];
  const client = new Kafka({
    clientId: 'bench-live',
    brokers: kafka.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = client.producer({ allowAutoTopicCreation: false });
  const batchMaxWait = process.env.BENCH_ETL_BATCH_MAX_WAIT_MS ?? '';
  const workerEnv: Record<string, string> = batchMaxWait
    ? { ETL_BATCH_MAX_WAIT_MS: batchMaxWait }
    : {};
  const engineEnv: Record<string, string> = {
    STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'true',
    STREAMSYNC_ENGINE_DEBUG_TIMINGS: 'true',
    HASURA_GRAPHQL_ADMIN_SECRET: ADMIN_SECRET,
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: JWT_KEY }),
  };
  for (const k of ['STREAMSYNC_ENGINE_EVENT_DEBOUNCE_MS']) {
    const v = process.env[`BENCH_${k}`];
    if (v) engineEnv[k] = v;
  }
  try {
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'sensor-readings',
          numPartitions: PARTITIONS,
          // the broker stamps each message when it appends it: the producer → broker stage
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
    });
    await admin.disconnect();
    await producer.connect();
    const keys = await query<{ key: string; id: string }>(
      db.pool,
      sql`SELECT key, id::text FROM public.entities WHERE key LIKE 'bench-%' ORDER BY key`,
    );
    const port = await freePort();
    worker = new Child(
      spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: db.url,
          KAFKA_BROKERS: kafka.brokers.join(','),
          ETL_GROUP_ID: `bench-live-${process.pid}`,
          ETL_HTTP_PORT: String(port),
          ETL_TRACE_FILE: traceFile,
          LOG_LEVEL: 'warn',
          ...workerEnv,
        },
        // children log to our stderr: stdout carries the JSON result
        stdio: ['ignore', 2, 2],
      }),
    );
    await sleep(8000); // the worker joins its group
    engine = await startEngineProcess(db.url, engineEnv);
    const token = roleToken(JWT_KEY, 'viewer');
    const init = { headers: { authorization: `Bearer ${token}` } };

    const produced = new Map<string, Produced>();
    const rowKey = (entity: number | string, tsMs: number) => `${entity}@${tsMs}`;

    // the stream: every row, once, with its frame's timings
    const streamSeen = new Map<string, number>();
    const streamRows: number[][] = [];
    const streamLatency: number[] = [];
    let frames = 0;
    const from = new Date(Date.now()).toISOString();
    const ws = createClient({
      url: `${engine.url.replace(/^http/, 'ws')}/v1/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: init,
      retryAttempts: 0,
      lazy: false,
    });
    closers.push(() => void ws.dispose());
    const streamRowsAt: Array<{
      rows: Array<{ entity_id: number; ts: string }>;
      at: number;
      t?: FrameTimings;
    }> = [];
    let firstFrame: () => void = () => {};
    const subscribed = new Promise<void>((resolve) => (firstFrame = resolve));
    closers.push(
      ws.subscribe(
        { query: STREAM_QUERY, variables: { from, n: streamBatch } },
        {
          next: (r) => {
            const at = performance.timeOrigin + performance.now();
            const rows =
              (r.data as { sensor_readings_stream?: Array<{ entity_id: number; ts: string }> })
                ?.sensor_readings_stream ?? [];
            frames++;
            streamRowsAt.push({
              rows,
              at,
              t: (r.extensions as { timings?: FrameTimings } | undefined)?.timings,
            });
            firstFrame();
          },
          error: (e) => console.error('stream error', JSON.stringify(e).slice(0, 300)),
          complete: () => {},
        },
      ),
    );
    // the stream's first frame comes with the first row; wait for the socket only
    await sleep(500);
    void subscribed;

    // live queries: the latest point of each watched series
    const watched = keys.rows.slice(0, watchedCount).map((r) => Number(r.id));
    const watchIndex = new Map(watched.map((id, i) => [id, i]));
    const pending = watched.map(() => [] as number[]);
    const liveLatency: number[] = [];
    const liveRows: number[][] = [];
    const liveFrames: Array<{ i: number; shown: number; at: number; t?: FrameTimings }> = [];
    const live = await subscribeMany(
      engine.url,
      watched.length,
      100,
      (i) => ({ query: QUERY, variables: { id: watched[i] } }),
      (i, data, at, ext) => {
        const row = (data as { sensor_readings: Array<{ ts: string }> }).sensor_readings[0];
        if (!row) return;
        liveFrames.push({
          i,
          shown: Date.parse(row.ts),
          at: performance.timeOrigin + at,
          t: (ext as { timings?: FrameTimings } | undefined)?.timings,
        });
      },
      init,
    );
    closers.push(() => live.close());
    streamRowsAt.length = 0;
    liveFrames.length = 0;

    const ids = new Map(keys.rows.map((r) => [r.key, Number(r.id)]));
    const tickMs = 20;
    const perTick = Math.round((rate * tickMs) / 1000);
    let sent = 0;
    let next = 0;
    let lastTs = 0;
    const sends: Array<Promise<void>> = [];
    const cpu0 = {
      worker: worker.cpuSeconds(),
      engine: engine.cpuSeconds(),
      self: process.cpuUsage(),
    };
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const tick = performance.now();
      const ts = Math.max(Date.now(), lastTs + 1);
      lastTs = ts;
      // one tick's rows, each series at most once (distinct keys), spread over the partitions by
      // series so each series stays in order
      const byPartition: Array<Array<{ key: string; value: string }>> = Array.from(
        { length: PARTITIONS },
        () => [],
      );
      const rowsOf: string[][] = Array.from({ length: PARTITIONS }, () => []);
      for (let k = 0; k < perTick; k++) {
        const s = next++ % keys.rows.length;
        const key = keys.rows[s]!.key;
        const entity = ids.get(key)!;
        const partition = s % PARTITIONS;
        rowsOf[partition]!.push(rowKey(entity, ts));
        const wi = watchIndex.get(entity);
        if (wi !== undefined) pending[wi]!.push(ts);
        byPartition[partition]!.push({
          key,
          value: JSON.stringify({
            device_id: key,
            time: new Date(ts).toISOString(),
            temp_f: 70,
            humidity: 40,
            pressure_hpa: 1010,
            battery_mv: 3300,
          }),
        });
      }
      sends.push(
        producer
          .sendBatch({
            topicMessages: byPartition.map((messages, partition) => ({
              topic: 'sensor-readings',
              messages: messages.map((m) => ({ ...m, partition })),
            })),
          })
          .then((meta) => {
            for (const m of meta) {
              const rows = rowsOf[m.partition]!;
              const base = Number(m.baseOffset);
              const appended = Number(m.logAppendTime);
              rows.forEach((k, j) =>
                produced.set(k, {
                  produced: ts,
                  partition: m.partition,
                  offset: base + j,
                  appended: appended > 0 ? appended : ts,
                }),
              );
            }
          }),
      );
      sent += perTick;
      const wait = tickMs - (performance.now() - tick);
      if (wait > 0) await sleep(wait);
    }
    const elapsed = (performance.now() - t0) / 1000;
    await Promise.all(sends);
    // drain: until the stream has every row, or has not moved for 10 s (60 s at most)
    const streamed = () => streamRowsAt.reduce((n, f) => n + f.rows.length, 0);
    const drainEnd = Date.now() + 60_000;
    let last = -1;
    let still = Date.now();
    while (Date.now() < drainEnd && streamed() < produced.size) {
      const n = streamed();
      if (n !== last) [last, still] = [n, Date.now()];
      else if (Date.now() - still > 10_000) break;
      await sleep(250);
    }
    await sleep(1000);
    const self = process.cpuUsage(cpu0.self);
    const cpu = {
      worker: Math.round((worker.cpuSeconds() - cpu0.worker) * 100) / 100,
      engine: Math.round((engine.cpuSeconds() - cpu0.engine) * 100) / 100,
      bench_clients_and_producer: Math.round((self.user + self.system) / 1e4) / 100,
    };
    for (const c of closers.splice(0)) c();
    await worker.stop(); // flushes the trace
    worker = undefined;

    // the worker's chunks by partition, to find a row's chunk by its offset
    const chunks = new Map<number, ChunkTiming[]>();
    if (fs.existsSync(traceFile)) {
      for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
        if (!line) continue;
        const c = JSON.parse(line) as ChunkTiming;
        if (c.topic !== 'sensor-readings') continue;
        let list = chunks.get(c.partition);
        if (!list) chunks.set(c.partition, (list = []));
        list.push(c);
      }
    }
    for (const list of chunks.values()) list.sort((a, b) => a.firstOffset - b.firstOffset);
    const chunkOf = (p: Produced): ChunkTiming | undefined => {
      const list = chunks.get(p.partition);
      if (!list) return undefined;
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const c = list[mid]!;
        if (p.offset < c.firstOffset) hi = mid - 1;
        else if (p.offset > c.lastOffset) lo = mid + 1;
        else return c;
      }
      return undefined;
    };
    const points = (p: Produced, arrived: number, t?: FrameTimings): RowPoints => {
      const c = chunkOf(p);
      return {
        produced: p.produced,
        appended: p.appended,
        fetched: c?.fetched,
        batch: c?.batch,
        decoded: c?.decodeEnd,
        writeStart: c?.writeStart,
        committed: c?.committed,
        notified: t?.notified,
        trigger: t?.trigger,
        pollStarted: t?.started,
        read: t?.read,
        sent: t?.sent,
        arrived,
      };
    };

    for (const f of streamRowsAt) {
      for (const r of f.rows) {
        const k = rowKey(r.entity_id, Date.parse(r.ts));
        streamSeen.set(k, (streamSeen.get(k) ?? 0) + 1);
        const p = produced.get(k);
        if (!p || streamSeen.get(k)! > 1) continue;
        streamLatency.push(f.at - p.produced);
        streamRows.push(rowStages(points(p, f.at, f.t)));
      }
    }
    let missing = 0;
    for (const k of produced.keys()) if (!streamSeen.has(k)) missing++;
    let repeated = 0;
    for (const n of streamSeen.values()) if (n > 1) repeated += n - 1;

    // a live row's latency: until a frame shows it or a newer row of its series
    for (const f of liveFrames) {
      const q = pending[f.i]!;
      let k = 0;
      while (k < q.length && q[k]! <= f.shown) {
        liveLatency.push(f.at - q[k]!);
        const p = produced.get(rowKey(watched[f.i]!, q[k]!));
        // the stages of the row the frame shows (a superseded row waited for a later poll)
        if (p && q[k] === f.shown) liveRows.push(rowStages(points(p, f.at, f.t)));
        k++;
      }
      if (k) q.splice(0, k);
    }
    if (streamLatency.length === 0 && liveLatency.length === 0)
      throw new Error('no produced row reached the engine (see the worker log on stderr)');
    return {
      source: 'pipeline',
      target_rows_per_s: rate,
      achieved_rows_per_s: Math.round(sent / elapsed),
      seconds: Math.round(elapsed * 10) / 10,
      goal: GOAL,
      stream: {
        ...stats(streamLatency),
        batch_size: streamBatch,
        rows_expected: produced.size,
        missing,
        repeated,
        frames,
      },
      stream_stages: stageReport(streamRows),
      live: { ...stats(liveLatency), subscribers: watched.length },
      live_stages: stageReport(liveRows),
      cpu_seconds: cpu,
      cpu_ms_per_1000_rows: {
        worker: Math.round((cpu.worker * 1e6) / Math.max(1, produced.size)) / 1,
        engine: Math.round((cpu.engine * 1e6) / Math.max(1, produced.size)) / 1,
      },
      worker: { entry: 'etl-worker/src/main.ts', ...workerEnv },
      engine: engineEnv,
    };
  } finally {
    for (const c of closers) c();
    await engine?.stop();
    await worker?.stop();
    await producer.disconnect().catch(() => {});
    await kafka.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
