/**
 * bench/scale: what a second ETL worker and a second engine add, on this machine — the figures
 * the capacity model in docs/scaling.md is built from.
 *
 *   npm run bench:scale [-- --messages 100000] [--partitions 4] [--workers 1,2]
 *        [--subscribers 2000] [--engines 1,2] [--seconds 15] [--changes 100]
 *        [--mode polling|event] [--only all|ingest|fanout] [--sensors 50] [--stall 120]
 *
 * Ingest: one real Kafka broker and one real embedded Postgres (migrated and seeded, on free
 * ports on 127.0.0.1, in .data/bench/scale, removed at the end). N `sensor_readings` messages are
 * preloaded once into a topic of --partitions partitions; each --workers count then drains that
 * same topic in a consumer group of its own (the workers of a run share its partitions), with the
 * table emptied between runs, so every run loads the same N rows. Beside them, in the same run,
 * the Postgres write ceiling: a server-side COPY of the same rows into a twin table
 * (bench/ingest's yardstick).
 *
 * Fan-out: a throwaway database on the same Postgres with 1,000 series; --subscribers live-query
 * subscribers split evenly across --engines engine processes (each subscriber connects straight
 * to its engine's port, as a balancer spreading connections evenly would place it), a writer
 * changing --changes series a second; delivery checked for every change and subscriber.
 *
 * Reported per core: rows/s per worker core, subscribers per engine core, and the CPU each part
 * used (workers, Postgres, broker, engines), with the goals beside the figures (a second process
 * nearly doubles the rate when it has a core of its own; per-core figures hold when it does not;
 * nothing lost). Human lines go to stderr; the last stdout line is one JSON object (also in
 * bench/results/scale-<time>.json). Exit status 0 when the runs completed (goals met or not),
 * 1 when they could not.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { query, REPO_ROOT, sql } from '@streamsync/database';
import { cliOptions } from '../cli.ts';
import { copyFromFile, type CopyResult } from '../ingest/copy.ts';
import { onlySensorPipelineOn, sensorEntities } from '../ingest/dataset.ts';
import { preload } from '../ingest/preload.ts';
import { postmasterPid } from '../ingest/proc.ts';
import { startServices, type BenchServices } from '../ingest/services.ts';
import { runWorker, WORKER_ENTRY } from '../ingest/worker.ts';
import { fanout } from '../live/fanout.ts';
import { createBenchDb } from '../live/support.ts';
import { saveResult } from '../results.ts';
import {
  fanoutFigure,
  ingestFigure,
  scaleGoals,
  type FanoutFigure,
  type IngestFigure,
} from './figures.ts';
import { OPTION_NAMES, OptionError, scaleSettings, type ScaleSettings } from './options.ts';

const SPAN_MS = 4 * 3_600_000;
const DATA_DIR = path.join(REPO_ROOT, '.data', 'bench', 'scale');

const log = (line: string) => process.stderr.write(`[bench:scale] ${line}\n`);

/** The tables an ingest run writes, emptied before the next run loads the same rows again. */
async function emptyLoadTables(client: pg.Client): Promise<void> {
  await query(client, sql`TRUNCATE public.sensor_readings, public.rollups_1m, public.rollups_1h`);
  await query(client, sql`CHECKPOINT`);
}

async function tableRows(client: pg.Client): Promise<number> {
  const { rows } = await query<{ n: string }>(
    client,
    sql`SELECT count(*)::text AS n FROM public.sensor_readings`,
  );
  return Number(rows[0]!.n);
}

