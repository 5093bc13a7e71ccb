/**
 * The worker side: one ETL worker (etl-worker/src/main.ts) as a child process — or several, in
 * the same consumer group sharing the topic's partitions (bench/scale) — in a consumer group of
 * its own, draining the preloaded topic. Progress is read where the worker records it,
 * etl.consumer_offsets (committed with the rows, so it is exactly what is loaded), every 100 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { query, REPO_ROOT, sql } from '@streamsync/database';
import { freePort } from '@streamsync/stack/ports';
import { cpuSeconds, treeCpuSeconds } from './proc.ts';

export const WORKER_ENTRY = path.join(REPO_ROOT, 'etl-worker', 'src', 'main.ts');
const POLL_MS = 100;

export interface WorkerRunOptions {
  postgresUrl: string;
  brokers: string[];
  topic: string;
  groupId: string;
  /** worker processes in the group (default 1) */
  processes?: number;
  /** rows expected: the run ends when the worker has consumed this many messages */
  count: number;
  postmasterPid: number | undefined;
  kafkaPid: number | undefined;
  /** settings passed to the worker on top of ours */
  extraEnv: Record<string, string>;
  /** give up after this long without progress */
  stallS: number;
  log: (line: string) => void;
}

export interface WorkerResult {
  rows: number;
  messages: number;
  /** from the first poll that saw rows to the one that saw them all */
  seconds: number;
  /** rows loaded in that interval / its length */
  rows_per_s: number;
  /** from spawn to the last row, start-up included */
  wall_seconds: number;
  wall_rows_per_s: number;
  /** from spawn to the first rows seen */
  startup_seconds: number;
  /** rows already loaded at the first poll that saw any (excluded from rows_per_s) */
  rows_at_first_sight: number;
  /**
   * where the measured interval starts: the first rows seen, or — with several processes — the
   * first rows seen once every process is in the group (its /readyz answers 200), so the
   * rebalance a later joiner causes is start-up, as joining the group is for one
   */
  measured_from: 'first rows' | 'all workers in the group';
  /** worker processes that shared the topic */
  processes: number;
  /** CPU seconds during the measured interval, and as a share of one core (workers: all of them) */
  cpu: {
    worker_s: number;
    postgres_s: number;
    kafka_s: number;
    worker_cores: number;
    postgres_cores: number;
    kafka_cores: number;
    worker_us_per_row: number;
    postgres_us_per_row: number;
  };
  /** committed transactions in the database during the interval, less our polls */
  transactions: number;
  rows_per_transaction: number;
  /** from the worker's /metrics at the end */
  batches:
    | {
        count: number;
        mean_messages: number;
        mean_seconds: number;
        /** how the row sets went in: COPY, COPY undone for a stored key, INSERT … ON CONFLICT */
        row_sets: { copy: number; copy_conflict: number; insert: number };
      }
    | undefined;
  env: Record<string, string>;
}

interface Progress {
  rows: number;
  messages: number;
  xacts: number;
}

