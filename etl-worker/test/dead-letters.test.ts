/**
 * Bad input never stops a partition: a fuzzed corpus of bad messages, interleaved with good ones in
 * the same partitions of two topics (a sensor stream and a market-trades stream whose table has
 * CHECK constraints), each lands once in the dead-letter topic, with its original key, bytes and
 * headers plus where it came from and why, and in etl.dead_letters; every good one is loaded.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Message } from 'kafkajs';
import { query, sql } from '@streamsync/database';
import { rng } from '@streamsync/bench/fuzz/random.ts';
import {
  copyPipeline,
  createTopic,
  disableSeedPipelines,
  expectedChecksum,
  freshDatabase,
  loadedChecksum,
  producer,
  readTopic,
  sensorMessages,
  sensorMismatches,
  sensorReading,
  sensorSeries,
  startWorker,
  storedOffsets,
  uid,
  useWorkerCleanup,
  waitForConsumed,
} from './harness.ts';

useWorkerCleanup();

const MAX_MESSAGE_BYTES = 4096;
const DLQ = {
  sourceTopic: 'x-streamsync-source-topic',
  sourcePartition: 'x-streamsync-source-partition',
  sourceOffset: 'x-streamsync-source-offset',
  pipeline: 'x-streamsync-pipeline',
  code: 'x-streamsync-error-code',
  reason: 'x-streamsync-reason',
  failedAt: 'x-streamsync-failed-at',
};

interface Bad {
  kind: string;
  value: Buffer | null;
  /** the error codes that describe it correctly */
  codes: string[];
}

