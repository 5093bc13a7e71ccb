/**
 * The producer against the real test broker: the bulk mode as the command line runs it (a child
 * process), and the live service in process, read back with a consumer.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { loadConfig } from '../src/producer/config.ts';
import { startProducerService } from '../src/producer/service.ts';
import type { SensorReading } from '../src/producer/sensors.ts';
import type { Trade } from '../src/producer/trades.ts';

const MAIN = path.join(REPO_ROOT, 'etl-worker', 'src', 'producer', 'main.ts');
const brokers = inject('kafkaBrokers');
const kafka = new Kafka({ clientId: 'producer-test', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
afterAll(() => admin.disconnect());

const randomName = (what: string) => `test-${what}-${randomBytes(4).toString('hex')}`;

interface Received {
  partition: number;
  key: string;
  value: Buffer;
}

/** Every message of `topic` from the start, once `count` have arrived. */
async function readTopic(topic: string, count: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: randomName('group'), maxWaitTimeInMs: 200 });
  const got: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${got.length}/${count} messages of ${topic} in 30 s`)),
        30_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, key: String(message.key), value: message.value ?? Buffer.of() });
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** Runs `npm run produce -- args` as the command line does; resolves with its stdout lines. */
function runProducer(args: string[]): Promise<{ code: number | null; out: string[]; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KAFKA_BROKERS: brokers.join(','), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out: out.trim().split('\n'), err }));
  });
}

/** Every partition of a key is the same one. */
function expectOnePartitionPerKey(messages: Received[]): void {
  const partitionOf = new Map<string, Set<number>>();
  for (const m of messages) {
    partitionOf.set(m.key, (partitionOf.get(m.key) ?? new Set()).add(m.partition));
  }
  for (const [key, set] of partitionOf) expect(set.size, key).toBe(1);
}

describe('Producer > Bulk mode', () => {
  it('should send exactly N good sensor readings, keyed by device, to a 3-partition topic', async () => {
    const topic = randomName('sensors');
    const n = 3000;
    const run = await runProducer([
      '--bulk',
      String(n),
      '--stream',
      'sensor_readings',
      '--topic',
      topic,
      '--partitions',
      '3',
      '--bad-ratio',
      '0.02',
    ]);
    expect(run.code, run.err).toBe(0);
    const result = JSON.parse(run.out.at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({ stream: 'sensor_readings', topic, messages: n });
    expect(typeof result.seconds).toBe('number');
    expect(typeof result.rate).toBe('number');
    const bad = result.bad_messages as number;
    expect(bad).toBeGreaterThan(0);

    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);

    const messages = await readTopic(topic, n + bad);
    expect(messages).toHaveLength(n + bad);
    const good: SensorReading[] = [];
    for (const m of messages) {
      try {
        const r = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(m.value)) as unknown;
        if (
          r &&
          typeof r === 'object' &&
          !Array.isArray(r) &&
          typeof (r as SensorReading).time === 'string' &&
          typeof (r as SensorReading).temp_f === 'number' &&
          typeof (r as SensorReading).humidity === 'number' &&
          Date.parse((r as SensorReading).time) < Date.now() + 60_000
        ) {
          good.push(r as SensorReading);
          expect(m.key).toBe((r as SensorReading).device_id);
        }
      } catch {
        // a broken one: counted below
      }
    }
    expect(good).toHaveLength(n);
    expect(new Set(good.map((r) => r.device_id)).size).toBe(50);
    // the event times cover the last hours, so the rows fall in existing partitions
    const times = good.map((r) => Date.parse(r.time));
    expect(Math.min(...times)).toBeGreaterThan(Date.now() - 7 * 3_600_000);
    expect(new Set(good.map((r) => `${r.device_id} ${r.time}`)).size).toBe(n);
    expectOnePartitionPerKey(messages);
  });

  it('should send trades with unique ids and no broken ones when --bad-ratio is 0', async () => {
    const topic = randomName('trades');
    const run = await runProducer([
      '--bulk=2000',
      '--stream=market_trades',
      `--topic=${topic}`,
      '--bad-ratio=0',
    ]);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out.at(-1)!)).toMatchObject({ messages: 2000, bad_messages: 0 });
    const messages = await readTopic(topic, 2000);
    const trades = messages.map((m) => JSON.parse(m.value.toString()) as Trade);
    expect(new Set(trades.map((t) => t.id)).size).toBe(2000);
    for (const [i, t] of trades.entries()) expect(messages[i]!.key).toBe(t.symbol);
    expectOnePartitionPerKey(messages);
  });

  it('should stop at start with a message naming a bad setting', async () => {
    const run = await runProducer(['--bulk', '10', '--stream', 'weather']);
    expect(run.code).toBe(1);
    expect(run.err).toContain('--stream');
  });
});

describe('Producer > Live service', () => {
  it('should be healthy once connected, feed both streams at the rate, count them, and stop cleanly', async () => {
    const topics = {
      sensor_readings: randomName('live-sensors'),
      market_trades: randomName('live-trades'),
    };
    const config = {
      ...loadConfig({ KAFKA_BROKERS: brokers.join(','), PRODUCER_HTTP_HOST: '127.0.0.1' }),
      httpPort: 0,
      rate: 200,
      badRatio: 0.05,
    };
    const service = await startProducerService(config, pino({ level: 'silent' }), topics);
    const base = `http://127.0.0.1:${service.httpPort}`;
    try {
      const deadline = Date.now() + 20_000;
      while ((await fetch(`${base}/healthz`)).status !== 200) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(100);
      }
      await sleep(2500);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const sent = (stream: string) =>
        Number(
          new RegExp(`^producer_messages_sent_total\\{stream="${stream}"\\} (\\d+)`, 'm').exec(
            metrics,
          )?.[1] ?? 0,
        );
      // 100/s per stream for ~2.5 s
      expect(sent('sensor_readings')).toBeGreaterThan(100);
      expect(sent('market_trades')).toBeGreaterThan(100);
      expect(metrics).toMatch(
        /^producer_bad_messages_total\{stream="[a-z_]+",kind="[a-z_0-9]+"\} \d+/m,
      );
      expect(metrics).toContain('producer_send_errors_total 0');
      expect((await fetch(`${base}/nothing`)).status).toBe(404);

      const readings = await readTopic(topics.sensor_readings, 100);
      expectOnePartitionPerKey(readings);
      const trades = await readTopic(topics.market_trades, 100);
      expectOnePartitionPerKey(trades);
      // live event times are now
      const good = readings
        .map((m) => {
          try {
            return JSON.parse(m.value.toString()) as SensorReading;
          } catch {
            return undefined;
          }
        })
        .filter(
          (r): r is SensorReading =>
            typeof r?.time === 'string' &&
            typeof r.temp_f === 'number' &&
            Date.parse(r.time) < Date.now() + 86_400_000, // not a far-future broken one
        );
      const age = Date.now() - Date.parse(good[0]!.time);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(60_000);
    } finally {
      await service.stop();
    }
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
