/**
 * Shared harness of the worker's integration tests: real worker processes (spawned exactly as in
 * production, killed by process group), real Kafka topics, real Postgres databases, and the checks
 * that prove what was loaded equals what was produced.
 *
 * - Workers: `startWorker()` spawns `etl-worker/src/main.ts` with its environment and a log file
 *   under the OS temp dir; `useWorkerCleanup()` kills every worker a test started (even when it
 *   failed) and prints the tail of their logs when the test failed.
 * - Data: `sensorSeries()` is a deterministic series of sensor readings with unique natural keys
 *   (device, time). Its `pressure_hpa` field carries the message's sequence number, so SQL can
 *   recompute every expected value of a loaded row from the row itself (`sensorMismatches()`).
 * - Progress: `waitForConsumed()` polls etl.consumer_offsets until every partition's next offset
 *   reaches the topic's high watermark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AssignerProtocol,
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type IHeaders,
  type Message,
} from 'kafkajs';
import pg from 'pg';
import { afterAll, afterEach, expect, inject } from 'vitest';
import { query, sql, type Queryable } from '@streamsync/database';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import { freePort } from '@streamsync/stack/ports';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const WORKER_ENTRY = path.join(REPO_ROOT, 'etl-worker', 'src', 'main.ts');

/** A random suffix for topics, groups, pipelines and tables: lower-case hex. */
export function uid(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every resource a test takes is released after it, pass or fail

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
const started: WorkerProcess[] = [];

/** Run `fn` after the current test (in reverse order of registration), even when it fails. */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

async function runCleanups(failed: boolean): Promise<void> {
  const workers = started.splice(0);
  if (failed) {
    for (const w of workers) {
      console.error(
        `\n--- worker ${w.name} (pid ${w.pid}, ${w.exitDescription()}) log: ${w.logFile} (last 60 lines) ---\n` +
          w.logTail(60),
      );
    }
  }
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  const errors: unknown[] = [];
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) console.error('cleanup errors:', errors);
}

