/**
 * The Kafka fuzz campaign's driver, shared by the `bench:fuzz-kafka` runner and the bounded test
 * (etl-worker/test/fuzz-kafka.test.ts): declares the fuzz pipeline in the given database, starts the
 * worker through the caller, produces the corpus of kafka-cases.ts over the topic's partitions
 * while the worker consumes, watches /readyz for stalls all along, waits for the stored offsets to
 * reach the broker's end offsets, and checks the outcome of every message: each good one loaded
 * (count and checksum of what it holds), each bad one dead-lettered with a code that describes it
 * and a reason, no good one dead-lettered, no partition stalled.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { query, sql, type Queryable } from '@streamsync/database';
import {
  checksumOf,
  checksumSql,
  fuzzPipelineInsert,
  fuzzTableDdl,
  generateCase,
  type KafkaCase,
} from './kafka-cases.ts';
import { rng } from './random.ts';

export interface FuzzWorker {
  /** /readyz's body with its status, or null when the worker does not answer */
  readyz(): Promise<(Record<string, unknown> & { httpStatus: number }) | null>;
  /** /metrics' text */
  metrics(): Promise<string>;
  alive(): boolean;
}

export interface KafkaCampaignOptions {
  db: Queryable;
  brokers: string[];
  messages: number;
  partitions: number;
  seed: number;
  /** share of bad messages */
  badRatio: number;
  /** the worker's ETL_MAX_MESSAGE_BYTES (oversized cases go past it) */
  maxMessageBytes: number;
  /** give up waiting for the end offsets after this long */
  timeoutMs: number;
  startWorker(w: { groupId: string; deadLetterTopic: string }): Promise<FuzzWorker>;
  log(line: string): void;
}

interface KindCount {
  sent: number;
  loaded: number;
  dead_lettered: number;
  codes: Record<string, number>;
}