interface Sent {
  topic: string;
  pipeline: string;
  partition: number;
  offset: number;
  key: string;
  value: Buffer | null;
  headers: Record<string, string>;
  bad: Bad | null;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const iso = (ms: number) => new Date(ms).toISOString();

/** Bad sensor readings, `n` of them, drawn from every kind in turn with random details. */
function badSensorReadings(random: () => number, n: number, prefix: string): Bad[] {
  const now = Date.now();
  const good = (extra: Record<string, unknown> = {}, drop: string[] = []) => {
    const r: Record<string, unknown> = {
      device_id: `${prefix}-bad-${Math.floor(random() * 5)}`,
      time: iso(now - 3_600_000 - Math.floor(random() * 1e6)),
      temp_f: 70,
      humidity: 40,
      pressure_hpa: 1000,
      battery_mv: 3900,
      ...extra,
    };
    for (const k of drop) delete r[k];
    return r;
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const kinds: Array<() => Bad> = [
    () => {
      // 0xff never occurs in UTF-8
      const bytes = Buffer.alloc(1 + Math.floor(random() * 200));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      bytes[Math.floor(random() * bytes.length)] = 0xff;
      return { kind: 'random bytes', value: bytes, codes: ['undecodable'] };
    },
    () => ({
      kind: 'invalid UTF-8 in a JSON string',
      value: Buffer.concat([
        Buffer.from('{"device_id":"'),
        Buffer.from(
          pick([
            [0xc3, 0x28],
            [0xe2, 0x82],
            [0xf0, 0x28, 0x8c, 0x28],
            [0xc0, 0xaf],
          ]),
        ),
        Buffer.from(`","time":"${iso(now - 60_000)}","temp_f":50}`),
      ]),
      codes: ['undecodable'],
    }),
    () => {
      const whole = JSON.stringify(good());
      return {
        kind: 'truncated JSON',
        value: Buffer.from(whole.slice(0, 1 + Math.floor(random() * (whole.length - 1)))),
        codes: ['invalid_json'],
      };
    },
    () => ({
      kind: 'JSON that is not an object',
      value: Buffer.from(pick(['[1,2,3]', '[]', '"a string"', '42', '-0.5', 'true', 'null'])),
      codes: ['not_an_object'],
    }),
    () => ({
      kind: 'not JSON at all',
      value: Buffer.from(pick(['hello', '{device_id: 1}', "{'a': 1}", '{"a":1,}', 'NaN'])),
      codes: ['invalid_json'],
    }),
    () => ({ kind: 'empty value', value: Buffer.alloc(0), codes: ['invalid_json'] }),
    () => ({ kind: 'no value (tombstone)', value: null, codes: ['invalid_json'] }),
    () => ({ kind: 'missing time', value: json(good({}, ['time'])), codes: ['missing_field'] }),
    () => ({ kind: 'null time', value: json(good({ time: null })), codes: ['missing_field'] }),
    () => ({
      kind: 'bad time string',
      value: json(
        good({
          time: pick([
            'yesterday',
            '2025-13-01T00:00:00Z',
            '2025-02-30T10:00:00Z',
            '2025-11-26T25:00:00Z',
            '2025-11-26T10:00:00',
            '2025-11-26T10:00:00+25:00',
            '',
            1764230400,
            true,
            { at: 'now' },
          ]),
        }),
      ),
      codes: ['invalid_time'],
    }),
    () => ({
      kind: 'far-future time',
      value: json(good({ time: iso(now + (2 + random() * 3000) * 86_400_000) })),
      codes: ['out_of_range'],
    }),
    () => ({
      kind: 'ancient time',
      value: json(
        good({
          time: pick([
            '1999-12-31T23:59:59Z',
            '1970-01-01T00:00:00Z',
            '1969-07-20T20:17:00Z',
            '0001-01-01T00:00:00Z',
          ]),
        }),
      ),
      codes: ['out_of_range'],
    }),
    () => ({
      // inside the table's retention (30 days) but past the declaration's late_after (7 days)
      kind: 'late time',
      value: json(good({ time: iso(now - (8 + random() * 20) * 86_400_000) })),
      codes: ['late'],
    }),
    () => ({
      kind: 'wrong type for a value',
      value: json(
        pick([
          good({ temp_f: 'hot' }),
          good({ temp_f: true }),
          good({ humidity: { a: 1 } }),
          good({ battery_mv: [3900] }),
          good({ pressure_hpa: '1e999' }),
        ]),
      ),
      codes: ['invalid_value'],
    }),
    () => ({
      kind: 'wrong entity key',
      value: json(
        pick([
          good({ device_id: { x: 1 } }),
          good({ device_id: '' }),
          good({ device_id: 'k'.repeat(201) }),
        ]),
      ),
      codes: ['invalid_value'],
    }),
    () => ({
      kind: 'missing entity key',
      value: json(good({}, ['device_id'])),
      codes: ['missing_field'],
    }),
    () => ({
      kind: 'oversized',
      value: json(good({ padding: 'x'.repeat(MAX_MESSAGE_BYTES + Math.floor(random() * 8000)) })),
      codes: ['oversized'],
    }),
  ];
  return Array.from({ length: n }, (_, i) => kinds[i % kinds.length]!());
}

/** Trades: good ones, and bad ones, some of which only the table's CHECK constraints catch. */
function trade(
  prefix: string,
  i: number,
  extra: Record<string, unknown> = {},
  drop: string[] = [],
) {
  const t: Record<string, unknown> = {
    id: `${prefix}-t${i}`,
    symbol: `${prefix}-SYM${i % 4}`,
    ts: Date.now() - 3_600_000 + i,
    px: `${100 + (i % 50)}.25`,
    qty: `0.${String(1 + (i % 9))}`,
    side: i % 2 === 0 ? 'buy' : 'sell',
    ...extra,
  };
  for (const k of drop) delete t[k];
  return t;
}

function badTrades(random: () => number, n: number, prefix: string): Bad[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const i = () => 1_000_000 + Math.floor(random() * 1_000_000);
  const kinds: Array<() => Bad> = [
    () => ({
      kind: 'price 0 (CHECK)',
      value: json(trade(prefix, i(), { px: '0' })),
      codes: ['rejected_by_database'],
    }),
    () => ({
      kind: 'negative price (CHECK)',
      value: json(trade(prefix, i(), { px: '-3.5' })),
      codes: ['rejected_by_database'],
    }),
    () => ({
      kind: "side 'hold' (CHECK)",
      value: json(trade(prefix, i(), { side: pick(['hold', 'BUY', '7', 7]) })),
      codes: ['rejected_by_database'],
    }),
    () => ({
      kind: 'price not a number',
      value: json(trade(prefix, i(), { px: pick(['abc', true, [1], '1.2.3']) })),
      codes: ['invalid_value'],
    }),
    () => ({
      kind: 'price too large for numeric(20,8)',
      value: json(trade(prefix, i(), { px: '1e20' })),
      codes: ['invalid_value'],
    }),
    () => ({
      kind: 'missing trade id',
      value: json(trade(prefix, i(), {}, ['id'])),
      codes: ['missing_field'],
    }),
    () => ({
      kind: 'missing price',
      value: json(trade(prefix, i(), {}, ['px'])),
      codes: ['missing_field'],
    }),
    () => ({
      kind: 'epoch time not a number',
      value: json(trade(prefix, i(), { ts: pick(['yesterday', '12:00', { ms: 1 }]) })),
      codes: ['invalid_time'],
    }),
    () => ({
      kind: 'trade in the future',
      value: json(trade(prefix, i(), { ts: Date.now() + 10 * 86_400_000 })),
      codes: ['out_of_range'],
    }),
    () => ({
      kind: 'trade before the retention',
      value: json(
        trade(prefix, i(), { ts: pick([0, 946684800000, Date.now() - 200 * 86_400_000]) }),
      ),
      codes: ['out_of_range'],
    }),
    () => ({
      kind: 'size of the wrong type',
      value: json(trade(prefix, i(), { qty: { n: 1 } })),
      codes: ['invalid_value'],
    }),
  ];
  return Array.from({ length: n }, (_, k) => kinds[k % kinds.length]!());
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

const bytesOf = (b: Buffer | null | undefined) => (b ?? Buffer.alloc(0)).toString('hex');

describe('ETL worker > dead letters', () => {
  it('should dead-letter every bad message with its bytes, headers and reason while loading every good one', async () => {
    const seed = Date.now() % 1_000_000;
    console.log(`dead-letters: random seed ${seed}`);
    const random = rng(seed);
    const id = uid();
    const brokers = inject('kafkaBrokers');
    const db = await freshDatabase();
    const sensorTopic = `etl-test-dl-sensors-${id}`;
    const tradeTopic = `etl-test-dl-trades-${id}`;
    const sensorPipeline = `dl_sensors_${id}`;
    const tradePipeline = `dl_trades_${id}`;
    const group = `etl-test-dl-${id}`;
    const deadLetterTopic = `etl-test-dlq-${id}`;
    await disableSeedPipelines(db.pool);
    await copyPipeline(db.pool, { name: sensorPipeline, topics: [sensorTopic] });
    await copyPipeline(db.pool, {
      name: tradePipeline,
      topics: [tradeTopic],
      from: 'market_trades',
    });
    await createTopic(brokers, sensorTopic, 3);
    await createTopic(brokers, tradeTopic, 2);

    // the corpus: good and bad interleaved at random in the same partitions
    const series = sensorSeries({ prefix: `d${id}`, devices: 6, partitions: 3 });
    const GOOD_SENSORS = 900;
    const GOOD_TRADES = 400;
    type Draft = Omit<Sent, 'offset'>;
    const drafts: Draft[] = [];
    for (let seq = 0; seq < GOOD_SENSORS; seq++) {
      const r = sensorReading(series, seq);
      drafts.push({
        topic: sensorTopic,
        pipeline: sensorPipeline,
        partition: Math.floor(random() * 3),
        key: r.device_id,
        value: json(r),
        headers: { 'x-test-case': 'good', 'x-test-n': String(seq) },
        bad: null,
      });
    }
    for (const [n, bad] of badSensorReadings(random, 340, `x${id}`).entries()) {
      drafts.push({
        topic: sensorTopic,
        pipeline: sensorPipeline,
        partition: Math.floor(random() * 3),
        key: `bad-${n}`,
        value: bad.value,
        headers: { 'x-test-case': bad.kind, 'x-test-n': `bad-${n}`, 'trace-id': uid(8) },
        bad,
      });
    }
    for (let n = 0; n < GOOD_TRADES; n++) {
      drafts.push({
        topic: tradeTopic,
        pipeline: tradePipeline,
        partition: Math.floor(random() * 2),
        key: `${id}-SYM${n % 4}`,
        value: json(trade(`m${id}`, n)),
        headers: { 'x-test-case': 'good', 'x-test-n': String(n) },
        bad: null,
      });
    }
    for (const [n, bad] of badTrades(random, 220, `m${id}`).entries()) {
      drafts.push({
        topic: tradeTopic,
        pipeline: tradePipeline,
        partition: Math.floor(random() * 2),
        key: `bad-trade-${n}`,
        value: bad.value,
        headers: { 'x-test-case': bad.kind, 'x-test-n': `bad-${n}`, 'trace-id': uid(8) },
        bad,
      });
    }
    shuffle(drafts, random);

    const kafka = await producer(brokers);
    const sent: Sent[] = [];
    for (const topic of [sensorTopic, tradeTopic]) {
      const mine = drafts.filter((d) => d.topic === topic);
      const messages: Message[] = mine.map((d) => ({
        key: d.key,
        value: d.value,
        partition: d.partition,
        headers: d.headers,
      }));
      const offsets = await kafka.send(topic, messages);
      mine.forEach((d, i) => sent.push({ ...d, offset: offsets[i]! }));
    }
    const where = (m: { topic: string; partition: number; offset: number }) =>
      `${m.topic}:${m.partition}:${m.offset}`;
    const bad = new Map(sent.filter((m) => m.bad).map((m) => [where(m), m]));

    const worker = await startWorker({
      databaseUrl: db.url,
      brokers,
      groupId: group,
      deadLetterTopic,
      name: 'dead-letters',
      env: { ETL_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES), ETL_BATCH_MAX_ROWS: '200' },
    });
    for (const topic of [sensorTopic, tradeTopic]) {
      await waitForConsumed(db.pool, brokers, group, topic, { workers: [worker] });
    }

    // etl.dead_letters: exactly the bad messages, each once, with its code, reason and bytes
    const { rows } = await query<{
      source_topic: string;
      source_partition: number;
      source_offset: string;
      pipeline: string | null;
      error_code: string;
      reason: string;
      message_key: Buffer | null;
      message_value: Buffer | null;
      headers: Record<string, string>;
    }>(
      db.pool,
      sql`SELECT source_topic, source_partition, source_offset::text, pipeline, error_code, reason,
                 message_key, message_value, headers
            FROM etl.dead_letters`,
    );
    const recorded = new Map(
      rows.map((r) => [`${r.source_topic}:${r.source_partition}:${r.source_offset}`, r]),
    );
    expect(rows.length).toBe(recorded.size);
    expect([...recorded.keys()].sort()).toEqual([...bad.keys()].sort());
    const wrong: string[] = [];
    for (const [k, m] of bad) {
      const r = recorded.get(k)!;
      const problems = [
        !m.bad!.codes.includes(r.error_code) && `code ${r.error_code}, expected ${m.bad!.codes}`,
        !r.reason && 'no reason',
        r.pipeline !== m.pipeline && `pipeline ${r.pipeline}`,
        bytesOf(r.message_value) !== bytesOf(m.value) && 'value bytes differ',
        r.message_key?.toString() !== m.key && 'key differs',
        Object.entries(m.headers).some(([h, v]) => r.headers[h] !== v) && 'headers missing',
      ].filter(Boolean);
      if (problems.length > 0)
        wrong.push(`${m.bad!.kind} at ${k}: ${problems.join('; ')} (${r.reason})`);
    }
    expect(wrong).toEqual([]);

    // the dead-letter topic: the same, with the original key, bytes and headers, and where from / why
    const letters = await readTopic(brokers, deadLetterTopic, (ms) => {
      const distinct = new Set(
        ms.map(
          (m) =>
            `${m.headers[DLQ.sourceTopic]}:${m.headers[DLQ.sourcePartition]}:${m.headers[DLQ.sourceOffset]}`,
        ),
      );
      return distinct.size >= bad.size;
    });
    const published = new Map<string, (typeof letters)[number]>();
    for (const l of letters) {
      published.set(
        `${l.headers[DLQ.sourceTopic]}:${l.headers[DLQ.sourcePartition]}:${l.headers[DLQ.sourceOffset]}`,
        l,
      );
    }
    expect([...published.keys()].sort()).toEqual([...bad.keys()].sort());
    const wrongLetters: string[] = [];
    for (const [k, m] of bad) {
      const l = published.get(k)!;
      const r = recorded.get(k)!;
      const problems = [
        bytesOf(l.value) !== bytesOf(m.value) && 'value bytes differ',
        l.key?.toString() !== m.key && 'key differs',
        Object.entries(m.headers).some(([h, v]) => l.headers[h] !== v) &&
          'original headers missing',
        l.headers[DLQ.pipeline] !== m.pipeline && `pipeline header ${l.headers[DLQ.pipeline]}`,
        l.headers[DLQ.code] !== r.error_code && `code header ${l.headers[DLQ.code]}`,
        l.headers[DLQ.reason] !== r.reason && 'reason header differs from etl.dead_letters',
        !(Date.parse(l.headers[DLQ.failedAt] ?? '') > 0) && 'no failed-at header',
      ].filter(Boolean);
      if (problems.length > 0) wrongLetters.push(`${m.bad!.kind} at ${k}: ${problems.join('; ')}`);
    }
    expect(wrongLetters).toEqual([]);

    // every good message is loaded, exactly
    const want = expectedChecksum(series, 0, GOOD_SENSORS);
    const got = await loadedChecksum(db.pool, series);
    expect({ ...got, temperatureSum: 0 }).toEqual({ ...want, temperatureSum: 0 });
    expect(await sensorMismatches(db.pool, series)).toBe(0);
    const { rows: trades } = await query<{ n: string; px: string; notional_ok: boolean }>(
      db.pool,
      sql`SELECT count(*)::text AS n, sum(t.price)::text AS px,
                 bool_and(t.notional = t.price * t.size) AS notional_ok
            FROM public.market_trades t JOIN public.entities e ON e.id = t.entity_id
           WHERE e.kind = 'instrument' AND e.key LIKE ${sql.value(`m${id}-%`)}`,
    );
    let px = 0;
    for (let n = 0; n < GOOD_TRADES; n++) px += 100.25 + (n % 50);
    expect(Number(trades[0]!.n)).toBe(GOOD_TRADES);
    expect(Number(trades[0]!.px)).toBeCloseTo(px, 6);
    expect(trades[0]!.notional_ok).toBe(true);

    // and the bookkeeping: every message consumed once, every dead letter counted
    for (const topic of [sensorTopic, tradeTopic]) {
      const stored = [...(await storedOffsets(db.pool, group, topic)).values()];
      const mine = sent.filter((m) => m.topic === topic);
      expect(stored.reduce((n, o) => n + o.messages, 0)).toBe(mine.length);
      expect(stored.reduce((n, o) => n + o.dead_letters, 0)).toBe(mine.filter((m) => m.bad).length);
      expect(stored.reduce((n, o) => n + o.rows_loaded, 0)).toBe(mine.filter((m) => !m.bad).length);
    }
    expect(await worker.metric('etl_dead_letters_total')).toBe(bad.size);
  }, 180_000);

  it('should dead-letter several large messages of one partition in a row without stalling it', async () => {
    // each message is far below the broker's 1 MB limit, but together they are far above it: the
    // dead letters of one batch must not be published as one oversized request
    const id = uid();
    const brokers = inject('kafkaBrokers');
    const db = await freshDatabase();
    const topic = `etl-test-dl-large-${id}`;
    const pipeline = `dl_large_${id}`;
    const group = `etl-test-dl-large-${id}`;
    const deadLetterTopic = `etl-test-dlq-large-${id}`;
    await disableSeedPipelines(db.pool);
    await copyPipeline(db.pool, { name: pipeline, topics: [topic] });
    await createTopic(brokers, topic, 1);
    const series = sensorSeries({ prefix: `l${id}`, devices: 2, partitions: 1 });
    const LARGE = 8;
    const large: Message[] = Array.from({ length: LARGE }, (_, n) => ({
      key: 'one-key',
      // the last one is near the broker's 1 MB limit: its dead letter is cut to 768 KiB in the topic
      value: JSON.stringify({
        ...sensorReading(series, 0),
        padding: `${n}`.repeat(n === LARGE - 1 ? 1_000_000 : 300_000),
      }),
      partition: 0,
      headers: { 'x-test-n': String(n) },
    }));
    const kafka = await producer(brokers);
    // one message a request: each fits the broker's limit
    await kafka.send(topic, large, 1);
    await kafka.send(topic, sensorMessages(series, 0, 100));

    const worker = await startWorker({
      databaseUrl: db.url,
      brokers,
      groupId: group,
      deadLetterTopic,
      name: 'dead-letters-large',
      env: { ETL_MAX_MESSAGE_BYTES: '65536' },
    });
    await waitForConsumed(db.pool, brokers, group, topic, { workers: [worker], timeoutMs: 60_000 });
    const { rows } = await query<{ n: string; bytes: string }>(
      db.pool,
      sql`SELECT count(*)::text AS n, sum(length(message_value))::text AS bytes
            FROM etl.dead_letters WHERE source_topic = ${sql.value(topic)} AND error_code = 'oversized'`,
    );
    expect(Number(rows[0]!.n)).toBe(LARGE);
    expect(Number(rows[0]!.bytes)).toBe(
      large.reduce((n, m) => n + Buffer.byteLength(String(m.value)), 0),
    );
    expect((await loadedChecksum(db.pool, series)).rows).toBe(100);
    const letters = await readTopic(brokers, deadLetterTopic, (ms) => ms.length >= LARGE);
    expect(letters.map((l) => l.headers['x-test-n']).sort()).toEqual(
      large.map((m) => (m.headers as Record<string, string>)['x-test-n']).sort(),
    );
    for (const l of letters) {
      const original = Buffer.byteLength(String(large[Number(l.headers['x-test-n'])]!.value));
      if (original > 768 * 1024) {
        expect(l.value?.length).toBe(768 * 1024);
        expect(l.headers['x-streamsync-truncated-from']).toBe(String(original));
      } else {
        expect(l.value?.length).toBe(original);
        expect(l.headers['x-streamsync-truncated-from']).toBeUndefined();
      }
    }
  }, 120_000);
});
