/**
 * Pollers (Hasura's Subscription/Poll/LiveQuery.hs and StreamingQuery.hs): one per
 * (role, parameterized statement). A poller runs its statement for its cohorts every refetch
 * interval, and sooner when woken (a change notification, a new subscriber, a stream catching up).
 * One poll runs at a time per poller, so results reach a subscriber in order; wake-ups that
 * arrive meanwhile are coalesced into the next poll.
 */
import { createHash } from 'node:crypto';
import { queryWithin } from '../limits/statement-timeout.ts';
import type pg from 'pg';
import type pino from 'pino';
import { bindPlaceholders, compile, sql } from '@streamsync/database';
import type { ReadRouter, ReadTarget } from '../replicas/read-replicas.ts';
import { encodeGqlError, pgQueryError, toQErr } from '../errors.ts';
import { Cohort, EMPTY_SNAPSHOT, type Subscriber } from './cohort.ts';
import type { SubscriptionMetrics } from './metrics.ts';
import type { SubscriptionOptions } from './options.ts';
import type { CohortValues, SubscriptionPlan } from './plan.ts';
import { ADMIN_ROLE } from '../session.ts';

export interface PollContext {
  pool: pg.Pool;
  /** where polls read: a read replica when one is up, else `pool` */
  reads?: ReadRouter;
  options: SubscriptionOptions;
  metrics: SubscriptionMetrics;
  log: pino.Logger;
  /** admin errors carry `extensions.internal` */
  includeInternal: boolean;
  /** the poller lost its last cohort */
  onIdle(p: Poller): void;
}

export type Trigger = 'interval' | 'wakeup' | 'subscribe' | 'catchup';

type Row = {
  result_id: number;
  root: string | null;
  cursor?: string | null;
  advanced?: boolean;
  snap?: string;
  lsn?: string | null;
};

export abstract class Poller {
  readonly cohorts = new Map<string, Cohort>();
  readonly byId = new Map<number, Cohort>();
  readonly bySeries = new Map<string, Set<Cohort>>();
  /** subscriber id → its cohort */
  private readonly where = new Map<number, Cohort>();
  subscribers = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private pendingAll: Trigger | null = null;
  private readonly pending = new Map<Cohort, Trigger>();
  private stopped = false;
  /** when the last full poll started (polls start every refetch interval, not interval after) */
  private fullStarted = 0;

  constructor(
    readonly plan: SubscriptionPlan,
    protected readonly ctx: PollContext,
  ) {
    this.arm();
  }

  abstract readonly kind: 'live' | 'stream';
  protected abstract readonly prepared: boolean;
  protected abstract refetchIntervalMs(): number;
  protected abstract batchSize(): number;
  protected abstract handle(batch: Cohort[], rows: Row[]): void;
  protected abstract newStream(values: CohortValues): Cohort['stream'];

  /** The cohort for these values, created when new (the caller validated the values). */
  cohortFor(values: CohortValues): { cohort: Cohort; created: boolean } {
    const stream = this.newStream(values);
    const key = Cohort.json(values, stream);
    const existing = this.cohorts.get(key);
    if (existing) return { cohort: existing, created: false };
    const series = this.plan.series ? values[this.plan.series.slot] : null;
    const cohort = new Cohort(values, typeof series === 'string' ? series : null, stream);
    this.index(cohort);
    return { cohort, created: true };
  }

  hasCohort(values: CohortValues): boolean {
    return this.cohorts.has(Cohort.json(values, this.newStream(values)));
  }

  private index(c: Cohort): void {
    this.cohorts.set(c.varsJson, c);
    this.byId.set(c.id, c);
    if (c.series !== null) {
      let set = this.bySeries.get(c.series);
      if (!set) this.bySeries.set(c.series, (set = new Set()));
      set.add(c);
    }
  }

  protected unindex(c: Cohort, key = c.varsJson): void {
    if (this.cohorts.get(key) === c) this.cohorts.delete(key);
    this.byId.delete(c.id);
    if (c.series !== null) {
      const set = this.bySeries.get(c.series);
      set?.delete(c);
      if (set && set.size === 0) this.bySeries.delete(c.series);
    }
    this.pending.delete(c);
  }