/** Call once at the top of a test file: kills the workers and releases the resources of each test. */
export function useWorkerCleanup(): void {
  let failures = 0;
  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === 'fail';
    if (failed) failures++;
    await runCleanups(failed);
  });
  afterAll(async () => {
    await runCleanups(false);
    // the workers' logs are kept when a test failed (their paths were printed)
    if (failures === 0 && logDir) fs.rmSync(logDir, { recursive: true, force: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Worker processes

export interface WorkerOptions {
  databaseUrl: string;
  brokers: string[];
  groupId: string;
  deadLetterTopic: string;
  /** a label for logs */
  name?: string;
  /** further settings (override the test defaults) */
  env?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let logDir: string | null = null;
function workerLogDir(): string {
  logDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'etl-worker-test-'));
  return logDir;
}

/** The environment of a spawned worker: the test defaults, then `extra`. */
export function workerEnv(
  opts: WorkerOptions & { port: number },
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // nothing of the test runner's own service settings may leak into the worker
  for (const k of Object.keys(env)) {
    if (k.startsWith('ETL_') || k === 'DATABASE_URL' || k === 'KAFKA_BROKERS') delete env[k];
  }
  return {
    ...env,
    DATABASE_URL: opts.databaseUrl,
    KAFKA_BROKERS: opts.brokers.join(','),
    ETL_GROUP_ID: opts.groupId,
    ETL_CLIENT_ID: `etl-test-${opts.name ?? 'worker'}`,
    ETL_HTTP_HOST: '127.0.0.1',
    ETL_HTTP_PORT: String(opts.port),
    ETL_DEAD_LETTER_TOPIC: opts.deadLetterTopic,
    ETL_TOPIC_PARTITIONS: '3',
    ETL_BATCH_MAX_ROWS: '1000',
    ETL_PIPELINE_POLL_MS: '1000',
    ETL_RETRY_MAX_MS: '1000',
    PG_POOL_MAX: '6',
    // ETL_TEST_LOG_LEVEL=debug shows kafkajs' own info lines too
    LOG_LEVEL: process.env.ETL_TEST_LOG_LEVEL || 'info',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...opts.env,
    ...extra,
  };
}

export class WorkerProcess {
  exit: Exit | null = null;
  readonly exited: Promise<Exit>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly pid: number,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  exitDescription(): string {
    if (!this.exit) return 'running';
    return this.exit.signal
      ? `killed by ${this.exit.signal}`
      : `exited with code ${this.exit.code}`;
  }

  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines: number): string {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** The JSON log lines (pino), parsed; other lines are skipped. */
  logEntries(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.log().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut by a kill
      }
    }
    return out;
  }

  /** Signal the worker's process group; resolves when it has exited (at once when it already has). */
  async kill(signal: NodeJS.Signals): Promise<Exit> {
    if (!this.exit) {
      try {
        process.kill(-this.pid, signal);
      } catch {
        try {
          process.kill(this.pid, signal);
        } catch {
          // gone already
        }
      }
    }
    return this.exited;
  }

  /** SIGTERM, and the exit (SIGKILL after `timeoutMs`, reported as such). */
  async stop(timeoutMs = 30_000): Promise<Exit & { ms: number }> {
    const t0 = Date.now();
    const timer = setTimeout(() => void this.kill('SIGKILL'), timeoutMs);
    try {
      const exit = await this.kill('SIGTERM');
      return { ...exit, ms: Date.now() - t0 };
    } finally {
      clearTimeout(timer);
    }
  }

  async get(
    pathname: string,
  ): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
    const res = await fetch(`${this.url}${pathname}`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  }

  /** /readyz's body (whatever its status), or null when the worker does not answer. */
  async readyz(): Promise<(Record<string, unknown> & { httpStatus: number }) | null> {
    try {
      const r = await this.get('/readyz');
      return { ...r.json(), httpStatus: r.status };
    } catch {
      return null;
    }
  }

  /** Wait for /readyz to answer 200; fails at once when the process exits. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `${this.name} to be ready (GET /readyz 200)`,
      async () => (await this.readyz())?.httpStatus === 200,
      {
        timeoutMs,
        intervalMs: 250,
        abort: () => (this.exit ? `worker ${this.name} ${this.exitDescription()}` : undefined),
      },
    );
  }

  /** The value of a Prometheus sample (summed over the series matching `labels`). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.get('/metrics')).text;
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const ls = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }
}

/** Spawn a worker as production does (`node --import tsx etl-worker/src/main.ts`, cwd the repo). */
export async function spawnWorker(opts: WorkerOptions): Promise<WorkerProcess> {
  const port = await freePort();
  const name = `${opts.name ?? 'worker'}-${uid(2)}`;
  const logFile = path.join(workerLogDir(), `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: REPO_ROOT,
      env: workerEnv({ ...opts, port }),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  if (child.pid === undefined) {
    const err = await new Promise<Error>((r) => child.once('error', r));
    throw new Error(`could not spawn the worker: ${err.message}`);
  }
  const w = new WorkerProcess(name, child, child.pid, port, logFile);
  started.push(w);
  return w;
}

/** Spawn a worker and wait until it is ready. */
export async function startWorker(opts: WorkerOptions): Promise<WorkerProcess> {
  const w = await spawnWorker(opts);
  await w.waitReady();
  return w;
}

// ---------------------------------------------------------------------------------------------
// Postgres

/** A private database (clone of the migrated, seeded template), dropped after the test. */
export async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ prefix: 'etl' });
  onCleanup(() => db.drop());
  return db;
}

/**
 * Disable the seeded demo pipelines: they read the shared topics `sensor-readings` and
 * `market-trades`, which other test files write to.
 */
export async function disableSeedPipelines(db: Queryable): Promise<void> {
  await query(
    db,
    sql`UPDATE etl.pipelines SET enabled = false
         WHERE name IN ('sensor_readings', 'market_trades')`,
  );
}

/** A copy of a declaration (by default the seeded sensor_readings one) under a new name and topic. */
export async function copyPipeline(
  db: Queryable,
  opts: { name: string; topics: string[]; from?: string; enabled?: boolean },
): Promise<void> {
  const res = await query(
    db,
    sql`INSERT INTO etl.pipelines (name, description, topics, target_schema, target_table, entity,
               mapping, time_column, time_field, time_format, key_columns, transforms, filters,
               rollup_columns, late_after, late_action, on_duplicate, enabled)
        SELECT ${sql.value(opts.name)}, description, ${sql.value(opts.topics, 'text[]')},
               target_schema, target_table, entity, mapping, time_column, time_field, time_format,
               key_columns, transforms, filters, rollup_columns, late_after, late_action,
               on_duplicate, ${sql.value(opts.enabled ?? true)}
          FROM etl.pipelines WHERE name = ${sql.value(opts.from ?? 'sensor_readings')}`,
  );
  if (res.rowCount !== 1) throw new Error(`no pipeline ${opts.from ?? 'sensor_readings'} to copy`);
}

export interface OffsetRow {
  partition: number;
  next_offset: number;
  messages: number;
  rows_loaded: number;
  dead_letters: number;
}

export async function storedOffsets(
  db: Queryable,
  group: string,
  topic: string,
): Promise<Map<number, OffsetRow>> {
  const { rows } = await query<Record<keyof OffsetRow, string | number>>(
    db,
    sql`SELECT partition, next_offset, messages, rows_loaded, dead_letters
          FROM etl.consumer_offsets
         WHERE consumer_group = ${sql.value(group)} AND topic = ${sql.value(topic)}`,
  );
  return new Map(
    rows.map((r) => [
      Number(r.partition),
      {
        partition: Number(r.partition),
        next_offset: Number(r.next_offset),
        messages: Number(r.messages),
        rows_loaded: Number(r.rows_loaded),
        dead_letters: Number(r.dead_letters),
      },
    ]),
  );
}

/** Messages consumed so far: the sum of the stored next offsets (topics here start at offset 0). */
export async function consumedCount(db: Queryable, group: string, topic: string): Promise<number> {
  let n = 0;
  for (const r of (await storedOffsets(db, group, topic)).values()) n += r.next_offset;
  return n;
}

/**
 * Wait until the group's stored next offset equals the high watermark on every partition of the
 * topic; returns the stored rows. Fails early when every given worker has exited.
 */
export async function waitForConsumed(
  db: Queryable,
  brokers: string[],
  group: string,
  topic: string,
  opts: { timeoutMs?: number; workers?: WorkerProcess[] } = {},
): Promise<Map<number, OffsetRow>> {
  const highs = await highWatermarks(brokers, topic);
  let last = '';
  try {
    return await waitFor(
      `group ${group} to consume ${topic} to its end`,
      async () => {
        const stored = await storedOffsets(db, group, topic);
        last = JSON.stringify(
          [...highs].map(([p, h]) => ({ p, high: h, next: stored.get(p)?.next_offset ?? null })),
        );
        for (const [p, high] of highs) {
          if (high > 0 && stored.get(p)?.next_offset !== high) return null;
        }
        return stored;
      },
      {
        timeoutMs: opts.timeoutMs ?? 90_000,
        intervalMs: 250,
        abort: () =>
          opts.workers && opts.workers.length > 0 && opts.workers.every((w) => w.exit)
            ? `every worker exited (${opts.workers.map((w) => w.exitDescription()).join(', ')})`
            : undefined,
      },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; offsets: ${last}`);
  }
}

/** Collect the notifications of a channel on a dedicated connection. */
export async function listen(
  url: string,
  channel: string,
): Promise<{ payloads: string[]; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  const payloads: string[] = [];
  client.on('notification', (n) => {
    if (n.channel === channel) payloads.push(n.payload ?? '');
  });
  await query(client, sql`LISTEN ${sql.ident(channel)}`);
  const close = async () => {
    await client.end().catch(() => {});
  };
  onCleanup(close);
  return { payloads, close };
}

// ---------------------------------------------------------------------------------------------
// Kafka

export function kafkaClient(brokers: string[], clientId = 'etl-worker-test'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

export async function withAdmin<T>(
  brokers: string[],
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function createTopic(
  brokers: string[],
  topic: string,
  partitions: number,
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  });
}

/** partition → high watermark (the offset the next message will get). */
export async function highWatermarks(
  brokers: string[],
  topic: string,
): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  });
}

