/**
 * The feed the whole-stack benches (web, soak) drive: the demo producer's live code sending
 * `sensor_readings` at `rate` rows a second from as many sensors, so every series moves at 1 Hz.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import {
  connectProducer,
  createKafka,
  createMetrics,
  createRng,
  createStream,
  ensureTopics,
  startLive,
  STREAM_TOPICS,
} from '@streamsync/etl-worker/producer';

export interface SensorFeed {
  /** the producer's counters (`sent`: messages handed to Kafka) */
  metrics: ReturnType<typeof createMetrics>;
  stop(): Promise<void>;
}

export async function startSensorFeed(
  brokers: string[],
  opts: { clientId: string; rate: number; seed: number },
): Promise<SensorFeed> {
  const quiet = pino({ level: 'silent' });
  const kafka = createKafka(brokers, opts.clientId, quiet);
  await ensureTopics(kafka, [STREAM_TOPICS.sensor_readings], 3);
  const sender = await connectProducer(kafka);
  const metrics = createMetrics();
  const feed = startLive({
    sender,
    streams: [
      createStream('sensor_readings', {
        rng: createRng(opts.seed),
        badRatio: 0,
        sensors: opts.rate,
        // unique per run, so a rerun on kept data is not deduplicated away
        tradeIdPrefix: `${opts.clientId}-${randomBytes(2).toString('hex')}-`,
      }),
    ],
    topics: STREAM_TOPICS,
    rate: opts.rate,
    metrics,
    log: quiet,
  });
  return {
    metrics,
    async stop() {
      await feed.stop();
      await sender.producer.disconnect();
    },
  };
}
