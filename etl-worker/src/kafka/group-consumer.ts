/**
 * One topic's consumer group member: kafkajs `eachBatch` over the partitions of one topic that
 * pipelines read (kafka/topic-consumers.ts keeps one per topic, so that a change to the pipelines
 * of one topic never makes the members of another rejoin).
 *
 * - Postgres decides where to resume. On every assignment the partitions are moved to the offsets
 *   stored with the rows (or to the log start when none is stored); a batch that starts past the
 *   stored offset is refused and the partition moved back. Kafka's own committed offsets are only
 *   advanced after the Postgres commit, as a courtesy to lag tooling.
 * - Fetching runs ahead of the writes: each fetched batch is queued for its partition
 *   (kafka/partition-queue.ts) and kafkajs fetches the next while a write loop per partition
 *   writes chunks of at most `batchMaxRows` messages, one transaction each. kafkajs' loop keeps
 *   heartbeating, so a slow database never looks like a dead member (no rebalance storm). A
 *   partition with `fetchAheadMessages` queued is paused until a chunk is taken below that; a
 *   rebalance drops every queue before the new assignment is read.
 * - Every failure of a write is classified once (failures/classify.ts): transient ones pause the
 *   partition and retry with capped backoff, nothing stored before it commits; data ones split
 *   the chunk until the messages at fault are dead letters (failures/isolate.ts), so no partition
 *   waits on a message; a pipeline that cannot load for another reason (its table dropped, a grant
 *   revoked) pauses its own topic's partitions and retries later; other topics go on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage } from 'kafkajs';
import { PartitionQueue, type Handed } from './partition-queue.ts';
import type pino from 'pino';
import type { DeadLetterPublisher } from './dead-letters.ts';
import { classifyFailure } from '../failures/classify.ts';
import { writeIsolating, type AttemptResult, type Written } from '../failures/isolate.ts';
import type { BatchWriter, Chunk } from '../load/batch-writer.ts';
import { prepareChunk, type Prepared } from '../load/prepare.ts';
import type { LoadedPipeline } from '../load/registry.ts';
import type { WorkerMetrics } from '../ops/metrics.ts';
import { traceClock, type BatchTrace } from '../ops/batch-trace.ts';

/** What the consumers of one worker share: keyed "topic:partition" or by topic, never cleared whole. */
export interface ConsumerState {
  /** partitions paused by us, "topic:partition" → why */
  paused: Map<string, string>;
  /** the last failure of each partition since its last successful write */
  lastErrors: Map<string, { message: string; at: number }>;
  /** the partitions this worker holds, topic → partitions */
  assigned: Map<string, number[]>;
}

export interface GroupConsumerOptions {
  kafka: Kafka;
  /** the topic this member consumes */
  topic: string;
  /** its Kafka consumer group */
  groupId: string;
  state: ConsumerState;
  batchMaxRows: number;
  /** messages fetched ahead of the writes per partition before it is paused */
  fetchAheadMessages: number;
  batchMaxWaitMs: number;
  maxMessageBytes: number;
  maxFutureMs: number;
  partitionsConcurrency: number;
  sessionTimeoutMs: number;
  retryMaxMs: number;
  writer: BatchWriter;
  deadLetters: DeadLetterPublisher;
  metrics: WorkerMetrics;
  log: pino.Logger;
  /** the pipelines a topic feeds right now */
  pipelinesFor(topic: string): LoadedPipeline[];
  /** a pipeline cannot load for a reason that is not the data's (or recovered: null) */
  onPipelineState(pipeline: string, error: string | null): void;
  /** each written chunk's timings (ETL_TRACE_FILE) */
  trace?: BatchTrace;
}

/** A chunk decoded from its messages, and when its decode started (for the batch duration). */
interface PreparedChunk extends Prepared {
  messages: KafkaMessage[];
  /** the pipelines it was decoded for */
  pipelines: LoadedPipeline[];
  started: number;
  /** for the trace: when its oldest message came, and the decode's start and end (epoch ms) */
  handed: Handed | null;
  decodeStart: number;
  decodeEnd: number;
}

/** Why a partition's fetching is paused: its queue is full, a write is retrying, or failed. */
type Hold = 'full' | 'retrying' | 'failed';

