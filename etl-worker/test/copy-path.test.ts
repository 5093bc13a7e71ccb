/**
 * Issue 18.3: rows go in with COPY FROM STDIN where no key is already stored, and every guarantee
 * of the INSERT … ON CONFLICT path holds:
 *
 * - COPY stores every loadable type exactly as the unnest() path does (binary and text format),
 *   and a value with no exact binary form leaves the rows to the unnest() path;
 * - a key already stored, or twice in one chunk, fails the COPY (23505): it is undone and the
 *   conflict-aware path stores only what is new, rollups counting each point once;
 * - a value Postgres refuses inside the COPY is isolated to its message (dead letter with the
 *   database's reason) and the rest of the chunk loads.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { query, sql } from '@streamsync/database';
import type { CompiledPipeline } from '../src/pipeline/types.ts';
import { copyFormat, copyRows, encodeRows } from '../src/load/copy-rows.ts';
import { insertRows, type RowArrays } from '../src/load/insert-sql.ts';
import {
  expectedChecksum,
  freshDatabase,
  highWatermarks,
  loadedChecksum,
  producer,
  rollupCount,
  rollupMismatches,
  sensorMessages,
  sensorMismatches,
  sensorReading,
  sensorSetup,
  startWorker,
  storedOffsets,
  uid,
  useWorkerCleanup,
  waitForConsumed,
  workerFor,
} from './harness.ts';

useWorkerCleanup();

/** A shorter retry ceiling than the test default: the refused-row tests wait on retries. */
const FAST_RETRY = { ETL_RETRY_MAX_MS: '500' };

/** Only what copy-rows.ts and insert-sql.ts read of a pipeline. */
function pipelineFor(
  table: string,
  columns: Array<{ name: string; sqlType: string }>,
): CompiledPipeline {
  return {
    name: table,
    version: 1,
    topics: [],
    schema: 'public',
    table,
    timeColumn: 'ts',
    entityKind: 'thing',
    columns,
    keyColumns: ['entity_id', 'ts'],
    rollupColumns: [],
    onDuplicate: 'ignore',
    retentionS: null,
    decode: () => ({ kind: 'skip', reason: 'not used' }),
  };
}

// values as the coercers hand them to the loader, with the edges of each type
const VALUES: Record<string, Array<number | string | boolean | null>> = {
  float8: [1.5, -0, 1.7976931348623157e308, 5e-324, 0.1, NaN, Infinity, -Infinity, null],
  int2: [-32768, 32767, 0, -1, 7, 8, 9, 10, null],
  int4: [-2147483648, 2147483647, 0, -1, 7, 8, 9, 10, null],
  int8: [
    9007199254740991,
    -9007199254740991,
    '9223372036854775807',
    '-9223372036854775808',
    0,
    -1,
    2 ** 40,
    -(2 ** 40),
    null,
  ],
  bool: [true, false, true, false, true, false, true, false, null],
  text: ['tab\there', 'new\nline', 'back\\slash', 'ünïcødé 🎉', '', '\\N', 'cr\r', '\\.', null],
  jsonb: ['{"a":[1,"\\t",{"b":null}]}', '"x"', '1', 'null', '[]', '{}', 'true', '"é"', null],
  json: ['{"k": 1,  "dup":1, "dup":2}', '"x"', '1', 'null', '[]', '{}', 'true', '"é"', null],
  numeric: ['12345.678901234', '-0.00000001', '0', '1e5', '99', '-7', '3.14', '2', null],
  float4: [1.5, 3.4e38, -0, 0.1, 1e-45, 7, 8, 9, null],
  timestamptz: [
    '2026-11-27T10:00:00.123456Z',
    '1970-01-01T00:00:00.000000Z',
    '1999-12-31T23:59:59.999999Z',
    '2000-01-01T00:00:00.000001Z',
    '2026-11-27T10:00:00.000000Z',
    '2026-11-27T10:00:00.000001Z',
    '2026-11-27T10:00:00.000002Z',
    '2026-11-27T10:00:00.000003Z',
    null,
  ],
};
function rowsOf(types: string[]): RowArrays {
  const n = VALUES.float8!.length;
  return {
    // ids past 2^32 and times before 2000 (negative in a binary timestamptz) and after
    entityIds: Array.from({ length: n }, (_, i) => 2 ** 33 + i),
    tsUs: Array.from({ length: n }, (_, i) => 946_684_800_000_000 + (i - 4) * 86_400_000_000_123),
    columns: types.map((t) => VALUES[t]!),
  };
}

