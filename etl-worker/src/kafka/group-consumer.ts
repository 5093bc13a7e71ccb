/**
 * One topic's consumer group member: kafkajs `eachBatch` over the partitions of one topic that
 * pipelines read (kafka/topic-consumers.ts keeps one per topic, so that a change to the pipelines
 * of one topic never makes the members of another rejoin).
 *
 * - Postgres decides where to resume. On every assignment the partitions are moved to the offsets
 *   stored with the rows (or to the log start when none is stored); a batch that starts past the
 *   stored offset is refused and the partition moved back. Kafka's own committed offsets are only
 *   advanced after the Postgres commit, as a courtesy to lag tooling.
 * - A fetched batch is written in chunks of at most `batchMaxRows` messages, one transaction each,
 *   heartbeating all along so a slow database never looks like a dead member (no rebalance storm).
 * - Every failure of a write is classified once (failures/classify.ts): transient ones pause the
 *   partition and retry with capped backoff, nothing resolved until it commits; data ones split
 *   the chunk until the messages at fault are dead letters (failures/isolate.ts), so no partition
 *   waits on a message; a pipeline that cannot load for another reason (its table dropped, a grant
 *   revoked) pauses its own topic's partitions and retries later; other topics go on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage } from 'kafkajs';
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
  started: number;
  /** epoch ms of the decode's start and end, for the trace */
  decodeStart: number;
  decodeEnd: number;
}

