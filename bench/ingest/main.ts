/**
 * bench/ingest: how fast ONE ETL worker drains a preloaded topic into Postgres, beside a
 * server-side COPY of the same rows into a table of the same shape, in the same run.
 *
 *   npm run bench:ingest
 *
 * Settings (environment): BENCH_INGEST_MESSAGES (1000000), BENCH_INGEST_SENSORS (50),
 * BENCH_INGEST_STALL_S (120: give up when nothing moves this long), BENCH_INGEST_KEEP=1 (keep the
 * data folder), BENCH_INGEST_ALERT_RULE=1 (one alert rule watching every point),
 * BENCH_INGEST_DATA_DIR (.data/bench/ingest); ETL_* and PG_POOL_MAX / PG_STATEMENT_TIMEOUT_MS go
 * to the worker.
 *
 * Human lines go to stderr; the last stdout line is one JSON object (also written to
 * bench/results/ingest-<time>.json). Exit status 0 when the run completed (targets met or not),
 * 1 when it could not run.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ConfigError, query, readInt, REPO_ROOT, sql } from '@streamsync/database';
import { cliOptions } from '../cli.ts';
import { onlySensorPipelineOn, sensorEntities } from './dataset.ts';
import { copyFromFile, COPY_TABLE, type CopyResult } from './copy.ts';
import { preload } from './preload.ts';
import { postmasterPid } from './proc.ts';
import { startServices, type BenchServices } from './services.ts';
import { runWorker, WORKER_ENTRY, type WorkerResult } from './worker.ts';
import { saveResult } from '../results.ts';

const TARGET_RATIO = 0.75;
const TARGET_ROWS_PER_S = 100_000;
const PARTITIONS = 3;
const SPAN_MS = 4 * 3_600_000;

// settings are environment variables (above); --help prints them
cliOptions(process.argv.slice(2), import.meta.url, []);
const log = (line: string) => process.stderr.write(`[bench:ingest] ${line}\n`);

interface Settings {
  messages: number;
  sensors: number;
  stallS: number;
  keep: boolean;
  /** BENCH_INGEST_ALERT_RULE=1: one alert rule watching every point (its cost on the write path) */
  alertRule: boolean;
  dataDir: string;
  /** ETL_* and PG_* settings from our environment, passed on to the worker */
  workerEnv: Record<string, string>;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const workerEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v && /^(ETL_|PG_POOL_MAX$|PG_STATEMENT_TIMEOUT_MS$)/.test(k) && k !== 'ETL_GROUP_ID')
      workerEnv[k] = v;
  }
  return {
    messages: readInt(env, 'BENCH_INGEST_MESSAGES', 1_000_000, 1000, 100_000_000),
    sensors: readInt(env, 'BENCH_INGEST_SENSORS', 50, 1, 100_000),
    stallS: readInt(env, 'BENCH_INGEST_STALL_S', 120, 5, 3600),
    keep: env.BENCH_INGEST_KEEP === '1',
    alertRule: env.BENCH_INGEST_ALERT_RULE === '1',
    dataDir: path.resolve(
      env.BENCH_INGEST_DATA_DIR || path.join(REPO_ROOT, '.data', 'bench', 'ingest'),
    ),
    workerEnv,
  };
}

/** Rows of the worker's table that the COPY table does not have with the same values, and back. */
async function compareTables(client: pg.Client): Promise<number> {
  const { rows } = await query<{ n: string }>(
    client,
    sql`SELECT count(*)::text AS n
          FROM public.sensor_readings a FULL JOIN bench_ingest.sensor_readings b USING (entity_id, ts)
         WHERE a.entity_id IS NULL OR b.entity_id IS NULL
            OR abs(a.temperature - b.temperature) > 1e-9 OR abs(a.humidity - b.humidity) > 1e-9
            OR abs(a.pressure - b.pressure) > 1e-9 OR abs(a.battery - b.battery) > 1e-9
            OR abs(a.dew_point - b.dew_point) > 1e-9`,
  );
  return Number(rows[0]!.n);
}