/** The members of a consumer group and the partitions each is assigned. */
export async function groupMembers(
  brokers: string[],
  group: string,
): Promise<{ state: string; members: Array<{ clientId: string; partitions: number }> }> {
  return withAdmin(brokers, async (admin) => {
    const { groups } = await admin.describeGroups([group]);
    const g = groups[0]!;
    return {
      state: g.state,
      members: g.members.map((m) => {
        const a =
          m.memberAssignment.length > 0
            ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
            : null;
        const partitions = a ? Object.values(a.assignment).reduce((n, ps) => n + ps.length, 0) : 0;
        return { clientId: m.clientId, partitions };
      }),
    };
  });
}

export interface TestProducer {
  /**
   * Send in order, `chunk` messages a request, waiting for every acknowledgement; returns each
   * message's offset.
   */
  send(topic: string, messages: Message[], chunk?: number): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * An idempotent producer: a retried send never duplicates, so the offsets of what a test sends
 * follow from the order it sends in.
 */
export async function producer(brokers: string[]): Promise<TestProducer> {
  const p = kafkaClient(brokers, 'etl-worker-test-producer').producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await p.connect();
  const close = async () => {
    await p.disconnect().catch(() => {});
  };
  onCleanup(close);
  return {
    async send(topic, messages, chunk = 1000) {
      const offsets: number[] = [];
      for (let i = 0; i < messages.length; i += chunk) {
        const part = messages.slice(i, i + chunk);
        // One send() per partition: kafkajs 2.2.4 retries a send that spans brokers only to the
        // brokers that had not answered, so when a broker dies and its partitions move to one
        // that had, the send resolves without their messages ever being written
        // (tulios/kafkajs#1798). A send to one partition has one broker to retry.
        const groups = new Map<number | undefined, Message[]>();
        for (const m of part) {
          const group = groups.get(m.partition);
          if (group) group.push(m);
          else groups.set(m.partition, [m]);
        }
        const next = new Map<number, number>();
        await Promise.all(
          [...groups.values()].map(async (group) => {
            const meta = await p.send({ topic, acks: -1, messages: group });
            for (const m of meta) next.set(m.partition, Number(m.baseOffset));
          }),
        );
        // messages of one partition get consecutive offsets from the partition's base offset
        for (const m of part) {
          const o = next.get(m.partition!)!;
          offsets.push(o);
          next.set(m.partition!, o + 1);
        }
      }
      return offsets;
    },
    close,
  };
}

export interface ConsumedMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const one = (x: Buffer | string) => (typeof x === 'string' ? x : x.toString('utf8'));
    out[k] = Array.isArray(v) ? v.map(one).join(',') : one(v);
  }
  return out;
}

