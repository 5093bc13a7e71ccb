/**
 * Finding the messages at fault. A chunk whose transaction fails for a data reason (a value
 * Postgres refuses in the insert, in entity creation, in the rollups, in alert evaluation, or
 * anywhere else in it) is split in two and each half written on its own, in offset order, until
 * the failing parts are single messages; each of those is then written as a dead letter with the
 * database's reason, and the partition goes on. k bad messages in a chunk of n cost about
 * 2·k·log2(n) extra transactions; a clean chunk costs nothing.
 *
 * Exactly once still holds: every part is an ordinary chunk, written with its offset in its own
 * transaction behind the same fence, so a crash in the middle resumes after the last part that
 * committed.
 */
import type { Chunk, DeadLetter, WriteOutcome } from '../load/batch-writer.ts';
import type { Failure } from './classify.ts';

export type Written = Extract<WriteOutcome, { status: 'written' }>;

/** One write of one chunk, transient failures already retried inside. */
export type AttemptResult =
  | Written
  | { status: 'gap'; expected: number }
  /** the partition was taken away, or the worker stops: nothing more is written */
  | { status: 'stopped' }
  | { status: 'failed'; failure: Failure };

export type IsolateResult =
  | (Written & { isolated: DeadLetter[]; splits: number })
  | { status: 'gap'; expected: number }
  | { status: 'stopped' }
  /** a failure that is not the data's: what was written before it stays written */
  | { status: 'failed'; failure: Failure; written: number };

/** How far a single message has been reduced: first a dead letter, then a bare one. */
type Isolation = 'none' | 'dead-letter' | 'bare';

export async function writeIsolating(
  chunk: Chunk,
  attempt: (chunk: Chunk) => Promise<AttemptResult>,
  onIsolated: (letter: DeadLetter, failure: Failure) => void,
): Promise<IsolateResult> {
  const pending: Array<{ chunk: Chunk; isolation: Isolation }> = [{ chunk, isolation: 'none' }];
  const done: Written[] = [];
  const isolated: DeadLetter[] = [];
  let splits = 0;
  while (pending.length > 0) {
    const { chunk: part, isolation } = pending.shift()!;
    const r = await attempt(part);
    if (r.status === 'written') {
      done.push(r);
      continue;
    }
    if (r.status === 'gap' || r.status === 'stopped') {
      // a gap is only possible on the first part (the later ones start where it ended)
      return done.length === 0 ? r : { status: 'stopped' };
    }
    const { failure } = r;
    if (failure.kind !== 'data') return { status: 'failed', failure, written: done.length };
    const n = part.messageOffsets.length;
    if (n > 1) {
      const mid = n >> 1;
      splits++;
      pending.unshift(
        { chunk: sliceChunk(part, 0, mid), isolation: 'none' },
        { chunk: sliceChunk(part, mid, n), isolation: 'none' },
      );
      continue;
    }
    if (isolation === 'bare') {
      // not even a bare dead letter and the offset can be written: not the message's doing
      return { status: 'failed', failure: { ...failure, kind: 'pipeline' }, written: done.length };
    }
    const next: Isolation = isolation === 'none' ? 'dead-letter' : 'bare';
    const letter = deadLetterOf(part, failure, next === 'bare');
    onIsolated(letter, failure);
    isolated.push(letter);
    pending.unshift({ chunk: asDeadLetter(part, letter), isolation: next });
  }
  return { ...merge(done), isolated, splits };
}

function endOf(c: Chunk): number {
  return c.nextOffset ?? c.lastOffset + 1;
}

/** The messages [from, to) of a chunk (by position), as a chunk of its own. */
export function sliceChunk(c: Chunk, from: number, to: number): Chunk {
  const offsets = c.messageOffsets.slice(from, to);
  const lo = offsets[0]!;
  const hi = offsets[offsets.length - 1]!;
  const inside = (o: number) => o >= lo && o <= hi;
  return {
    ...c,
    firstOffset: lo,
    lastOffset: hi,
    nextOffset: to < c.messageOffsets.length ? c.messageOffsets[to]! : endOf(c),
    messageOffsets: offsets,
    deadLetters: c.deadLetters.filter((d) => inside(d.offset)),
    pipelines: c.pipelines.map((pr) => {
      const keep: number[] = [];
      pr.offsets.forEach((o, i) => inside(o) && keep.push(i));
      return {
        ...pr,
        offsets: keep.map((i) => pr.offsets[i]!),
        rows: keep.map((i) => pr.rows[i]!),
      };
    }),
  };
}

/** The dead letter a single-message chunk becomes when the database refuses it. */
function deadLetterOf(c: Chunk, failure: Failure, bare: boolean): DeadLetter {
  const offset = c.firstOffset;
  const pipeline =
    failure.pipeline ?? c.pipelines.find((pr) => pr.rows.length > 0)?.loaded.pipeline.name ?? null;
  const original = c.original(offset);
  const fromDatabase = /^[0-9A-Z]{5}$/.test(failure.code);
  const reason = `${failure.code}: ${failure.message}`;
  return {
    ...original,
    // bare: only what cannot fail to be stored (the bytes as bytea, the offset, an ASCII reason)
    ...(bare ? { headers: {}, reason: reason.replace(/[^\x20-\x7e]/g, '?') } : { reason }),
    pipeline: bare ? null : pipeline,
    offset,
    code: fromDatabase ? 'rejected_by_database' : 'unloadable',
  };
}

function asDeadLetter(c: Chunk, letter: DeadLetter): Chunk {
  return {
    ...c,
    pipelines: c.pipelines.map((pr) => ({ ...pr, offsets: [], rows: [] })),
    deadLetters: [letter],
  };
}

function merge(parts: Written[]): Written {
  const rows = new Map<string, number>();
  const series = new Map<string, Set<number>>();
  const deadLetters: DeadLetter[] = [];
  let alreadyLoaded = 0;
  for (const p of parts) {
    for (const [k, n] of p.rows) rows.set(k, (rows.get(k) ?? 0) + n);
    for (const [t, ids] of p.series) {
      const set = series.get(t) ?? new Set<number>();
      for (const id of ids) set.add(id);
      series.set(t, set);
    }
    deadLetters.push(...p.deadLetters);
    alreadyLoaded += p.alreadyLoaded;
  }
  return { status: 'written', rows, deadLetters, alreadyLoaded, series };
}
