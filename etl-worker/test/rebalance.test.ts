/**
 * Two worker processes in one consumer group share the partitions of a topic and together load
 * everything exactly once: the second joins in the middle of a load, then the first is stopped
 * with SIGTERM in the middle of it (it must leave the group and exit 0 promptly), and the second
 * finishes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@streamsync/testing';
import {
  consumedCount,
  expectExactLoad,
  groupMembers,
  producer,
  sensorMessages,
  sensorSetup,
  startWorker,
  useWorkerCleanup,
  waitForConsumed,
  workerFor,
  type WorkerProcess,
} from './harness.ts';
import { topicGroupId } from '../src/kafka/topic-consumers.ts';

useWorkerCleanup();

const PARTITIONS = 6;

// the default session (30 s): a member that did not leave the group would linger that long
const WORKER_ENV = { ETL_BATCH_MAX_ROWS: '250' };

/** The partitions of the topic in the worker's latest "partitions assigned" log line. */
function latestAssignment(w: WorkerProcess, topic: string): number[] | null {
  const lines = w.logEntries().filter((e) => e.msg === 'partitions assigned');
  const last = lines[lines.length - 1] as { assignment?: Record<string, number[]> } | undefined;
  return last ? (last.assignment?.[topic] ?? []) : null;
}

describe('ETL worker > rebalance', () => {
  it('should share the partitions between two workers of a group and load everything exactly once across rebalances', async () => {
    const s = await sensorSetup({ partitions: PARTITIONS, devices: 48 });
    const kafka = await producer(s.brokers);
    const progress = () => consumedCount(s.db.pool, s.group, s.topic);

    const a = await startWorker(workerFor(s, 'a', WORKER_ENV));
    // a live stream, about 2,500 messages a second, until the group has changed twice and the
    // second worker has caught up: every change happens in the middle of the load
    const MAX = 200_000;
    let produced = 0;
    let producing = true;
    let burst = 0;
    const production = (async () => {
      while (producing && produced < MAX) {
        const size = burst || 500;
        burst = 0;
        const to = produced + size;
        // a burst goes in one request: it lands at once, ahead of the consumers
        await kafka.send(s.topic, sensorMessages(s.series, produced, to), size);
        produced = to;
        await sleep(200);
      }
    })();
    production.catch(() => {});
    await waitFor(
      'the first worker to load 5,000 messages',
      async () => (await progress()) >= 5000,
      {
        intervalMs: 50,
        abort: () => (a.exit ? `worker a ${a.exitDescription()}` : undefined),
      },
    );

    // the second joins mid-load: the group hands it part of the partitions
    const b = await startWorker(workerFor(s, 'b', WORKER_ENV));
    const group = await waitFor(
      'two members sharing the six partitions',
      async () => {
        const g = await groupMembers(s.brokers, topicGroupId(s.group, s.topic));
        const total = g.members.reduce((n, m) => n + m.partitions, 0);
        return g.state === 'Stable' &&
          g.members.length === 2 &&
          g.members.every((m) => m.partitions > 0) &&
          total === PARTITIONS
          ? g
          : null;
      },
      { timeoutMs: 60_000 },
    );
    expect(group.members).toHaveLength(2);
    // each says so in its log, and together they hold every partition once
    const pa = await waitFor('a to log its new assignment', () => {
      const p = latestAssignment(a, s.topic);
      return p && p.length > 0 && p.length < PARTITIONS ? p : null;
    });
    const pb = await waitFor('b to log its assignment', () => {
      const p = latestAssignment(b, s.topic);
      return p && p.length > 0 ? p : null;
    });
    expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    // both load
    await waitFor('b to load', async () => (await b.metric('etl_messages_total')) > 0, {
      intervalMs: 100,
    });
    expect(await a.metric('etl_messages_total')).toBeGreaterThan(0);

    // a burst, so that the first worker is in the middle of its batches when it is told to stop
    const beforeBurst = produced;
    burst = 20_000;
    await waitFor('the burst to be sent', () => produced >= beforeBurst + 20_000);
    const loaded = await progress();
    console.log(`rebalance: SIGTERM to the first worker at ${loaded} loaded, ${produced} produced`);
    expect(loaded).toBeLessThan(produced);

    // SIGTERM: the first leaves the group and exits 0, promptly
    const exit = await a.stop(30_000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(30_000);
    expect(a.log()).toContain('stopping: leaving the consumer group');
    // it left: the second is alone with every partition well before a 30 s session could expire
    await waitFor(
      'the second worker alone with every partition',
      async () => {
        const g = await groupMembers(s.brokers, topicGroupId(s.group, s.topic));
        return (
          g.state === 'Stable' && g.members.length === 1 && g.members[0]!.partitions === PARTITIONS
        );
      },
      { timeoutMs: 20_000 },
    );

    // the second worker loads what is produced after the first left, then the stream ends
    const mark = produced;
    await waitFor('the second worker to catch up alone', async () => (await progress()) >= mark, {
      timeoutMs: 60_000,
      abort: () => (b.exit ? `worker b ${b.exitDescription()}` : undefined),
    });
    producing = false;
    await production;
    const N = produced;
    expect(N).toBeLessThan(MAX);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, {
      workers: [b],
      timeoutMs: 120_000,
    });
    await expectExactLoad(s, N);

    const exitB = await b.stop(30_000);
    expect(exitB).toMatchObject({ code: 0, signal: null });
  }, 240_000);
});
