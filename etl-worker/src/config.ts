/**
 * The worker's settings, all from the environment and all read at start: a bad value stops the
 * process before it touches Kafka or Postgres, with a message that names the variable.
 */
import {
  ConfigError,
  DEFAULT_CHANGE_CHANNEL,
  databaseSettings,
  isChangeChannelName,
  readInt,
} from '@streamsync/database';
import { parseBrokers } from './kafka/topics.ts';

export interface WorkerConfig {
  databaseUrl: string;
  poolMax: number;
  statementTimeoutMs: number;
  brokers: string[];
  /** consumer group: workers with the same group share the partitions */
  groupId: string;
  clientId: string;
  httpHost: string;
  httpPort: number;
  /** required in X-StreamSync-Webhook-Secret by the /hooks/ endpoints when set */
  webhookSecret: string | undefined;
  /** rows per transaction: a fetched batch larger than this is written in several */
  batchMaxRows: number;
  /** messages per partition fetched ahead of the writes before its fetching pauses */
  fetchAheadMessages: number;
  /** how long the broker may hold a fetch to fill it (freshness vs. batch size) */
  batchMaxWaitMs: number;
  /** bigger messages are dead-lettered as `oversized` */
  maxMessageBytes: number;
  /** points further ahead of the wall clock than this are out of range */
  maxFutureMs: number;
  deadLetterTopic: string;
  /** partitions written at once (each in its own transaction) */
  partitionsConcurrency: number;
  sessionTimeoutMs: number;
  /** retry backoff cap for transient failures */
  retryMaxMs: number;
  /** the channel the engine LISTENs on for changed tables and series */
  notifyChannel: string;
  /** safety-net reload of the declarations, beside LISTEN streamsync_pipelines */
  pipelinePollMs: number;
  /** a partition behind the broker that has not advanced for this long is reported stalled */
  stallAfterMs: number;
  /** partitions of topics the worker creates for declared pipelines */
  topicPartitions: number;
  logLevel: string;
  /** one `info` line per this many ms saying what was loaded (0: none) */
  logSummaryMs: number;
  /** append each chunk's timings to this file (ops/batch-trace.ts; unset: no trace) */
  traceFile: string | undefined;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const db = databaseSettings(env);
  if (!db.url) {
    throw new ConfigError('DATABASE_URL', 'required: the Postgres the worker loads into');
  }
  const text = (key: string, fallback: string, pattern?: RegExp): string => {
    const v = env[key]?.trim() || fallback;
    if (pattern && !pattern.test(v)) {
      throw new ConfigError(key, `${JSON.stringify(v)} does not match ${String(pattern)}`);
    }
    return v;
  };
  const brokers = parseBrokers(env.KAFKA_BROKERS);
  const logLevel = text('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const sessionTimeoutMs = readInt(env, 'ETL_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000);
  const notifyChannel = text('ETL_NOTIFY_CHANNEL', DEFAULT_CHANGE_CHANNEL);
  if (!isChangeChannelName(notifyChannel))
    throw new ConfigError('ETL_NOTIFY_CHANNEL', 'expected a lower-case identifier');
  // bench/ingest: 20,000 cut the worker's and Postgres' CPU per row against 5,000 (fewer
  // transactions, and fewer rollup buckets per row); a live stream's chunks stay what arrived
  const batchMaxRows = readInt(env, 'ETL_BATCH_MAX_ROWS', 20_000, 1, 1_000_000);
  return {
    databaseUrl: db.url,
    poolMax: db.poolMax,
    statementTimeoutMs: db.statementTimeoutMs,
    brokers,
    groupId: text('ETL_GROUP_ID', 'streamsync-etl', /^[A-Za-z0-9._-]{1,200}$/),
    clientId: text('ETL_CLIENT_ID', 'streamsync-etl', /^[A-Za-z0-9._-]{1,200}$/),
    httpHost: text('ETL_HTTP_HOST', '0.0.0.0'),
    httpPort: readInt(env, 'ETL_HTTP_PORT', 9464, 0, 65535),
    webhookSecret: webhookSecret(env),
    batchMaxRows,
    // one chunk queued beside the one written and the one decoded: enough to keep a fetch on its
    // way, and a bound on memory per partition
    fetchAheadMessages: readInt(env, 'ETL_FETCH_AHEAD_MESSAGES', batchMaxRows, 1, 10_000_000),
    batchMaxWaitMs: readInt(env, 'ETL_BATCH_MAX_WAIT_MS', 100, 0, 60_000),
    maxMessageBytes: readInt(env, 'ETL_MAX_MESSAGE_BYTES', 1_048_576, 64, 100 * 1_048_576),
    maxFutureMs: readInt(env, 'ETL_MAX_FUTURE_S', 86_400, 0, 365 * 86_400) * 1000,
    deadLetterTopic: text('ETL_DEAD_LETTER_TOPIC', 'streamsync.dead-letters', TOPIC),
    partitionsConcurrency: readInt(env, 'ETL_PARTITIONS_CONCURRENCY', 3, 1, 64),
    sessionTimeoutMs,
    retryMaxMs: readInt(env, 'ETL_RETRY_MAX_MS', 10_000, 100, 600_000),
    notifyChannel,
    pipelinePollMs: readInt(env, 'ETL_PIPELINE_POLL_MS', 5000, 0, 3_600_000),
    stallAfterMs: readInt(env, 'ETL_STALL_AFTER_MS', 15_000, 1000, 3_600_000),
    topicPartitions: readInt(env, 'ETL_TOPIC_PARTITIONS', 3, 1, 1000),
    logLevel,
    logSummaryMs: readInt(env, 'ETL_LOG_SUMMARY_S', 60, 0, 86_400) * 1000,
    traceFile: env.ETL_TRACE_FILE?.trim() || undefined,
  };
}

function webhookSecret(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.STREAMSYNC_WEBHOOK_SECRET?.trim();
  if (!v) return undefined;
  if (v.length < 16)
    throw new ConfigError(
      'STREAMSYNC_WEBHOOK_SECRET',
      'a shared secret must be at least 16 characters',
    );
  return v;
}