/**
 * Read a topic from the beginning with a fresh consumer (its own group) until `done` says enough
 * (or the deadline passes, which throws).
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  done: (messages: ConsumedMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ConsumedMessage[]> {
  const consumer = kafkaClient(brokers, 'etl-worker-test-reader').consumer({
    groupId: `etl-test-reader-${uid()}`,
    maxWaitTimeInMs: 200,
  });
  const messages: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          partition,
          offset: Number(message.offset),
          key: message.key,
          value: message.value,
          headers: headerStrings(message.headers),
        });
      },
    });
    await waitFor(`messages of ${topic}`, () => done(messages), { timeoutMs, intervalMs: 200 });
    return messages;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The sensor series

export interface SensorSeries {
  /** device keys are `${prefix}-000`, `${prefix}-001`, … */
  prefix: string;
  devices: number;
  /** readings of device d go to partition d % partitions */
  partitions: number;
  /** time of the first reading of every device, ms; then one reading per device per `stepMs` */
  baseMs: number;
  stepMs: number;
}

export interface SensorReading {
  device_id: string;
  time: string;
  temp_f: number;
  humidity: number;
  /** the message's sequence number in the series: unique, so every row can be traced */
  pressure_hpa: number;
  battery_mv: number;
}

/** A series starting two days ago (well inside the seeded pipeline's 7-day late_after). */
export function sensorSeries(opts: Partial<SensorSeries> & { prefix: string }): SensorSeries {
  const minute = 60_000;
  return {
    devices: 20,
    partitions: 3,
    baseMs: Math.floor((Date.now() - 2 * 86_400_000) / minute) * minute,
    stepMs: 1000,
    ...opts,
  };
}

export function deviceKey(s: SensorSeries, d: number): string {
  return `${s.prefix}-${String(d).padStart(3, '0')}`;
}

