/**
 * The dead-letter topic: every message that cannot be loaded is republished there with its original
 * key, bytes and headers, plus headers saying where it came from and why. Published before the
 * batch's offsets commit, so a crash can repeat a dead letter (the source offset header tells a
 * reader it is the same one) but never lose it. The idempotent producer keeps a retry from doubling
 * it within a session, and one send per partition (partition-sender.ts) keeps a broker's death
 * from losing it.
 */
import type { Kafka, Message } from 'kafkajs';
import { PartitionSender } from './partition-sender.ts';
import type { DeadLetter } from '../load/batch-writer.ts';

export const DLQ_HEADERS = {
  sourceTopic: 'x-streamsync-source-topic',
  sourcePartition: 'x-streamsync-source-partition',
  sourceOffset: 'x-streamsync-source-offset',
  pipeline: 'x-streamsync-pipeline',
  code: 'x-streamsync-error-code',
  reason: 'x-streamsync-reason',
  failedAt: 'x-streamsync-failed-at',
  truncated: 'x-streamsync-truncated-from',
} as const;

/**
 * Fix (test: dead-letters.test.ts, several large messages in a row): kafkajs puts every message of
 * one send() for one partition into a single record batch, and the broker refuses a batch larger
 * than its message.max.bytes (1 MiB by default) with MESSAGE_TOO_LARGE. The dead letters of a
 * chunk were published in one send(), so a few large bad messages (each well within the limit)
 * made the publish fail on every retry and stopped their partition for good. They are now sent in
 * consecutive requests of at most this many bytes (one letter alone when it is bigger).
 */
const MAX_SEND_BYTES = 512 * 1024;

/**
 * A dead letter's value is cut to this many bytes in the topic (the broker's default message limit is
 * about 1 MB, and a message that big can still be on a source topic with a larger limit); the
 * header `x-streamsync-truncated-from` then gives the original size, and etl.dead_letters keeps
 * the whole value. Otherwise a send the broker can never accept would stall the partition.
 */
const MAX_DLQ_VALUE_BYTES = 768 * 1024;

function approximateSize(m: Message): number {
  let n = 64 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + String(v).length;
  return n;
}

// broker error types that are about the record itself, so another record may pass
const CONTENT_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

function refusedForContent(err: unknown): boolean {
  const e = err as { type?: string; retriable?: boolean; cause?: unknown } | null;
  if (e?.type && CONTENT_ERRORS.has(e.type)) return true;
  // kafkajs wraps the broker's answer after its retries
  return e?.cause !== undefined && e.cause !== err && refusedForContent(e.cause);
}

/** A dead letter reduced to where it came from and why. */
function bare(m: Message): Message {
  const headers: Record<string, string> = {};
  for (const name of Object.values(DLQ_HEADERS)) {
    const v = m.headers?.[name];
    if (typeof v === 'string') headers[name] = v.slice(0, 4096);
  }
  const size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  headers[DLQ_HEADERS.truncated] = String(size);
  return { key: null, value: null, headers };
}

export class DeadLetterPublisher {
  private readonly sender: PartitionSender;
  private connected = false;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.sender = new PartitionSender(
      kafka,
      kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    );
  }

  async connect(): Promise<void> {
    await this.sender.producer.connect();
    this.connected = true;
  }

  async publish(sourceTopic: string, partition: number, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.connected) await this.connect();
    const failedAt = new Date().toISOString();
    const messages: Message[] = letters.map((d) => ({
      key: d.key,
      value:
        d.value && d.value.length > MAX_DLQ_VALUE_BYTES
          ? d.value.subarray(0, MAX_DLQ_VALUE_BYTES)
          : d.value,
      headers: {
        ...d.headers,
        ...(d.value && d.value.length > MAX_DLQ_VALUE_BYTES
          ? { [DLQ_HEADERS.truncated]: String(d.value.length) }
          : {}),
        [DLQ_HEADERS.sourceTopic]: sourceTopic,
        [DLQ_HEADERS.sourcePartition]: String(partition),
        [DLQ_HEADERS.sourceOffset]: String(d.offset),
        [DLQ_HEADERS.pipeline]: d.pipeline ?? '',
        [DLQ_HEADERS.code]: d.code,
        [DLQ_HEADERS.reason]: d.reason,
        [DLQ_HEADERS.failedAt]: failedAt,
      },
    }));
    let batch: Message[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = approximateSize(m);
      if (batch.length > 0 && bytes + size > MAX_SEND_BYTES) {
        await this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(m);
      bytes += size;
    }
    if (batch.length > 0) await this.send(batch);
  }

  /**
   * Fix (issue 11: "a Kafka error that can never succeed is retried forever"): a dead letter the
   * broker refuses for what it holds (too large with its key and headers, a record it calls
   * invalid) failed the chunk's write on every retry. Such a send is now tried letter by letter,
   * and a letter still refused goes bare: no key, no value, no original headers, only where it
   * came from and why (etl.dead_letters keeps it whole). Any other failure is thrown, for
   * failures/classify.ts.
   */
  private async send(messages: Message[]): Promise<void> {
    try {
      await this.sender.send(this.topic, messages, { acks: -1 });
      return;
    } catch (err) {
      if (!refusedForContent(err)) throw err;
    }
    for (const m of messages) {
      try {
        await this.sender.send(this.topic, [m], { acks: -1 });
      } catch (err) {
        if (!refusedForContent(err)) throw err;
        await this.sender.send(this.topic, [bare(m)], { acks: -1 });
      }
    }
  }

  async disconnect(): Promise<void> {
    await this.sender.producer.disconnect().catch(() => {});
    this.connected = false;
  }
}