export class GroupConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly paused: Map<string, string>;
  private readonly lastErrors: Map<string, { message: string; at: number }>;
  /** when the last fetch response came back (epoch ms, for the trace) */
  private fetchedAt = 0;
  /** in the group with an assignment */
  joined = false;
  crashed: Error | null = null;

  constructor(private readonly o: GroupConsumerOptions) {
    this.paused = o.state.paused;
    this.lastErrors = o.state.lastErrors;
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
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: this.o.retryMaxMs },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      void this.onAssignment(consumer, e.payload.memberAssignment);
    });
    if (this.o.trace) consumer.on(consumer.events.FETCH, () => (this.fetchedAt = traceClock()));
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
      autoCommit: true,
      autoCommitInterval: 5000,
      partitionsConsumedConcurrently: this.o.partitionsConcurrency,
      eachBatch: (payload) => this.eachBatch(payload),
    });
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
  ): Promise<void> {
    this.joined = true;
    this.forgetPartitions();
    for (const [topic, partitions] of Object.entries(assignment)) {
      this.o.state.assigned.set(topic, [...partitions]);
    }
    const topics = Object.keys(assignment);
    this.o.log.info({ assignment }, 'partitions assigned');
    if (topics.length === 0) return;
    for (let attempt = 0; !this.stopping && consumer === this.consumer; attempt++) {
      try {
        const stored = await this.o.writer.storedOffsets(topics);
        const admin = this.o.kafka.admin();
        await admin.connect();
        try {
          for (const topic of topics) {
            const low = new Map(
              (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.low)]),
            );
            for (const partition of assignment[topic]!) {
              const offset = stored.get(`${topic}:${partition}`) ?? low.get(partition) ?? 0;
              consumer.seek({ topic, partition, offset: String(offset) });
            }
          }
        } finally {
          await admin.disconnect();
        }
        return;
      } catch (err) {
        // the fence still protects every write; this only saves refetching
        this.o.log.warn({ err, attempt }, 'could not read stored offsets at assignment; retrying');
        await sleep(Math.min(this.o.retryMaxMs, 200 * 2 ** attempt));
      }
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } =
      payload;
    const { topic, partition } = batch;
    const handed = { fetched: this.fetchedAt, batch: traceClock() };
    const log = this.o.log.child({ topic, partition });
    const pipelines = this.o.pipelinesFor(topic);
    // no longer declared: leave the messages unresolved; the subscription changes next
    if (pipelines.length === 0 || batch.messages.length === 0) return;
    const highWatermark = Number(batch.highWatermark);
    const keepAlive = setInterval(() => void heartbeat().catch(() => {}), 1000);
    const size = this.o.batchMaxRows;
    const prepare = (from: number): PreparedChunk => {
      const messages = batch.messages.slice(from, from + size);
      const started = performance.now();
      const decodeStart = traceClock();
      const prepared = prepareChunk(topic, partition, messages, highWatermark, pipelines, {
        maxMessageBytes: this.o.maxMessageBytes,
        maxFutureMs: this.o.maxFutureMs,
      });
      return { ...prepared, messages, started, decodeStart, decodeEnd: traceClock() };
    };
    // Decode of the next chunk overlaps the write of the current one: it is scheduled behind the
    // write's first I/O (setImmediate), so it runs while Postgres works on the transaction instead
    // of before or after it. prepareChunk is pure CPU: a chunk prepared and never written (the
    // partition stops, the write fails) costs nothing and is prepared again on the refetch.
    const ahead = (from: number): Promise<PreparedChunk> | null => {
      if (from >= batch.messages.length) return null;
      const p = new Promise<PreparedChunk>((resolve, reject) =>
        setImmediate(() => {
          try {
            resolve(prepare(from));
          } catch (err) {
            reject(err as Error);
          }
        }),
      );
      p.catch(() => {}); // awaited below when used; a stopped partition drops it
      return p;
    };
    try {
      let next: Promise<PreparedChunk> | null = Promise.resolve(prepare(0));
      for (let i = 0; next; i += size) {
        if (!isRunning() || isStale() || this.stopping) return;
        const current: PreparedChunk = await next;
        const writeStart = traceClock();
        const writing = this.writeChunk(payload, current, highWatermark, pipelines, log);
        next = ahead(i + size);
        const done = await writing;
        if (!done) return;
        this.o.trace?.({
          topic,
          partition,
          firstOffset: current.chunk.firstOffset,
          lastOffset: current.chunk.lastOffset,
          ...handed,
          decodeStart: current.decodeStart,
          decodeEnd: current.decodeEnd,
          writeStart,
          committed: traceClock(),
        });
        resolveOffset(current.messages[current.messages.length - 1]!.offset);
        await heartbeat();
      }
      await commitOffsetsIfNecessary().catch((err: Error) =>
        log.debug({ err }, 'kafka offset commit deferred'),
      );
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Write one chunk: transient failures retried with capped backoff (the partition paused
   * meanwhile), data failures split down to the messages at fault (dead-lettered, see
   * failures/isolate.ts), a pipeline failure pauses the topic's partitions. False when the
   * partition must stop here (the rest of the batch is fetched again).
   */
  private async writeChunk(
    payload: EachBatchPayload,
    prepared: PreparedChunk,
    highWatermark: number,
    pipelines: LoadedPipeline[],
    log: pino.Logger,
  ): Promise<boolean> {
    const { batch, isRunning, isStale, pause } = payload;
    const { topic, partition } = batch;
    const { chunk, skipped, messages, started } = prepared;
    const where = {
      firstOffset: chunk.firstOffset,
      lastOffset: chunk.lastOffset,
      messages: messages.length,
    };
    let resume: (() => void) | null = null;
    const key = `${topic}:${partition}`;
    const attempt = async (part: Chunk): Promise<AttemptResult> => {
      let backoff = 100;
      for (let n = 0; ; n++) {
        if (!isRunning() || isStale() || this.stopping) return { status: 'stopped' };
        try {
          await this.o.writer.preparePartitions(part);
          const outcome = await this.o.writer.write(part, (dls) =>
            this.o.deadLetters.publish(topic, partition, dls),
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
          if (!resume) {
            // back-pressure: fetch nothing more for this partition until the write goes through
            resume = pause();
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
        this.consumer?.seek({ topic, partition, offset: String(result.expected) });
        return false;
      }
      if (result.status === 'failed') {
        // permanent and not the data's: the pipeline (or, when no pipeline is named, every
        // pipeline of the topic) waits; the other topics go on
        const { failure } = result;
        const names = failure.pipeline ? [failure.pipeline] : pipelines.map((p) => p.pipeline.name);
        const why = `${failure.code}: ${failure.message}`;
        for (const name of names) this.o.onPipelineState(name, why);
        this.o.metrics.retries.inc({ kind: 'pipeline' });
        log.error(
          { ...where, err: failure.cause, code: failure.code, pipelines: names },
          'pipeline cannot load (not the data): partition paused',
        );
        this.pauseFor(payload, key, `pipeline ${names.join(', ')}: ${why}`, this.o.retryMaxMs);
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
      if (resume) {
        this.paused.delete(key);
        this.o.metrics.paused.set(this.paused.size);
        (resume as () => void)();
      }
    }
  }

  private pauseFor(payload: EachBatchPayload, key: string, why: string, ms: number): void {
    const resume = payload.pause();
    this.paused.set(key, why);
    this.o.metrics.paused.set(this.paused.size);
    setTimeout(() => {
      this.paused.delete(key);
      this.o.metrics.paused.set(this.paused.size);
      resume();
    }, ms).unref();
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
    await this.shutdownConsumer();
  }
}
