import { describe, expect, it } from 'vitest';
import type { Chunk, DeadLetter } from '../load/batch-writer.ts';
import type { LoadedPipeline } from '../load/registry.ts';
import type { DecodedRow } from '../pipeline/types.ts';
import { classifyFailure } from './classify.ts';
import { sliceChunk, writeIsolating, type AttemptResult } from './isolate.ts';

const row = (n: number): DecodedRow => ({
  kind: 'row',
  entityKey: `k${n}`,
  entityName: null,
  tsUs: n,
  values: [n],
});

/** A chunk of messages at these offsets, each a row of pipeline `p`. */
function chunkOf(offsets: number[]): Chunk {
  return {
    topic: 't',
    partition: 0,
    firstOffset: offsets[0]!,
    lastOffset: offsets[offsets.length - 1]!,
    highWatermark: null,
    messageOffsets: offsets,
    pipelines: [
      {
        loaded: { pipeline: { name: 'p' } } as LoadedPipeline,
        offsets: [...offsets],
        rows: offsets.map(row),
      },
    ],
    deadLetters: [],
    original: () => ({ key: null, value: Buffer.from('x'), headers: {}, timestampMs: null }),
  };
}

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

/**
 * Writes like the database would: a chunk holding a row of a poisoned offset fails with
 * `error`; otherwise it "commits" and the stored offset moves to the chunk's end.
 */
function database(poison: Set<number>, error: () => unknown) {
  const commits: Array<{ from: number; next: number; rows: number[]; letters: DeadLetter[] }> = [];
  let stored = -1;
  const attempt = async (c: Chunk): Promise<AttemptResult> => {
    if (stored !== -1 && c.firstOffset > stored) return { status: 'gap', expected: stored };
    const rows = c.pipelines.flatMap((p) => p.offsets);
    if (rows.some((o) => poison.has(o)))
      return { status: 'failed', failure: classifyFailure(error()) };
    stored = c.nextOffset ?? c.lastOffset + 1;
    commits.push({ from: c.firstOffset, next: stored, rows, letters: c.deadLetters });
    return {
      status: 'written',
      rows: new Map([['p', rows.length]]),
      deadLetters: c.deadLetters,
      alreadyLoaded: 0,
      series: new Map(),
    };
  };
  return { attempt, commits, stored: () => stored };
}

describe('Failures > isolating the messages at fault', () => {
  it('should write a clean chunk once, without splitting', async () => {
    const db = database(new Set(), () => null);
    const r = await writeIsolating(chunkOf([0, 1, 2, 3]), db.attempt, () => {});
    expect(r.status).toBe('written');
    expect(db.commits).toHaveLength(1);
    expect(r.status === 'written' && r.splits).toBe(0);
  });

  it('should dead-letter the poison messages of a chunk and load every other one, in offset order', async () => {
    const offsets = Array.from({ length: 1000 }, (_, i) => i * 2); // a log with gaps
    const poison = new Set([0, 998, 1000, 1998]);
    const db = database(poison, () =>
      pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
    );
    const isolated: number[] = [];
    const r = await writeIsolating(chunkOf(offsets), db.attempt, (l) => isolated.push(l.offset));
    expect(r.status).toBe('written');
    if (r.status !== 'written') return;
    expect(isolated).toEqual([0, 998, 1000, 1998]);
    expect(r.rows.get('p')).toBe(996);
    expect(r.deadLetters.map((d) => [d.offset, d.code])).toEqual(
      [0, 998, 1000, 1998].map((o) => [o, 'rejected_by_database']),
    );
    expect(r.deadLetters[0]!.reason).toBe('22021: invalid byte sequence for encoding "UTF8": 0x00');
    expect(r.deadLetters[0]!.pipeline).toBe('p');
    // every part started where the one before ended: no gap, nothing twice, to the chunk's end
    for (let i = 1; i < db.commits.length; i++) {
      expect(db.commits[i]!.from).toBe(db.commits[i - 1]!.next);
    }
    expect(db.stored()).toBe(1999);
    const loaded = db.commits.flatMap((c) => c.rows);
    expect(new Set(loaded).size).toBe(loaded.length);
    expect(loaded.length + isolated.length).toBe(offsets.length);
    // about 2·k·log2(n) parts for k poison messages in n
    expect(r.splits).toBeLessThanOrEqual(4 * 2 * 10);
  });

  it('should stop at a failure that is not the data, and never dead-letter for it', async () => {
    const db = database(new Set([5]), () => pgError('42P01', 'relation "x" does not exist'));
    const isolated: number[] = [];
    const r = await writeIsolating(chunkOf([0, 1, 2, 3, 4, 5]), db.attempt, (l) =>
      isolated.push(l.offset),
    );
    expect(r.status).toBe('failed');
    expect(r.status === 'failed' && r.failure.kind).toBe('pipeline');
    expect(isolated).toEqual([]);
    expect(db.commits).toHaveLength(0);
  });

  it('should cut a chunk by position with the next offset of the part after it', () => {
    const c = { ...chunkOf([10, 11, 15, 16]), nextOffset: 20 };
    const a = sliceChunk(c, 0, 2);
    const b = sliceChunk(c, 2, 4);
    expect([a.firstOffset, a.lastOffset, a.nextOffset]).toEqual([10, 11, 15]);
    expect([b.firstOffset, b.lastOffset, b.nextOffset]).toEqual([15, 16, 20]);
    expect(b.pipelines[0]!.offsets).toEqual([15, 16]);
  });
});

describe('Failures > classification', () => {
  const kind = (err: unknown) => classifyFailure(err).kind;

  it.each([
    ['08006', 'transient'],
    ['40001', 'transient'],
    ['40P01', 'transient'],
    ['55P03', 'transient'],
    ['57014', 'transient'],
    ['57P01', 'transient'],
    ['53300', 'transient'],
    ['XX000', 'transient'],
    ['22021', 'data'],
    ['22P02', 'data'],
    ['22003', 'data'],
    ['23514', 'data'],
    ['23502', 'data'],
    ['54000', 'data'],
    ['P0001', 'data'],
    ['42P01', 'pipeline'],
    ['42703', 'pipeline'],
    ['42501', 'pipeline'],
  ])('should call SQLSTATE %s %s', (code, want) => {
    expect(kind(pgError(code, 'x'))).toBe(want);
  });

  it('should tell Kafka failures a retry can help from those it cannot', () => {
    const kafka = (name: string, retriable: boolean, type?: string) =>
      Object.assign(new Error(name), { name, retriable, type });
    expect(kind(kafka('KafkaJSConnectionError', true))).toBe('transient');
    expect(kind(kafka('KafkaJSNumberOfRetriesExceeded', false))).toBe('transient');
    expect(kind(kafka('KafkaJSProtocolError', true, 'LEADER_NOT_AVAILABLE'))).toBe('transient');
    const denied = classifyFailure(
      kafka('KafkaJSProtocolError', false, 'TOPIC_AUTHORIZATION_FAILED'),
    );
    expect([denied.kind, denied.code]).toEqual(['pipeline', 'TOPIC_AUTHORIZATION_FAILED']);
  });

  it('should call a lost connection transient, and the worker failing on a value the data', () => {
    expect(kind(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('transient');
    expect(kind(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(kind(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('data');
  });
});
