/**
 * Pipelines are data, and the worker follows them while it runs: a pipeline added with an INSERT
 * starts loading, a bad declaration is reported (key and reason) while the others load, a disabled
 * pipeline stops and resumes where it stopped, and a pipeline whose table breaks waits without
 * holding up the others, then loads its backlog exactly once once the table is repaired.
 */
import { describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import {
  consumedCount,
  copyPipeline,
  expectExactLoad,
  producer,
  sensorMessages,
  sensorSeries,
  sensorSetup,
  startWorker,
  uid,
  useWorkerCleanup,
  waitForConsumed,
  withAdmin,
  createTopic,
  expectedChecksum,
  loadedChecksum,
  createMeterTable,
  meterMessages,
  meterRows,
  meterWant,
  workerFor,
  abortOn,
  meterPipeline,
  type WorkerProcess,
} from './harness.ts';

useWorkerCleanup();

// the tests wait on the worker noticing declarations and retrying: both within a second
const WORKER_ENV = { ETL_PIPELINE_POLL_MS: '1000', ETL_RETRY_MAX_MS: '1000' };

async function readyz(w: WorkerProcess) {
  const r = await w.readyz();
  if (!r) throw new Error('no answer from /readyz');
  return r as Record<string, unknown> & {
    httpStatus: number;
    pipelines: string[];
    disabled: string[];
    rejected: Array<{ pipeline: string; key: string; reason: string }>;
    waiting: Record<string, string>;
  };
}

describe('ETL worker > pipelines at run time', () => {
  it('should start loading a pipeline inserted while it runs, without a restart', async () => {
    const s = await sensorSetup();
    const worker = await startWorker(workerFor(s, 'added', WORKER_ENV));
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, sensorMessages(s.series, 0, 300));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });

    const { id, table, name, topic } = await meterPipeline(s);

    // the worker picks the declaration up, creates its topic and subscribes
    await waitFor(
      'the new pipeline in /readyz',
      async () => {
        const r = await readyz(worker);
        return r.httpStatus === 200 && r.pipelines.includes(name);
      },
      { abort: abortOn(worker) },
    );
    const partitions = await waitFor('the worker to create the topic', () =>
      withAdmin(s.brokers, async (admin) => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]?.partitions.length;
      }),
    );
    expect(partitions).toBe(3);

    await kafka.send(topic, meterMessages(`m${id}`, 0, 500));
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });
    expect(await meterRows(s.db.pool, table)).toEqual(meterWant(0, 500));
    const { rows } = await query<{ n: string }>(
      s.db.pool,
      sql`SELECT count(*)::text AS n FROM public.entities
           WHERE kind = 'meter' AND key LIKE ${sql.value(`m${id}-%`)}`,
    );
    expect(Number(rows[0]!.n)).toBe(5);

    // the first pipeline went on meanwhile, in the same process
    await kafka.send(s.topic, sensorMessages(s.series, 300, 600));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 600);
    expect(worker.exit).toBeNull();
  }, 120_000);

  it('should report a bad declaration with its key and reason while the others load, and load it once fixed', async () => {
    const s = await sensorSetup();
    const worker = await startWorker(workerFor(s, 'rejected', WORKER_ENV));
    const id = uid();
    const badMapping = `bad_mapping_${id}`;
    const badFormat = `bad_format_${id}`;
    const topic = `etl-test-bad-${id}`;
    await createTopic(s.brokers, topic, 2);
    await copyPipeline(s.db.pool, { name: badMapping, topics: [topic] });
    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines
             SET mapping = mapping || '{"nosuchcol": {"path": "$.x", "type": "float8"}}'::jsonb
           WHERE name = ${sql.value(badMapping)}`,
    );
    await copyPipeline(s.db.pool, { name: badFormat, topics: [`etl-test-unused-${id}`] });
    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines SET time_format = 'fortnightly' WHERE name = ${sql.value(badFormat)}`,
    );

    const r = await waitFor(
      'both declarations rejected in /readyz',
      async () => {
        // ready again too: the subscription may change on the way (the copy is valid until its
        // time_format is spoilt), and the consumer rejoins its group after each change
        const r = await readyz(worker);
        return r.rejected.length === 2 && r.httpStatus === 200 ? r : null;
      },
      { abort: abortOn(worker) },
    );
    // the good pipeline runs
    expect(r.pipelines).toEqual([s.pipeline]);
    const byName = new Map(r.rejected.map((e) => [e.pipeline, e]));
    expect(byName.get(badMapping)).toMatchObject({ key: 'mapping.nosuchcol' });
    expect(byName.get(badMapping)!.reason).toMatch(/nosuchcol/);
    expect(byName.get(badFormat)).toMatchObject({ key: 'time_format' });
    expect(byName.get(badFormat)!.reason).toMatch(/fortnightly/);
    expect(await worker.metric('etl_pipelines', { state: 'rejected' })).toBe(2);

    // the good one loads
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, sensorMessages(s.series, 0, 500));
    const other = sensorSeries({ prefix: `b${id}`, devices: 4, partitions: 2 });
    await kafka.send(topic, sensorMessages(other, 0, 200));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 500);
    expect(await consumedCount(s.db.pool, s.group, topic)).toBe(0);

    // fixing the declaration takes effect at once, and its topic's backlog loads
    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines SET mapping = mapping - 'nosuchcol' WHERE name = ${sql.value(badMapping)}`,
    );
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });
    const got = await loadedChecksum(s.db.pool, other);
    expect(got).toMatchObject({
      rows: 200,
      distinctSeq: 200,
      seqSum: expectedChecksum(other, 0, 200).seqSum,
    });
    const after = await readyz(worker);
    expect(after.rejected.map((e) => e.pipeline)).toEqual([badFormat]);
    expect(after.pipelines.sort()).toEqual([badMapping, s.pipeline].sort());
  }, 120_000);

  it('should stop consuming a disabled pipeline and resume from the stored offset when it is enabled again', async () => {
    const s = await sensorSetup();
    const id = uid();
    const second = `second_${id}`;
    const topic2 = `etl-test-second-${id}`;
    const series2 = sensorSeries({ prefix: `t${id}`, devices: 6, partitions: 3 });
    await createTopic(s.brokers, topic2, 3);
    await copyPipeline(s.db.pool, { name: second, topics: [topic2] });
    const worker = await startWorker(workerFor(s, 'disable', WORKER_ENV));
    const kafka = await producer(s.brokers);
    await kafka.send(s.topic, sensorMessages(s.series, 0, 300));
    await kafka.send(topic2, sensorMessages(series2, 0, 300));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic2, { workers: [worker] });

    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines SET enabled = false WHERE name = ${sql.value(second)}`,
    );
    await waitFor(
      'the pipeline disabled in /readyz, and the consumer back in its group',
      async () => {
        const r = await readyz(worker);
        return r.httpStatus === 200 && r.disabled.includes(second) && !r.pipelines.includes(second);
      },
      { abort: abortOn(worker) },
    );

    // messages for the disabled pipeline wait; the other pipeline's, sent after them, load
    await kafka.send(topic2, sensorMessages(series2, 300, 700));
    await kafka.send(s.topic, sensorMessages(s.series, 300, 700));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    expect(await consumedCount(s.db.pool, s.group, topic2)).toBe(300);
    expect((await loadedChecksum(s.db.pool, series2)).rows).toBe(300);

    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines SET enabled = true WHERE name = ${sql.value(second)}`,
    );
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic2, { workers: [worker] });
    await expectExactLoad(s, 700);
    await expectExactLoad({ ...s, topic: topic2, pipeline: second, series: series2 }, 700);
  }, 120_000);

  it('should keep loading other pipelines while one target table is broken, then load its backlog exactly once', async () => {
    const s = await sensorSetup();
    const { id, table, name, topic } = await meterPipeline(s, { partitions: 2 });
    const worker = await startWorker(workerFor(s, 'broken', WORKER_ENV));
    const kafka = await producer(s.brokers);
    const prefix = `m${id}`;
    await kafka.send(topic, meterMessages(prefix, 0, 200));
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });
    expect(await meterRows(s.db.pool, table)).toEqual(meterWant(0, 200));

    // a mapped column renamed away: the meters wait, the sensors go on
    await query(
      s.db.pool,
      sql`ALTER TABLE ${sql.ident('public', table)} RENAME COLUMN reading TO reading_renamed`,
    );
    await kafka.send(topic, meterMessages(prefix, 200, 500));
    await kafka.send(s.topic, sensorMessages(s.series, 0, 500));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 500);
    const r = await waitFor(
      'the broken pipeline reported in /readyz',
      async () => {
        // reported, and ready (the consumer rejoins its group when the subscription changes)
        const r = await readyz(worker);
        const reported = r.rejected.some((e) => e.pipeline === name) || name in r.waiting;
        return reported && r.httpStatus === 200 ? r : null;
      },
      { abort: abortOn(worker) },
    );
    expect(r.pipelines).toContain(s.pipeline);
    expect(await consumedCount(s.db.pool, s.group, topic)).toBe(200);

    // repaired: the backlog loads, once
    await query(
      s.db.pool,
      sql`ALTER TABLE ${sql.ident('public', table)} RENAME COLUMN reading_renamed TO reading`,
    );
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });
    expect(await meterRows(s.db.pool, table)).toEqual(meterWant(0, 500));

    // dropped: same again; recreated empty, it gets exactly the messages sent meanwhile
    await query(s.db.pool, sql`DROP TABLE ${sql.ident('public', table)}`);
    await kafka.send(topic, meterMessages(prefix, 500, 600));
    await kafka.send(s.topic, sensorMessages(s.series, 500, 800));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    await expectExactLoad(s, 800);
    expect(await consumedCount(s.db.pool, s.group, topic)).toBe(500);
    await createMeterTable(s.db.pool, table);
    await waitForConsumed(s.db.pool, s.brokers, s.group, topic, { workers: [worker] });
    expect(await meterRows(s.db.pool, table)).toEqual(meterWant(500, 600));
    const after = await readyz(worker);
    expect(after.rejected).toEqual([]);
    expect(after.waiting).toEqual({});
    expect(worker.exit).toBeNull();
  }, 150_000);
});
