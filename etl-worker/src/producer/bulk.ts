/**
 * The bulk mode: exactly `count` good messages of one stream (plus the broken share, if any), as
 * fast as the broker takes them, with event times spread evenly over a window that ends now. Used
 * by `npm run produce -- --bulk N` and, imported, by the ingest benchmark to preload a topic.
 */
import { randomBytes } from 'node:crypto';
import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import type { Logger } from 'pino';
import { connectProducer } from './kafka-client.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { createRng, randomSeed } from './random.ts';
import { createStream, STREAM_TOPICS, type OutMessage, type StreamName } from './streams.ts';

export interface BulkOptions {
  kafka: Kafka;
  stream: StreamName;
  /** good messages to send */
  count: number;
  /** default: the stream's demo topic */
  topic?: string;
  badRatio: number;
  /** partitions of the topic when it has to be created */
  partitions: number;
  sensors: number;
  seed?: number;
  /** the event times cover [endMs - spanMs, endMs]; default the last 6 hours */
  spanMs?: number;
  endMs?: number;
  /** messages per sendBatch() */
  batchSize?: number;
  /** sendBatch() calls in flight at once */
  inFlight?: number;
  /** called with every good message as it is generated (the benchmark writes its CSV from it) */
  onGood?: (message: Required<Pick<OutMessage, 'key' | 'record'>>) => void;
  /** stop early (SIGINT); the result then counts what was sent */
  signal?: AbortSignal;
  /** where a producer without idempotence (refused by the cluster) is said */
  log?: Logger;
}

export interface BulkResult {
  stream: StreamName;
  topic: string;
  /** good messages acknowledged */
  messages: number;
  bad_messages: number;
  /** from the first send to the last acknowledgement */
  seconds: number;
  /** good messages per second */
  rate: number;
}

const HOUR_MS = 3_600_000;
/** spare room in the time window for the turns silent sensors give away */
const GAP_HEADROOM = 1.05;

export async function produceBulk(opts: BulkOptions): Promise<BulkResult> {
  const topic = opts.topic ?? STREAM_TOPICS[opts.stream];
  // kafkajs groups a batch by partition in time quadratic in the batch: many modest batches in
  // flight beat a few large ones
  const batchSize = opts.batchSize ?? 1_000;
  const maxInFlight = opts.inFlight ?? 8;
  const rng = createRng(opts.seed ?? randomSeed());
  const stream = createStream(opts.stream, {
    rng,
    badRatio: opts.badRatio,
    sensors: opts.sensors,
    tradeIdPrefix: `${randomBytes(3).toString('hex')}-`,
  });
  const spanMs = opts.spanMs ?? 6 * HOUR_MS;
  const endMs = opts.endMs ?? Date.now();
  // every call to next() takes the next instant, broken messages and silent turns included
  const calls = opts.count * (1 + opts.badRatio) * GAP_HEADROOM;
  const stepMs = spanMs / calls;
  const startMs = endMs - spanMs;

  await ensureTopics(opts.kafka, [topic], opts.partitions);
  const producer = await connectProducer(opts.kafka, opts.log);
  let good = 0;
  let acked = 0;
  let ackedBad = 0;
  let call = 0;
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  const started = performance.now();
  try {
    while (good < opts.count && failure === undefined && !opts.signal?.aborted) {
      const messages: Message[] = [];
      let batchGood = 0;
      let batchBad = 0;
      while (messages.length < batchSize && good < opts.count) {
        const m = stream.next(startMs + call++ * stepMs);
        if (!m) continue;
        messages.push({ key: m.key, value: m.value });
        if (m.bad) {
          batchBad++;
        } else {
          batchGood++;
          good++;
          opts.onGood?.(m as Required<Pick<OutMessage, 'key' | 'record'>>);
        }
      }
      const send: Promise<void> = producer
        .send(topic, messages, { acks: -1, compression: CompressionTypes.None })
        .then(
          () => {
            acked += batchGood;
            ackedBad += batchBad;
          },
          (err: unknown) => {
            failure ??= err;
          },
        )
        .finally(() => pending.delete(send));
      pending.add(send);
      if (pending.size >= maxInFlight) await Promise.race(pending);
    }
    await Promise.all(pending);
  } finally {
    await producer.producer.disconnect();
  }
  if (failure !== undefined) throw failure;
  const seconds = (performance.now() - started) / 1000;
  return {
    stream: opts.stream,
    topic,
    messages: acked,
    bad_messages: ackedBad,
    seconds: Math.round(seconds * 1000) / 1000,
    rate: Math.round(acked / seconds),
  };
}
