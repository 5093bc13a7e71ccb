/**
 * A bad setting stops the worker at start, before it touches Kafka or Postgres, with a message
 * naming the key. The services named here do not exist: a worker that got past its settings would
 * retry them forever instead of exiting.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@streamsync/testing';
import { spawnWorker, useWorkerCleanup } from './harness.ts';

useWorkerCleanup();

const NOWHERE = {
  databaseUrl: 'postgres://etl:etl@127.0.0.1:1/nowhere',
  brokers: ['127.0.0.1:1'],
  groupId: 'etl-test-config',
  deadLetterTopic: 'etl-test-config-dlq',
};

const CASES: Array<[key: string, value: string]> = [
  ['ETL_BATCH_MAX_ROWS', 'abc'],
  ['ETL_BATCH_MAX_ROWS', '0'],
  ['ETL_FETCH_AHEAD_MESSAGES', '0'],
  ['KAFKA_BROKERS', 'nohost'],
  ['KAFKA_BROKERS', '127.0.0.1:99999'],
  ['DATABASE_URL', 'mysql://etl@127.0.0.1/x'],
  ['DATABASE_URL', ''],
  ['ETL_HTTP_PORT', 'http'],
  ['ETL_SESSION_TIMEOUT_MS', '1000'],
  ['ETL_DEAD_LETTER_TOPIC', 'no spaces allowed'],
  ['ETL_GROUP_ID', 'a/b'],
  ['ETL_MAX_MESSAGE_BYTES', '-5'],
  ['LOG_LEVEL', 'loud'],
  ['ETL_STALL_AFTER_MS', '500'],
  ['ETL_STALL_AFTER_MS', 'soon'],
];

describe('ETL worker > settings', () => {
  it.each(CASES)('should exit non-zero at start naming %s when it is %j', async (key, value) => {
    const w = await spawnWorker({ ...NOWHERE, name: 'config', env: { [key]: value } });
    const exit = await waitFor('the worker to exit', () => w.exit, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(w.log()).toContain(`invalid configuration ${key}:`);
    // it never served: no endpoint came up
    expect(await w.readyz()).toBeNull();
  });

  it('should stay up while valid settings name services that are not there yet, and exit 0 on SIGTERM', async () => {
    // valid values everywhere, unreachable services: the worker stays up, retrying, and serves /healthz
    const w = await spawnWorker({ ...NOWHERE, name: 'config-ok' });
    const health = await waitFor(
      '/healthz',
      async () => {
        try {
          return (await w.get('/healthz')).status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, abort: () => (w.exit ? w.exitDescription() : undefined) },
    );
    expect(health).toBe(true);
    const ready = await w.readyz();
    expect(ready?.httpStatus).toBe(503);
    const exit = await w.stop();
    expect(exit.code).toBe(0);
  });
});