/** Whether every worker says it is in its group and can work (GET /readyz → 200). */
async function allReady(ports: number[]): Promise<boolean> {
  const answers = await Promise.all(
    ports.map((port) =>
      fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  );
  return answers.every(Boolean);
}

async function readProgress(client: pg.Client, topic: string, group: string): Promise<Progress> {
  const { rows } = await query<{ rows: string; messages: string; xacts: string }>(
    client,
    sql`SELECT coalesce(sum(rows_loaded), 0)::text AS rows, coalesce(sum(messages), 0)::text AS messages,
               (SELECT (xact_commit + xact_rollback)::text FROM pg_stat_database WHERE datname = current_database()) AS xacts
          FROM etl.consumer_offsets
         WHERE topic = ${sql.value(topic)} AND consumer_group = ${sql.value(group)}`,
  );
  const r = rows[0]!;
  return { rows: Number(r.rows), messages: Number(r.messages), xacts: Number(r.xacts) };
}

/**
 * Mean batch size and duration from the workers' Prometheus histograms (the series of every
 * process added up), when they have them.
 */
async function batchStats(ports: number[]): Promise<WorkerResult['batches']> {
  try {
    const text = (
      await Promise.all(
        ports.map(async (port) =>
          (
            await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
          ).text(),
        ),
      )
    ).join('\n');
    const total = (name: string, labels = '') => {
      let sum = 0;
      let found = false;
      for (const m of text.matchAll(
        new RegExp(`^${name}(?:\\{[^}]*${labels}[^}]*\\})? ([0-9.e+-]+)$`, 'gm'),
      )) {
        sum += Number(m[1]);
        found = true;
      }
      return found ? sum : undefined;
    };
    const count = total('etl_batch_messages_count');
    const messages = total('etl_batch_messages_sum');
    const seconds = total('etl_batch_duration_seconds_sum');
    const durations = total('etl_batch_duration_seconds_count');
    if (!count || messages === undefined) return undefined;
    return {
      count,
      mean_messages: Math.round(messages / count),
      mean_seconds:
        seconds !== undefined && durations ? Math.round((seconds / durations) * 1000) / 1000 : 0,
      row_sets: {
        copy: total('etl_row_sets_total', 'path="copy"') ?? 0,
        copy_conflict: total('etl_row_sets_total', 'path="copy_conflict"') ?? 0,
        insert: total('etl_row_sets_total', 'path="insert"') ?? 0,
      },
    };
  } catch {
    return undefined;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function runWorker(opts: WorkerRunOptions): Promise<WorkerResult> {
  const processes = opts.processes ?? 1;
  const ports: number[] = [];
  for (let i = 0; i < processes; i++) ports.push(await freePort());
  const env: Record<string, string> = {
    DATABASE_URL: opts.postgresUrl,
    KAFKA_BROKERS: opts.brokers.join(','),
    ETL_GROUP_ID: opts.groupId,
    ETL_HTTP_HOST: '127.0.0.1',
    ETL_TOPIC_PARTITIONS: '3',
    LOG_LEVEL: 'warn',
    ...opts.extraEnv,
  };
  const client = new pg.Client({ connectionString: opts.postgresUrl, application_name: 'bench' });
  await client.connect();
  const spawned = performance.now();
  let exited: string | undefined;
  const children = ports.map((port, i) => {
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_INGEST_NODE_ARGS ?? '').split(' ').filter(Boolean),
        '--import',
        'tsx',
        WORKER_ENTRY,
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          ...env,
          ETL_HTTP_PORT: String(port),
        },
        // the worker logs to our stderr: stdout carries the JSON result
        stdio: ['ignore', 2, 2],
      },
    );
    child.once(
      'exit',
      (code, signal) => (exited = `${i + 1} exited early (${signal ?? `code ${code}`})`),
    );
    return child;
  });
  const cpu = () => ({
    worker: children.reduce((sum, child) => sum + cpuSeconds(child.pid), 0),
    postgres: treeCpuSeconds(opts.postmasterPid),
    kafka: cpuSeconds(opts.kafkaPid),
  });

  try {
    let first: { at: number; progress: Progress; cpu: ReturnType<typeof cpu> } | undefined;
    let everyoneIn = false;
    let polls = 0;
    let lastChange = performance.now();
    let lastRows = -1;
    let lastLog = 0;
    for (;;) {
      if (exited) throw new Error(`worker ${exited}`);
      const progress = await readProgress(client, opts.topic, opts.groupId);
      polls++;
      const now = performance.now();
      // one process: from its first rows; several: from the first rows once all are in
      if (!everyoneIn && (processes === 1 || (await allReady(ports)))) everyoneIn = true;
      if (progress.rows > 0 && !first && everyoneIn) {
        first = { at: now, progress, cpu: cpu() };
        polls = 0;
        opts.log(`worker: first rows after ${((now - spawned) / 1000).toFixed(1)} s`);
      }
      if (progress.rows !== lastRows) {
        lastRows = progress.rows;
        lastChange = now;
      }
      if (now - lastLog > 5000 && first) {
        lastLog = now;
        opts.log(`worker: ${progress.rows} rows`);
      }
      if (first && progress.messages >= opts.count) {
        const end = cpu();
        const seconds = (now - first.at) / 1000;
        const measured = progress.rows - first.progress.rows;
        const transactions = Math.max(0, progress.xacts - first.progress.xacts - polls);
        const wall = (now - spawned) / 1000;
        const core = (s: number) => Math.round((s / seconds) * 100) / 100;
        const round = (s: number) => Math.round(s * 100) / 100;
        const perRow = (s: number) => Math.round((s / measured) * 1e7) / 10;
        return {
          rows: progress.rows,
          messages: progress.messages,
          seconds: Math.round(seconds * 1000) / 1000,
          rows_per_s: Math.round(measured / seconds),
          wall_seconds: Math.round(wall * 1000) / 1000,
          wall_rows_per_s: Math.round(progress.rows / wall),
          startup_seconds: Math.round(((first.at - spawned) / 1000) * 1000) / 1000,
          rows_at_first_sight: first.progress.rows,
          measured_from: processes === 1 ? 'first rows' : 'all workers in the group',
          processes,
          cpu: {
            worker_s: round(end.worker - first.cpu.worker),
            postgres_s: round(end.postgres - first.cpu.postgres),
            kafka_s: round(end.kafka - first.cpu.kafka),
            worker_cores: core(end.worker - first.cpu.worker),
            postgres_cores: core(end.postgres - first.cpu.postgres),
            kafka_cores: core(end.kafka - first.cpu.kafka),
            worker_us_per_row: perRow(end.worker - first.cpu.worker),
            postgres_us_per_row: perRow(end.postgres - first.cpu.postgres),
          },
          transactions,
          rows_per_transaction: transactions ? Math.round(measured / transactions) : 0,
          batches: await batchStats(ports),
          env: { ...env, DATABASE_URL: '(the bench database)' },
        };
      }
      if (!first && progress.messages >= opts.count) {
        throw new Error(
          `the ${processes} workers drained all ${opts.count} messages before every one was in the group: nothing left to measure them on (more messages)`,
        );
      }
      if (now - lastChange > opts.stallS * 1000) {
        throw new Error(
          `the worker made no progress for ${opts.stallS} s at ${progress.rows}/${opts.count} rows ` +
            `(${progress.messages} messages consumed)`,
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await Promise.all(children.map(stopChild));
    await client.end();
  }
}