async function main(): Promise<number> {
  const started = new Date();
  const out: Record<string, unknown> = { bench: 'ingest', at: started.toISOString() };
  const finish = (code: number) => {
    saveResult('ingest', out, { at: out.at as string });
    return code;
  };

  if (!fs.existsSync(WORKER_ENTRY)) {
    out.ok = false;
    out.error = `the ETL worker is not in this checkout (${path.relative(REPO_ROOT, WORKER_ENTRY)} is missing): nothing to measure`;
    log(out.error as string);
    return finish(1);
  }
  let settings: Settings;
  try {
    settings = readSettings(process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    out.ok = false;
    out.error = e.message;
    log(e.message);
    return finish(1);
  }
  const n = settings.messages;
  out.machine = {
    cpus: os.cpus().length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    load_average_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    note: 'the worker, Postgres and the Kafka broker share this machine',
  };
  out.settings = {
    messages: n,
    stream: 'sensor_readings',
    topic_partitions: PARTITIONS,
    sensors: settings.sensors,
    event_time_span_hours: SPAN_MS / 3_600_000,
  };
  out.targets = { worker_over_copy_min: TARGET_RATIO, worker_rows_per_s_min: TARGET_ROWS_PER_S };

  let services: BenchServices | undefined;
  let client: pg.Client | undefined;
  try {
    log(`data in ${settings.dataDir}`);
    services = await startServices(settings.dataDir, log);
    (out.settings as Record<string, unknown>).postgres = services.postgresSettings;
    client = new pg.Client({ connectionString: services.postgresUrl, application_name: 'bench' });
    await client.connect();

    // a topic of our own, and only the pipeline under test enabled
    const topic = `bench-ingest-${randomBytes(4).toString('hex')}`;
    await onlySensorPipelineOn(client, topic);
    const entityIds = await sensorEntities(client, settings.sensors);
    if (settings.alertRule) {
      // the worst case for alert evaluation: a rule that watches every point of the stream
      await query(
        client,
        sql`INSERT INTO public.alert_rules (name, stream, metric, op, threshold, for_seconds)
            VALUES ('bench', 'sensor_readings', 'temperature', 'above', 25, 60)`,
      );
    }

    log(`preloading ${n} messages into ${topic} (${PARTITIONS} partitions)`);
    const csvPath = path.join(settings.dataDir, 'sensor_readings.csv');
    const pre = await preload({
      brokers: services.brokers,
      topic,
      count: n,
      partitions: PARTITIONS,
      sensors: settings.sensors,
      entityIds,
      csvPath,
      spanMs: SPAN_MS,
    });
    out.preload = { messages: pre.messages, seconds: pre.seconds, rate: pre.rate };
    log(`preloaded in ${pre.seconds} s (${pre.rate} messages/s)`);

    log(`COPY of the same ${n} rows from ${csvPath}`);
    const postmaster = postmasterPid(services.postgresDataDir);
    const copy: CopyResult = await copyFromFile(services.postgresUrl, csvPath, postmaster);
    out.copy = { table: COPY_TABLE, ...copy };
    log(
      `COPY: ${copy.rows} rows in ${copy.seconds} s = ${copy.rows_per_s} rows/s ` +
        `(Postgres CPU ${copy.postgres_cpu_us_per_row} µs/row)`,
    );

    await query(client, sql`CHECKPOINT`);
    log('worker: starting');
    const worker: WorkerResult = await runWorker({
      postgresUrl: services.postgresUrl,
      brokers: services.brokers,
      topic,
      groupId: `bench-ingest-${randomBytes(4).toString('hex')}`,
      count: n,
      postmasterPid: postmaster,
      kafkaPid: services.kafkaPid,
      extraEnv: settings.workerEnv,
      stallS: settings.stallS,
      log,
    });
    out.worker = worker;
    log(
      `worker: ${worker.rows} rows in ${worker.seconds} s = ${worker.rows_per_s} rows/s ` +
        `(${worker.wall_rows_per_s} rows/s from spawn, ${worker.wall_seconds} s); CPU per row: ` +
        `Postgres ${worker.cpu.postgres_us_per_row} µs, worker ${worker.cpu.worker_us_per_row} µs`,
    );

    const { rows } = await query<{ n: string }>(
      client,
      sql`SELECT count(*)::text AS n FROM public.sensor_readings`,
    );
    const mismatched = await compareTables(client);
    out.check = { worker_table_rows: Number(rows[0]!.n), copy_table_rows: copy.rows, mismatched };
    if (Number(rows[0]!.n) !== n || copy.rows !== n || mismatched !== 0) {
      log(`check FAILED: ${JSON.stringify(out.check)}`);
    }

    const ratio = Math.round((worker.rows_per_s / copy.rows_per_s) * 1000) / 1000;
    const met = {
      ratio: ratio >= TARGET_RATIO,
      rows_per_s: worker.rows_per_s >= TARGET_ROWS_PER_S,
    };
    out.worker_rows_per_s = worker.rows_per_s;
    out.copy_rows_per_s = copy.rows_per_s;
    out.ratio = ratio;
    out.targets_met = { ...met, all: met.ratio && met.rows_per_s };
    // each figure with its goal beside it (issue 18.3)
    out.goals = {
      ratio: { value: ratio, goal: `>= ${TARGET_RATIO}`, met: met.ratio },
      worker_rows_per_s: {
        value: worker.rows_per_s,
        goal: `>= ${TARGET_ROWS_PER_S}`,
        met: met.rows_per_s,
      },
    };
    out.ok = true;
    log(
      `worker / COPY = ${ratio} (target ≥ ${TARGET_RATIO}: ${met.ratio ? 'met' : 'NOT met'}); ` +
        `worker ${worker.rows_per_s} rows/s (target ≥ ${TARGET_ROWS_PER_S}: ${met.rows_per_s ? 'met' : 'NOT met'})`,
    );
    return finish(0);
  } catch (e) {
    out.ok = false;
    out.error = (e as Error).message;
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    return finish(1);
  } finally {
    await client?.end().catch(() => {});
    await services?.stop();
    if (services && !settings.keep) fs.rmSync(settings.dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
