/**
 * Kafka messages of one partition → a chunk ready to write: each message parsed once, then decoded
 * by every pipeline its topic feeds; what cannot be loaded becomes a dead letter with its original
 * bytes and headers, what a declaration leaves out (filters, dropped late points) is counted.
 * Pure CPU: no I/O here, so a chunk can be prepared again after a retry at no risk.
 */
import type { KafkaMessage } from 'kafkajs';
import { parseMessage } from '../pipeline/index.ts';
import type { DecodeContext, DecodeResult } from '../pipeline/types.ts';
import type { Chunk, DeadLetter, OriginalMessage, PipelineRows } from './batch-writer.ts';
import type { LoadedPipeline } from './registry.ts';

export interface PrepareOptions {
  maxMessageBytes: number;
  maxFutureMs: number;
}

export interface Prepared {
  chunk: Chunk;
  /** pipeline → reason → messages left out on purpose */
  skipped: Map<string, Map<string, number>>;
}

function headerText(v: Buffer | string | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(v);
  } catch {
    return `base64:${v.toString('base64')}`;
  }
}

export function originalOf(m: KafkaMessage): OriginalMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    headers[k] = Array.isArray(v) ? v.map(headerText).join(',') : headerText(v);
  }
  const ts = Number(m.timestamp);
  return {
    key: m.key ?? null,
    value: m.value ?? null,
    headers,
    timestampMs: Number.isFinite(ts) && ts >= 0 ? ts : null,
  };
}

export function prepareChunk(
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  highWatermark: number | null,
  pipelines: LoadedPipeline[],
  opts: PrepareOptions,
): Prepared {
  const ctx: DecodeContext = { nowMs: Date.now(), maxFutureMs: opts.maxFutureMs };
  const perPipeline: PipelineRows[] = pipelines.map((loaded) => ({
    loaded,
    offsets: [],
    rows: [],
  }));
  const deadLetters: DeadLetter[] = [];
  const skipped = new Map<string, Map<string, number>>();
  const messageOffsets = new Array<number>(messages.length);

  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const offset = Number(m.offset);
    messageOffsets[i] = offset;
    const parsed = parseMessage(m.value ?? null, opts.maxMessageBytes);
    if (!parsed.ok) {
      deadLetters.push({
        ...originalOf(m),
        pipeline: pipelines.length === 1 ? pipelines[0]!.pipeline.name : null,
        offset,
        code: parsed.code,
        reason: parsed.reason,
      });
      continue;
    }
    for (const pr of perPipeline) {
      let res: DecodeResult;
      try {
        res = pr.loaded.pipeline.decode(parsed.doc, ctx);
      } catch (err) {
        // a decoder failing on an input no check foresaw (a bug): the message, not the partition
        res = {
          kind: 'error',
          code: 'unloadable',
          reason: `decoding failed: ${(err as Error).message}`,
        };
      }
      if (res.kind === 'row') {
        pr.offsets.push(offset);
        pr.rows.push(res);
      } else if (res.kind === 'skip') {
        const name = pr.loaded.pipeline.name;
        const reasons = skipped.get(name) ?? new Map<string, number>();
        reasons.set(res.reason, (reasons.get(res.reason) ?? 0) + 1);
        skipped.set(name, reasons);
      } else {
        deadLetters.push({
          ...originalOf(m),
          pipeline: pr.loaded.pipeline.name,
          offset,
          code: res.code,
          reason: res.reason,
        });
      }
    }
  }
  return {
    chunk: {
      topic,
      partition,
      firstOffset: messageOffsets[0]!,
      lastOffset: messageOffsets[messageOffsets.length - 1]!,
      highWatermark,
      messageOffsets,
      pipelines: perPipeline,
      deadLetters,
      original: (offset) => {
        // offsets ascend within a partition: binary search instead of an index per message
        let lo = 0;
        let hi = messageOffsets.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const o = messageOffsets[mid]!;
          if (o === offset) return originalOf(messages[mid]!);
          if (o < offset) lo = mid + 1;
          else hi = mid - 1;
        }
        return { key: null, value: null, headers: {}, timestampMs: null };
      },
    },
    skipped,
  };
}
