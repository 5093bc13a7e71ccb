/**
 * The producer's settings, from the environment (and, for the bulk mode, the command line). Every
 * value is checked at start; a bad one stops the process with a message naming the key.
 */
import { ConfigError, readInt } from '@streamsync/database';
import { parseBrokers } from '../kafka/topics.ts';
import { STREAM_NAMES, type StreamName } from './streams.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ProducerConfig {
  brokers: string[];
  /** messages per second over all streams */
  rate: number;
  streams: StreamName[];
  sensors: number;
  badRatio: number;
  httpPort: number;
  httpHost: string;
  partitions: number;
  logLevel: LogLevel;
}

export interface BulkArgs {
  /** exactly this many good messages */
  count: number;
  stream: StreamName;
  /** default: the stream's demo topic */
  topic: string | undefined;
  badRatio: number;
  partitions: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProducerConfig {
  return {
    brokers: parseBrokers(env.KAFKA_BROKERS),
    rate: readNumber(env.PRODUCER_RATE, 'PRODUCER_RATE', 50, 0.01, 1_000_000),
    streams: parseStreams(env.PRODUCER_STREAMS),
    sensors: readInt(env, 'PRODUCER_SENSORS', 50, 1, 100_000),
    badRatio: readNumber(env.PRODUCER_BAD_RATIO, 'PRODUCER_BAD_RATIO', 0.01, 0, 1),
    httpPort: readInt(env, 'PRODUCER_HTTP_PORT', 9465, 0, 65535),
    httpHost: readHost(env.PRODUCER_HTTP_HOST),
    partitions: readInt(env, 'ETL_TOPIC_PARTITIONS', 3, 1, 10_000),
    logLevel: readLogLevel(env.LOG_LEVEL),
  };
}

export interface FileArgs {
  /** a file of JSON lines, or - for standard input */
  file: string;
  /** a declared pipeline (etl.pipelines.name): its topic and entity key */
  stream: string | undefined;
  /** the topic, when not the pipeline's */
  topic: string | undefined;
  partitions: number;
}

export type ProduceArgs =
  { mode: 'service' } | ({ mode: 'bulk' } & BulkArgs) | ({ mode: 'file' } & FileArgs);

const KNOWN = ['--bulk', '--file', '--stream', '--topic', '--bad-ratio', '--partitions'];

function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'unexpected argument (see --help)');
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(0, eq), arg.slice(eq + 1));
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith('--') && value !== '-')) {
      throw new ConfigError(arg, 'needs a value (see --help)');
    }
    flags.set(arg, value);
    i++;
  }
  for (const flag of flags.keys()) {
    if (!KNOWN.includes(flag)) {
      throw new ConfigError(flag, `unknown option (known: ${KNOWN.join(', ')}, --help)`);
    }
  }
  return flags;
}

function readTopic(flags: Map<string, string>): string | undefined {
  const topic = flags.get('--topic');
  if (topic !== undefined && !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new ConfigError('--topic', `not a valid topic name: ${JSON.stringify(topic)}`);
  }
  return topic;
}

/**
 * The command line: nothing (the live service), `--bulk N [--stream S] [--topic T]
 * [--bad-ratio R] [--partitions P]`, or `--file F|- [--stream S] [--topic T] [--partitions P]`.
 */
export function parseArgs(argv: string[], config: ProducerConfig): ProduceArgs {
  const flags = parseFlags(argv);
  const partitions = readInteger(
    flags.get('--partitions'),
    '--partitions',
    config.partitions,
    1,
    10_000,
  );
  const file = flags.get('--file');
  if (file !== undefined) {
    if (flags.has('--bulk'))
      throw new ConfigError('--file', 'sends given messages: not with --bulk');
    if (flags.has('--bad-ratio')) throw new ConfigError('--bad-ratio', 'is for --bulk only');
    const stream = flags.get('--stream');
    const topic = readTopic(flags);
    if (stream === undefined && topic === undefined) {
      throw new ConfigError(
        '--file',
        'needs --stream <pipeline> (or --topic <topic>): where to send',
      );
    }
    return { mode: 'file', file, stream, topic, partitions };
  }
  const bulk = flags.get('--bulk');
  if (bulk === undefined) {
    if (flags.size > 0) {
      throw new ConfigError('--bulk', 'the other options need --bulk N or --file F (see --help)');
    }
    return { mode: 'service' };
  }
  const stream = flags.get('--stream') ?? config.streams[0]!;
  if (!(STREAM_NAMES as readonly string[]).includes(stream)) {
    throw new ConfigError(
      '--stream',
      `--bulk generates demo messages: expected one of ${STREAM_NAMES.join(', ')}, got ${stream} (to send your own messages use --file)`,
    );
  }
  return {
    mode: 'bulk',
    count: readInteger(bulk, '--bulk', 0, 1, Number.MAX_SAFE_INTEGER),
    stream: stream as StreamName,
    topic: readTopic(flags),
    badRatio: readNumber(flags.get('--bad-ratio'), '--bad-ratio', config.badRatio, 0, 1),
    partitions,
  };
}

function readInteger(
  raw: string | undefined,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  // the same rule as the environment's integers, for command-line flags
  return readInt({ [key]: raw }, key, fallback, min, max);
}

function readNumber(
  raw: string | undefined,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(key, `expected a number in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

function parseStreams(raw: string | undefined): StreamName[] {
  if (raw === undefined || raw.trim() === '') return [...STREAM_NAMES];
  const names = [...new Set(raw.split(',').map((s) => s.trim()))].filter((s) => s !== '');
  if (names.length === 0) throw new ConfigError('PRODUCER_STREAMS', 'names no stream');
  for (const n of names) {
    if (!(STREAM_NAMES as readonly string[]).includes(n)) {
      throw new ConfigError(
        'PRODUCER_STREAMS',
        `unknown stream ${JSON.stringify(n)} (known: ${STREAM_NAMES.join(', ')})`,
      );
    }
  }
  return names as StreamName[];
}

function readHost(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return '0.0.0.0';
  const host = raw.trim();
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
    throw new ConfigError(
      'PRODUCER_HTTP_HOST',
      `not a host name or address: ${JSON.stringify(raw)}`,
    );
  }
  return host;
}

function readLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined || raw.trim() === '') return 'info';
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got ${raw}`);
  }
  return level as LogLevel;
}
