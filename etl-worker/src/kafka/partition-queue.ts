/**
 * The messages of one partition fetched ahead of the writes, in offset order. kafkajs sends the
 * next fetch only once every batch of the last one has been handled; the consumer hands batches
 * here and returns at once, so the broker's fetch and kafkajs' decoding run while Postgres writes.
 *
 * Every reset (a rebalance, a seek after a failure or a gap) drops what is queued and starts a new
 * epoch: a write loop that began in an older epoch stops before its next transaction, so nothing
 * fetched for a partition before it was revoked or moved is written after.
 */
import type { KafkaMessage } from 'kafkajs';

/** When a batch came: the fetch response before it, and eachBatch (epoch ms, for the trace). */
export interface Handed {
  fetched: number;
  batch: number;
}

interface Segment {
  messages: KafkaMessage[];
  handed: Handed | null;
  /** index of the first message not yet taken */
  from: number;
  highWatermark: number;
}

export interface Taken {
  messages: KafkaMessage[];
  /** the broker's high watermark when the newest of them was fetched */
  highWatermark: number;
  /** when the oldest of them came (when the push said) */
  handed: Handed | null;
}

export class PartitionQueue {
  private segments: Segment[] = [];
  /** messages queued and not yet taken */
  queued = 0;
  /** bumped by every reset: a write loop of an older epoch writes nothing more */
  epoch = 0;
  /**
   * the offset the next batch must start at or after (the fetch position); null until a seek
   * says where the partition is: batches are refused until then
   */
  private position: number | null = null;

  /**
   * Queue a fetched batch. False (nothing queued) when the partition's position is not known yet
   * or the batch starts before it: a batch fetched before the last reset, never to be written.
   */
  push(
    messages: KafkaMessage[],
    lastOffset: number,
    highWatermark: number,
    handed: Handed | null = null,
  ): boolean {
    if (this.position === null || messages.length === 0) return false;
    if (Number(messages[0]!.offset) < this.position) return false;
    this.segments.push({ messages, handed, from: 0, highWatermark });
    this.queued += messages.length;
    this.position = lastOffset + 1;
    return true;
  }

  /** Up to `max` messages from the front, in offset order (null when none is queued). */
  take(max: number): Taken | null {
    if (this.queued === 0) return null;
    const parts: KafkaMessage[][] = [];
    let n = 0;
    let highWatermark = -1;
    const handed = this.segments[0]?.handed ?? null;
    while (n < max && this.segments.length > 0) {
      const s = this.segments[0]!;
      const k = Math.min(max - n, s.messages.length - s.from);
      // a whole batch is the common case: no copy
      parts.push(
        s.from === 0 && k === s.messages.length ? s.messages : s.messages.slice(s.from, s.from + k),
      );
      s.from += k;
      n += k;
      this.queued -= k;
      highWatermark = s.highWatermark;
      if (s.from >= s.messages.length) this.segments.shift();
    }
    return { messages: parts.length === 1 ? parts[0]! : parts.flat(), highWatermark, handed };
  }

  /** Drop everything queued and start a new epoch; `position`: where fetching resumes (null: unknown). */
  reset(position: number | null): void {
    this.segments = [];
    this.queued = 0;
    this.position = position;
    this.epoch++;
  }
}
