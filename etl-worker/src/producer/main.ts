/**
 * The demo producer: `npm run produce` feeds the demo streams live (a service with /healthz and
 * /metrics); `npm run produce -- --bulk N --stream S` sends N messages as fast as it can, prints
 * one JSON line and exits; `npm run produce -- --stream S --file F` sends a file's JSON lines (or
 * standard input's) to a declared stream. Without KAFKA_BROKERS / DATABASE_URL it uses those of the
 * running `npm start` (@streamsync/database's local-stack.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import {
  ConfigError,
  databaseSettings,
  findLocalStack,
  noLocalStackHint,
} from '@streamsync/database';
import {
  loadConfig,
  parseArgs,
  type BulkArgs,
  type FileArgs,
  type ProducerConfig,
} from './config.ts';
import { produceBulk } from './bulk.ts';
import { openInput, pipelineTarget, produceFromLines } from './from-file.ts';
import { createKafka } from './kafka-client.ts';
import { startProducerService } from './service.ts';

const USAGE = `usage: npm run produce [-- options]

  (no options)                    the live demo feed of every demo stream, as npm start runs it,
                                  with /healthz and /metrics on PRODUCER_HTTP_PORT (9465)
  --stream <pipeline> --file <f>  send the JSON lines of <f> (one message a line; - or a pipe for
                                  standard input) to a declared pipeline's topic, keyed by its
                                  entity key; prints {"topic","messages","not_json"} and exits
  --bulk <n> [--stream <demo>]    send <n> generated demo messages (sensor_readings or
                                  market_trades) as fast as Kafka takes them; prints one JSON line
  --topic <topic>                 another topic than the stream's
  --bad-ratio <r>                 share of broken messages in --bulk (PRODUCER_BAD_RATIO, 0.01)
  --partitions <p>                partitions of a topic it creates (ETL_TOPIC_PARTITIONS, 3)

Kafka: KAFKA_BROKERS, else the running \`npm start\`'s broker (found through STREAMSYNC_DATA_DIR,
default .data/), else 127.0.0.1:9092. A pipeline's topic is read from DATABASE_URL, else from the
running stack's Postgres. Live feed settings: PRODUCER_RATE, PRODUCER_STREAMS, PRODUCER_SENSORS,
PRODUCER_BAD_RATIO, PRODUCER_HTTP_HOST, PRODUCER_HTTP_PORT, LOG_LEVEL (see etl-worker/README.md).`;

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
    log,
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

async function runFile(config: ProducerConfig, args: FileArgs): Promise<void> {
  // npm runs scripts at the repository root; a relative path means where the user typed it
  const file = args.file === '-' ? '-' : path.resolve(process.env.INIT_CWD ?? '.', args.file);
  if (file !== '-' && !existsSync(file)) {
    throw new ConfigError('--file', `no such file: ${file}`);
  }
  let target: { topic: string; keyPath?: string };
  if (args.stream === undefined) {
    target = { topic: args.topic! };
  } else {
    const url = databaseSettings().url ?? findLocalStack()?.postgresUrl;
    if (!url) {
      throw new ConfigError(
        '--stream',
        `its topic is read from Postgres: DATABASE_URL is not set, and ${noLocalStackHint()} (or give --topic)`,
      );
    }
    target = await pipelineTarget(url, args.stream);
    if (args.topic) target.topic = args.topic;
  }
  const log = pino(
    { level: config.logLevel, base: { service: 'producer', mode: 'file' } },
    pino.destination(2),
  );
  const result = await produceFromLines({
    kafka: createKafka(config.brokers, 'streamsync-producer-file', log),
    log,
    target,
    input: openInput(file),
    partitions: args.partitions,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  // the brokers of the running `npm start` unless told otherwise
  const env = { ...process.env };
  if (!env.KAFKA_BROKERS) {
    const stack = findLocalStack(env);
    if (stack) env.KAFKA_BROKERS = stack.kafkaBrokers.join(',');
  }
  const config = loadConfig(env);
  const args = parseArgs(argv, config);
  if (args.mode === 'bulk') await runBulk(config, args);
  else if (args.mode === 'file') await runFile(config, args);
  else await runService(config);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // a bad setting names its key; a broker that does not answer says where we looked and what to
  // do; anything else is unexpected and gets its stack
  if (err instanceof Error && err.name === 'ConfigError') console.error(err.message);
  else if (err instanceof Error && err.name.startsWith('KafkaJS')) {
    console.error(
      `Kafka at ${process.env.KAFKA_BROKERS || findLocalStack()?.kafkaBrokers.join(',') || '127.0.0.1:9092'} ` +
        `did not answer (${err.message}): start the stack with \`npm start\`, or set KAFKA_BROKERS`,
    );
  } else console.error(err);
  process.exit(1);
});
