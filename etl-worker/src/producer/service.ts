/**
 * The demo producer as a service: HTTP first (so /healthz can say "not yet"), then Kafka (topics
 * created, producer connected, retried until it works: the broker may start after us), then the
 * live feed until stop().
 */
import { randomBytes } from 'node:crypto';
import type { PartitionSender } from '../kafka/partition-sender.ts';
import type { Logger } from 'pino';
import { ensureTopics } from '../kafka/topics.ts';
import type { ProducerConfig } from './config.ts';
import { startHttp } from './http.ts';
import { connectProducer, createKafka } from './kafka-client.ts';
import { startLive, type LiveFeed } from './live.ts';
import { createMetrics } from './metrics.ts';
import { createRng, randomSeed } from './random.ts';
import { createStream, STREAM_TOPICS, type StreamName } from './streams.ts';

const CONNECT_RETRY_MS = 2_000;

export interface ProducerService {
  httpPort: number;
  stop(): Promise<void>;
}

export async function startProducerService(
  config: ProducerConfig,
  log: Logger,
  /** the topic of each stream; default the demo topics the seeded pipelines read */
  topicOf: Record<StreamName, string> = STREAM_TOPICS,
): Promise<ProducerService> {
  const metrics = createMetrics();
  let connected = false;
  const http = await startHttp({
    host: config.httpHost,
    port: config.httpPort,
    metrics,
    healthy: () => connected,
    log,
  });
  log.info({ host: config.httpHost, port: http.port }, 'health and metrics listening');

  const kafka = createKafka(config.brokers, 'streamsync-producer', log);
  let producer: PartitionSender | undefined;
  const rng = createRng(randomSeed());
  const tradeIdPrefix = `${randomBytes(3).toString('hex')}-`;
  const streams = config.streams.map((name) =>
    createStream(name, { rng, badRatio: config.badRatio, sensors: config.sensors, tradeIdPrefix }),
  );
  const topics = config.streams.map((s) => topicOf[s]);

  let stopping = false;
  let feed: LiveFeed | undefined;
  let wake: (() => void) | undefined;
  const running = (async () => {
    let lastWarn = 0;
    for (let attempt = 1; !stopping; attempt++) {
      try {
        await ensureTopics(kafka, topics, config.partitions);
        producer = await connectProducer(kafka, log);
        break;
      } catch (err) {
        // the first failure, then one line per half minute: a long outage should not flood the log
        if (Date.now() - lastWarn >= 30_000) {
          lastWarn = Date.now();
          log.warn({ err, attempt, brokers: config.brokers }, 'cannot reach Kafka yet; retrying');
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, CONNECT_RETRY_MS);
        });
      }
    }
    if (stopping) return;
    connected = true;
    feed = startLive({
      sender: producer!,
      streams,
      topics: topicOf,
      rate: config.rate,
      metrics,
      log,
    });
    log.info(
      { topics, rate: config.rate, sensors: config.sensors, badRatio: config.badRatio },
      'producing',
    );
  })();

  return {
    httpPort: http.port,
    async stop() {
      stopping = true;
      wake?.();
      await running;
      await feed?.stop();
      await producer?.producer
        .disconnect()
        .catch((err: unknown) => log.warn({ err }, 'disconnect failed'));
      await http.close();
    },
  };
}
