/** A kafkajs client whose own log lines go through our pino logger, as JSON like ours. */
import {
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type ICustomPartitioner,
  type logCreator,
} from 'kafkajs';
import type { Logger } from 'pino';
import { PartitionSender } from '../kafka/partition-sender.ts';
import { isBenignKafkaMessage } from '../ops/log.ts';

function kafkaLevel(level: string): KafkaLogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return KafkaLogLevel.DEBUG;
    case 'info':
      return KafkaLogLevel.INFO;
    case 'warn':
      return KafkaLogLevel.WARN;
    case 'silent':
      return KafkaLogLevel.NOTHING;
    default:
      return KafkaLogLevel.ERROR;
  }
}

/** kafkajs repeats the same error for every retry while a broker is away: once per window is enough */
const REPEAT_WINDOW_MS = 10_000;

export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  const lastSeen = new Map<string, { at: number; repeats: number }>();
  const creator: logCreator =
    () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, stack: _s, ...fields } = entry;
      const id = `${namespace}\u0000${message}`;
      const now = Date.now();
      const seen = lastSeen.get(id);
      if (seen && now - seen.at < REPEAT_WINDOW_MS) {
        seen.repeats++;
        return;
      }
      if (lastSeen.size > 1000) lastSeen.clear();
      lastSeen.set(id, { at: now, repeats: 0 });
      const obj = { namespace, ...fields, ...(seen?.repeats ? { repeats: seen.repeats } : {}) };
      const text = `${message} ${String((fields as { error?: unknown }).error ?? '')}`;
      if (level <= KafkaLogLevel.WARN && isBenignKafkaMessage(text)) kafkaLog.debug(obj, message);
      else if (level === KafkaLogLevel.ERROR) kafkaLog.error(obj, message);
      else if (level === KafkaLogLevel.WARN) kafkaLog.warn(obj, message);
      else if (level === KafkaLogLevel.INFO) kafkaLog.info(obj, message);
      else kafkaLog.debug(obj, message);
    };
  return new Kafka({
    clientId,
    brokers,
    logLevel: kafkaLevel(log.level),
    logCreator: creator,
    // a broker that does not answer should fail a send quickly: the live loop drops the tick and
    // tries again on the next one, rather than piling up retries
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
}

/**
 * kafkajs's default partitioner (murmur2, as the Java client: a key lands where any client would
 * put it), remembered per key: the demo has a few dozen keys, and hashing each of a million
 * messages is a visible share of the bulk mode's time.
 */
export const keyedPartitioner: ICustomPartitioner = () => {
  const hash = Partitioners.DefaultPartitioner();
  const memo = new Map<string, number>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition != null || message.key == null) return hash(args);
    const id = `${topic}\u0000${partitionMetadata.length}\u0000${String(message.key)}`;
    let partition = memo.get(id);
    if (partition === undefined) {
      partition = hash(args);
      memo.set(id, partition);
    }
    return partition;
  };
};

/** The answers of a cluster that does not let this client write idempotently. */
const NOT_ALLOWED = new Set([
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/**
 * A connected producer for the demo streams, keyed like any client would (keyedPartitioner), that
 * sends one partition per kafkajs send() (kafka/partition-sender.ts: a broker's death must not
 * lose a send's messages). Idempotent where the cluster allows it: a send retried after a lost
 * acknowledgement (a broker killed, a leader moved) is not written twice. A cluster whose ACLs
 * refuse the producer id (InitProducerId, asked at connect) gets a plain producer instead, said
 * once at warn. Every send of the demo producer asks for acks=all (-1), which idempotence
 * requires and which, on a cluster of three, waits for two in-sync copies (min.insync.replicas,
 * kafka/topics.ts).
 */
export async function connectProducer(kafka: Kafka, log?: Logger): Promise<PartitionSender> {
  const options = { allowAutoTopicCreation: false };
  const idempotent = kafka.producer({ ...options, idempotent: true });
  try {
    await idempotent.connect();
    return new PartitionSender(kafka, idempotent, keyedPartitioner);
  } catch (err) {
    await idempotent.disconnect().catch(() => {});
    if (!NOT_ALLOWED.has((err as { type?: string }).type ?? '')) throw err;
    log?.warn({ err }, 'the cluster refuses an idempotent producer; producing without idempotence');
  }
  const plain = kafka.producer(options);
  await plain.connect();
  return new PartitionSender(kafka, plain, keyedPartitioner);
}
