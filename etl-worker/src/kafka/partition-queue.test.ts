import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { PartitionQueue } from './partition-queue.ts';

function batch(from: number, n: number): KafkaMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    offset: String(from + i),
    key: null,
    value: Buffer.from('{}'),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }));
}

const offsets = (ms: KafkaMessage[] | undefined): number[] =>
  (ms ?? []).map((m) => Number(m.offset));

describe('PartitionQueue', () => {
  it('refuses batches until a seek says where the partition is', () => {
    const q = new PartitionQueue();
    expect(q.push(batch(0, 3), 2, 10)).toBe(false);
    q.reset(0);
    expect(q.push(batch(0, 3), 2, 10)).toBe(true);
    expect(q.queued).toBe(3);
  });

  it('takes chunks across batches in offset order, with the newest high watermark', () => {
    const q = new PartitionQueue();
    q.reset(10);
    q.push(batch(10, 4), 13, 20);
    q.push(batch(14, 4), 17, 30);
    const a = q.take(3)!;
    expect(offsets(a.messages)).toEqual([10, 11, 12]);
    expect(a.highWatermark).toBe(20);
    const b = q.take(3)!;
    expect(offsets(b.messages)).toEqual([13, 14, 15]);
    expect(b.highWatermark).toBe(30);
    expect(q.queued).toBe(2);
    expect(offsets(q.take(10)!.messages)).toEqual([16, 17]);
    expect(q.take(10)).toBeNull();
  });

  it('refuses a batch that starts before the fetch position (fetched before a reset)', () => {
    const q = new PartitionQueue();
    q.reset(100);
    expect(q.push(batch(100, 5), 104, 200)).toBe(true);
    expect(q.push(batch(102, 5), 106, 200)).toBe(false);
    // a gap in the log (compaction, transaction markers) is not a reason to refuse
    expect(q.push(batch(110, 2), 111, 200)).toBe(true);
    expect(q.queued).toBe(7);
  });

  it('drops what is queued and starts a new epoch on reset', () => {
    const q = new PartitionQueue();
    q.reset(0);
    q.push(batch(0, 5), 4, 5);
    const epoch = q.epoch;
    q.reset(2);
    expect(q.epoch).toBe(epoch + 1);
    expect(q.queued).toBe(0);
    expect(q.take(10)).toBeNull();
    expect(q.push(batch(0, 5), 4, 5)).toBe(false);
    expect(q.push(batch(2, 3), 4, 5)).toBe(true);
    q.reset(null);
    expect(q.push(batch(5, 1), 5, 6)).toBe(false);
  });
});
