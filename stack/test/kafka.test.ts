/**
 * The local Kafka launcher against a real broker: the jars from Maven Central, a JVM on free ports,
 * kafkajs as the client. The first run fetches the jars (about 10-35 s depending on ~/.m2).
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../src/ports.ts';
import {
  checkJava,
  checkMaven,
  ensureKafkaJars,
  parseJavaMajor,
  resolveKafka,
  startKafka,
  type KafkaBroker,
} from '../src/kafka.ts';

const TOPIC = 'launcher-roundtrip';
const PARTITIONS = 3;
const MESSAGES = 100;

interface Received {
  key: string;
  value: string;
  partition: number;
}

function client(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'kafka-launcher-test', brokers, logLevel: logLevel.ERROR });
}

async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of every kafka.Kafka JVM whose command line mentions dataDir (Linux /proc scan). */
async function brokerPidsOn(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('kafka.Kafka') && cmdline.includes(dataDir)) pids.push(Number(entry));
  }
  return pids;
}

async function produceNumbered(brokers: string[]): Promise<void> {
  const producer = client(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic: TOPIC,
      messages: Array.from({ length: MESSAGES }, (_, i) => ({
        key: `key-${i}`,
        value: `value-${i}`,
        partition: i % PARTITIONS,
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

async function committedTotal(admin: Admin, groupId: string): Promise<number> {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
  return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** Reads `count` messages from the start of TOPIC in a fresh consumer group and waits for its commits. */
async function consumeAll(brokers: string[], groupId: string, count: number): Promise<Received[]> {
  // kafkajs commits a batch's offsets on its next fetch loop; a short long-poll makes that prompt.
  const consumer = client(brokers).consumer({ groupId, maxWaitTimeInMs: 250 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${received.length}/${count} messages in 30 s`)),
        30_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            received.push({ key: String(message.key), value: String(message.value), partition });
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    // kafkajs commits after each batch; wait until the group's offsets cover everything we read.
    await withAdmin(brokers, async (admin) => {
      const deadline = Date.now() + 15_000;
      while ((await committedTotal(admin, groupId)) < count) {
        if (Date.now() > deadline)
          throw new Error(`group ${groupId} never committed ${count} offsets`);
        await sleep(200);
      }
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function expectAllNumbered(received: Received[]): void {
  expect(received).toHaveLength(MESSAGES);
  const byKey = new Map(received.map((m) => [m.key, m]));
  expect(byKey.size).toBe(MESSAGES);
  for (let i = 0; i < MESSAGES; i++) {
    expect(byKey.get(`key-${i}`)).toEqual({
      key: `key-${i}`,
      value: `value-${i}`,
      partition: i % PARTITIONS,
    });
  }
}

describe('the local Kafka broker', () => {
  let dataDir = '';
  let broker: KafkaBroker | undefined;
  let firstPort = 0;
  const log = () => {};

  beforeAll(async () => {
    // Cold: Maven downloads ~44 MB from Central; cached: a `java -version` check.
    await ensureKafkaJars({ log });
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-kafka-test-'));
  }, 600_000);

  afterAll(async () => {
    await broker?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('should start on free 127.0.0.1 ports and answer describeCluster', async () => {
    broker = await startKafka({ dataDir, log });
    expect(broker.brokers).toHaveLength(1);
    expect(broker.brokers[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    firstPort = Number(broker.brokers[0]?.split(':')[1]);
    const cluster = await withAdmin(broker.brokers, (admin) => admin.describeCluster());
    expect(cluster.brokers).toEqual([
      expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: firstPort }),
    ]);
    await expect(fs.readFile(path.join(dataDir, 'broker.pid'), 'utf8')).resolves.toBe(
      `${broker.pid}\n`,
    );
    await expect(fs.readFile(path.join(dataDir, 'broker.log'), 'utf8')).resolves.toContain(
      'Kafka Server started',
    );
  }, 120_000);

  it('should round-trip 100 messages through a 3-partition topic in a consumer group', async () => {
    const brokers = broker!.brokers;
    const created = await withAdmin(brokers, (admin) =>
      admin.createTopics({
        topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      }),
    );
    expect(created).toBe(true);
    await produceNumbered(brokers);
    expectAllNumbered(await consumeAll(brokers, 'launcher-group-1', MESSAGES));
  }, 90_000);

  it('should stop the JVM and leave no java process on the dataDir', async () => {
    const { pid } = broker!;
    await broker!.stop();
    broker = undefined;
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await brokerPidsOn(dataDir)).toEqual([]);
    await expect(fs.stat(path.join(dataDir, 'broker.pid'))).rejects.toThrow();
  }, 60_000);

  it('should keep the topic, its messages and the group offsets across a restart on new ports', async () => {
    // Different ports on purpose: only ids, not listeners, are stored in meta.properties / quorum-state.
    const [port = 0, controllerPort = 0] = (await freePorts(3)).filter((p) => p !== firstPort);
    broker = await startKafka({ dataDir, port, controllerPort, log });
    expect(broker.brokers).toEqual([`127.0.0.1:${port}`]);
    const brokers = broker.brokers;

    const { partitions, offsets, committed } = await withAdmin(brokers, async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
      return {
        partitions: meta.topics[0]?.partitions.length,
        offsets: await admin.fetchTopicOffsets(TOPIC),
        committed: await committedTotal(admin, 'launcher-group-1'),
      };
    });
    expect(partitions).toBe(PARTITIONS);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(MESSAGES);
    expect(committed).toBe(MESSAGES);
    expectAllNumbered(await consumeAll(brokers, 'launcher-group-2', MESSAGES));
  }, 120_000);

  it('should stop a stale broker still running on the dataDir before starting a new one', async () => {
    // A launcher that crashed without stop() leaves exactly this: a live JVM and its broker.pid.
    const stale = broker!;
    broker = await startKafka({ dataDir, log });
    expect(broker.pid).not.toBe(stale.pid);
    expect(await brokerPidsOn(dataDir)).toEqual([broker.pid]);
    // Already killed: stop() only has to see it reaped, and must leave the new broker's pid file alone.
    await stale.stop();
    expect(isAlive(stale.pid)).toBe(false);
    await expect(fs.readFile(path.join(dataDir, 'broker.pid'), 'utf8')).resolves.toBe(
      `${broker.pid}\n`,
    );
    const offsets = await withAdmin(broker.brokers, (admin) => admin.fetchTopicOffsets(TOPIC));
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(MESSAGES);
  }, 120_000);

  it('should use the cluster in KAFKA_BROKERS without launching or stopping anything', async () => {
    const running = broker!;
    const resolved = await resolveKafka({
      dataDir: path.join(dataDir, 'never-used'),
      env: { ...process.env, KAFKA_BROKERS: ` ${running.brokers.join(',')} ,` },
    });
    expect(resolved).toMatchObject({ brokers: running.brokers, external: true });
    await resolved.stop();
    expect(isAlive(running.pid)).toBe(true);
    await expect(fs.stat(path.join(dataDir, 'never-used'))).rejects.toThrow();
  }, 60_000);
});

describe('a broker that cannot start', () => {
  let dataDir = '';
  let blocker: net.Server | undefined;

  beforeAll(async () => {
    await ensureKafkaJars();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-kafka-fail-'));
  }, 600_000);

  afterAll(async () => {
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('should report the end of broker.log and leave no JVM when the port is taken', async () => {
    // Hang up on whoever connects: an idle accepted socket never sees the client's FIN,
    // and close() would wait for it forever.
    blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const error: Error = await startKafka({ dataDir, port }).then(
      () => {
        throw new Error('startKafka() should have failed');
      },
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /Kafka broker failed to start: the Kafka JVM \(pid \d+\) exited early/,
    );
    expect(error.message).toContain(`--- last lines of ${path.join(dataDir, 'broker.log')} ---`);
    expect(error.message).toMatch(/Address already in use|bind/i);
    expect(await brokerPidsOn(dataDir)).toEqual([]);
    await expect(fs.stat(path.join(dataDir, 'broker.pid'))).rejects.toThrow();
  }, 120_000);
});

describe('the launcher prerequisites', () => {
  let emptyDir = '';

  beforeAll(async () => {
    emptyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-empty-path-'));
  });

  afterAll(async () => {
    await fs.rm(emptyDir, { recursive: true, force: true });
  });

  it('should say how to install Java when java is not on PATH', async () => {
    await expect(checkJava({ PATH: emptyDir })).rejects.toThrow(
      /Java 17\+ is required to run the local Kafka broker: apt-get install openjdk-17-jre-headless, or set KAFKA_BROKERS/,
    );
  });

  it('should refuse to fetch jars when java is missing, before trying Maven', async () => {
    await expect(ensureKafkaJars({ env: { PATH: emptyDir } })).rejects.toThrow(
      /Java 17\+ is required/,
    );
  });

  it('should say how to install Maven when mvn is not on PATH', async () => {
    await expect(checkMaven({ PATH: emptyDir })).rejects.toThrow(
      /Maven is required to fetch the Kafka broker jars from Maven Central: apt-get install maven/,
    );
  });

  it('should accept the Java 17+ on this machine', async () => {
    expect(await checkJava()).toBeGreaterThanOrEqual(17);
  }, 30_000);

  it('should read the major version from both java -version styles', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('java version "1.8.0_292"')).toBe(8);
    expect(parseJavaMajor('command not found')).toBeUndefined();
  });

  it('should name KAFKA_BROKERS when the configured cluster does not answer', async () => {
    // A port that was free a moment ago: nothing listens there.
    const [port] = await freePorts(1);
    await expect(
      resolveKafka({
        dataDir: emptyDir,
        env: { ...process.env, KAFKA_BROKERS: `127.0.0.1:${port}` },
        readyTimeoutMs: 1_500,
      }),
    ).rejects.toThrow(new RegExp(`KAFKA_BROKERS=127\\.0\\.0\\.1:${port} did not answer`));
  }, 30_000);
});
