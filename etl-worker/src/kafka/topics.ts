/**
 * Kafka topics and broker lists, shared by the worker and the demo producer: both may start first
 * on a fresh broker, so both create the topics they use, and either creation must be harmless.
 */
import type { Kafka } from 'kafkajs';
import { ConfigError } from '@streamsync/database';

export const DEFAULT_BROKERS = ['127.0.0.1:9092'];

/**
 * KAFKA_BROKERS: a comma-separated host:port list (default 127.0.0.1:9092). A bad entry stops the
 * process at start with a message naming the key, instead of kafkajs retrying a typo forever.
 */
export function parseBrokers(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [...DEFAULT_BROKERS];
  const brokers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'names no host:port');
  for (const b of brokers) {
    // host (a name, an IPv4 address or a [bracketed] IPv6 address), then a port
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(b);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new ConfigError(
        'KAFKA_BROKERS',
        `expected a comma-separated list of host:port, got ${JSON.stringify(b)}`,
      );
    }
  }
  return brokers;
}

/**
 * The replication of a topic on a cluster of `brokers` brokers: three copies at most (one per
 * broker on a smaller cluster), and from three brokers on min.insync.replicas=2, so that a write
 * acknowledged with acks=all is on two brokers and losing any one broker neither loses it nor
 * stops writes.
 */
export function topicReplication(brokers: number): {
  replicationFactor: number;
  configEntries: Array<{ name: string; value: string }>;
} {
  return {
    replicationFactor: Math.max(1, Math.min(3, brokers)),
    configEntries: brokers >= 3 ? [{ name: 'min.insync.replicas', value: '2' }] : [],
  };
}

/**
 * Create each topic that does not exist yet, with `partitions` partitions and the replication
 * topicReplication() gives for the cluster's size (read from describeCluster(), not assumed), and
 * wait until every partition has a leader (a producer or consumer that starts right after would
 * otherwise get LEADER_NOT_AVAILABLE). Existing topics are left as they are: repartitioning would
 * move keys.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  partitions: number,
): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    const { brokers } = await admin.describeCluster();
    const replication = topicReplication(brokers.length);
    let created: boolean;
    try {
      created = await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, ...replication })),
        waitForLeaders: true,
      });
    } catch (err) {
      // a retriable error (the new topic's metadata not yet everywhere) ends kafkajs' own wait for
      // leaders early: the topic exists, wait for it below
      if (!isAlreadyExists(err) && !(err as { retriable?: boolean }).retriable) throw err;
      created = false;
    }
    // false: another process created them between listTopics() and here, which is success, but
    // kafkajs then returns without waiting for their leaders
    if (!created) await waitForTopics(admin, missing);
  } finally {
    await admin.disconnect();
  }
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: unknown[]; message?: string } | null;
  if (!e) return false;
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  // createTopics() wraps per-topic errors in a KafkaJSAggregateError
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(isAlreadyExists);
  return /already exists/i.test(e.message ?? '');
}

/** After a concurrent creation: wait until the other process's topics have partition leaders. */
async function waitForTopics(admin: ReturnType<Kafka['admin']>, topics: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      const ready = meta.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