/** Reading number `seq` of the series (every field a function of seq). */
export function sensorReading(s: SensorSeries, seq: number): SensorReading {
  return {
    device_id: deviceKey(s, seq % s.devices),
    time: new Date(s.baseMs + Math.floor(seq / s.devices) * s.stepMs).toISOString(),
    temp_f: 40 + ((seq * 37) % 600) / 10,
    humidity: (seq * 13) % 101,
    pressure_hpa: seq,
    battery_mv: 3000 + (seq % 1200),
  };
}

export function sensorMessage(s: SensorSeries, seq: number): Message {
  const r = sensorReading(s, seq);
  return {
    key: r.device_id,
    value: JSON.stringify(r),
    partition: (seq % s.devices) % s.partitions,
    headers: { 'x-test-seq': String(seq) },
  };
}

/** Messages from..to-1 of the series. */
export function sensorMessages(s: SensorSeries, from: number, to: number): Message[] {
  const out: Message[] = [];
  for (let seq = from; seq < to; seq++) out.push(sensorMessage(s, seq));
  return out;
}

const keyHash = (key: string) =>
  parseInt(createHash('md5').update(key).digest('hex').slice(0, 8), 16);

export interface Checksum {
  rows: number;
  distinctSeq: number;
  minSeq: number | null;
  maxSeq: number | null;
  /** exact sums, as decimal strings */
  seqSum: string;
  humiditySum: string;
  timeMsSum: string;
  keyHashSum: string;
  /** °C, a float sum: compare with a tolerance */
  temperatureSum: number;
}

/** What loading readings from..to-1 of the series must give. */
export function expectedChecksum(s: SensorSeries, from: number, to: number): Checksum {
  let seqSum = 0n;
  let humiditySum = 0n;
  let timeMsSum = 0n;
  let keyHashSum = 0n;
  let temperatureSum = 0;
  const hashes = new Map<string, number>();
  for (let seq = from; seq < to; seq++) {
    const r = sensorReading(s, seq);
    seqSum += BigInt(seq);
    humiditySum += BigInt(r.humidity);
    timeMsSum += BigInt(Date.parse(r.time));
    let h = hashes.get(r.device_id);
    if (h === undefined) hashes.set(r.device_id, (h = keyHash(r.device_id)));
    keyHashSum += BigInt(h);
    temperatureSum += ((r.temp_f - 32) * 5) / 9;
  }
  const n = Math.max(0, to - from);
  return {
    rows: n,
    distinctSeq: n,
    minSeq: n > 0 ? from : null,
    maxSeq: n > 0 ? to - 1 : null,
    seqSum: seqSum.toString(),
    humiditySum: humiditySum.toString(),
    timeMsSum: timeMsSum.toString(),
    keyHashSum: keyHashSum.toString(),
    temperatureSum,
  };
}

/** The same figures, computed in SQL over the loaded rows of the series' devices. */
export async function loadedChecksum(db: Queryable, s: SensorSeries): Promise<Checksum> {
  const { rows } = await query<{
    rows: string;
    distinct_seq: string;
    min_seq: string | null;
    max_seq: string | null;
    seq_sum: string;
    humidity_sum: string;
    time_ms_sum: string;
    key_hash_sum: string;
    temperature_sum: string;
  }>(
    db,
    sql`SELECT count(*)::text AS rows,
               count(DISTINCT r.pressure)::text AS distinct_seq,
               min(r.pressure)::text AS min_seq,
               max(r.pressure)::text AS max_seq,
               coalesce(sum(r.pressure::numeric), 0)::text AS seq_sum,
               coalesce(sum(r.humidity::numeric), 0)::text AS humidity_sum,
               coalesce(sum((extract(epoch FROM r.ts) * 1000)::numeric), 0)::text AS time_ms_sum,
               coalesce(sum(('x' || substr(md5(e.key), 1, 8))::bit(32)::bigint::numeric), 0)::text
                 AS key_hash_sum,
               coalesce(sum(r.temperature), 0)::text AS temperature_sum
          FROM public.sensor_readings r
          JOIN public.entities e ON e.id = r.entity_id
         WHERE e.kind = 'sensor' AND e.key LIKE ${sql.value(`${s.prefix}-%`)}`,
  );
  const r = rows[0]!;
  const num = (v: string | null) => (v === null ? null : Number(v));
  // numeric text of an integral sum may carry a fraction of zeros: normalise to an integer string
  const int = (v: string | null) => (v === null ? '0' : BigInt(v.replace(/\.0*$/, '')).toString());
  return {
    rows: Number(r.rows),
    distinctSeq: Number(r.distinct_seq),
    minSeq: num(r.min_seq),
    maxSeq: num(r.max_seq),
    seqSum: int(r.seq_sum),
    humiditySum: int(r.humidity_sum),
    timeMsSum: int(r.time_ms_sum),
    keyHashSum: int(r.key_hash_sum),
    temperatureSum: Number(r.temperature_sum),
  };
}

