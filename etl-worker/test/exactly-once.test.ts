/**
 * The worker against the real broker and Postgres: a plain load (values converted, derived fields,
 * entities, rollups, the change notification), then exactly once across repeated `kill -9`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeChangeNotice, DEFAULT_CHANGE_CHANNEL, query, sql } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import { rng } from '@streamsync/bench/fuzz/random.ts';
import {
  consumedCount,
  copyPipeline,
  createTopic,
  deviceKey,
  expectedChecksum,
  expectExactLoad,
  listen,
  loadedChecksum,
  producer,
  readTopic,
  rollupCount,
  rollupMismatches,
  sensorMessage,
  sensorMessages,
  sensorMismatches,
  sensorReading,
  sensorSeries,
  sensorSetup,
  spawnWorker,
  startWorker,
  storedOffsets,
  uid,
  useWorkerCleanup,
  waitForConsumed,
  workerFor,
  type WorkerProcess,
} from './harness.ts';

useWorkerCleanup();

describe('ETL worker > exactly once', () => {
  it('should load two series with converted units, derived fields, new entities, rollups and a change notification', async () => {
    const s = await sensorSetup({ devices: 2 });
    const { db, series } = s;
    const changes = await listen(db.url, DEFAULT_CHANGE_CHANNEL);
    const worker = await startWorker(workerFor(s, 'happy'));
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, sensorMessages(series, 0, 1000));

    await waitForConsumed(db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 1000);

    // the two sensors were unknown: created on first sight, one entity each
    const { rows: entities } = await query<{ id: string; key: string }>(
      db.pool,
      sql`SELECT id::text, key FROM public.entities
           WHERE kind = 'sensor' AND key LIKE ${sql.value(`${series.prefix}-%`)} ORDER BY key`,
    );
    expect(entities.map((e) => e.key)).toEqual([deviceKey(series, 0), deviceKey(series, 1)]);

    // one reading in full: seq 7 is sensor 1, second 3; 40 + 25.9 °F, humidity 91, 3007 mV
    const { rows: one } = await query<Record<string, number | string>>(
      db.pool,
      sql`SELECT e.key, (extract(epoch FROM r.ts) * 1000)::float8 AS ms, r.temperature, r.humidity,
                 r.pressure, r.battery, r.dew_point
            FROM public.sensor_readings r JOIN public.entities e ON e.id = r.entity_id
           WHERE e.key LIKE ${sql.value(`${series.prefix}-%`)} AND r.pressure = 7`,
    );
    expect(one).toHaveLength(1);
    const r = one[0]!;
    expect(r.key).toBe(deviceKey(series, 1));
    expect(r.ms).toBe(series.baseMs + 3000);
    expect(r.temperature).toBeCloseTo(((65.9 - 32) * 5) / 9, 10);
    expect(r.humidity).toBe(91);
    expect(r.battery).toBeCloseTo(3.007, 12);
    expect(r.dew_point).toBeCloseTo(((65.9 - 32) * 5) / 9 - (100 - 91) / 5, 10);

    // the engine is told which tables and series changed, after the commit
    const ids = entities.map((e) => Number(e.id)).sort();
    const parsed = await waitFor('a change notification naming the tables', () => {
      // what the engine reads: decoding also checks the version and the shape
      const all = changes.payloads.map((p) => decodeChangeNotice(p));
      return all.length > 0 && all.some((n) => n.tables.includes('public.entities')) ? all : null;
    });
    const tables = new Set(parsed.flatMap((n) => n.tables));
    for (const t of [
      'public.sensor_readings',
      'public.rollups_1m',
      'public.rollups_1h',
      'public.entities',
      'etl.consumer_offsets',
    ]) {
      expect(tables, t).toContain(t);
    }
    const changedSeries = new Set(parsed.flatMap((n) => n.series['public.sensor_readings'] ?? []));
    expect([...changedSeries].sort()).toEqual(ids);

    expect(await worker.metric('etl_rows_loaded_total', { pipeline: s.pipeline })).toBe(1000);
    expect(await worker.metric('etl_dead_letters_total')).toBe(0);

    const exit = await worker.stop();
    expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it('should load exactly once when the worker is killed with SIGKILL at random moments of a load', async () => {
    const N = 40_000;
    const KILLS = 6;
    const seed = Date.now() % 1_000_000;
    console.log(`exactly-once: random seed ${seed}`);
    const random = rng(seed);
    const s = await sensorSetup({ devices: 30 });
    const kafka = await producer(s.brokers);
    // every 400th message is followed by one that is not JSON: dead letters must be exactly once too
    const messages: Message[] = [];
    let bad = 0;
    for (let from = 0; from < N; from += 400) {
      messages.push(...sensorMessages(s.series, from, Math.min(N, from + 400)));
      messages.push({ key: `bad-${bad}`, value: `not json ${bad}`, partition: bad % 3 });
      bad++;
    }
    const offsets = await kafka.send(s.topic, messages);
    const badAt = new Set(
      messages.flatMap((m, i) =>
        m.value === null || String(m.value).startsWith('not json')
          ? [`${m.partition}:${offsets[i]}`]
          : [],
      ),
    );
    expect(badAt.size).toBe(bad);

    // small transactions, so that a kill lands between and inside many of them; a short session
    // so that the dead member leaves the group quickly and the next one gets the partitions
    const env = { ETL_BATCH_MAX_ROWS: '300', ETL_SESSION_TIMEOUT_MS: '6000' };
    const killedAt: number[] = [];
    let worker: WorkerProcess = await spawnWorker(workerFor(s, 'kill-0', env));
    for (let round = 0; round < KILLS; round++) {
      const target = Math.floor(
        (N * (round + 1)) / (KILLS + 2) + (random() * N) / (2 * (KILLS + 2)),
      );
      const w = worker;
      await waitFor(
        `progress past ${target} messages`,
        async () => (await consumedCount(s.db.pool, s.group, s.topic)) >= target,
        {
          timeoutMs: 90_000,
          intervalMs: 20,
          abort: () => (w.exit ? `worker ${w.exitDescription()}` : undefined),
        },
      );
      await sleep(random() * 100);
      const exit = await worker.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      const at = await consumedCount(s.db.pool, s.group, s.topic);
      killedAt.push(at);

      // at the instant of the crash the bookkeeping is whole: every consumed offset counted
      // once, every row loaded counted once and present
      const stored = [...(await storedOffsets(s.db.pool, s.group, s.topic)).values()];
      const { rows } = await query<{ n: string }>(
        s.db.pool,
        sql`SELECT count(*)::text AS n FROM public.sensor_readings r
              JOIN public.entities e ON e.id = r.entity_id
             WHERE e.key LIKE ${sql.value(`${s.series.prefix}-%`)}`,
      );
      const { rows: dls } = await query<{ n: string }>(
        s.db.pool,
        sql`SELECT count(*)::text AS n FROM etl.dead_letters WHERE source_topic = ${sql.value(s.topic)}`,
      );
      expect(stored.reduce((n, o) => n + o.messages, 0)).toBe(at);
      expect(stored.reduce((n, o) => n + o.rows_loaded, 0)).toBe(Number(rows[0]!.n));
      expect(stored.reduce((n, o) => n + o.dead_letters, 0)).toBe(Number(dls[0]!.n));
      expect(Number(rows[0]!.n) + Number(dls[0]!.n)).toBe(at);

      worker = await spawnWorker(workerFor(s, `kill-${round + 1}`, env));
    }
    console.log(`exactly-once: killed at ${killedAt.join(', ')} of ${messages.length} messages`);
    // every kill happened during the load, not after it
    expect(killedAt.every((n) => n < messages.length)).toBe(true);

    await worker.waitReady();
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, {
      workers: [worker],
      timeoutMs: 120_000,
    });
    await expectExactLoad(s, N, { deadLetters: bad });
    const { rows: recorded } = await query<{ at: string }>(
      s.db.pool,
      sql`SELECT source_partition || ':' || source_offset AS at FROM etl.dead_letters
           WHERE source_topic = ${sql.value(s.topic)}`,
    );
    expect(new Set(recorded.map((r) => r.at))).toEqual(badAt);
    // published at least once each (a crash between publishing and committing may repeat one)
    const letters = await readTopic(s.brokers, s.deadLetterTopic, (ms) => {
      const seen = new Set(
        ms.map(
          (m) =>
            `${m.headers['x-streamsync-source-partition']}:${m.headers['x-streamsync-source-offset']}`,
        ),
      );
      return seen.size >= badAt.size;
    });
    const published = new Set(
      letters.map(
        (m) =>
          `${m.headers['x-streamsync-source-partition']}:${m.headers['x-streamsync-source-offset']}`,
      ),
    );
    expect(published).toEqual(badAt);
  }, 300_000);

  it('should keep the first point of a duplicated key (ignore) or the last (update), with rollups counting it once', async () => {
    // the same natural key sent twice, with other values: in the same batch (each duplicate right
    // after its original) and in a later batch (duplicates of points already stored)
    const s = await sensorSetup({ devices: 5 });
    const id = uid();
    const updateTopic = `etl-test-upsert-${id}`;
    const updatePipeline = `upsert_${id}`;
    const upserts = sensorSeries({ prefix: `u${id}`, devices: 5 });
    await createTopic(s.brokers, updateTopic, 3);
    await copyPipeline(s.db.pool, { name: updatePipeline, topics: [updateTopic] });
    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines SET on_duplicate = 'update' WHERE name = ${sql.value(updatePipeline)}`,
    );
    /** reading seq again, one °C warmer and one point more humid */
    const duplicate = (series: typeof upserts, seq: number): Message => {
      const m = sensorMessage(series, seq);
      const r = sensorReading(series, seq);
      return {
        ...m,
        value: JSON.stringify({
          ...r,
          temp_f: r.temp_f + 1.8,
          humidity: (r.humidity + 1) % 101,
        }),
      };
    };
    const messages = (series: typeof upserts) => [
      ...sensorMessages(series, 0, 1000),
      ...Array.from({ length: 500 }, (_, seq) => duplicate(series, seq)),
      ...Array.from({ length: 500 }, (_, k) => [
        sensorMessage(series, 1000 + k),
        duplicate(series, 1000 + k),
      ]).flat(),
    ];
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, messages(s.series));
    await kafka.send(updateTopic, messages(upserts));
    const worker = await startWorker(workerFor(s, 'duplicates'));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await waitForConsumed(s.db.pool, s.brokers, s.group, updateTopic, { workers: [worker] });

    // ignore: the first point stays, as if the duplicates were never sent
    const want = expectedChecksum(s.series, 0, 1500);
    const got = await loadedChecksum(s.db.pool, s.series);
    expect({ ...got, temperatureSum: 0 }).toEqual({ ...want, temperatureSum: 0 });
    expect(await sensorMismatches(s.db.pool, s.series)).toBe(0);
    expect(await rollupCount(s.db.pool, s.series, 'rollups_1m')).toBe(1500);
    expect(await rollupMismatches(s.db.pool, s.series, 'rollups_1m')).toBe(0);
    expect(await rollupMismatches(s.db.pool, s.series, 'rollups_1h')).toBe(0);

    // update: the last point wins, and the rollups are those of the stored points
    const up = await loadedChecksum(s.db.pool, upserts);
    expect(up).toMatchObject({ rows: 1500, distinctSeq: 1500, seqSum: want.seqSum });
    const { rows } = await query<{ changed: string; kept: string; wrong: string }>(
      s.db.pool,
      sql`SELECT count(*) FILTER (WHERE dup AND ok)::text AS changed,
                 count(*) FILTER (WHERE NOT dup AND ok)::text AS kept,
                 count(*) FILTER (WHERE NOT ok)::text AS wrong
            FROM (SELECT (r.pressure < 500 OR r.pressure >= 1000) AS dup,
                         r.humidity = CASE WHEN r.pressure < 500 OR r.pressure >= 1000
                                           THEN ((r.pressure::bigint * 13) % 101 + 1) % 101
                                           ELSE (r.pressure::bigint * 13) % 101 END AS ok
                    FROM public.sensor_readings r JOIN public.entities e ON e.id = r.entity_id
                   WHERE e.key LIKE ${sql.value(`u${id}-%`)}) AS x`,
    );
    expect(rows[0]).toEqual({ changed: '1000', kept: '500', wrong: '0' });
    expect(await rollupCount(s.db.pool, upserts, 'rollups_1m')).toBe(1500);
    expect(await rollupCount(s.db.pool, upserts, 'rollups_1h')).toBe(1500);
    expect(await rollupMismatches(s.db.pool, upserts, 'rollups_1m')).toBe(0);
    expect(await rollupMismatches(s.db.pool, upserts, 'rollups_1h')).toBe(0);
  });
});
