/**
 * A pipeline added, changed or disabled while the worker runs touches its own topic's consumer
 * only: the consumers of the other pipelines never rejoin their groups (no GROUP_JOIN, which the
 * worker logs as "partitions assigned" with its consumer group), and they load all along. A
 * change that keeps a pipeline's topic (its mapping) rejoins nothing at all: the next batch uses
 * the new declaration.
 */
import { describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import { topicGroupId } from '../src/kafka/topic-consumers.ts';
import {
  abortOn,
  expectExactLoad,
  meterMessages,
  meterPipeline,
  meterRows,
  meterWant,
  producer,
  sensorMessages,
  sensorSetup,
  startWorker,
  useWorkerCleanup,
  waitForConsumed,
  workerFor,
  type WorkerProcess,
} from './harness.ts';

useWorkerCleanup();

const WORKER_ENV = { ETL_PIPELINE_POLL_MS: '500' };

/** How many times the worker's member of a topic's group was given an assignment (GROUP_JOIN). */
function joins(w: WorkerProcess, group: string): number {
  return w.logEntries().filter((e) => e.msg === 'partitions assigned' && e.consumerGroup === group)
    .length;
}

/** How many pipeline sets the worker has loaded (one more after each declaration change it saw). */
function reloads(w: WorkerProcess): number {
  return w.logEntries().filter((e) => e.msg === 'pipelines loaded').length;
}

describe('ETL worker > pipeline changes', () => {
  it('should not rebalance the other pipelines when one is added, changed or disabled', async () => {
    const s = await sensorSetup();
    const meters = await meterPipeline(s, { partitions: 3 });
    const sensorsGroup = topicGroupId(s.group, s.topic);
    const metersGroup = topicGroupId(s.group, meters.topic);
    const kafka = await producer(s.brokers);
    const w = await startWorker(workerFor(s, 'changes', WORKER_ENV));
    await kafka.send(s.topic, sensorMessages(s.series, 0, 300));
    await kafka.send(meters.topic, meterMessages(`m${meters.id}`, 0, 100));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [w] });
    await waitForConsumed(s.db.pool, s.brokers, s.group, meters.topic, { workers: [w] });
    const before = { sensors: joins(w, sensorsGroup), meters: joins(w, metersGroup) };
    expect(before.sensors).toBeGreaterThan(0);
    expect(before.meters).toBeGreaterThan(0);

    // 1. a new pipeline on a new topic: its own member joins its own group
    const added = await meterPipeline(s);
    const addedGroup = topicGroupId(s.group, added.topic);
    await waitFor(
      'the new pipeline to be assigned its partitions',
      () => joins(w, addedGroup) > 0,
      {
        abort: abortOn(w),
      },
    );
    await kafka.send(added.topic, meterMessages(`m${added.id}`, 0, 50));
    await waitForConsumed(s.db.pool, s.brokers, s.group, added.topic, { workers: [w] });
    expect(await meterRows(s.db.pool, added.table)).toEqual(meterWant(0, 50));

    // 2. a pipeline's mapping changed: the unit is now the meter's key, from the next batch on
    const seen = reloads(w);
    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines
             SET mapping = jsonb_set(mapping, '{unit,path}', '"$.meter"')
           WHERE name = ${sql.value(meters.name)}`,
    );
    await waitFor('the worker to load the changed declaration', () => reloads(w) > seen, {
      abort: abortOn(w),
    });
    await kafka.send(meters.topic, meterMessages(`m${meters.id}`, 100, 200));
    await waitForConsumed(s.db.pool, s.brokers, s.group, meters.topic, { workers: [w] });
    const { rows } = await query<{ old: string; changed: string }>(
      s.db.pool,
      sql`SELECT count(*) FILTER (WHERE unit = 'kWh')::text AS old,
                 count(*) FILTER (WHERE unit LIKE ${sql.value(`m${meters.id}-%`)})::text AS changed
            FROM ${sql.ident('public', meters.table)}`,
    );
    expect(rows[0]).toEqual({ old: '100', changed: '100' });

    // 3. the added pipeline disabled: its member leaves its group, the others stay
    await query(
      s.db.pool,
      sql`UPDATE etl.pipelines SET enabled = false WHERE name = ${sql.value(added.name)}`,
    );
    await waitFor(
      'the disabled pipeline in /readyz',
      async () => ((await w.readyz())?.disabled as string[] | undefined)?.includes(added.name),
      { abort: abortOn(w) },
    );
    await waitFor(
      'its member to leave',
      () =>
        w
          .logEntries()
          .some((e) => e.msg === 'consumer left the group' && e.consumerGroup === addedGroup),
      { abort: abortOn(w) },
    );

    // the first pipeline loaded all along, and neither it nor the meters ever rejoined
    await kafka.send(s.topic, sensorMessages(s.series, 300, 600));
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [w] });
    await expectExactLoad(s, 600);
    expect({ sensors: joins(w, sensorsGroup), meters: joins(w, metersGroup) }).toEqual(before);
  }, 120_000);
});