/**
 * Rows of the series' devices whose stored values differ from what the reading with their sequence
 * number must give: entity, time, °F → °C, humidity, mV → V, and the derived dew point.
 */
export async function sensorMismatches(db: Queryable, s: SensorSeries): Promise<number> {
  const { rows } = await query<{ n: string }>(
    db,
    sql`WITH x AS (
          SELECT r.*, e.key, r.pressure::bigint AS seq,
                 ((40 + ((r.pressure::bigint * 37) % 600) / 10.0)::float8 - 32) * 5 / 9 AS want_temp
            FROM public.sensor_readings r
            JOIN public.entities e ON e.id = r.entity_id
           WHERE e.kind = 'sensor' AND e.key LIKE ${sql.value(`${s.prefix}-%`)}
        )
        SELECT count(*)::text AS n FROM x
         WHERE x.key <> ${sql.value(`${s.prefix}-`)} || lpad((x.seq % ${sql.value(s.devices)})::text, 3, '0')
            OR x.ts <> to_timestamp(${sql.value(s.baseMs / 1000)}::float8)
                       + (x.seq / ${sql.value(s.devices)}) * ${sql.value(s.stepMs)} * interval '1 millisecond'
            OR x.temperature IS NULL OR abs(x.temperature - x.want_temp) > 1e-9
            OR x.humidity IS DISTINCT FROM ((x.seq * 13) % 101)::float8
            OR x.battery IS NULL OR abs(x.battery - (3000 + x.seq % 1200) / 1000.0) > 1e-12
            OR x.dew_point IS NULL
            OR abs(x.dew_point - (x.temperature - (100 - x.humidity) / 5)) > 1e-9`,
  );
  return Number(rows[0]!.n);
}

/**
 * Buckets of rollups_1m / rollups_1h (stream sensor_readings, the series' devices) that disagree
 * with count/min/max/sum/last recomputed from the raw rows, per metric; 0 when consistent.
 */
export async function rollupMismatches(
  db: Queryable,
  s: SensorSeries,
  table: 'rollups_1m' | 'rollups_1h',
): Promise<number> {
  const width = table === 'rollups_1m' ? '1 minute' : '1 hour';
  const { rows } = await query<{ n: string }>(
    db,
    sql`WITH ents AS (
          SELECT id FROM public.entities
           WHERE kind = 'sensor' AND key LIKE ${sql.value(`${s.prefix}-%`)}
        ), pts AS (
          SELECT r.entity_id, r.ts, m.metric, m.value
            FROM public.sensor_readings r
            JOIN ents ON ents.id = r.entity_id
           CROSS JOIN LATERAL (VALUES ('temperature', r.temperature), ('humidity', r.humidity),
                                      ('pressure', r.pressure), ('battery', r.battery)) AS m(metric, value)
           WHERE m.value IS NOT NULL
        ), raw AS (
          SELECT entity_id, metric,
                 date_bin(${sql.value(width)}::interval, ts, timestamptz '2000-01-01 00:00:00+00') AS bucket,
                 count(*) AS n, min(value) AS mn, max(value) AS mx, sum(value) AS s,
                 max(ts) AS lt, (array_agg(value ORDER BY ts DESC))[1] AS lv
            FROM pts GROUP BY 1, 2, 3
        ), roll AS (
          SELECT r.entity_id, r.metric, r.bucket, r.count, r.min, r.max, r.sum, r.last, r.last_ts
            FROM ${sql.ident('public', table)} r
            JOIN ents ON ents.id = r.entity_id
           WHERE r.stream = 'sensor_readings'
        )
        SELECT count(*)::text AS n
          FROM raw FULL JOIN roll USING (entity_id, metric, bucket)
         WHERE raw.n IS DISTINCT FROM roll.count
            OR raw.mn IS DISTINCT FROM roll.min
            OR raw.mx IS DISTINCT FROM roll.max
            OR raw.s IS NULL OR roll.sum IS NULL
            OR abs(raw.s - roll.sum) > 1e-6 * greatest(1, abs(raw.s))
            OR raw.lt IS DISTINCT FROM roll.last_ts
            OR raw.lv IS DISTINCT FROM roll.last`,
  );
  return Number(rows[0]!.n);
}

