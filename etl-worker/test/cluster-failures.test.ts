/**
 * Losing one part of a scaled-out deployment loses nothing and doubles nothing, on a real
 * three-broker KRaft cluster this file starts for itself (the suite's shared broker is never
 * touched, and a broker of it is killed):
 * - one of two workers killed with SIGKILL in the middle of a load: its partitions move to the
 *   other once its session expires, and every message is loaded exactly once;
 * - one broker (the leader of partition 0) killed with SIGKILL in the middle of a load while the
 *   producer goes on: the partitions it led get new leaders, the worker follows, and every message
 *   is loaded exactly once.
 * Each proves it with the count and the checksums of the loaded rows (expectExactLoad).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@streamsync/testing';
import { ensureKafkaJars, startKafkaCluster, type KafkaCluster } from '@streamsync/stack/kafka';
import { topicGroupId } from '../src/kafka/topic-consumers.ts';
import {
  abortOn,
  consumedCount,
  expectExactLoad,
  groupMembers,
  highWatermarks,
  producer,
  sensorMessages,
  sensorSetup,
  startWorker,
  useWorkerCleanup,
  waitForConsumed,
  withAdmin,
  workerFor,
  type SensorSetup,
  type TestProducer,
} from './harness.ts';

useWorkerCleanup();

const PARTITIONS = 6;
// the shortest session the worker accepts: a killed worker's partitions move after 6 s
const WORKER_ENV = { ETL_BATCH_MAX_ROWS: '500', ETL_SESSION_TIMEOUT_MS: '6000' };

let cluster: KafkaCluster | undefined;
let root = '';

beforeAll(async () => {
  await ensureKafkaJars();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'etl-kafka-cluster-'));
  cluster = await startKafkaCluster({ dataDir: root, size: 3, heapMb: 384 });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
}, 60_000);

/**
 * Produce messages 0..total-1 of the setup's series in requests of `chunk`, a pause between them,
 * so that the load is still going when the test breaks something. Resolves when all are acked.
 */
function produceSteadily(
  kafka: TestProducer,
  s: SensorSetup,
  total: number,
  chunk: number,
  pauseMs: number,
): { done: Promise<void>; produced: () => number } {
  let produced = 0;
  const done = (async () => {
    while (produced < total) {
      const to = Math.min(total, produced + chunk);
      await kafka.send(s.topic, sensorMessages(s.series, produced, to), chunk);
      produced = to;
      await sleep(pauseMs);
    }
  })();
  done.catch(() => {});
  return { done, produced: () => produced };
}