/** One assigned partition: what is fetched ahead, and its write loop. */
interface Lane {
  partition: number;
  /** "topic:partition" */
  key: string;
  queue: PartitionQueue;
  /** the partition is paused while any is held */
  holds: Set<Hold>;
  /** the write loop, while it runs */
  draining: Promise<void> | null;
  /** told of every batch queued (the write loop waiting for a full chunk to decode ahead) */
  onQueued: (() => void) | null;
  /** where fetching starts again when the loop must stop: nothing from here is committed by it */
  resumeAt: number;
  /** the next offset stored by the last commit in this assignment, and what Kafka was told */
  committed: number | null;
  toldKafka: number | null;
}

/** At most n holders at once (the partitions written concurrently). */
class Slots {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

const KAFKA_COMMIT_INTERVAL_MS = 5000;

export class GroupConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly paused: Map<string, string>;
  private readonly lastErrors: Map<string, { message: string; at: number }>;
  private readonly lanes = new Map<number, Lane>();
  /** when the last fetch response came back (epoch ms, for the trace) */
  private fetchedAt = 0;
  private readonly slots: Slots;
  /** from a rebalance (or the start) until every partition is at its stored offset: nothing is queued */
  private assigning = true;
  /** the assignment being applied (a newer join supersedes it), settled when applied */
  private assignment: { gen: number; done: Promise<void> } = { gen: 0, done: Promise.resolve() };
  private commitTimer: NodeJS.Timeout | null = null;
  /** in the group with an assignment */
  joined = false;
  crashed: Error | null = null;

  constructor(private readonly o: GroupConsumerOptions) {
    this.paused = o.state.paused;
    this.lastErrors = o.state.lastErrors;
    this.slots = new Slots(o.partitionsConcurrency);
  }