/** sum(count) of a metric's rollups for the series' devices (must equal the row count). */
export async function rollupCount(
  db: Queryable,
  s: SensorSeries,
  table: 'rollups_1m' | 'rollups_1h',
  metric = 'pressure',
): Promise<number> {
  const { rows } = await query<{ n: string }>(
    db,
    sql`SELECT coalesce(sum(r.count), 0)::text AS n
          FROM ${sql.ident('public', table)} r
          JOIN public.entities e ON e.id = r.entity_id
         WHERE r.stream = 'sensor_readings' AND r.metric = ${sql.value(metric)}
           AND e.kind = 'sensor' AND e.key LIKE ${sql.value(`${s.prefix}-%`)}`,
  );
  return Number(rows[0]!.n);
}

/** Everything a test needs to run one worker group on one topic of sensor readings. */
export interface SensorSetup {
  db: TestDatabase;
  brokers: string[];
  topic: string;
  group: string;
  deadLetterTopic: string;
  pipeline: string;
  series: SensorSeries;
}

/**
 * A private database with the seeded pipelines disabled and one sensor pipeline on a new topic
 * (created here with `partitions` partitions), a consumer group and a dead-letter topic of its own.
 */
export async function sensorSetup(
  opts: {
    partitions?: number;
    devices?: number;
    brokers?: string[];
    db?: TestDatabase;
  } = {},
): Promise<SensorSetup> {
  const id = uid();
  const brokers = opts.brokers ?? inject('kafkaBrokers');
  const db = opts.db ?? (await freshDatabase());
  const topic = `etl-test-sensors-${id}`;
  const pipeline = `sensors_${id}`;
  const partitions = opts.partitions ?? 3;
  await disableSeedPipelines(db.pool);
  await copyPipeline(db.pool, { name: pipeline, topics: [topic] });
  await createTopic(brokers, topic, partitions);
  return {
    db,
    brokers,
    topic,
    group: `etl-test-${id}`,
    deadLetterTopic: `etl-test-dlq-${id}`,
    pipeline,
    series: sensorSeries({ prefix: `s${id}`, partitions, devices: opts.devices ?? 20 }),
  };
}

/** Everything the loaded rows and the stored offsets must say once `count` readings are in. */
export async function expectExactLoad(
  setup: SensorSetup,
  count: number,
  opts: { deadLetters?: number } = {},
): Promise<void> {
  const { db, series } = setup;
  const want = expectedChecksum(series, 0, count);
  const got = await loadedChecksum(db.pool, series);
  expect({ ...got, temperatureSum: 0 }).toEqual({ ...want, temperatureSum: 0 });
  expect(Math.abs(got.temperatureSum - want.temperatureSum)).toBeLessThan(1e-6 * count);
  expect(await sensorMismatches(db.pool, series)).toBe(0);
  // the rollups count every row once: a redelivered batch would count twice
  expect(await rollupCount(db.pool, series, 'rollups_1m')).toBe(count);
  expect(await rollupCount(db.pool, series, 'rollups_1h')).toBe(count);
  expect(await rollupMismatches(db.pool, series, 'rollups_1m')).toBe(0);
  expect(await rollupMismatches(db.pool, series, 'rollups_1h')).toBe(0);
  // the bookkeeping agrees: every offset counted once, every row once, the end of every partition
  const highs = await highWatermarks(setup.brokers, setup.topic);
  const stored = await storedOffsets(db.pool, setup.group, setup.topic);
  let messages = 0;
  let rowsLoaded = 0;
  let deadLetters = 0;
  for (const [p, high] of highs) {
    if (high === 0) continue;
    expect(stored.get(p)?.next_offset, `next_offset of partition ${p}`).toBe(high);
  }
  for (const r of stored.values()) {
    messages += r.messages;
    rowsLoaded += r.rows_loaded;
    deadLetters += r.dead_letters;
  }
  expect(messages).toBe(count + (opts.deadLetters ?? 0));
  expect(rowsLoaded).toBe(count);
  expect(deadLetters).toBe(opts.deadLetters ?? 0);
}

