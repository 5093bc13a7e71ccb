/**
 * The live demo feed: every tick, each stream sends its share of the configured rate as one
 * batch, with event times spread over the tick. At most one batch is in flight: when the broker is
 * slow or gone, ticks are dropped (and counted) instead of queued, so memory stays flat however
 * long the outage lasts.
 */
import { CompressionTypes, type Message, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import type { PartitionSender } from '../kafka/partition-sender.ts';
import type { ProducerMetrics } from './metrics.ts';
import type { DemoStream, StreamName } from './streams.ts';

export const TICK_MS = 100;
/** at most one warning per this interval about dropped ticks or failed sends */
const WARN_INTERVAL_MS = 10_000;
/** after a stall (a paused process, a suspended laptop) do not send the backlog all at once */
const MAX_CATCH_UP_MS = 1_000;

export interface LiveFeed {
  /** Stop ticking and wait for the batch in flight. */
  stop(): Promise<void>;
}

export function startLive(opts: {
  /** a connected producer (connectProducer()) */
  sender: PartitionSender;
  streams: DemoStream[];
  topics: Record<StreamName, string>;
  /** messages per second over all streams */
  rate: number;
  metrics: ProducerMetrics;
  log: Logger;
}): LiveFeed {
  const { sender, streams, metrics, log } = opts;
  const perStream = opts.rate / streams.length;
  const carry = new Map<StreamName, number>(streams.map((s) => [s.name, 0]));
  let last = Date.now();
  let inFlight: Promise<void> | undefined;
  let droppedTicks = 0;
  let failedSends = 0;
  let lastWarn = 0;
  let delivered = false;

  const warnNow = (now: number, err?: unknown) => {
    if (now - lastWarn < WARN_INTERVAL_MS) return;
    lastWarn = now;
    log.warn(
      { droppedTicks, failedSends, err },
      'Kafka is not keeping up: ticks dropped or batches failed since the last warning',
    );
    droppedTicks = 0;
    failedSends = 0;
  };

  const tick = () => {
    const now = Date.now();
    const dt = Math.min(MAX_CATCH_UP_MS, now - last);
    last = now;
    if (inFlight) {
      metrics.droppedTicks.inc();
      droppedTicks++;
      // the first send waits for the topics' metadata and leaders: slow by nature, not a problem
      if (delivered) warnNow(now);
      return;
    }
    const batch: TopicMessages[] = [];
    const counts: Array<{ stream: StreamName; sent: number; bad: Map<string, number> }> = [];
    for (const stream of streams) {
      const due = (perStream * dt * stream.activity(now)) / 1000 + carry.get(stream.name)!;
      const n = Math.floor(due);
      carry.set(stream.name, due - n);
      if (n === 0) continue;
      const messages: Message[] = [];
      const bad = new Map<string, number>();
      for (let j = 1; j <= n; j++) {
        const m = stream.next(now - dt + (j * dt) / n);
        if (!m) continue;
        messages.push({ key: m.key, value: m.value });
        if (m.bad) bad.set(m.bad, (bad.get(m.bad) ?? 0) + 1);
      }
      if (messages.length === 0) continue;
      batch.push({ topic: opts.topics[stream.name], messages });
      counts.push({ stream: stream.name, sent: messages.length, bad });
    }
    if (batch.length === 0) return;
    inFlight = sender
      .sendBatch(batch, { acks: -1, compression: CompressionTypes.None })
      .then(
        () => {
          delivered = true;
          for (const c of counts) {
            metrics.sent.inc({ stream: c.stream }, c.sent);
            for (const [kind, k] of c.bad) metrics.bad.inc({ stream: c.stream, kind }, k);
          }
        },
        (err: unknown) => {
          metrics.sendErrors.inc();
          failedSends++;
          warnNow(Date.now(), err);
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
  };

  const timer = setInterval(tick, TICK_MS);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
