/**
 * The batch trace (ETL_TRACE_FILE, off by default): one JSON line per chunk written, saying when
 * (epoch ms, sub-millisecond) its fetch came back, its eachBatch began, its decode ran, its
 * transaction began and committed. The freshness bench (bench/live/freshness.ts) joins these
 * lines to the rows it produced by partition and offset, to tell the broker, the decode and the
 * transaction apart in a row's latency. A file, not the log: the log level stays the operator's.
 */
import fs from 'node:fs';

export interface ChunkTiming {
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  /** the latest fetch response before this batch was handed over (kafkajs `consumer.fetch`) */
  fetched: number;
  /** eachBatch was called with the batch */
  batch: number;
  decodeStart: number;
  decodeEnd: number;
  writeStart: number;
  committed: number;
}

export type BatchTrace = (t: ChunkTiming) => void;

/** Epoch milliseconds with the monotonic clock's resolution. */
export const traceClock = (): number => performance.timeOrigin + performance.now();

/** A trace appending to `file`, or null when no file is set. */
export function openBatchTrace(
  file: string | undefined,
): { trace: BatchTrace; close(): void } | null {
  if (!file) return null;
  const out = fs.createWriteStream(file, { flags: 'a' });
  return {
    trace: (t) => out.write(`${JSON.stringify(t)}\n`),
    close: () => out.end(),
  };
}