/**
 * The options of a worker in the setup's consumer group, on its database, brokers and dead-letter
 * topic; `env` overrides the test defaults of `workerEnv()`.
 */
export function workerFor(
  s: SensorSetup,
  name: string,
  env: Record<string, string> = {},
): WorkerOptions {
  return {
    databaseUrl: s.db.url,
    brokers: s.brokers,
    groupId: s.group,
    deadLetterTopic: s.deadLetterTopic,
    name,
    env,
  };
}

/** A `waitFor` abort: stop waiting at once (naming the exit) when the worker has exited. */
export const abortOn = (w: WorkerProcess) => () =>
  w.exit ? `worker ${w.exitDescription()}` : undefined;

// ---------------------------------------------------------------------------------------------
// A small second stream: meter readings into a table of their own

/** A small table of meter readings, not partitioned, for a pipeline declared at run time. */
export async function createMeterTable(db: Queryable, table: string): Promise<void> {
  await query(
    db,
    sql`CREATE TABLE ${sql.ident('public', table)} (
          entity_id bigint NOT NULL,
          ts timestamptz NOT NULL,
          reading double precision NOT NULL,
          unit text,
          PRIMARY KEY (entity_id, ts))`,
  );
}

export async function declareMeterPipeline(
  db: Queryable,
  name: string,
  topic: string,
  table: string,
  mapping: Record<string, unknown> = {
    reading: { path: '$.v', type: 'float8', required: true },
    unit: { path: '$.u', type: 'text' },
  },
): Promise<void> {
  await query(
    db,
    sql`INSERT INTO etl.pipelines (name, description, topics, target_table, entity, mapping,
                                   time_field, time_format, key_columns)
        VALUES (${sql.value(name)}, 'meters, declared by a test', ${sql.value([topic], 'text[]')},
                ${sql.value(table)}, ${sql.value(JSON.stringify({ kind: 'meter', key: '$.meter' }))}::jsonb,
                ${sql.value(JSON.stringify(mapping))}::jsonb, '$.t', 'epoch_ms',
                ARRAY['entity_id', 'ts'])`,
  );
}

/**
 * A meter pipeline of its own beside the setup's: its table and declaration, and its topic when
 * `partitions` is given (without, the worker creates the topic when it picks the pipeline up).
 */
export async function meterPipeline(
  s: SensorSetup,
  opts: { partitions?: number } = {},
): Promise<{ id: string; table: string; name: string; topic: string }> {
  const id = uid();
  const table = `meters_${id}`;
  const name = `meters_${id}`;
  const topic = `etl-test-meters-${id}`;
  if (opts.partitions !== undefined) await createTopic(s.brokers, topic, opts.partitions);
  await createMeterTable(s.db.pool, table);
  await declareMeterPipeline(s.db.pool, name, topic, table);
  return { id, table, name, topic };
}

/** Meter message n: meter m-(n % 5), one reading per meter per second, value n. */
export function meterMessages(prefix: string, from: number, to: number): Message[] {
  const base = Date.now() - 3_600_000;
  const out: Message[] = [];
  for (let n = from; n < to; n++) {
    out.push({
      key: `${prefix}-${n % 5}`,
      value: JSON.stringify({ meter: `${prefix}-${n % 5}`, t: base + n * 1000, v: n, u: 'kWh' }),
    });
  }
  return out;
}

export async function meterRows(
  db: Queryable,
  table: string,
): Promise<{ n: number; distinct: number; sum: number }> {
  const { rows } = await query<{ n: string; d: string; s: string | null }>(
    db,
    sql`SELECT count(*)::text AS n, count(DISTINCT reading)::text AS d, sum(reading)::text AS s
          FROM ${sql.ident('public', table)}`,
  );
  return { n: Number(rows[0]!.n), distinct: Number(rows[0]!.d), sum: Number(rows[0]!.s ?? 0) };
}

/** What meter messages from..to-1 give. */
export const meterWant = (from: number, to: number) => ({
  n: to - from,
  distinct: to - from,
  sum: ((to - 1 + from) * (to - from)) / 2,
});
