/**
 * Issue 11: no message, and no failure, takes a partition down or hides.
 *
 * - Entity keys holding NUL or a lone surrogate (which made the worker retry one chunk forever)
 *   are dead letters, refused up front; the partition goes on.
 * - Messages that only Postgres refuses — in entity creation, in the insert, in the rollups, in
 *   alert evaluation — in the middle of a chunk: the chunk is split until they are alone, each is
 *   a dead letter with the database's reason, every other message of the chunk is loaded once.
 * - Transient failures (a lock held past the statement timeout, connections terminated) are
 *   retried: nothing lost, nothing dead-lettered.
 * - A permanent failure that is not a message's (an audit trigger whose grant was revoked) pauses
 *   that pipeline only; the stall shows in /readyz (partition, pipeline, last error), in the
 *   metrics and in etl.consumer_offsets within seconds, with the lag measured against the broker;
 *   once the grant is back the backlog loads exactly once and the stall clears.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Message } from 'kafkajs';
import pg from 'pg';
import { query, sql } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import {
  expectExactLoad,
  highWatermarks,
  meterMessages,
  meterRows,
  meterWant,
  onCleanup,
  producer,
  sensorMessages,
  sensorReading,
  sensorSetup,
  startWorker,
  storedOffsets,
  uid,
  useWorkerCleanup,
  waitForConsumed,
  workerFor,
  abortOn,
  meterPipeline,
  type SensorSetup,
} from './harness.ts';

useWorkerCleanup();

/** A shorter retry ceiling than the test default: the tests here wait on retries. */
const FAST_RETRY = { ETL_RETRY_MAX_MS: '500' };

/** Readings of the series, with `bad` messages put in at the given positions (one partition). */
function interleave(good: Message[], bad: Array<{ at: number; message: Message }>): Message[] {
  const out = [...good];
  for (const b of [...bad].sort((x, y) => y.at - x.at)) out.splice(b.at, 0, b.message);
  return out.map((m) => ({ ...m, partition: 0 }));
}

async function deadLetters(s: SensorSetup, topic = s.topic) {
  const { rows } = await query<{ offset: string; code: string; reason: string; pipeline: string }>(
    s.db.pool,
    sql`SELECT source_offset::text AS offset, error_code AS code, reason, pipeline
          FROM etl.dead_letters WHERE source_topic = ${sql.value(topic)}
         ORDER BY source_offset`,
  );
  return rows.map((r) => ({ ...r, offset: Number(r.offset) }));
}