async function ingestRuns(
  s: ScaleSettings,
  services: BenchServices,
  client: pg.Client,
  out: Record<string, unknown>,
): Promise<IngestFigure[]> {
  const topic = `bench-scale-${randomBytes(4).toString('hex')}`;
  await onlySensorPipelineOn(client, topic);
  const entityIds = await sensorEntities(client, s.sensors);
  log(`preloading ${s.messages} messages into ${topic} (${s.partitions} partitions)`);
  const csvPath = path.join(services.dataDir, 'sensor_readings.csv');
  const pre = await preload({
    brokers: services.brokers,
    topic,
    count: s.messages,
    partitions: s.partitions,
    sensors: s.sensors,
    entityIds,
    csvPath,
    spanMs: SPAN_MS,
  });
  out.preload = { messages: pre.messages, seconds: pre.seconds, rate: pre.rate };

  const postmaster = postmasterPid(services.postgresDataDir);
  const copy: CopyResult = await copyFromFile(services.postgresUrl, csvPath, postmaster);
  out.postgres_copy_ceiling = copy;
  log(
    `COPY ceiling: ${copy.rows_per_s} rows/s (${copy.postgres_cpu_us_per_row} µs of Postgres CPU a row)`,
  );

  const figures: IngestFigure[] = [];
  const checks: Array<{ workers: number; table_rows: number; expected: number }> = [];
  for (const workers of s.workers) {
    await emptyLoadTables(client);
    log(`ingest: ${workers} worker(s) draining ${topic}`);
    const run = await runWorker({
      postgresUrl: services.postgresUrl,
      brokers: services.brokers,
      topic,
      groupId: `bench-scale-${workers}w-${randomBytes(3).toString('hex')}`,
      processes: workers,
      count: s.messages,
      postmasterPid: postmaster,
      kafkaPid: services.kafkaPid,
      extraEnv: {},
      stallS: s.stallS,
      log,
    });
    const figure = ingestFigure(run);
    figures.push(figure);
    checks.push({ workers, table_rows: await tableRows(client), expected: s.messages });
    log(
      `ingest: ${workers} worker(s) ${figure.rows_per_s} rows/s, ` +
        `${figure.rows_per_s_per_worker_core} rows/s per worker core ` +
        `(workers ${figure.cpu_cores.workers}, Postgres ${figure.cpu_cores.postgres}, broker ${figure.cpu_cores.kafka} cores)`,
    );
  }
  out.ingest_check = checks;
  return figures;
}

async function fanoutRuns(s: ScaleSettings, services: BenchServices): Promise<FanoutFigure[]> {
  const db = await createBenchDb(services.postgresUrl);
  const figures: FanoutFigure[] = [];
  try {
    for (const engines of s.engines) {
      log(`fan-out: ${s.subscribers} subscribers over ${engines} engine(s), ${s.mode} mode`);
      const figure = fanoutFigure(
        await fanout(db, s.subscribers, s.mode, s.seconds, s.changes, {
          engines,
          postgresPid: postmasterPid(services.postgresDataDir),
        }),
      );
      figures.push(figure);
      log(
        `fan-out: ${engines} engine(s) ${figure.subscribers_per_engine_core} subscribers per engine core ` +
          `(engines ${figure.cpu_cores.engines}, Postgres ${figure.cpu_cores.postgres} cores), ${figure.missed_changes} of ${figure.deliveries_expected} deliveries missed, ` +
          `p95 ${figure.delivery_latency_p95_ms} ms`,
      );
    }
  } finally {
    await db.drop();
  }
  return figures;
}

async function main(): Promise<number> {
  const out: Record<string, unknown> = { bench: 'scale', at: new Date().toISOString() };
  const finish = (code: number) => {
    saveResult('scale', out, { at: out.at as string });
    return code;
  };
  let s: ScaleSettings;
  try {
    s = scaleSettings(cliOptions(process.argv.slice(2), import.meta.url, OPTION_NAMES));
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    log(e.message);
    return 2;
  }
  if (!fs.existsSync(WORKER_ENTRY)) {
    out.ok = false;
    out.error = `the ETL worker is not in this checkout (${path.relative(REPO_ROOT, WORKER_ENTRY)})`;
    return finish(1);
  }
  out.machine = {
    cpus: os.cpus().length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    load_average_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    note: 'workers, engines, Postgres, the broker and the subscribers all share this machine',
  };
  out.settings = s;
  let services: BenchServices | undefined;
  let client: pg.Client | undefined;
  try {
    services = await startServices(DATA_DIR, log);
    client = new pg.Client({ connectionString: services.postgresUrl, application_name: 'bench' });
    await client.connect();
    const ingest = s.only === 'fanout' ? [] : await ingestRuns(s, services, client, out);
    const fan = s.only === 'ingest' ? [] : await fanoutRuns(s, services);
    out.ingest = ingest;
    out.fanout = fan;
    out.goals = scaleGoals(ingest, fan);
    (out.machine as Record<string, unknown>).load_average_at_end = os
      .loadavg()
      .map((x) => Math.round(x * 100) / 100);
    out.ok = true;
    for (const [name, g] of Object.entries(out.goals as ReturnType<typeof scaleGoals>))
      log(`${name}: ${g.value} (goal ${g.goal}: ${g.met ? 'met' : 'NOT met'})`);
    return finish(0);
  } catch (e) {
    out.ok = false;
    out.error = (e as Error).message;
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    return finish(1);
  } finally {
    await client?.end().catch(() => {});
    await services?.stop();
    fs.rmSync(DATA_DIR, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
