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

/**
 * The whole pipeline: a producer at `rate` messages a second to the `sensor-readings` topic of
 * the seeded pipeline, the ETL worker loading them, and the two engines. Each message's `time`
 * is its production time.
 */
export async function freshnessPipeline(
  db: BenchDb,
  rate: number,
  seconds: number,
  watchedCount: number,
): Promise<FreshnessResult> {
  const { resolveKafka } = await import('@streamsync/stack/kafka');
  const { Kafka, logLevel } = await import('kafkajs');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-live-kafka-'));
  const kafka = await resolveKafka({ dataDir });
  let worker: Child | undefined;
  let run: Awaited<ReturnType<typeof twoEngines>> | undefined;
  const client = new Kafka({
    clientId: 'bench-live',
    brokers: kafka.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = client.producer({ allowAutoTopicCreation: false });
  try {
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'sensor-readings', numPartitions: 4 }] });
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
          ETL_CONSUMER_GROUP: `bench-live-${process.pid}`,
          ETL_HTTP_PORT: String(port),
          ETL_START_FROM: 'latest',
          ETL_BATCH_MAX_WAIT_MS: process.env.BENCH_ETL_BATCH_MAX_WAIT_MS ?? '50',
          LOG_LEVEL: 'warn',
        },
        // children log to our stderr: stdout carries the JSON result
        stdio: ['ignore', 2, 2],
      }),
    );
    await sleep(8000); // the worker joins its group
    const watched = keys.rows.slice(0, watchedCount).map((r) => Number(r.id));
    run = await twoEngines(db, watched);
    run.reset();
    const ids = new Map(keys.rows.map((r) => [r.key, Number(r.id)]));
    const tickMs = 20;
    const perTick = Math.round((rate * tickMs) / 1000);
    let sent = 0;
    let next = 0;
    let lastTs = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const tick = performance.now();
      let ts = Math.max(Date.now(), lastTs + 1);
      const messages = [];
      for (let k = 0; k < perTick; k++) {
        if (k > 0 && k % keys.rows.length === 0) ts++;
        const key = keys.rows[next++ % keys.rows.length]!.key;
        run.produced(ids.get(key)!, ts);
        messages.push({
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
      lastTs = ts;
      await producer.send({ topic: 'sensor-readings', messages });
      sent += perTick;
      const wait = tickMs - (performance.now() - tick);
      if (wait > 0) await sleep(wait);
    }
    const elapsed = (performance.now() - t0) / 1000;
    await sleep(5000);
    if (run.latencies.event.length === 0 && run.latencies.polling.length === 0)
      throw new Error('no produced row reached the engines (see the worker log on stderr)');
    return {
      ...result('pipeline', rate, sent / elapsed, elapsed, watchedCount, run.latencies),
      worker: {
        entry: 'etl-worker/src/main.ts',
        batch_max_wait_ms: process.env.BENCH_ETL_BATCH_MAX_WAIT_MS ?? '50',
      },
    };
  } finally {
    await run?.stop();
    await worker?.stop();
    await producer.disconnect().catch(() => {});
    await kafka.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