describe('ETL worker > hostile input and failures', () => {
  it('should dead-letter entity keys holding NUL or a lone surrogate up front, and go on', async () => {
    const s = await sensorSetup({ partitions: 1 });
    const worker = await startWorker(workerFor(s, 'keys', FAST_RETRY));
    const good = sensorMessages(s.series, 0, 300);
    const poison = (at: number, device_id: string) => ({
      at,
      message: {
        key: 'poison',
        value: JSON.stringify({ ...sensorReading(s.series, 0), device_id }),
      },
    });
    const bad = [
      poison(40, 'dev-\u0000x'),
      poison(41, 'dev-\ud800'),
      poison(150, '\udfffdev'),
      poison(151, 'dev-\u001b[31m'),
    ];
    const kafka = await producer(s.brokers);
    const offsets = await kafka.send(s.topic, interleave(good, bad));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 300, { deadLetters: 4 });
    const dls = await deadLetters(s);
    expect(dls.map((d) => d.offset)).toEqual([40, 42, 152, 154].map((i) => offsets[i]));
    expect(dls.map((d) => d.code)).toEqual(Array(4).fill('invalid_value'));
    expect(dls[0]!.reason).toMatch(/entity key contains NUL/);
    expect(dls[1]!.reason).toMatch(/entity key contains a lone UTF-16 surrogate \(\\ud800\)/);
    expect(dls[2]!.reason).toMatch(/lone UTF-16 surrogate \(\\udfff\)/);
    expect(dls[3]!.reason).toMatch(/control character \\u001b/);
    const r = await worker.readyz();
    expect(r?.httpStatus).toBe(200);
    expect(r?.stalled).toEqual([]);
  }, 120_000);

  it('should split a chunk down to the messages Postgres refuses anywhere in the transaction, and load the rest once', async () => {
    const s = await sensorSetup({ partitions: 1 });
    const id = uid();
    // refusals no decoder can foresee, one in each step of the batch transaction
    await query(
      s.db.pool,
      sql`ALTER TABLE public.entities ADD CONSTRAINT ${sql.ident(`no_poison_${id}`)}
            CHECK (key NOT LIKE '%-poison-%') NOT VALID`,
    );
    await query(
      s.db.pool,
      sql`ALTER TABLE public.sensor_readings ADD CONSTRAINT ${sql.ident(`battery_${id}`)}
            CHECK (battery IS NULL OR battery < 100)`,
    );
    await query(
      s.db.pool,
      sql`ALTER TABLE public.rollups_1m ADD CONSTRAINT ${sql.ident(`rollup_${id}`)}
            CHECK (metric <> 'temperature' OR max < 1000)`,
    );
    await query(
      s.db.pool,
      sql`INSERT INTO public.alert_rules (name, stream, metric, op, threshold, for_seconds)
          VALUES ('fuzz: humid', 'sensor_readings', 'humidity', 'above', 150, 0)`,
    );
    await query(
      s.db.pool,
      sql`ALTER TABLE public.alerts ADD CONSTRAINT ${sql.ident(`alert_${id}`)}
            CHECK (fired_value < 1000) NOT VALID`,
    );
    const worker = await startWorker(
      workerFor(s, 'split', { ...FAST_RETRY, ETL_BATCH_MAX_ROWS: '500' }),
    );
    const base = sensorReading(s.series, 0);
    const poison = (at: number, extra: Record<string, unknown>) => ({
      at,
      message: {
        key: 'poison',
        value: JSON.stringify({ ...base, device_id: `q${id}-x-${at}`, ...extra }),
      },
    });
    const bad = [
      poison(10, { device_id: `q${id}-poison-1` }), // entity creation
      poison(250, { battery_mv: 150_000 }), // the insert (150 V)
      poison(251, { temp_f: 5000 }), // the rollups (2760 °C)
      poison(600, { humidity: 5000 }), // alert evaluation
      poison(601, { device_id: `q${id}-poison-2` }),
    ];
    const kafka = await producer(s.brokers);
    const offsets = await kafka.send(s.topic, interleave(sensorMessages(s.series, 0, 1000), bad));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 1000, { deadLetters: 5 });
    const dls = await deadLetters(s);
    expect(dls.map((d) => d.offset)).toEqual([10, 251, 253, 603, 605].map((i) => offsets[i]));
    expect(dls.map((d) => d.code)).toEqual(Array(5).fill('rejected_by_database'));
    expect(dls.map((d) => d.pipeline)).toEqual(Array(5).fill(s.pipeline));
    expect(dls[0]!.reason).toMatch(new RegExp(`^23514: .*no_poison_${id}`));
    expect(dls[1]!.reason).toMatch(new RegExp(`^23514: .*battery_${id}`));
    expect(dls[2]!.reason).toMatch(new RegExp(`^23514: .*rollup_${id}`));
    expect(dls[3]!.reason).toMatch(new RegExp(`^23514: .*alert_${id}`));
    // none of the refused points is stored, nor counted in a rollup
    const { rows } = await query<{ n: string }>(
      s.db.pool,
      sql`SELECT count(*)::text AS n FROM public.entities WHERE key LIKE ${sql.value(`q${id}-%`)}`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await worker.metric('etl_chunk_splits_total')).toBeGreaterThan(0);
    expect(await worker.metric('etl_dead_letters_total', { code: 'rejected_by_database' })).toBe(5);
  }, 120_000);

  it('should store points near the largest double, their rollup sums saturating instead of failing', async () => {
    // found by bench/fuzz/kafka.ts: two valid points overflowed their bucket's float8 sum (22003),
    // and the second was dead-lettered
    const s = await sensorSetup({ partitions: 1 });
    const id = uid();
    const worker = await startWorker(workerFor(s, 'extreme', FAST_RETRY));
    const base = Date.now() - 3_600_000;
    const at = new Date(base - (base % 60_000)).getTime();
    const reading = (n: number, humidity: number) => ({
      key: 'extreme',
      partition: 0,
      value: JSON.stringify({
        ...sensorReading(s.series, 0),
        device_id: `z${id}-big`,
        time: new Date(at + n * 1000).toISOString(),
        humidity,
      }),
    });
    const kafka = await producer(s.brokers);
    const first = [reading(0, 1.7e308), reading(1, 1.7e308), reading(2, -1e308)];
    await kafka.send(s.topic, first);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    // the same points again with one more (the insert then goes the way of duplicates)
    await kafka.send(s.topic, [...first, reading(3, 1.7e308)]);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    expect(await deadLetters(s)).toEqual([]);
    const { rows } = await query<{ n: string; count: string; sum: number; max: number }>(
      s.db.pool,
      sql`SELECT (SELECT count(*) FROM public.sensor_readings r JOIN public.entities e
                   ON e.id = r.entity_id WHERE e.key = ${sql.value(`z${id}-big`)})::text AS n,
                 ro.count::text, ro.sum, ro.max
            FROM public.rollups_1m ro JOIN public.entities e ON e.id = ro.entity_id
           WHERE e.key = ${sql.value(`z${id}-big`)} AND ro.metric = 'humidity'`,
    );
    expect(rows).toEqual([{ n: '4', count: '4', sum: Infinity, max: 1.7e308 }]);
  }, 120_000);

  it('should retry a lock held past the statement timeout and terminated connections, losing and dead-lettering nothing', async () => {
    const s = await sensorSetup();
    const worker = await startWorker(
      workerFor(s, 'transient', {
        ...FAST_RETRY,
        PG_STATEMENT_TIMEOUT_MS: '1000',
        ETL_BATCH_MAX_ROWS: '200',
      }),
    );
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, sensorMessages(s.series, 0, 300));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });

    // a migration holding the table: every write times out (57014) until it lets go
    const locker = new pg.Client({ connectionString: s.db.url });
    await locker.connect();
    onCleanup(() => locker.end().catch(() => {}));
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE public.sensor_readings IN ACCESS EXCLUSIVE MODE');
    await kafka.send(s.topic, sensorMessages(s.series, 300, 1500));
    await waitFor(
      'a retried statement timeout',
      async () => (await worker.metric('etl_retries_total', { kind: 'postgres' })) > 0,
      { timeoutMs: 30_000, abort: abortOn(worker) },
    );
    await new Promise((r) => setTimeout(r, 2500));
    await locker.query('COMMIT');

    // an operator terminating the worker's sessions mid-load (57P01)
    await kafka.send(s.topic, sensorMessages(s.series, 1500, 3000));
    for (let i = 0; i < 3; i++) {
      await query(
        s.db.pool,
        sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'streamsync-etl'`,
      );
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 3000);
    expect(await deadLetters(s)).toEqual([]);
    expect(worker.exit).toBeNull();
  }, 150_000);

  it('should pause only the pipeline whose grant was revoked, show the stall within seconds, and load its backlog once the grant is back', async () => {
    const s = await sensorSetup();
    const { id, table, name, topic } = await meterPipeline(s, { partitions: 1 });
    const auditor = `etl_test_auditor_${id}`;
    // an audit trigger running as a role of its own: the grant it needs is what goes away
    await query(s.db.pool, sql`CREATE ROLE ${sql.ident(auditor)} NOLOGIN`);
    onCleanup(async () => {
      // roles belong to the server: drop the database (what the role owns) first
      await s.db.drop();
      const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
      await admin.connect();
      try {
        await query(admin, sql`DROP ROLE IF EXISTS ${sql.ident(auditor)}`);
      } finally {
        await admin.end();
      }
    });
    // the database is this test's own: fixed names
    await query(s.db.pool, sql`CREATE TABLE public.audit_log (ts timestamptz)`);
    await query(s.db.pool, sql`GRANT INSERT ON public.audit_log TO ${sql.ident(auditor)}`);
    await query(
      s.db.pool,
      sql`CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS
          $$BEGIN INSERT INTO public.audit_log VALUES (NEW.ts); RETURN NEW; END$$`,
    );
    await query(s.db.pool, sql`ALTER FUNCTION public.audit() OWNER TO ${sql.ident(auditor)}`);
    await query(
      s.db.pool,
      sql`CREATE TRIGGER audit BEFORE INSERT ON ${sql.ident('public', table)}
            FOR EACH ROW EXECUTE FUNCTION public.audit()`,
    );
    const worker = await startWorker(
      workerFor(s, 'revoked', { ...FAST_RETRY, ETL_STALL_AFTER_MS: '2000' }),
    );
    const kafka = await producer(s.brokers);
    const prefix = `m${id}`;
    await kafka.send(topic, meterMessages(prefix, 0, 100));
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });

    await query(s.db.pool, sql`REVOKE INSERT ON public.audit_log FROM ${sql.ident(auditor)}`);
    await kafka.send(topic, meterMessages(prefix, 100, 300));
    await kafka.send(s.topic, sensorMessages(s.series, 0, 600));
    // the other pipeline is not held up
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 600);

    const t0 = Date.now();
    const stalled = await waitFor(
      'the stall in /readyz',
      async () => {
        const r = await worker.readyz();
        const st = (r?.stalled ?? []) as Array<Record<string, unknown>>;
        return r && r.httpStatus === 503 && st.length > 0 ? { r, st } : null;
      },
      { timeoutMs: 20_000, intervalMs: 200, abort: abortOn(worker) },
    );
    // the stall time (2 s) plus at most two checks
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stalled.st).toEqual([
      expect.objectContaining({
        topic,
        partition: 0,
        pipelines: [name],
        behind: 200,
        lastError: expect.stringMatching(/^42501: permission denied for table audit_log/),
      }),
    ]);
    expect((stalled.r.waiting as Record<string, string>)[name]).toMatch(/^42501/);
    expect(await worker.metric('etl_partition_stalled', { topic, pipeline: name })).toBe(1);
    expect(await worker.metric('etl_stalled_partitions')).toBe(1);
    expect(await worker.metric('etl_consumer_lag', { topic })).toBe(200);
    expect(await worker.metric('etl_pipeline_paused', { pipeline: name })).toBe(1);
    // what the dashboard reads: the broker's high watermark, when it last moved, and why
    const row = await waitFor(
      'the stall recorded in etl.consumer_offsets',
      async () => {
        const { rows } = await query<{
          next_offset: string;
          high_watermark: string;
          stalled_since: Date | null;
          last_error: string | null;
        }>(
          s.db.pool,
          sql`SELECT next_offset::text, high_watermark::text, stalled_since, last_error
                FROM etl.consumer_offsets
               WHERE consumer_group = ${sql.value(s.group)} AND topic = ${sql.value(topic)}`,
        );
        return rows[0]?.stalled_since ? rows[0] : null;
      },
      { timeoutMs: 15_000, abort: abortOn(worker) },
    );
    expect(Number(row.next_offset)).toBe(100);
    expect(Number(row.high_watermark)).toBe((await highWatermarks(s.brokers, topic)).get(0));
    expect(row.last_error).toMatch(/^42501: permission denied/);
    // not the data's fault: nothing was dead-lettered
    expect(await deadLetters(s, topic)).toEqual([]);
    expect(await meterRows(s.db.pool, table)).toEqual(meterWant(0, 100));

    await query(s.db.pool, sql`GRANT INSERT ON public.audit_log TO ${sql.ident(auditor)}`);
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });
    expect(await meterRows(s.db.pool, table)).toEqual(meterWant(0, 300));
    const stored = (await storedOffsets(s.db.pool, s.group, topic)).get(0)!;
    expect([stored.messages, stored.rows_loaded, stored.dead_letters]).toEqual([300, 300, 0]);
    await waitFor(
      'the stall cleared',
      async () => {
        const r = await worker.readyz();
        return r?.httpStatus === 200 && (r.stalled as unknown[]).length === 0 ? r : null;
      },
      { timeoutMs: 15_000, abort: abortOn(worker) },
    );
    expect(await worker.metric('etl_partition_stalled', { topic })).toBe(0);
    const { rows } = await query<{ stalled_since: Date | null; last_error: string | null }>(
      s.db.pool,
      sql`SELECT stalled_since, last_error FROM etl.consumer_offsets
           WHERE consumer_group = ${sql.value(s.group)} AND topic = ${sql.value(topic)}`,
    );
    expect(rows).toEqual([{ stalled_since: null, last_error: null }]);
  }, 150_000);
});
