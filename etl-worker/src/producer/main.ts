/**
 * The demo producer: `npm run produce` feeds the demo streams live (a service with /healthz and
 * /metrics); `npm run produce -- --bulk N --stream S` sends N messages as fast as it can, prints
 * one JSON line and exits.
 */
import pino from 'pino';
import { loadConfig, parseBulkArgs, type BulkArgs, type ProducerConfig } from './config.ts';
import { produceBulk } from './bulk.ts';
import { createKafka } from './kafka-client.ts';
import { startProducerService } from './service.ts';

async function runService(config: ProducerConfig): Promise<void> {
  const log = pino({ level: config.logLevel, base: { service: 'producer' } });
  const service = await startProducerService(config, log);
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping');
    service.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function runBulk(config: ProducerConfig, args: BulkArgs): Promise<void> {
  // stdout carries the one JSON result line; logs go to stderr
  const log = pino(
    { level: config.logLevel, base: { service: 'producer', mode: 'bulk' } },
    pino.destination(2),
  );
  const abort = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.warn({ signal }, 'interrupted: stopping after the batches in flight');
      abort.abort();
    });
  }
  const result = await produceBulk({
    kafka: createKafka(config.brokers, 'streamsync-producer-bulk', log),
    stream: args.stream,
    count: args.count,
    topic: args.topic,
    badRatio: args.badRatio,
    partitions: args.partitions,
    sensors: config.sensors,
    signal: abort.signal,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.messages < args.count) {
    log.error({ sent: result.messages, wanted: args.count }, 'interrupted before the end');
    process.exitCode = 130;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const bulk = parseBulkArgs(process.argv.slice(2), config);
  if (bulk) await runBulk(config, bulk);
  else await runService(config);
}

main().catch((err: unknown) => {
  // a bad setting names its key; anything else is unexpected and gets its stack
  console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
  process.exit(1);
});