  /** (Re)start consuming the topic: join its group. */
  async run(): Promise<void> {
    await this.shutdownConsumer();
    this.crashed = null;
    if (this.stopping) return;
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeoutMs,
      rebalanceTimeout: Math.max(60_000, this.o.sessionTimeoutMs * 2),
      heartbeatInterval: Math.min(3000, Math.floor(this.o.sessionTimeoutMs / 5)),
      maxWaitTimeInMs: this.o.batchMaxWaitMs,
      // a backlog's fetch fills a whole chunk (20,000 messages of a few hundred bytes): 4 MiB
      // gave chunks of 13,000 in bench/ingest, and more transactions and rollup buckets per row
      maxBytesPerPartition: 8 * 1024 * 1024,
      // under the broker's fetch.max.bytes (55 MiB by default)
      maxBytes: 48 * 1024 * 1024,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: this.o.retryMaxMs },
    });
    this.consumer = consumer;
    if (this.o.trace) consumer.on(consumer.events.FETCH, () => (this.fetchedAt = traceClock()));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.assigning = true;
      const gen = this.assignment.gen + 1;
      this.assignment = {
        gen,
        done: this.onAssignment(consumer, e.payload.memberAssignment, gen),
      };
    });
    // eager rebalancing: every partition is given up; nothing queued is written after this
    consumer.on(consumer.events.REBALANCING, () => {
      this.assigning = true;
      void this.revokeAll();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const { error, restart } = e.payload as { error: Error; restart: boolean };
      this.o.log.error({ err: error, restart }, 'consumer crashed');
      this.joined = false;
      if (!restart) {
        this.crashed = error;
        this.scheduleRestart();
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.o.topic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // resolving a batch only moves kafkajs' fetch position (it is resolved when queued);
      // Kafka's offsets are committed here, after Postgres (commitKafkaOffsets)
      autoCommit: false,
      partitionsConsumedConcurrently: this.o.partitionsConcurrency,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.commitTimer ??= setInterval(
      () => void (this.assigning ? null : this.commitKafkaOffsets()),
      KAFKA_COMMIT_INTERVAL_MS,
    ).unref();
    this.o.log.info({ topic: this.o.topic }, 'consuming');
  }

  private scheduleRestart(): void {
    if (this.stopping || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.o.metrics.retries.inc({ kind: 'kafka' });
      this.run().catch((err: Error) => {
        this.o.log.error({ err }, 'consumer restart failed');
        this.crashed = err;
        this.scheduleRestart();
      });
    }, this.o.retryMaxMs);
  }

  /** Move every assigned partition to where Postgres says it is. */
  private async onAssignment(
    consumer: Consumer,
    assignment: Record<string, number[]>,
    gen: number,
  ): Promise<void> {
    const current = (): boolean => consumer === this.consumer && gen === this.assignment.gen;
    this.joined = true;
    // writes of the last assignment settle first, so the stored offsets read below are final
    await this.revokeAll();
    // a partition of the last assignment may be another member's now: Kafka hears nothing of it
    for (const lane of this.lanes.values()) lane.committed = lane.toldKafka = null;
    this.forgetPartitions();
    for (const [topic, partitions] of Object.entries(assignment)) {
      this.o.state.assigned.set(topic, [...partitions]);
    }
    const topics = Object.keys(assignment);
    this.o.log.info({ assignment }, 'partitions assigned');
    if (topics.length === 0) {
      if (current()) this.assigning = false;
      return;
    }
    for (let attempt = 0; !this.stopping && current(); attempt++) {
      try {
        const stored = await this.o.writer.storedOffsets(topics);
        const admin = this.o.kafka.admin();
        await admin.connect();
        try {
          for (const topic of topics) {
            const low = new Map(
              (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.low)]),
            );
            if (!current()) return;
            for (const partition of assignment[topic]!) {
              const offset = stored.get(`${topic}:${partition}`) ?? low.get(partition) ?? 0;
              consumer.seek({ topic, partition, offset: String(offset) });
              const lane = this.lane(partition);
              lane.queue.reset(offset);
              lane.resumeAt = offset;
            }
          }
        } finally {
          await admin.disconnect();
        }
        if (current()) this.assigning = false;
        return;
      } catch (err) {
        // nothing is queued meanwhile: the fence would protect the writes, but every chunk up to
        // the stored offset would be fetched and refused again
        this.o.log.warn({ err, attempt }, 'could not read stored offsets at assignment; retrying');
        await sleep(Math.min(this.o.retryMaxMs, 200 * 2 ** attempt));
      }
    }
  }

  /**
   * A fetched batch is queued for its partition's write loop and the call returns, so kafkajs
   * sends the next fetch while Postgres writes. kafkajs' fetch position moves past the batch
   * (resolveOffset); Kafka's committed offset does not: it follows the Postgres commits
   * (commitKafkaOffsets), and resuming reads the offset stored in Postgres anyway.
   */
  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    // a rebalance is noticed here (thrown to kafkajs, which rejoins) before anything is queued
    await heartbeat();
    if (this.assigning) {
      // the batch was fetched before the stored offsets were read: hold kafkajs' loop (briefly:
      // it heartbeats) until the partitions are moved, then the seek makes the batch stale
      await Promise.race([this.assignment.done, sleep(1000)]);
      return;
    }
    if (this.stopping || !isRunning() || isStale()) return;
    // no longer declared: leave the messages unresolved; the subscription changes next
    if (batch.messages.length === 0 || this.o.pipelinesFor(batch.topic).length === 0) return;
    const lane = this.lane(batch.partition);
    const handed = this.o.trace ? { fetched: this.fetchedAt, batch: traceClock() } : null;
    const last = Number(batch.lastOffset());
    if (!lane.queue.push(batch.messages, last, Number(batch.highWatermark), handed)) return;
    resolveOffset(batch.lastOffset());
    // back-pressure: fetch nothing more for the partition until a chunk is taken from its queue
    if (lane.queue.queued >= this.o.fetchAheadMessages) this.hold(lane, 'full');
    lane.onQueued?.();
    this.drain(lane);
  }

  private lane(partition: number): Lane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = {
        partition,
        key: `${this.o.topic}:${partition}`,
        queue: new PartitionQueue(),
        holds: new Set(),
        draining: null,
        onQueued: null,
        resumeAt: 0,
        committed: null,
        toldKafka: null,
      };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  /** Start the partition's write loop unless it runs. */
  private drain(lane: Lane): void {
    if (lane.draining || this.stopping) return;
    const epoch = lane.queue.epoch;
    const log = this.o.log.child({ topic: this.o.topic, partition: lane.partition });
    lane.draining = this.drainLoop(lane, epoch, log)
      .catch((err: unknown) => {
        // a bug, not the data's nor the database's (those are classified in writeChunk): start
        // again from the last commit after a pause, never skip a message
        log.error({ err }, 'write loop failed; partition paused');
        if (lane.queue.epoch === epoch) {
          this.rewind(lane, lane.resumeAt);
          this.pauseFor(lane, `failed: ${(err as Error).message}`, this.o.retryMaxMs);
        }
      })
      .finally(() => {
        lane.draining = null;
        if (lane.queue.queued > 0) this.drain(lane);
      });
  }

  /**
   * Write what the partition has queued, chunk by chunk, while the epoch lasts. The decode of the
   * next chunk overlaps the write of the current one: it is scheduled behind the write's first I/O
   * (setImmediate), so it runs while Postgres works on the transaction. prepareChunk is pure CPU:
   * a chunk prepared and never written (the epoch ends, the write fails) costs nothing.
   */
  private async drainLoop(lane: Lane, epoch: number, log: pino.Logger): Promise<void> {
    const live = (): boolean => !this.stopping && lane.queue.epoch === epoch;
    const size = this.o.batchMaxRows;
    const prepare = (): PreparedChunk | null => {
      // never take from the queue of a later epoch (a stale look-ahead firing after a reset)
      if (!live()) return null;
      const taken = lane.queue.take(size);
      if (lane.queue.queued < this.o.fetchAheadMessages) this.unhold(lane, 'full');
      if (!taken) return null;
      const pipelines = this.o.pipelinesFor(this.o.topic);
      if (pipelines.length === 0) {
        // no longer declared: nothing is written; fetching starts again from here
        this.rewind(lane, Number(taken.messages[0]!.offset));
        return null;
      }
      const started = performance.now();
      const decodeStart = traceClock();
      const prepared = prepareChunk(
        this.o.topic,
        lane.partition,
        taken.messages,
        taken.highWatermark,
        pipelines,
        { maxMessageBytes: this.o.maxMessageBytes, maxFutureMs: this.o.maxFutureMs },
      );
      return {
        ...prepared,
        messages: taken.messages,
        pipelines,
        started,
        handed: taken.handed,
        decodeStart,
        decodeEnd: traceClock(),
      };
    };
    // the next chunk is taken once a full one is queued (or the current write is done): taken
    // at once, it would be whatever the last fetch left, and chunks would alternate full and small
    const ahead = (writing: Promise<unknown>): Promise<PreparedChunk | null> =>
      new Promise<void>((ready) => {
        if (lane.queue.queued >= size) return ready();
        lane.onQueued = () => {
          if (lane.queue.queued >= size) ready();
        };
        writing.then(
          () => ready(),
          () => ready(),
        );
      }).then(
        () =>
          new Promise((resolve, reject) => {
            lane.onQueued = null;
            setImmediate(() => {
              try {
                resolve(prepare());
              } catch (err) {
                reject(err as Error);
              }
            });
          }),
      );
    let next: Promise<PreparedChunk | null> = Promise.resolve(prepare());
    for (;;) {
      const current = await next;
      if (!current || !live()) return;
      const release = await this.slots.acquire();
      let done: boolean;
      let writeStart = 0;
      try {
        if (!live()) return;
        writeStart = traceClock();
        const writing = this.writeChunk(lane, live, current, log);
        next = ahead(writing);
        done = await writing;
      } finally {
        release();
      }
      if (!done) {
        next.catch(() => {}); // the epoch ended: dropped
        return;
      }
      lane.resumeAt = current.chunk.lastOffset + 1;
      lane.committed = lane.resumeAt;
      if (this.o.trace && current.handed) {
        this.o.trace({
          topic: this.o.topic,
          partition: lane.partition,
          firstOffset: current.chunk.firstOffset,
          lastOffset: current.chunk.lastOffset,
          ...current.handed,
          decodeStart: current.decodeStart,
          decodeEnd: current.decodeEnd,
          writeStart,
          committed: traceClock(),
        });
      }
    }
  }

  /**
   * Write one chunk: transient failures retried with capped backoff (the partition paused
   * meanwhile), data failures split down to the messages at fault (dead-lettered, see
   * failures/isolate.ts), a pipeline failure pauses the partition. False when the partition must
   * stop here: fetching starts again where it must (a seek), and what was queued is dropped.
   */
  private async writeChunk(
    lane: Lane,
    live: () => boolean,
    prepared: PreparedChunk,
    log: pino.Logger,
  ): Promise<boolean> {
    const { topic } = this.o;
    const { chunk, skipped, messages, started, pipelines } = prepared;
    const highWatermark = chunk.highWatermark ?? NaN;
    const where = {
      firstOffset: chunk.firstOffset,
      lastOffset: chunk.lastOffset,
      messages: messages.length,
    };
    const key = lane.key;
    let retrying = false;
    const attempt = async (part: Chunk): Promise<AttemptResult> => {
      let backoff = 100;
      for (let n = 0; ; n++) {
        if (!live()) return { status: 'stopped' };
        try {
          await this.o.writer.preparePartitions(part);
          const outcome = await this.o.writer.write(part, (dls) =>
            this.o.deadLetters.publish(topic, lane.partition, dls),
          );
          this.lastErrors.delete(key);
          return outcome;
        } catch (err) {
          const failure = classifyFailure(err);
          this.lastErrors.set(key, {
            message: `${failure.code}: ${failure.message}`,
            at: Date.now(),
          });
          // what was learnt of partitions may be stale after a failure that is not the data's
          // (dropped, re-registered)
          if (failure.kind !== 'data') this.o.writer.partitions.reset();
          if (failure.kind !== 'transient') return { status: 'failed', failure };
          const kind = /^[0-9A-Z]{5}$|^connection$/.test(failure.code) ? 'postgres' : 'kafka';
          this.o.metrics.retries.inc({ kind });
          if (n === 0 || n % 10 === 0) {
            log.warn(
              { ...where, err: failure.cause, code: failure.code, attempt: n },
              'transient failure; retrying',
            );
          }
          if (!retrying) {
            // back-pressure: fetch nothing more for this partition until the write goes through
            retrying = true;
            this.hold(lane, 'retrying');
            this.paused.set(key, `retrying: ${failure.code}: ${failure.message}`);
            this.o.metrics.paused.set(this.paused.size);
          }
          await sleep(backoff);
          backoff = Math.min(backoff * 2, this.o.retryMaxMs);
        }
      }
    };
    try {
      const result = await writeIsolating(chunk, attempt, (letter, failure) => {
        log.warn(
          {
            offset: letter.offset,
            pipeline: letter.pipeline,
            code: failure.code,
            reason: failure.message,
          },
          'message refused while loading; dead-lettered',
        );
      });
      if (result.status === 'stopped') return false;
      if (result.status === 'gap') {
        log.warn(
          { ...where, expected: result.expected },
          'batch starts past the stored offset; seeking back',
        );
        lane.resumeAt = result.expected;
        this.rewind(lane, result.expected);
        return false;
      }
      if (result.status === 'failed') {
        // permanent and not the data's: the pipeline (or, when no pipeline is named, every
        // pipeline of the topic) waits; the other topics go on. Parts written before the failure
        // stay written: the fence drops them when the chunk comes again.
        const { failure } = result;
        const names = failure.pipeline ? [failure.pipeline] : pipelines.map((p) => p.pipeline.name);
        const why = `${failure.code}: ${failure.message}`;
        for (const name of names) this.o.onPipelineState(name, why);
        this.o.metrics.retries.inc({ kind: 'pipeline' });
        log.error(
          { ...where, err: failure.cause, code: failure.code, pipelines: names },
          'pipeline cannot load (not the data): partition paused',
        );
        this.rewind(lane, lane.resumeAt);
        this.pauseFor(lane, `pipeline ${names.join(', ')}: ${why}`, this.o.retryMaxMs);
        return false;
      }
      if (result.splits > 0) this.o.metrics.splits.inc({ topic }, result.splits);
      this.record(chunk, result, skipped, highWatermark, started);
      if (result.deadLetters.length > 0) {
        // per batch: debug; at info the periodic summary (ops/summary.ts) counts them
        log.debug({ ...where, deadLetters: result.deadLetters.length }, 'dead letters published');
      }
      for (const p of pipelines) this.o.onPipelineState(p.pipeline.name, null);
      return true;
    } finally {
      if (retrying) {
        this.paused.delete(key);
        this.o.metrics.paused.set(this.paused.size);
        this.unhold(lane, 'retrying');
      }
    }
  }

  /**
   * Fetch the partition again from `offset`: what is queued is dropped and the write loop of the
   * current epoch stops. Any offset at or before the stored one is safe (the fence drops what is
   * already loaded); the chunk that failed, or the stored offset after a gap, is where to go.
   */
  private rewind(lane: Lane, offset: number): void {
    lane.queue.reset(offset);
    this.unhold(lane, 'full');
    try {
      this.consumer?.seek({
        topic: this.o.topic,
        partition: lane.partition,
        offset: String(offset),
      });
    } catch (err) {
      // not running any more: the next assignment seeks to the stored offset
      this.o.log.debug({ err, partition: lane.partition }, 'seek after a stop failed');
    }
  }

  private hold(lane: Lane, why: Hold): void {
    if (lane.holds.has(why)) return;
    lane.holds.add(why);
    if (lane.holds.size === 1) this.setPaused(lane, true);
  }

  private unhold(lane: Lane, why: Hold): void {
    if (!lane.holds.delete(why)) return;
    if (lane.holds.size === 0) this.setPaused(lane, false);
  }

  private setPaused(lane: Lane, paused: boolean): void {
    const c = this.consumer;
    if (!c) return;
    const tp = [{ topic: this.o.topic, partitions: [lane.partition] }];
    try {
      if (paused) c.pause(tp);
      else c.resume(tp);
    } catch (err) {
      // the consumer is not running: a new one starts with nothing paused
      this.o.log.debug({ err, partition: lane.partition }, 'pause/resume without a consumer');
    }
  }

  private pauseFor(lane: Lane, why: string, ms: number): void {
    this.hold(lane, 'failed');
    this.paused.set(lane.key, why);
    this.o.metrics.paused.set(this.paused.size);
    setTimeout(() => {
      this.paused.delete(lane.key);
      this.o.metrics.paused.set(this.paused.size);
      this.unhold(lane, 'failed');
    }, ms).unref();
  }

  /**
   * Every partition's queue dropped and its epoch ended (a rebalance, a restart, the stop); resolves
   * once the writes in flight have settled, committed or not.
   */
  private revokeAll(): Promise<void> {
    const inFlight: Promise<void>[] = [];
    for (const lane of this.lanes.values()) {
      lane.queue.reset(null);
      this.unhold(lane, 'full');
      if (lane.draining) inFlight.push(lane.draining);
    }
    return Promise.all(inFlight).then(() => {});
  }

  /**
   * Kafka's committed offsets, a courtesy to lag tooling (resuming reads Postgres): the offsets
   * Postgres committed, never further.
   */
  private async commitKafkaOffsets(): Promise<void> {
    const c = this.consumer;
    if (!c) return;
    const offsets = [];
    for (const lane of this.lanes.values()) {
      if (lane.committed !== null && lane.committed !== lane.toldKafka) {
        offsets.push({
          topic: this.o.topic,
          partition: lane.partition,
          offset: String(lane.committed),
        });
        lane.toldKafka = lane.committed;
      }
    }
    if (offsets.length === 0) return;
    await c
      .commitOffsets(offsets)
      .catch((err: Error) => this.o.log.debug({ err }, 'kafka offset commit deferred'));
  }

  private record(
    chunk: Chunk,
    outcome: Written,
    skipped: Map<string, Map<string, number>>,
    highWatermark: number,
    started: number,
  ): void {
    const m = this.o.metrics;
    for (const [pipeline, n] of outcome.rows) m.loaded(pipeline, n);
    for (const d of outcome.deadLetters)
      m.deadLetters.inc({ pipeline: d.pipeline ?? '', code: d.code });
    for (const [pipeline, reasons] of skipped) {
      for (const [reason, n] of reasons)
        m.skipped.inc({ pipeline, reason: reason.slice(0, 60) }, n);
    }
    m.messages.inc({ topic: chunk.topic }, chunk.messageOffsets.length - outcome.alreadyLoaded);
    if (outcome.alreadyLoaded > 0)
      m.alreadyLoaded.inc({ topic: chunk.topic }, outcome.alreadyLoaded);
    m.batchSeconds.observe({ topic: chunk.topic }, (performance.now() - started) / 1000);
    m.batchRows.observe(chunk.messageOffsets.length);
    if (Number.isFinite(highWatermark)) {
      m.lag.set(
        { topic: chunk.topic, partition: String(chunk.partition) },
        Math.max(0, highWatermark - chunk.lastOffset - 1),
      );
    }
  }

  /** This topic's partitions leave the shared state (a new assignment, or the member left). */
  private forgetPartitions(): void {
    const prefix = `${this.o.topic}:`;
    for (const key of [...this.paused.keys()]) if (key.startsWith(prefix)) this.paused.delete(key);
    this.o.state.assigned.delete(this.o.topic);
    this.o.metrics.paused.set(this.paused.size);
  }

  private async shutdownConsumer(): Promise<void> {
    const c = this.consumer;
    this.assigning = true;
    await this.revokeAll();
    // what the last writes committed, before leaving the group
    await this.commitKafkaOffsets();
    this.consumer = null;
    this.joined = false;
    this.forgetPartitions();
    if (c)
      await c.disconnect().catch((err: Error) => this.o.log.warn({ err }, 'disconnect failed'));
  }

  /** Finish (or abandon) the batch in flight, leave the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.shutdownConsumer();
  }
}