  /** Re-key a cohort whose variables changed; it merges into a cohort already at that key. */
  protected rekey(c: Cohort, oldKey: string): void {
    if (oldKey === c.varsJson) return;
    if (this.cohorts.get(oldKey) === c) this.cohorts.delete(oldKey);
    const other = this.cohorts.get(c.varsJson);
    if (other && other !== c) {
      for (const s of c.all()) {
        other.existing.set(s.id, s);
        this.where.set(s.id, other);
      }
      this.unindex(c, oldKey);
      this.byId.delete(c.id);
      return;
    }
    this.cohorts.set(c.varsJson, c);
  }

  add(cohort: Cohort, s: Subscriber): void {
    // a stream cohort may have been merged into another since it was looked up
    const live = this.byId.get(cohort.id) ?? this.cohorts.get(cohort.varsJson) ?? cohort;
    if (!this.byId.has(live.id)) this.index(live);
    live.add(s);
    this.where.set(s.id, live);
    this.subscribers++;
    this.wake([live], 'subscribe');
  }

  /** Remove a subscriber wherever it is now (stream cohorts merge). */
  remove(id: number): void {
    const c = this.where.get(id);
    if (!c) return;
    this.where.delete(id);
    if (c.remove(id)) {
      this.subscribers--;
      if (c.size === 0) this.unindex(c);
    }
    if (this.byId.size === 0) {
      this.stop();
      this.ctx.onIdle(this);
    }
  }