export interface KafkaCampaignResult {
  messages: number;
  good: number;
  bad: number;
  partitions: number;
  seconds: number;
  /** every offset of every partition stored (the worker's next offset = the broker's end offset) */
  reached_end_offsets: boolean;
  end_offsets: Record<string, number>;
  stored_offsets: Record<string, number>;
  rows_loaded: number;
  checksum_matches: boolean;
  /** failures: each must be 0 */
  good_not_loaded: number;
  good_dead_lettered: number;
  bad_not_dead_lettered: number;
  bad_with_unexpected_code: number;
  dead_letters_without_reason: number;
  stalled_samples: number;
  not_ready_samples: number;
  readyz_samples: number;
  dead_letter_topic_messages: number;
  worker_alive: boolean;
  ok: boolean;
  by_kind: Record<string, KindCount>;
  /** a few of each failure, to reproduce from */
  examples: Array<Record<string, unknown>>;
  worker_metrics: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`)))
      sum += Number(m[3]);
  }
  return sum;
}

export async function runKafkaCampaign(o: KafkaCampaignOptions): Promise<KafkaCampaignResult> {
  const id = randomBytes(4).toString('hex');
  const table = `fuzz_${id}`;
  const pipeline = `fuzz_${id}`;
  const topic = `etl-fuzz-${id}`;
  const groupId = `etl-fuzz-${id}`;
  const deadLetterTopic = `etl-fuzz-dlq-${id}`;
  const kafka = new Kafka({
    clientId: 'fuzz-kafka',
    brokers: o.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    // the campaign's pipeline alone: nothing else competes for the worker
    await query(o.db, sql`UPDATE etl.pipelines SET enabled = false WHERE enabled`);
    await query(o.db, fuzzTableDdl(table));
    await query(o.db, fuzzPipelineInsert(pipeline, topic, table));
    await admin.createTopics({
      topics: [{ topic, numPartitions: o.partitions }],
      waitForLeaders: true,
    });

    // the corpus, generated from the seed
    const r = rng(o.seed);
    const ctx = {
      prefix: `f${id}`,
      baseMs: Date.now() - 3_600_000,
      nowMs: Date.now(),
      maxMessageBytes: o.maxMessageBytes,
    };
    const cases: Array<KafkaCase & { partition: number; offset: number }> = [];
    let badSoFar = 0;
    for (let n = 0; n < o.messages; n++) {
      const c = generateCase(r, n, ctx, o.badRatio, badSoFar);
      if (c.family === 'bad') badSoFar++;
      cases.push({ ...c, partition: Math.floor(r() * o.partitions), offset: -1 });
    }

    const worker = await o.startWorker({ groupId, deadLetterTopic });
    const started = performance.now();
    let stalledSamples = 0;
    let notReady = 0;
    let samples = 0;
    const examples: Array<Record<string, unknown>> = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const ready = await worker.readyz();
        samples++;
        if (!ready || ready.httpStatus !== 200) notReady++;
        const stalled = (ready?.stalled as unknown[] | undefined) ?? [];
        if (stalled.length > 0) {
          stalledSamples++;
          if (examples.length < 20) examples.push({ failure: 'stalled', stalled });
        }
        await sleep(500);
      }
    })();

    // produce while the worker consumes: chunks of messages, one partition's offsets consecutive
    const CHUNK = 500;
    for (let i = 0; i < cases.length; i += CHUNK) {
      const part = cases.slice(i, i + CHUNK);
      const messages: Message[] = part.map((c) => ({
        key: c.key,
        value: c.value,
        partition: c.partition,
        headers: { 'x-fuzz-kind': c.kind },
      }));
      const meta = await producer.send({ topic, acks: -1, messages });
      const next = new Map(meta.map((m) => [m.partition, Number(m.baseOffset)]));
      for (const c of part) {
        c.offset = next.get(c.partition)!;
        next.set(c.partition, c.offset + 1);
      }
      if ((i / CHUNK) % 4 === 3) o.log(`${i + part.length} messages produced`);
    }
    o.log(`${cases.length} messages produced; waiting for the end offsets`);

    // the end: the worker's stored offsets reach the broker's end offsets
    const ends = new Map(
      (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]),
    );
    let stored = new Map<number, number>();
    const deadline = Date.now() + o.timeoutMs;
    let reached = false;
    while (Date.now() < deadline && worker.alive()) {
      const { rows } = await query<{ partition: number; next_offset: string }>(
        o.db,
        sql`SELECT partition, next_offset::text FROM etl.consumer_offsets
             WHERE consumer_group = ${sql.value(groupId)} AND topic = ${sql.value(topic)}`,
      );
      stored = new Map(rows.map((x) => [x.partition, Number(x.next_offset)]));
      reached = [...ends].every(([p, end]) => end === 0 || stored.get(p) === end);
      if (reached) break;
      await sleep(250);
    }
    const seconds = (performance.now() - started) / 1000;
    watching = false;
    await watch;

    // every message's outcome
    const { rows: letters } = await query<{
      partition: number;
      offset: string;
      code: string;
      reason: string;
    }>(
      o.db,
      sql`SELECT source_partition AS partition, source_offset::text AS offset,
                 error_code AS code, reason
            FROM etl.dead_letters WHERE source_topic = ${sql.value(topic)}`,
    );
    const letterAt = new Map(letters.map((l) => [`${l.partition}:${l.offset}`, l]));
    const byKind: Record<string, KindCount> = {};
    let goodDeadLettered = 0;
    let badMissing = 0;
    let badWrongCode = 0;
    let noReason = 0;
    const goodRows = [];
    for (const c of cases) {
      const k = (byKind[c.kind] ??= { sent: 0, loaded: 0, dead_lettered: 0, codes: {} });
      k.sent++;
      const l = letterAt.get(`${c.partition}:${c.offset}`);
      if (l) {
        k.dead_lettered++;
        k.codes[l.code] = (k.codes[l.code] ?? 0) + 1;
        if (!l.reason?.trim()) noReason++;
      }
      const where = { kind: c.kind, partition: c.partition, offset: c.offset };
      const value = c.value ? c.value.toString('utf8').slice(0, 300) : null;
      if (c.family === 'good') {
        goodRows.push(c.row!);
        if (l) {
          goodDeadLettered++;
          if (examples.length < 60)
            examples.push({
              failure: 'good dead-lettered',
              ...where,
              code: l.code,
              reason: l.reason,
              value,
            });
        } else k.loaded++;
      } else if (!l) {
        badMissing++;
        if (examples.length < 60)
          examples.push({ failure: 'bad not dead-lettered', ...where, value });
      } else if (!c.codes.includes(l.code)) {
        badWrongCode++;
        if (examples.length < 60)
          examples.push({
            failure: 'unexpected code',
            ...where,
            want: c.codes,
            code: l.code,
            reason: l.reason,
            value,
          });
      }
    }
    const loaded = (
      await query<{ rows: number; distinct_seq: number; checksum: string }>(
        o.db,
        checksumSql(table),
      )
    ).rows[0]!;
    const checksumMatches = loaded.checksum === checksumOf(goodRows);
    const goodNotLoaded = Math.max(0, goodRows.length - goodDeadLettered - loaded.rows);
    const dlqEnd = (await admin.fetchTopicOffsets(deadLetterTopic).catch(() => [])).reduce(
      (n, p) => n + Number(p.high),
      0,
    );
    const metricsText = await worker.metrics().catch(() => '');
    const bad = cases.length - goodRows.length;
    const result: KafkaCampaignResult = {
      messages: cases.length,
      good: goodRows.length,
      bad,
      partitions: o.partitions,
      seconds: Math.round(seconds * 10) / 10,
      reached_end_offsets: reached,
      end_offsets: Object.fromEntries([...ends].map(([p, e]) => [String(p), e])),
      stored_offsets: Object.fromEntries([...stored].map(([p, e]) => [String(p), e])),
      rows_loaded: loaded.rows,
      checksum_matches: checksumMatches,
      good_not_loaded: goodNotLoaded,
      good_dead_lettered: goodDeadLettered,
      bad_not_dead_lettered: badMissing,
      bad_with_unexpected_code: badWrongCode,
      dead_letters_without_reason: noReason,
      stalled_samples: stalledSamples,
      not_ready_samples: notReady,
      readyz_samples: samples,
      dead_letter_topic_messages: dlqEnd,
      worker_alive: worker.alive(),
      ok: false,
      by_kind: byKind,
      examples,
      worker_metrics: {
        chunk_splits: metricSum(metricsText, 'etl_chunk_splits_total'),
        retries: metricSum(metricsText, 'etl_retries_total'),
        dead_letters: metricSum(metricsText, 'etl_dead_letters_total'),
        rows_loaded: metricSum(metricsText, 'etl_rows_loaded_total'),
      },
    };
    result.ok =
      reached &&
      checksumMatches &&
      loaded.rows === goodRows.length - goodDeadLettered &&
      goodDeadLettered === 0 &&
      badMissing === 0 &&
      badWrongCode === 0 &&
      noReason === 0 &&
      stalledSamples === 0 &&
      dlqEnd >= bad &&
      worker.alive();
    return result;
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
