/**
 * `npm run start --workspace etl-worker`: read the settings (a bad one stops us here, named), start
 * the worker, and on SIGTERM / SIGINT finish or abandon the batch in flight and leave the group.
 */
import { ConfigError } from '@streamsync/database';
import { readWorkerConfig } from './config.ts';
import { createLogger } from './ops/log.ts';
import { startSummary } from './ops/summary.ts';
import { startWorker, type Worker } from './worker.ts';

let config;
try {
  config = readWorkerConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`etl-worker: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.logLevel);

// Fix (test: config.test.ts): the signal handlers used to be installed only once startWorker()
// resolved, and startWorker() waits for Postgres as long as it takes; a SIGTERM meanwhile killed
// the process by the signal instead of exiting 0. Installed first now: before the worker is up,
// nothing has been committed by this process and any batch in flight is abandoned uncommitted, so
// exiting at once is safe.
let worker: Worker | undefined = undefined;
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  if (!worker) {
    log.info({ signal }, 'stopping before the start completed');
    process.exit(0);
  }
  log.info({ signal }, 'stopping: leaving the consumer group');
  // a batch that cannot finish in time is abandoned: its transaction never commits, so it is
  // simply consumed again by whoever gets the partition
  const force = setTimeout(() => {
    log.warn('stop timed out; exiting');
    process.exit(1);
  }, 30_000);
  force.unref();
  worker.stop().then(
    () => process.exit(0),
    (err: Error) => {
      log.error({ err }, 'stop failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

worker = await startWorker(config, log).catch((err: Error) => {
  log.fatal({ err }, 'etl-worker could not start');
  process.exit(1);
});
log.info({ port: worker.httpPort, group: config.groupId }, 'etl-worker ready');
if (config.logSummaryMs > 0) startSummary(worker.metrics, log, config.logSummaryMs);
