/**
 * Transient failures lose nothing and double nothing: Postgres stopped for a few seconds in the
 * middle of a load, and the Kafka broker stopped and started again in the middle of one. Each uses
 * a private server the test can stop (the shared ones serve the other test files).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createPool } from '@streamsync/database';
import { startEmbeddedPostgres, type EmbeddedServer } from '@streamsync/stack/embedded-postgres';
import { waitFor, type TestDatabase } from '@streamsync/testing';
import { ensureKafkaJars, startKafka, type KafkaBroker } from '@streamsync/stack/kafka';
import { freePort, freePorts } from '@streamsync/stack/ports';
import { prepareDatabase } from '@streamsync/stack/postgres';
import {
  consumedCount,
  expectExactLoad,
  onCleanup,
  producer,
  sensorMessages,
  sensorSetup,
  startWorker,
  useWorkerCleanup,
  waitForConsumed,
  workerFor,
} from './harness.ts';

useWorkerCleanup();

async function tempRoot(prefix: string): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  // the embedded server runs as the postgres user when we are root: it must reach its data folder
  await fs.chmod(root, 0o755);
  onCleanup(() => fs.rm(root, { recursive: true, force: true }));
  return root;
}

// a member cut off by a broker restart stays in the group until its session expires: keep
// that short so the rejoin after the restart does not wait the default 30 s
const WORKER_ENV = { ETL_BATCH_MAX_ROWS: '500', ETL_SESSION_TIMEOUT_MS: '10000' };

describe('ETL worker > restarts', () => {
  it('should load exactly once when Postgres is stopped and started again mid-load', async () => {
    const N = 30_000;
    const root = await tempRoot('etl-pg-restart-');
    const port = await freePort();
    const start = () =>
      startEmbeddedPostgres({
        dataDir: path.join(root, 'postgres'),
        port,
        database: 'streamsync',
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
      });
    let server: EmbeddedServer = await start();
    onCleanup(() => server.stop());
    await prepareDatabase(server.url, { seeds: true });
    const pool = createPool({ connectionString: server.url, applicationName: 'etl-test', max: 3 });
    const db: TestDatabase = {
      name: 'streamsync',
      url: server.url,
      pool,
      drop: async () => {
        if (!pool.ended) await pool.end();
      },
    };
    onCleanup(() => db.drop());

    const s = await sensorSetup({ db });
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, sensorMessages(s.series, 0, N));
    const worker = await startWorker(workerFor(s, 'pg-restart', WORKER_ENV));

    await waitFor(
      'a quarter of the load',
      async () => (await consumedCount(pool, s.group, s.topic)) >= N / 4,
      { intervalMs: 50, abort: () => (worker.exit ? worker.exitDescription() : undefined) },
    );
    await server.stop();
    const downAt = Date.now();
    // the worker notices (and says so), but stays up
    await waitFor(
      '/readyz to report Postgres unreachable',
      async () => {
        const r = await worker.readyz();
        return r?.httpStatus === 503 && r.postgres === 'unreachable';
      },
      { timeoutMs: 20_000, abort: () => (worker.exit ? worker.exitDescription() : undefined) },
    );
    // down for a few seconds in all
    await sleep(Math.max(0, 4000 - (Date.now() - downAt)));
    expect(worker.exit).toBeNull();
    server = await start();

    await waitForConsumed(pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, N);
    expect(await worker.metric('etl_retries_total', { kind: 'postgres' })).toBeGreaterThan(0);
    await waitFor('/readyz 200 again', async () => (await worker.readyz())?.httpStatus === 200);
  }, 180_000);

  it('should load exactly once when the Kafka broker is stopped and started again mid-load', async () => {
    const N = 30_000;
    const root = await tempRoot('etl-kafka-restart-');
    const [port, controllerPort] = await freePorts(2);
    await ensureKafkaJars();
    const start = () =>
      startKafka({ dataDir: path.join(root, 'kafka'), port, controllerPort, heapMb: 384 });
    let broker: KafkaBroker = await start();
    onCleanup(() => broker.stop());

    const s = await sensorSetup({ brokers: broker.brokers });
    const before = await producer(s.brokers);
    await before.send(s.topic, sensorMessages(s.series, 0, N / 2));
    await before.close();
    const worker = await startWorker(workerFor(s, 'kafka-restart', WORKER_ENV));

    await waitFor(
      'a quarter of the first half',
      async () => (await consumedCount(s.db.pool, s.group, s.topic)) >= N / 8,
      { intervalMs: 50, abort: () => (worker.exit ? worker.exitDescription() : undefined) },
    );
    await broker.stop();
    await sleep(2000);
    expect(worker.exit).toBeNull();
    broker = await start();

    // the second half is produced after the restart: the worker must come back to the topic
    const after = await producer(s.brokers);
    await after.send(s.topic, sensorMessages(s.series, N / 2, N));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, {
      workers: [worker],
      timeoutMs: 120_000,
    });
    await expectExactLoad(s, N);
  }, 240_000);
});
