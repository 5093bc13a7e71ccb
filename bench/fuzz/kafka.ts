/**
 * bench/fuzz/kafka: the Kafka fuzz campaign against one ETL worker process, on a Postgres and a
 * Kafka broker of the run's own (bench/ingest/services.ts: embedded Postgres, migrated and seeded,
 * and a local broker, in a fresh data folder on free ports). Good messages mixed with every bad
 * kind (bench/fuzz/kafka-cases.ts) over the topic's partitions while the worker consumes; then
 * each message's outcome is checked (bench/fuzz/kafka-campaign.ts).
 *
 *   npm run bench:fuzz-kafka -- [--messages 10000] [--partitions 3] [--bad-ratio 0.4] [--seed N]
 *        [--batch-max-rows 1000] [--help]
 *
 * Progress goes to stderr; the last stdout line is one JSON object (also written to
 * bench/results/fuzz-kafka-<time>.json): counts of messages, good, bad, loaded, dead-lettered, the
 * failures (each must be 0), stalls seen in /readyz, the offsets, counts by kind and code, and the
 * first examples of each failure. Exit status 0 when every check held, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createPool, REPO_ROOT } from '@streamsync/database';
import { freePort } from '@streamsync/stack/ports';
import { startServices } from '../ingest/services.ts';
import { loadAverage, report } from './engine.ts';
import { cliOptions } from '../cli.ts';
import { runKafkaCampaign, type FuzzWorker } from './kafka-campaign.ts';

const WORKER_ENTRY = path.join(REPO_ROOT, 'etl-worker', 'src', 'main.ts');
const MAX_MESSAGE_BYTES = 65_536;
const log = (line: string) => console.error(`[bench/fuzz-kafka] ${line}`);

async function main(): Promise<void> {
  const opt = cliOptions(process.argv.slice(2), import.meta.url, [
    'messages',
    'partitions',
    'bad-ratio',
    'seed',
    'batch-max-rows',
  ]);
  const messages = Number(opt('messages', '10000'));
  const partitions = Number(opt('partitions', '3'));
  const badRatio = Number(opt('bad-ratio', '0.4'));
  const seed = Number(opt('seed', String(Math.floor(Math.random() * 1_000_000))));
  const batchMaxRows = opt('batch-max-rows', '1000');
  const loadAtStart = loadAverage();
  const dataDir = path.join(REPO_ROOT, '.data', 'bench', 'fuzz-kafka');
  const services = await startServices(dataDir, log);
  const pool = createPool({
    connectionString: services.postgresUrl,
    applicationName: 'bench-fuzz-kafka',
    max: 2,
  });
  const children: Array<() => Promise<void>> = [];
  try {
    log(`seed ${seed}, ${messages} messages on ${partitions} partitions, bad ratio ${badRatio}`);
    const result = await runKafkaCampaign({
      db: pool,
      brokers: services.brokers,
      messages,
      partitions,
      seed,
      badRatio,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      timeoutMs: 600_000,
      log,
      startWorker: async ({ groupId, deadLetterTopic }) => {
        const w = await spawnWorker({
          DATABASE_URL: services.postgresUrl,
          KAFKA_BROKERS: services.brokers.join(','),
          ETL_GROUP_ID: groupId,
          ETL_DEAD_LETTER_TOPIC: deadLetterTopic,
          ETL_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
          ETL_BATCH_MAX_ROWS: batchMaxRows,
          ETL_STALL_AFTER_MS: '10000',
          ETL_TOPIC_PARTITIONS: String(partitions),
        });
        children.push(w.stop);
        return w;
      },
    });
    const out = {
      bench: 'fuzz-kafka',
      started: new Date().toISOString(),
      seed,
      bad_ratio: badRatio,
      batch_max_rows: Number(batchMaxRows),
      max_message_bytes: MAX_MESSAGE_BYTES,
      load_average: { start: loadAtStart, end: loadAverage() },
      postgres: services.postgresSettings.server_version,
      ...result,
    };
    report('fuzz-kafka', out);
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    for (const stop of children) await stop();
    await pool.end();
    await services.stop();
  }
}

/** One worker process as production runs it; its log goes to the data folder. */
async function spawnWorker(
  env: Record<string, string>,
): Promise<FuzzWorker & { stop(): Promise<void> }> {
  const port = await freePort();
  const logFile = path.join(REPO_ROOT, '.data', 'bench', 'fuzz-kafka', 'worker.log');
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ETL_HTTP_HOST: '127.0.0.1',
      ETL_HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const get = async (p: string) => {
    const res = await fetch(`${url}${p}`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, text: await res.text() };
  };
  const readyz = async () => {
    try {
      const r = await get('/readyz');
      return { ...(JSON.parse(r.text) as Record<string, unknown>), httpStatus: r.status };
    } catch {
      return null;
    }
  };
  // ready: in its group with the campaign's pipeline (or dead)
  for (let i = 0; i < 600 && !exited; i++) {
    if ((await readyz())?.httpStatus === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (exited) throw new Error(`the worker exited at start; see ${logFile}`);
  log(`worker pid ${child.pid} on port ${port}, log ${logFile}`);
  return {
    readyz,
    metrics: async () => (await get('/metrics')).text,
    alive: () => !exited,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
