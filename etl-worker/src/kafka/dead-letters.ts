/**
 * The dead-letter topic: every message that cannot be loaded is republished there with its original
 * key, bytes and headers, plus headers saying where it came from and why. Published before the
 * batch's offsets commit, so a crash can repeat a dead letter (the source offset header tells a
 * reader it is the same one) but never lose it. The idempotent producer keeps a retry from doubling
 * it within a session.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { DeadLetter } from '../load/batch-writer.ts';

export const DLQ_HEADERS = {
  sourceTopic: 'x-streamsync-source-topic',
  sourcePartition: 'x-streamsync-source-partition',
  sourceOffset: 'x-streamsync-source-offset',
  pipeline: 'x-streamsync-pipeline',
  code: 'x-streamsync-error-code',
  reason: 'x-streamsync-reason',
  failedAt: 'x-streamsync-failed-at',
} as const;

export class DeadLetterPublisher {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async publish(sourceTopic: string, partition: number, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.connected) await this.connect();
    const failedAt = new Date().toISOString();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((d) => ({
        key: d.key,
        value: d.value,
        headers: {
          ...d.headers,
          [DLQ_HEADERS.sourceTopic]: sourceTopic,
          [DLQ_HEADERS.sourcePartition]: String(partition),
          [DLQ_HEADERS.sourceOffset]: String(d.offset),
          [DLQ_HEADERS.pipeline]: d.pipeline ?? '',
          [DLQ_HEADERS.code]: d.code,
          [DLQ_HEADERS.reason]: d.reason,
          [DLQ_HEADERS.failedAt]: failedAt,
        },
      })),
    });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => {});
    this.connected = false;
  }
}