describe('ETL worker > COPY path', () => {
  it('should store every loadable type with COPY exactly as the unnest() path does, in binary and text format', async () => {
    const db = await freshDatabase();
    for (const types of [
      ['float8', 'int2', 'int4', 'int8', 'bool', 'text', 'jsonb', 'json'],
      Object.keys(VALUES),
    ]) {
      const tables = [`copy_${uid()}`, `unnest_${uid()}`];
      for (const t of tables) {
        await query(
          db.pool,
          sql`CREATE TABLE ${sql.ident('public', t)} (entity_id bigint NOT NULL, ts timestamptz NOT NULL,
                ${sql.join(
                  types.map((c) => sql`${sql.ident(`c_${c}`)} ${sql.ident(c)}`),
                  ', ',
                )}, PRIMARY KEY (entity_id, ts))`,
        );
      }
      const columns = types.map((c) => ({ name: `c_${c}`, sqlType: c }));
      const [copyP, unnestP] = tables.map((t) => pipelineFor(t, columns)) as [
        CompiledPipeline,
        CompiledPipeline,
      ];
      const rows = rowsOf(types);
      const encoded = encodeRows(copyP, rows);
      expect(encoded?.format).toBe(types.length === 8 ? 'binary' : 'text');
      const client = await db.pool.connect();
      try {
        expect(await copyRows(client, copyP, encoded!)).toBe(rows.tsUs.length);
      } finally {
        client.release();
      }
      await query(db.pool, insertRows(unnestP, rows));
      // the text of every stored value, row by row: -0, NaN, float extremes and json text included
      const { rows: diff } = await query<{ side: string; r: string }>(
        db.pool,
        sql`WITH a AS (SELECT (t.*)::text AS r FROM ${sql.ident('public', tables[0]!)} t),
                 b AS (SELECT (t.*)::text AS r FROM ${sql.ident('public', tables[1]!)} t)
            (SELECT 'copy only' AS side, r FROM a EXCEPT SELECT 'copy only', r FROM b)
            UNION ALL
            (SELECT 'unnest only', r FROM b EXCEPT SELECT 'unnest only', r FROM a)`,
      );
      expect(diff).toEqual([]);
      const { rows: count } = await query<{ n: number }>(
        db.pool,
        sql`SELECT count(*)::int AS n FROM ${sql.ident('public', tables[0]!)}`,
      );
      expect(count[0]!.n).toBe(rows.tsUs.length);
    }
  }, 60_000);

  it('should leave rows with a value that has no exact binary form to the unnest() path', () => {
    const p = pipelineFor('t', [{ name: 'n', sqlType: 'int4' }]);
    expect(copyFormat(p)).toBe('binary');
    const rows = (v: number | string) => ({ entityIds: [1], tsUs: [0], columns: [[v]] });
    expect(encodeRows(p, rows(7))?.format).toBe('binary');
    // a derived float going into an integer column: Postgres must refuse it, not the encoder round it
    expect(encodeRows(p, rows(1.5))).toBeNull();
    expect(encodeRows(p, rows(2 ** 31))).toBeNull();
  });

  it('should fall back to the conflict-aware path when a key is already stored or twice in a chunk, storing and counting each point once', async () => {
    const s = await sensorSetup({ partitions: 1 });
    const worker = await startWorker(workerFor(s, 'dup', FAST_RETRY));
    const kafka = await producer(s.brokers);
    const one = (m: Message) => ({ ...m, partition: 0 });
    await kafka.send(s.topic, sensorMessages(s.series, 0, 200).map(one));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    expect(await worker.metric('etl_row_sets_total', { path: 'copy' })).toBeGreaterThan(0);
    expect(await worker.metric('etl_row_sets_total', { path: 'copy_conflict' })).toBe(0);

    // a redelivery of stored points (new offsets, same keys) beside new ones, and one point twice
    // in the same chunk: COPY fails on the key, the INSERT … ON CONFLICT path keeps the first
    const again = [
      ...sensorMessages(s.series, 100, 250),
      ...sensorMessages(s.series, 260, 261),
      ...sensorMessages(s.series, 250, 300),
    ];
    await kafka.send(s.topic, again.map(one));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    expect(await worker.metric('etl_row_sets_total', { path: 'copy_conflict' })).toBeGreaterThan(0);

    const want = expectedChecksum(s.series, 0, 300);
    const got = await loadedChecksum(s.db.pool, s.series);
    expect({ ...got, temperatureSum: 0 }).toEqual({ ...want, temperatureSum: 0 });
    expect(await sensorMismatches(s.db.pool, s.series)).toBe(0);
    expect(await rollupCount(s.db.pool, s.series, 'rollups_1m')).toBe(300);
    expect(await rollupCount(s.db.pool, s.series, 'rollups_1h')).toBe(300);
    expect(await rollupMismatches(s.db.pool, s.series, 'rollups_1m')).toBe(0);
    expect(await rollupMismatches(s.db.pool, s.series, 'rollups_1h')).toBe(0);
    const stored = (await storedOffsets(s.db.pool, s.group, s.topic)).get(0)!;
    expect(stored.next_offset).toBe((await highWatermarks(s.brokers, s.topic)).get(0));
    expect(stored.messages).toBe(200 + again.length);
    expect(stored.rows_loaded).toBe(300);
    expect(stored.dead_letters).toBe(0);
  }, 120_000);

  it('should isolate a value Postgres refuses inside the COPY to its message, and load the rest of the chunk', async () => {
    const s = await sensorSetup({ partitions: 1 });
    await query(
      s.db.pool,
      sql`ALTER TABLE public.sensor_readings ADD CONSTRAINT ${sql.ident(`battery_${uid()}`)}
            CHECK (battery IS NULL OR battery < 100)`,
    );
    const worker = await startWorker(
      workerFor(s, 'refused', { ...FAST_RETRY, ETL_BATCH_MAX_ROWS: '1000' }),
    );
    const messages = sensorMessages(s.series, 0, 300).map((m) => ({ ...m, partition: 0 }));
    // 200 V: a valid reading only the table's CHECK refuses (the decoder cannot know)
    const poisoned = new Set([37, 211]);
    for (const i of poisoned) {
      messages[i] = {
        ...messages[i]!,
        value: JSON.stringify({ ...sensorReading(s.series, i), battery_mv: 200_000 }),
      };
    }
    const kafka = await producer(s.brokers);
    const offsets = await kafka.send(s.topic, messages);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });

    const { rows: dls } = await query<{ offset: string; code: string; reason: string }>(
      s.db.pool,
      sql`SELECT source_offset::text AS offset, error_code AS code, reason FROM etl.dead_letters
           WHERE source_topic = ${sql.value(s.topic)} ORDER BY source_offset`,
    );
    expect(dls.map((d) => Number(d.offset))).toEqual([...poisoned].map((i) => offsets[i]));
    for (const d of dls) {
      expect(d.code).toBe('rejected_by_database');
      expect(d.reason).toMatch(/^23514: .*battery_/);
    }
    const got = await loadedChecksum(s.db.pool, s.series);
    expect(got.rows).toBe(298);
    expect(got.distinctSeq).toBe(298);
    expect(await rollupCount(s.db.pool, s.series, 'rollups_1m')).toBe(298);
    expect(await rollupMismatches(s.db.pool, s.series, 'rollups_1m')).toBe(0);
    expect(await worker.metric('etl_row_sets_total', { path: 'copy' })).toBeGreaterThan(0);
    expect(await worker.metric('etl_chunk_splits_total')).toBeGreaterThan(0);
    const stored = (await storedOffsets(s.db.pool, s.group, s.topic)).get(0)!;
    expect(stored.rows_loaded).toBe(298);
    expect(stored.dead_letters).toBe(2);
  }, 120_000);
});