describe('ETL worker > failures on a three-broker cluster', () => {
  it('should move the partitions of a worker killed with SIGKILL to the other and load everything exactly once', async () => {
    const N = 30_000;
    const s = await sensorSetup({ brokers: cluster!.brokers, partitions: PARTITIONS, devices: 48 });
    const group = topicGroupId(s.group, s.topic);
    const kafka = await producer(s.brokers);
    const a = await startWorker(workerFor(s, 'a', WORKER_ENV));
    const b = await startWorker(workerFor(s, 'b', WORKER_ENV));
    const load = produceSteadily(kafka, s, N, 1000, 150);
    await waitFor(
      'two members sharing the six partitions',
      async () => {
        const g = await groupMembers(s.brokers, group);
        return (
          g.state === 'Stable' &&
          g.members.length === 2 &&
          g.members.every((m) => m.partitions > 0) &&
          g.members.reduce((n, m) => n + m.partitions, 0) === PARTITIONS
        );
      },
      { timeoutMs: 60_000, abort: abortOn(a) },
    );
    await waitFor(
      'both workers to load',
      async () =>
        (await a.metric('etl_messages_total')) > 0 && (await b.metric('etl_messages_total')) > 0,
      { timeoutMs: 60_000, abort: abortOn(b) },
    );
    await waitFor(
      'a quarter of the load',
      async () => (await consumedCount(s.db.pool, s.group, s.topic)) >= N / 4,
      { timeoutMs: 60_000, intervalMs: 50, abort: abortOn(b) },
    );

    // the worker the replication of its topic was asked of: three copies, two in sync to write
    const dlq = await withAdmin(s.brokers, async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [s.deadLetterTopic] });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: s.deadLetterTopic, configNames: ['min.insync.replicas'] }],
      });
      return {
        replicas: topics[0]!.partitions.map((p) => p.replicas.length),
        minInsync: resources[0]!.configEntries[0]!.configValue,
      };
    });
    expect(new Set(dlq.replicas)).toEqual(new Set([3]));
    expect(dlq.minInsync).toBe('2');

    const loaded = await consumedCount(s.db.pool, s.group, s.topic);
    console.log(`worker kill: SIGKILL to b at ${loaded} loaded, ${load.produced()} produced`);
    await b.kill('SIGKILL');
    const killedAt = Date.now();
    // b never said goodbye: once its session expires the group gives a all six
    await waitFor(
      'the survivor alone with every partition',
      async () => {
        const g = await groupMembers(s.brokers, group);
        return (
          g.state === 'Stable' && g.members.length === 1 && g.members[0]!.partitions === PARTITIONS
        );
      },
      { timeoutMs: 45_000, abort: abortOn(a) },
    );
    console.log(`worker kill: partitions moved ${Date.now() - killedAt} ms after the kill`);
    await load.done;
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, {
      workers: [a],
      timeoutMs: 60_000,
    });
    await expectExactLoad(s, N);
    expect(a.exit).toBeNull();
  }, 150_000);

  it('should go on loading exactly once when a broker is killed with SIGKILL mid-load', async () => {
    const N = 30_000;
    const s = await sensorSetup({ brokers: cluster!.brokers, partitions: PARTITIONS, devices: 48 });
    const kafka = await producer(s.brokers);
    const worker = await startWorker(workerFor(s, 'broker-kill', WORKER_ENV));
    const load = produceSteadily(kafka, s, N, 1000, 150);
    await waitFor(
      'a quarter of the load',
      async () => (await consumedCount(s.db.pool, s.group, s.topic)) >= N / 4,
      { timeoutMs: 60_000, intervalMs: 50, abort: abortOn(worker) },
    );

    // the broker that leads partition 0: its partitions need new leaders mid-load
    const victim = await withAdmin(s.brokers, async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [s.topic] });
      const leader = topics[0]!.partitions[0]!.leader;
      return cluster!.nodes.find((n) => n.nodeId === leader)!;
    });
    const loaded = await consumedCount(s.db.pool, s.group, s.topic);
    console.log(
      `broker kill: SIGKILL to node ${victim.nodeId} at ${loaded} loaded, ${load.produced()} produced`,
    );
    await victim.kill('SIGKILL');
    const killedAt = Date.now();

    // the producer goes on (acks=all, two copies in sync), and so does the worker
    await load.done;
    console.log(`broker kill: production done ${Date.now() - killedAt} ms after the kill`);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, {
      workers: [worker],
      timeoutMs: 90_000,
    });
    console.log(`broker kill: everything loaded ${Date.now() - killedAt} ms after the kill`);
    // Kafka kept every acknowledged message, once (the producer is idempotent)
    const highs = await highWatermarks(s.brokers, s.topic);
    expect([...highs.values()].reduce((a, b) => a + b, 0)).toBe(N);
    await expectExactLoad(s, N);
    expect(worker.exit).toBeNull();
    const brokers = await withAdmin(s.brokers, async (admin) => admin.describeCluster());
    expect(brokers.brokers.map((b) => b.nodeId)).not.toContain(victim.nodeId);
  }, 180_000);

  it('should stop every broker of the cluster cleanly, each with a log dir of its own', async () => {
    const c = cluster!;
    cluster = undefined;
    await c.stop();
    for (const node of c.nodes) {
      expect(() => process.kill(node.pid, 0), `node ${node.nodeId}`).toThrow();
      const dir = path.join(root, `node-${node.nodeId}`);
      await expect(fs.stat(path.join(dir, 'kraft-logs', 'meta.properties'))).resolves.toBeTruthy();
      await expect(fs.stat(path.join(dir, 'broker.pid'))).rejects.toThrow();
    }
    // the nodes that were running shut down on SIGTERM to their last line, not on the SIGKILL
    // after the grace period
    const logs = await Promise.all(
      c.nodes.map((n) => fs.readFile(path.join(root, `node-${n.nodeId}`, 'broker.log'), 'utf8')),
    );
    const clean = logs.filter((text) => /App info kafka\.server for \d+ unregistered/.test(text));
    expect(clean.length).toBeGreaterThanOrEqual(c.nodes.length - 1);
  }, 60_000);
});
