/**
 * bench/soak: does memory stay flat? The whole pipeline (Postgres, Kafka, engine, worker) on free
 * ports in a temporary folder, the demo producer's live code feeding `sensor_readings` at
 * BENCH_SOAK_RATE rows/s (10,000) from as many sensors, and BENCH_SOAK_SUBSCRIBERS (1,000)
 * graphql-ws subscribers on the engine — half live queries on a sensor's latest reading, half
 * streaming subscriptions on its readings — for BENCH_SECONDS (600). The resident memory of the
 * worker and of the engine (each with its children) is sampled every 10 s.
 *
 * The goal (issue 18.6): no growth after the first minute. Judged per process on the means of
 * the second minute and of the last minute (RSS moves with every garbage collection, so single
 * samples are not compared), and by the least-squares slope of the samples after the first
 * minute; growth within max(5 MiB, 5 %) passes. Also reported: what the pipeline kept up with
 * (rows stored a second, the worker's lag at the end) and the frames the subscribers received, so
 * a flat line cannot come from a pipeline that stopped. JSON on stdout (the last line) and in
 * bench/results/.
 *
 *   npm run bench:soak      (BENCH_SECONDS, BENCH_SOAK_RATE, BENCH_SOAK_SUBSCRIBERS to change)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { query, sql } from '@streamsync/database';
import { STREAM_TOPICS } from '@streamsync/etl-worker/producer';
import { startSensorFeed } from '../sensor-feed.ts';
import { startStack, type Stack } from '@streamsync/stack';
import { freePorts } from '@streamsync/stack/ports';
import { cliOptions } from '../cli.ts';
import { treeRssMb } from '../ingest/proc.ts';
import { subscribeMany } from '../live/support.ts';
import { machineLoad, saveResult } from '../results.ts';
import { FLAT_GOAL, judgeFlat } from './flat.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 10_000);
const SUBSCRIBERS = Number(process.env.BENCH_SOAK_SUBSCRIBERS ?? 1000);
const SAMPLE_MS = 10_000;
cliOptions(process.argv.slice(2), import.meta.url, []);
const log = (m: string) => process.stderr.write(`[bench/soak] ${m}\n`);

const LIVE = `subscription ($id: bigint!) {
  sensor_readings(where: {entity_id: {_eq: $id}}, order_by: {ts: desc}, limit: 1) { ts temperature }
}`;
const STREAM = `subscription ($id: bigint!, $from: timestamptz!) {
  sensor_readings_stream(batch_size: 100, cursor: {initial_value: {ts: $from}},
                         where: {entity_id: {_eq: $id}}) { ts temperature }
}`;

async function main(): Promise<void> {
  if (SECONDS < 180) {
    throw new Error('BENCH_SECONDS must be at least 180: minute 2 and the last are compared');
  }
  const loadAtStart = os.loadavg();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-bench-soak-'));
  // the embedded Postgres runs as its own user, which must reach its data folder
  await fs.chmod(dataDir, 0o755);
  const [engine, worker, producerPort, pgPort] = await freePorts(4);
  let stack: Stack | undefined;
  let stopFeed: (() => Promise<void>) | undefined;
  let closeSubs: (() => void) | undefined;
  try {
    log(`starting the stack in ${dataDir}`);
    stack = await startStack({
      dataDir,
      services: ['engine', 'worker'],
      env: {
        ...process.env,
        STREAMSYNC_DATA_DIR: dataDir,
        STREAMSYNC_KAFKA_PORT: '0',
        STREAMSYNC_PG_PORT: String(pgPort),
        HASURA_GRAPHQL_SERVER_PORT: String(engine),
        ETL_HTTP_PORT: String(worker),
        PRODUCER_HTTP_PORT: String(producerPort),
        LOG_LEVEL: 'warn',
      },
      log,
    });
    const db = new pg.Pool({ connectionString: stack.postgresUrl, max: 2 });
    const pidOf = (name: string) => stack!.services.get(name)?.pid;

    const feed = await startSensorFeed(stack.kafkaBrokers, {
      clientId: 'bench-soak',
      rate: RATE,
      seed: 11,
    });
    stopFeed = () => feed.stop();
    // the subscribers watch sensors that exist once the first seconds of the feed are stored
    await sleep(5000);
    const { rows: sensors } = await query<{ id: string }>(
      db,
      sql`SELECT id::text FROM public.entities WHERE kind = 'sensor' ORDER BY id
           LIMIT ${sql.value(Math.max(1, Math.ceil(SUBSCRIBERS / 2)))}`,
    );
    if (sensors.length === 0) throw new Error('no sensor stored after 5 s of feed');
    let frames = 0;
    const from = new Date().toISOString();
    const subs = await subscribeMany(
      `http://127.0.0.1:${engine}`,
      SUBSCRIBERS,
      100,
      (i) => {
        const id = sensors[Math.floor(i / 2) % sensors.length]!.id;
        return i % 2 === 0
          ? { query: LIVE, variables: { id } }
          : { query: STREAM, variables: { id, from } };
      },
      () => {
        frames++;
      },
      { headers: { 'x-hasura-admin-secret': stack.secrets.adminSecret } },
    );
    closeSubs = () => subs.close();
    log(`${subs.firsts} of ${SUBSCRIBERS} subscribers answered; sampling for ${SECONDS} s`);

    const stored = async () => {
      const { rows } = await query<{ n: string }>(
        db,
        sql`SELECT count(*)::text AS n FROM public.sensor_readings`,
      );
      return Number(rows[0]!.n);
    };
    const rows0 = await stored();
    const samples: Array<{ t_s: number; engine_mb: number; worker_mb: number }> = [];
    const t0 = performance.now();
    for (;;) {
      const t = (performance.now() - t0) / 1000;
      samples.push({
        t_s: Math.round(t),
        engine_mb: treeRssMb(pidOf('engine')),
        worker_mb: treeRssMb(pidOf('worker')),
      });
      if (samples.length % 6 === 0) {
        const s = samples.at(-1)!;
        log(`${s.t_s} s: engine ${s.engine_mb} MiB, worker ${s.worker_mb} MiB, ${frames} frames`);
      }
      if (t >= SECONDS) break;
      await sleep(Math.min(SAMPLE_MS, (SECONDS - t) * 1000));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const storedRows = (await stored()) - rows0;
    const { rows: lag } = await query<{ lag: string }>(
      db,
      sql`SELECT coalesce(sum(high_watermark - next_offset), 0)::text AS lag
            FROM etl.consumer_offsets WHERE topic = ${sql.value(STREAM_TOPICS.sensor_readings)}`,
    );
    await db.end();
    const engineJudged = judgeFlat(samples.map((s) => ({ t_s: s.t_s, mb: s.engine_mb })));
    const workerJudged = judgeFlat(samples.map((s) => ({ t_s: s.t_s, mb: s.worker_mb })));
    saveResult('soak', {
      bench: 'soak',
      at: new Date().toISOString(),
      machine: machineLoad(loadAtStart),
      settings: { seconds: SECONDS, rate_rows_per_s: RATE, subscribers: SUBSCRIBERS },
      goal: {
        ...FLAT_GOAL,
        note: 'no growth after the first minute: last minute vs second minute, and the slope',
      },
      pipeline: {
        stored_rows_per_s: Math.round(storedRows / elapsed),
        worker_lag_messages_at_end: Number(lag[0]!.lag),
        subscribers_answered: subs.firsts,
        frames_received: frames,
      },
      engine: engineJudged,
      worker: workerJudged,
      pass: engineJudged.pass && workerJudged.pass,
      samples,
    });
  } finally {
    closeSubs?.();
    await stopFeed?.().catch(() => {});
    await stack?.stop();
    await fs.rm(dataDir, { recursive: true, force: true }).catch(() => {});
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