  /** Poll these cohorts (all when omitted) as soon as the running poll, if any, is done. */
  wake(cohorts: Iterable<Cohort> | null, trigger: Trigger): void {
    if (this.stopped) return;
    if (cohorts === null) this.pendingAll ??= trigger;
    else for (const c of cohorts) if (!this.pending.has(c)) this.pending.set(c, trigger);
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Schedule the next full poll one refetch interval after the start of the last one (Hasura
   * sleeps the interval after a poll ends; starting on a fixed beat keeps the average wait at half
   * an interval however long the statements take).
   */
  private arm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const since = this.fullStarted ? performance.now() - this.fullStarted : 0;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.wake(null, 'interval');
      },
      Math.max(0, this.refetchIntervalMs() - since),
    );
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    const all = this.pendingAll;
    let work: Cohort[];
    let trigger: Trigger;
    if (all) {
      work = [...this.byId.values()];
      trigger = all;
    } else {
      work = [...this.pending.keys()].filter((c) => this.byId.has(c.id));
      trigger = this.pending.values().next().value ?? 'wakeup';
    }
    this.pendingAll = null;
    this.pending.clear();
    if (work.length === 0) {
      if (all) this.arm();
      return;
    }
    this.running = true;
    if (all) this.fullStarted = performance.now();
    this.ctx.metrics.polls.inc({ kind: this.kind, trigger });
    this.poll(work)
      .catch((e: unknown) => this.ctx.log.error({ err: e }, 'poll failed'))
      .finally(() => {
        this.running = false;
        if (all) this.arm();
        if (this.pendingAll || this.pending.size > 0) setImmediate(() => this.kick());
      });
  }

  private async poll(cohorts: Cohort[]): Promise<void> {
    const size = this.batchSize();
    const batches: Cohort[][] = [];
    for (let i = 0; i < cohorts.length; i += size) batches.push(cohorts.slice(i, i + size));
    await Promise.all(batches.map((b) => this.pollBatch(b)));
  }

  protected runnable(batch: Cohort[]): Cohort[] {
    return batch;
  }

  /** The cohorts of `batch` that `target` can serve now (streams on a replica: see StreamPoller). */
  protected async readable(_target: ReadTarget, batch: Cohort[]): Promise<Cohort[]> {
    return batch;
  }

  private async pollBatch(all: Cohort[]): Promise<void> {
    const runnable = this.runnable(all);
    if (runnable.length === 0) return;
    let batch = runnable;
    const read = async (target: ReadTarget): Promise<Row[]> => {
      batch = await this.readable(target, runnable);
      if (batch.length === 0) return [];
      const values = bindPlaceholders(this.plan.compiled, (k) => this.bind(k, batch));
      this.ctx.metrics.cohortPolls.inc({ kind: this.kind }, batch.length);
      const res = await queryWithin<Row>(
        target.pool,
        this.prepared
          ? { name: `sub_${this.plan.key.slice(0, 40)}`, text: this.plan.compiled.text, values }
          : { text: this.plan.compiled.text, values },
        this.plan.timeLimit,
      );
      return res.rows;
    };
    const started = process.hrtime.bigint();
    let rows: Row[];
    try {
      rows = this.ctx.reads
        ? await this.ctx.reads.run(read)
        : await read({ pool: this.ctx.pool, replica: false, name: 'primary' });
    } catch (e) {
      this.fail(batch, e);
      return;
    } finally {
      this.ctx.metrics.pollDuration.observe(
        { kind: this.kind },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
    if (batch.length > 0) this.handle(batch, rows);
  }

  protected bind(key: string, batch: Cohort[]): unknown {
    if (key === 'ids') return batch.map((c) => c.id);
    if (key === 'vars') return batch.map((c) => c.varsJson);
    return undefined;
  }

  /** An execution error goes to every subscriber of the batch (as Hasura does). */
  private fail(batch: Cohort[], e: unknown): void {
    const err = e as { code?: string; message?: string };
    const q = err.code ? pgQueryError(err, this.plan.compiled.text, []) : toQErr(e);
    if (!err.code) this.ctx.log.error({ err: e }, 'subscription poll failed');
    // Hasura's encodeGQResp of an execution error: `"data": null` and the errors
    const payload = JSON.stringify({
      data: null,
      errors: [encodeGqlError(q, this.ctx.includeInternal && this.plan.role === ADMIN_ROLE)],
    });
    for (const c of batch) {
      if (!this.byId.has(c.id)) continue;
      for (const s of c.all()) s.sink.send(payload, true);
      for (const s of c.fresh.values()) c.existing.set(s.id, s);
      c.fresh.clear();
      c.lastHash = null;
    }
  }
}

export class LivePoller extends Poller {
  readonly kind = 'live';
  protected readonly prepared = true;

  protected refetchIntervalMs(): number {
    return this.ctx.options.live.refetchIntervalMs;
  }

  protected batchSize(): number {
    return this.ctx.options.live.batchSize;
  }

  protected newStream(): null {
    return null;
  }

  protected handle(batch: Cohort[], rows: Row[]): void {
    // subscribers added while the statement ran get the next poll's result, not this one
    const snapshot = new Map(batch.map((c) => [c.id, [...c.fresh.values()]]));
    for (const row of rows) {
      const c = this.byId.get(row.result_id);
      const fresh = snapshot.get(row.result_id);
      if (!c || !fresh) continue;
      const text = row.root ?? 'null';
      const hash = createHash('sha1').update(text).digest('base64');
      const payload = `{"data":${text}}`;
      if (hash !== c.lastHash) {
        c.lastHash = hash;
        for (const s of c.existing.values()) s.sink.send(payload, true);
      }
      for (const s of fresh) {
        if (!c.fresh.delete(s.id)) continue;
        s.sink.send(payload, true);
        c.existing.set(s.id, s);
      }
    }
  }
}

function snapshotXmin(snap: string): bigint {
  return BigInt(snap.slice(0, snap.indexOf(':')));
}

/** A pg_lsn's text (`16/B374D848`) as a number. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/**
 * A WAL position a replica must have replayed, from the primary's insert position: an insert
 * position at the start of a page points past the page's 24-byte header, where no replay ever
 * ends (the last record's end is the page's start), so an idle primary would hold the stream
 * back until its next write; the page's start is the same point in the WAL. (The first page of a
 * segment has a longer header, but offset 40 of a page can also end a record, so that rare case
 * is left to wait for the next WAL record: a later wait, never a skipped row.)
 */
export function replayTarget(lsn: string): bigint {
  const at = parseLsn(lsn);
  return at % 8192n === 24n ? at - 24n : at;
}

const REPLAYED = compile(sql`SELECT pg_last_wal_replay_lsn()::text AS "lsn"`);

export class StreamPoller extends Poller {
  readonly kind = 'stream';
  protected readonly prepared = false;

  protected refetchIntervalMs(): number {
    return this.ctx.options.stream.refetchIntervalMs;
  }

  protected batchSize(): number {
    return this.ctx.options.stream.batchSize;
  }

  protected newStream(values: CohortValues): NonNullable<Cohort['stream']> {
    const initial = values[this.plan.stream!.initialSlot];
    return {
      c: typeof initial === 'string' ? initial : null,
      lo: EMPTY_SNAPSHOT,
      hi: EMPTY_SNAPSHOT,
    };
  }

  /**
   * On a read replica, only the cohorts whose `hi` the replica has replayed: a cohort whose last
   * window was read on the primary, or on a replica further ahead, waits (its place does not move)
   * until this one has caught up, because its window would otherwise miss rows this replica does
   * not see yet (plan.ts, "Streams on a read replica").
   */
  protected override async readable(target: ReadTarget, batch: Cohort[]): Promise<Cohort[]> {
    if (!target.replica || !this.plan.stream?.commitOrdered) return batch;
    const res = await queryWithin<{ lsn: string | null }>(target.pool, REPLAYED, null);
    const lsn = res.rows[0]?.lsn;
    // not in recovery (promoted): it has every commit
    if (lsn === null || lsn === undefined) return batch;
    const replayed = parseLsn(lsn);
    const ready = batch.filter((c) => c.horizonLsn <= replayed);
    if (ready.length < batch.length) {
      this.ctx.metrics.streamReplicaWaits.inc(batch.length - ready.length);
    }
    return ready;
  }

  /** A cohort with a congested subscriber waits (its place in the stream does not move). */
  protected override runnable(batch: Cohort[]): Cohort[] {
    return batch.filter((c) => {
      for (const s of c.all()) if (s.sink.congested()) return false;
      return true;
    });
  }

  protected override bind(key: string, batch: Cohort[]): unknown {
    if (key === 'lomin' || key === 'himin') {
      let min: bigint | null = null;
      for (const c of batch) {
        const x = snapshotXmin(key === 'lomin' ? c.stream!.lo : c.stream!.hi);
        if (min === null || x < min) min = x;
      }
      return String(min ?? 1n);
    }
    return super.bind(key, batch);
  }

  protected handle(batch: Cohort[], rows: Row[]): void {
    const info = this.plan.stream!;
    const progressed: Cohort[] = [];
    for (const row of rows) {
      const c = this.byId.get(row.result_id);
      if (!c || !c.stream) continue;
      const st = c.stream;
      const oldKey = c.varsJson;
      const hasRows = row.cursor !== null && row.cursor !== undefined;
      if (hasRows) {
        const payload = `{"data":${row.root}}`;
        for (const s of c.all()) s.sink.send(payload, false);
        for (const s of c.fresh.values()) c.existing.set(s.id, s);
        c.fresh.clear();
        progressed.push(c);
      }
      if (!info.commitOrdered) {
        if (hasRows) c.setStream({ ...st, c: row.cursor! });
      } else if (hasRows && !row.advanced) {
        c.setStream({ ...st, c: row.cursor! });
      } else {
        const initial = c.values[info.initialSlot];
        c.setStream(
          hasRows
            ? { c: row.cursor!, lo: st.hi, hi: row.snap! }
            : { c: typeof initial === 'string' ? initial : null, lo: st.hi, hi: row.snap! },
        );
        // where the server that took `hi` stood in the WAL (see plan.ts)
        if (row.lsn) c.horizonLsn = replayTarget(row.lsn);
      }
      this.rekey(c, oldKey);
    }
    // a cohort that got rows may have more: fetch them now rather than after the interval
    const still = progressed.filter((c) => this.byId.has(c.id));
    if (still.length) this.wake(still, 'catchup');
    void batch;
  }
}
