/**
 * The local Kafka broker launcher: a real Apache Kafka 4.x broker (KRaft, single node acting as
 * broker and controller), or a cluster of such nodes sharing one controller quorum
 * (startKafkaCluster()), run straight from the jars Maven Central publishes, so a machine needs
 * only Java 17+ and Maven, not Docker. The jars are fetched once into stack/kafka/lib (git-ignored);
 * the broker's data lives in a caller-chosen dataDir and is kept across restarts.
 *
 * Set KAFKA_BROKERS (comma separated host:port list) to use an existing cluster instead; see
 * resolveKafka().
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts } from './ports.ts';

export type Log = (msg: string) => void;

export interface KafkaBroker {
  brokers: string[];
  pid: number;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  dataDir: string;
  /** Client (PLAINTEXT) port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number;
  /** KRaft controller port on 127.0.0.1; 0 or undefined picks a free one. */
  controllerPort?: number;
  /** Maximum JVM heap in MB (default 512). */
  heapMb?: number;
  log?: Log;
  /** How long to wait for the broker to answer describeCluster() (default 90 s). */
  readyTimeoutMs?: number;
  /** Where ensureKafkaJars() put the jars (default stack/kafka/lib). */
  libDir?: string;
  /** Environment used to find `java` (PATH, JAVA_HOME); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedKafka {
  brokers: string[];
  stop(): Promise<void>;
  /** True when KAFKA_BROKERS pointed at a cluster we did not start. */
  external: boolean;
  /** The broker's JVM, when we started one broker. */
  pid?: number;
  /** Every broker JVM we started (none for KAFKA_BROKERS). */
  pids: number[];
}

const KAFKA_DIR = fileURLToPath(new URL('../kafka/', import.meta.url));
const POM_PATH = path.join(KAFKA_DIR, 'pom.xml');
const LOG4J_CONFIG = path.join(KAFKA_DIR, 'log4j2.properties');
export const DEFAULT_LIB_DIR = path.join(KAFKA_DIR, 'lib');

const MARKER_FILE = '.kafka-version';
const LOCK_FILE = '.fetch.lock';
const HOST = '127.0.0.1';
const NODE_ID = 1;
const STOP_GRACE_MS = 20_000;
// A node of a cluster first waits for the controller to move its partition leaders away
// (controlled shutdown), then for its quorum (Kafka bounds that at 5 s): more than one node alone.
const CLUSTER_STOP_GRACE_MS = 45_000;

const JAVA_HINT =
  'Java 17+ is required to run the local Kafka broker: apt-get install openjdk-17-jre-headless, ' +
  'or set KAFKA_BROKERS to use an existing cluster';
const MAVEN_HINT =
  'Maven is required to fetch the Kafka broker jars from Maven Central: apt-get install maven, ' +
  'or set KAFKA_BROKERS to use an existing cluster';

const noop: Log = () => {};

// ---------------------------------------------------------------------------------------------
// Prerequisites

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        env: opts.env,
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && typeof e.code === 'string') {
          resolve({ code: null, stdout, stderr, spawnError: e });
          return;
        }
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

function javaCommand(env: NodeJS.ProcessEnv): string {
  // Same rule as Kafka's bin/kafka-run-class.sh: JAVA_HOME wins over PATH.
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** The major version in `java -version` output: `"17.0.15"` -> 17, `"1.8.0_292"` -> 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

/** Throws an Error naming what to install unless a Java 17+ runtime is on PATH (or JAVA_HOME). */
export async function checkJava(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const java = javaCommand(env);
  const res = await run(java, ['-version'], { env, timeoutMs: 30_000 });
  if (res.spawnError)
    throw new Error(`${JAVA_HINT} (could not run '${java}': ${res.spawnError.code})`);
  const output = `${res.stderr}\n${res.stdout}`;
  const major = parseJavaMajor(output);
  if (res.code !== 0 || major === undefined) {
    throw new Error(
      `${JAVA_HINT} ('${java} -version' failed: ${output.trim().split('\n')[0] ?? ''})`,
    );
  }
  if (major < 17) throw new Error(`${JAVA_HINT} (found Java ${major} at '${java}')`);
  return major;
}

/** Throws an Error naming what to install unless `mvn` is on PATH. */
export async function checkMaven(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const res = await run('mvn', ['-v'], { env, timeoutMs: 60_000 });
  if (res.spawnError)
    throw new Error(`${MAVEN_HINT} (could not run 'mvn': ${res.spawnError.code})`);
  if (res.code !== 0) {
    throw new Error(
      `${MAVEN_HINT} ('mvn -v' failed: ${(res.stderr || res.stdout).trim().split('\n')[0] ?? ''})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Jars

/** The pinned Kafka version: the `kafka.version` property of stack/kafka/pom.xml. */
export function kafkaVersion(): string {
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(
    readFileSync(POM_PATH, 'utf8'),
  );
  if (!m?.[1]) throw new Error(`no <kafka.version> property in ${POM_PATH}`);
  return m[1];
}

function jarsComplete(libDir: string, version: string): boolean {
  // The marker is written only after Maven finished, so a half-copied lib/ never counts.
  const marker = path.join(libDir, MARKER_FILE);
  return (
    existsSync(path.join(libDir, `kafka_2.13-${version}.jar`)) &&
    existsSync(marker) &&
    readFileSync(marker, 'utf8').trim() === version
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0) until its parent reaps it, but it is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Serializes fetches across processes (parallel test files, npm start) with an exclusive lock file
 * inside the git-ignored lib/ dir. A lock whose owner died is taken over.
 */
async function withFetchLock<T>(
  libDir: string,
  fn: () => Promise<T>,
  isDone: () => boolean,
): Promise<T | undefined> {
  const lock = path.join(libDir, LOCK_FILE);
  for (;;) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
      if (owner > 0 && !isAlive(owner)) {
        await fs.rm(lock, { force: true });
        continue;
      }
      await sleep(500);
      if (isDone()) return undefined;
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function fetchJars(
  libDir: string,
  version: string,
  env: NodeJS.ProcessEnv,
  log: Log,
): Promise<void> {
  await checkMaven(env);
  // Start from an empty lib/: jars of another Kafka version would end up on the same classpath.
  for (const entry of await fs.readdir(libDir)) {
    if (entry !== LOCK_FILE)
      await fs.rm(path.join(libDir, entry), { recursive: true, force: true });
  }
  log(`fetching the Kafka ${version} broker jars with Maven into ${libDir} (first run only)`);
  const started = Date.now();
  const args = [
    '-q',
    '-B',
    '-f',
    POM_PATH,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
  ];
  // `lib` is resolved against the POM's folder; an explicit libDir elsewhere is passed as is.
  args.push(`-DoutputDirectory=${libDir === DEFAULT_LIB_DIR ? 'lib' : libDir}`);
  const res = await run('mvn', args, { env, cwd: KAFKA_DIR, timeoutMs: 15 * 60_000 });
  if (res.code !== 0) {
    const out = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(
      `mvn dependency:copy-dependencies failed for ${POM_PATH} (exit ${res.code}):\n${out}`,
    );
  }
  if (!existsSync(path.join(libDir, `kafka_2.13-${version}.jar`))) {
    throw new Error(`mvn finished but ${libDir} has no kafka_2.13-${version}.jar`);
  }
  await fs.writeFile(path.join(libDir, MARKER_FILE), `${version}\n`);
  const jars = (await fs.readdir(libDir)).filter((f) => f.endsWith('.jar'));
  log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const inflightFetches = new Map<string, Promise<string>>();

/**
 * Makes sure the Kafka broker jars (the version pinned in stack/kafka/pom.xml) are in lib/, fetching
 * them with Maven the first time. Returns the lib dir.
 */
export async function ensureKafkaJars(
  opts: { log?: Log; env?: NodeJS.ProcessEnv; libDir?: string } = {},
): Promise<string> {
  const log = opts.log ?? noop;
  const env = opts.env ?? process.env;
  const libDir = path.resolve(opts.libDir ?? DEFAULT_LIB_DIR);
  await checkJava(env);
  const version = kafkaVersion();
  if (jarsComplete(libDir, version)) return libDir;

  let pending = inflightFetches.get(libDir);
  if (!pending) {
    pending = (async () => {
      await fs.mkdir(libDir, { recursive: true });
      await withFetchLock(
        libDir,
        async () => {
          if (!jarsComplete(libDir, version)) await fetchJars(libDir, version, env, log);
        },
        () => jarsComplete(libDir, version),
      );
      if (!jarsComplete(libDir, version))
        throw new Error(`Kafka jars in ${libDir} are incomplete after a fetch`);
      return libDir;
    })().finally(() => inflightFetches.delete(libDir));
    inflightFetches.set(libDir, pending);
  }
  return pending;
}

// ---------------------------------------------------------------------------------------------
// Ports, config and storage

async function choosePorts(
  port?: number,
  controllerPort?: number,
): Promise<{ port: number; controllerPort: number }> {
  // Three candidates: enough to avoid whichever port the caller fixed.
  const free = (await freePorts(3)).filter((p) => p !== port && p !== controllerPort);
  const client = port || free.shift() || 0;
  const controller = controllerPort || free.shift() || 0;
  return { port: client, controllerPort: controller };
}

function escapeProperty(value: string): string {
  // java.util.Properties treats backslashes as escapes; paths with them must be doubled.
  return value.replace(/\\/g, '\\\\');
}

/** One KRaft node of a local cluster: its own folder (properties, log dir, pid, log) and ports. */
interface NodeLayout {
  nodeId: number;
  dir: string;
  port: number;
  controllerPort: number;
}

/**
 * The replication settings a cluster of `size` brokers can honour: three copies at most, and a
 * write acknowledged by all (acks=all) needs two in sync once there are three, so losing one broker
 * neither loses an acknowledged write nor stops writes.
 */
function replicationFor(size: number): { replicationFactor: number; minInsyncReplicas: number } {
  return { replicationFactor: Math.min(3, size), minInsyncReplicas: size >= 3 ? 2 : 1 };
}

function serverProperties(node: NodeLayout, voters: string, size: number): string {
  const { replicationFactor, minInsyncReplicas } = replicationFor(size);
  const settings: Record<string, string | number | boolean> = {
    // Every node is broker and controller: the controller quorum is the nodes themselves.
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    // Static voters: nothing about the voter endpoints is persisted (meta.properties and the raft
    // quorum-state hold only ids), so a reused dataDir may come back on different ports.
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': escapeProperty(path.join(node.dir, 'kraft-logs')),

    'auto.create.topics.enable': true,
    'num.partitions': 1,
    'default.replication.factor': replicationFactor,
    'min.insync.replicas': minInsyncReplicas,
    // The internal topics cannot have more replicas than brokers (on a single node kafkajs#1752
    // loops on "group coordinator is not available" otherwise); on three they survive a broker.
    'offsets.topic.replication.factor': replicationFactor,
    'transaction.state.log.replication.factor': replicationFactor,
    'transaction.state.log.min.isr': minInsyncReplicas,
    'share.coordinator.state.topic.replication.factor': replicationFactor,
    'share.coordinator.state.topic.min.isr': minInsyncReplicas,
    // The defaults (50 partitions each) are created and loaded on the first group join / transaction.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.num.partitions': 1,
    // No 3 s wait before the first rebalance of a new consumer group.
    'group.initial.rebalance.delay.ms': 0,

    // Sized for a 2-core dev machine instead of a production box.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'background.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'group.coordinator.threads': 1,
    'log.cleaner.threads': 1,
    // 128 MB by default, taken from the heap once the cleaner runs; compacted topics here are tiny.
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
  };
  if (size > 1) {
    // A follower that stopped fetching for 10 s (a broker killed) leaves the ISR then, rather than
    // after the default 30 s during which acks=all writes to its partitions wait.
    settings['replica.lag.time.max.ms'] = 10_000;
    // A broker killed is fenced (its partitions get new leaders) after 6 s without a heartbeat
    // to the controller, rather than the default 9 s.
    settings['broker.session.timeout.ms'] = 6_000;
    settings['broker.heartbeat.interval.ms'] = 1_000;
    // Fewer replica fetcher threads than the default on a machine running three brokers.
    settings['num.replica.fetchers'] = 1;
  }
  const lines = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  return `# Written by stack/src/kafka.ts on every start; edits are overwritten.\n${lines.join('\n')}\n`;
}

function newClusterId(): string {
  // Kafka's Uuid.randomUuid() avoids a leading '-', which the storage CLI would read as an option.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function clusterIdFor(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'cluster.id');
  const existing = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = newClusterId();
  await fs.writeFile(file, `${id}\n`);
  return id;
}

function javaBaseArgs(heapMb: number, libDir: string): string[] {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(heapMb, 256)}m`,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    '-cp',
    // java expands the wildcard itself; no shell is involved
    path.join(libDir, '*'),
  ];
}

/** Formats the KRaft storage once per dataDir; later starts reuse it with whatever ports they get. */
async function formatStorageIfNeeded(
  dataDir: string,
  logDir: string,
  propsFile: string,
  libDir: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
  log: Log,
): Promise<void> {
  if (existsSync(path.join(logDir, 'meta.properties'))) return;
  const clusterId = await clusterIdFor(dataDir);
  log(`formatting Kafka storage in ${logDir} (cluster id ${clusterId})`);
  const args = [
    ...javaBaseArgs(256, libDir),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    propsFile,
  ];
  const res = await run(javaCommand(env), args, { env, timeoutMs: 120_000 });
  await fs.appendFile(logFile, `${res.stdout}${res.stderr}`);
  if (res.code !== 0) {
    const out = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(
      `kafka.tools.StorageTool format failed (exit ${res.code ?? res.spawnError?.code}):\n${out}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Process lifecycle

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // The broker runs in its own process group (detached), so -pid reaches it and anything it forked.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * SIGTERM (Kafka's shutdown hook exits cleanly), then SIGKILL after the grace period. `isGone`
 * defaults to "no such process"; for our own child it must be "reaped", or kill(pid, 0) would
 * still find the zombie right after we return.
 */
async function terminate(
  pid: number,
  graceMs: number,
  isGone = () => !isAlive(pid),
): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  if (await waitUntil(isGone, graceMs)) return;
  signalGroup(pid, 'SIGKILL');
  if (!(await waitUntil(isGone, 10_000)))
    throw new Error(`Kafka broker pid ${pid} survived SIGKILL`);
}

async function readCmdline(pid: number): Promise<string | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
  } catch {
    // Not Linux: ask ps instead.
    const res = await run('ps', ['-o', 'command=', '-p', String(pid)], { timeoutMs: 10_000 });
    return res.code === 0 ? res.stdout : undefined;
  }
}

/**
 * A launcher that died without stop() (kill -9, a crashed test run) leaves its broker running on
 * this dataDir, holding the log dir lock. Stop it, but only if the pid still is that broker.
 */
async function stopStaleBroker(dataDir: string, log: Log): Promise<void> {
  const pidFile = path.join(dataDir, 'broker.pid');
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const cmdline = await readCmdline(pid);
  // The properties path, not just dataDir: /x/kafka must not match a broker on /x/kafka-2.
  if (
    !cmdline?.includes('kafka.Kafka') ||
    !cmdline.includes(path.join(dataDir, 'server.properties'))
  )
    return;
  log(`stopping a stale Kafka broker (pid ${pid}) left running on ${dataDir}`);
  await terminate(pid, STOP_GRACE_MS);
  await fs.rm(pidFile, { force: true });
}

async function rotateLog(logFile: string): Promise<void> {
  // Keep the previous run's log: it is what explains a crash that made us restart.
  if (existsSync(logFile)) await fs.rename(logFile, `${logFile}.1`);
}

async function tailFile(file: string, lines: number): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function spawnBroker(javaArgs: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(javaCommand(env), javaArgs, {
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    // Do not keep the caller's event loop alive just for the broker; stop() still awaits its exit.
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * One readiness round trip; resolves with the error instead of throwing. With `groupCoordinator`,
 * also looks up a group coordinator: on a fresh broker that creates __consumer_offsets, which
 * otherwise happens on the first consumer join and makes kafkajs log "The group coordinator is
 * not available" errors in the app.
 */
async function probeCluster(
  brokers: string[],
  groupCoordinator: boolean,
  size = 1,
): Promise<Error | undefined> {
  const kafka = new Kafka({
    clientId: 'streamsync-kafka-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < size) {
      return new Error(`describeCluster() names ${cluster.brokers.length} of ${size} brokers`);
    }
    if (groupCoordinator) await admin.describeGroups(['streamsync-kafka-probe']);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Polls probeCluster() until it succeeds; `abort` is checked between attempts (e.g. JVM exited). */
async function waitForCluster(
  brokers: string[],
  deadline: number,
  opts: { groupCoordinator: boolean; size?: number; abort?: () => string | undefined },
): Promise<void> {
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(reason);
    const error = await probeCluster(brokers, opts.groupCoordinator, opts.size);
    if (!error) return;
    if (Date.now() >= deadline) {
      const what = opts.groupCoordinator
        ? 'describeCluster()/group coordinator'
        : 'describeCluster()';
      throw new Error(`${what} did not succeed: ${error.message}`);
    }
    await sleep(250);
  }
}

async function waitForPort(
  port: number,
  deadline: number,
  abort: () => string | undefined,
): Promise<void> {
  for (;;) {
    const reason = abort();
    if (reason) throw new Error(reason);
    if (await canConnect(port)) return;
    if (Date.now() >= deadline) throw new Error(`nothing accepted connections on ${HOST}:${port}`);
    await sleep(200);
  }
}

/** A node's JVM, spawned and not yet known to be ready. */
interface LaunchedNode {
  nodeId: number;
  pid: number;
  port: number;
  logFile: string;
  /** Why the JVM exited, once it has. */
  exitReason(): string | undefined;
  /** SIGTERM, SIGKILL after the grace period; resolves once the JVM is reaped. */
  stop(graceMs?: number): Promise<void>;
  /** Signal the JVM (e.g. SIGKILL, for a failure test); resolves once it is reaped. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

interface LaunchOptions {
  node: NodeLayout;
  voters: string;
  size: number;
  /** the folder holding cluster.id, shared by every node of the cluster */
  clusterRoot: string;
  libDir: string;
  heapMb: number;
  env: NodeJS.ProcessEnv;
  log: Log;
}

/** Writes a node's properties, formats its storage the first time, and spawns its JVM. */
async function launchNode(o: LaunchOptions): Promise<LaunchedNode> {
  const { node, env, log } = o;
  await fs.mkdir(node.dir, { recursive: true });
  await stopStaleBroker(node.dir, log);
  const logDir = path.join(node.dir, 'kraft-logs');
  const propsFile = path.join(node.dir, 'server.properties');
  const logFile = path.join(node.dir, 'broker.log');
  const pidFile = path.join(node.dir, 'broker.pid');
  await fs.writeFile(propsFile, serverProperties(node, o.voters, o.size));
  await rotateLog(logFile);
  await formatStorageIfNeeded(o.clusterRoot, logDir, propsFile, o.libDir, env, logFile, log);

  const javaArgs = [
    ...javaBaseArgs(o.heapMb, o.libDir),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    // A broker that ran out of heap is useless; die so the launcher/tests see it.
    '-XX:+ExitOnOutOfMemoryError',
    'kafka.Kafka',
    propsFile,
  ];
  const child = spawnBroker(javaArgs, env, logFile);
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((r) => child.once('error', r));
    throw new Error(`could not start '${javaCommand(env)}': ${err.message}`);
  }
  await fs.writeFile(pidFile, `${pid}\n`);

  const reaped = () => child.exitCode !== null || child.signalCode !== null;
  let exitReason: string | undefined;
  child.once('exit', (code, signal) => {
    const which = o.size > 1 ? ` of node ${node.nodeId}` : '';
    exitReason = `the Kafka JVM (pid ${pid}${which}) exited early (${signal ?? `code ${code}`})`;
  });
  // Best effort for a caller that exits without stop(): do not leave an orphaned broker behind.
  const onExit = () => signalGroup(pid, 'SIGTERM');
  process.once('exit', onExit);

  const release = async () => {
    process.removeListener('exit', onExit);
    // Only remove the pid file if it is still ours (a later start may have replaced it).
    const current = (await fs.readFile(pidFile, 'utf8').catch(() => '')).trim();
    if (current === String(pid)) await fs.rm(pidFile, { force: true });
  };
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = STOP_GRACE_MS) => {
    stopping ??= terminate(pid, graceMs, reaped).then(release);
    return stopping;
  };
  const kill = async (signal: NodeJS.Signals) => {
    signalGroup(pid, signal);
    if (!(await waitUntil(reaped, 10_000))) throw new Error(`Kafka pid ${pid} survived ${signal}`);
    await release();
  };
  return {
    nodeId: node.nodeId,
    pid,
    port: node.port,
    logFile,
    exitReason: () => exitReason,
    stop,
    kill,
  };
}

/**
 * Waits until every node answers and the cluster names all of them; on failure stops them all and
 * throws with the last lines of the log of the node that failed (or the first).
 */
async function awaitNodes(
  nodes: LaunchedNode[],
  started: number,
  readyTimeoutMs: number,
): Promise<void> {
  const abort = () => nodes.map((n) => n.exitReason()).find(Boolean);
  try {
    const deadline = started + readyTimeoutMs;
    for (const n of nodes) await waitForPort(n.port, deadline, abort);
    await waitForCluster(
      nodes.map((n) => `${HOST}:${n.port}`),
      deadline,
      { groupCoordinator: true, size: nodes.length, abort },
    );
  } catch (e) {
    const failed = nodes.find((n) => n.exitReason()) ?? nodes[0]!;
    await Promise.all(nodes.map((n) => n.stop(5_000).catch(() => {})));
    const tail = await tailFile(failed.logFile, 30);
    const why = abort() ?? `not ready after ${readyTimeoutMs} ms: ${(e as Error).message}`;
    throw new Error(
      `Kafka ${nodes.length > 1 ? 'cluster' : 'broker'} failed to start: ${why}\n--- last lines of ${failed.logFile} ---\n${tail}`,
    );
  }
}

function jarsOrThrow(libDir: string): void {
  const version = kafkaVersion();
  if (!jarsComplete(libDir, version)) {
    throw new Error(`the Kafka ${version} jars are not in ${libDir}: call ensureKafkaJars() first`);
  }
}

/**
 * Starts a single-node Kafka broker on 127.0.0.1 whose data lives in dataDir, and resolves once it
 * answers describeCluster(). The jars must already be in place (ensureKafkaJars()).
 */
export async function startKafka(opts: StartKafkaOptions): Promise<KafkaBroker> {
  const log = opts.log ?? noop;
  const libDir = path.resolve(opts.libDir ?? DEFAULT_LIB_DIR);
  const dataDir = path.resolve(opts.dataDir);
  jarsOrThrow(libDir);
  const { port, controllerPort } = await choosePorts(opts.port, opts.controllerPort);
  const started = Date.now();
  const node = await launchNode({
    node: { nodeId: NODE_ID, dir: dataDir, port, controllerPort },
    voters: `${NODE_ID}@${HOST}:${controllerPort}`,
    size: 1,
    clusterRoot: dataDir,
    libDir,
    heapMb: opts.heapMb ?? 512,
    env: opts.env ?? process.env,
    log,
  });
  const brokers = [`${HOST}:${port}`];
  log(
    `starting Kafka ${kafkaVersion()} on ${brokers[0]} (controller ${HOST}:${controllerPort}, pid ${node.pid}, log ${node.logFile})`,
  );
  await awaitNodes([node], started, opts.readyTimeoutMs ?? 90_000);
  log(`Kafka ready on ${brokers[0]} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const stop = async () => {
    await node.stop();
    log(`Kafka broker (pid ${node.pid}) stopped`);
  };
  return { brokers, pid: node.pid, stop };
}

/** One broker of a cluster started by startKafkaCluster(). */
export interface KafkaNode {
  nodeId: number;
  /** its 127.0.0.1:port */
  broker: string;
  pid: number;
  /** Signal its JVM (SIGKILL for a crash); resolves once it is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface KafkaCluster {
  brokers: string[];
  nodes: KafkaNode[];
  /** Stops every node still running. */
  stop(): Promise<void>;
}

export interface StartKafkaClusterOptions extends Omit<
  StartKafkaOptions,
  'port' | 'controllerPort'
> {
  /** How many nodes (default 3); each is broker and controller. */
  size?: number;
  /** Client port of node 1, node n listening on port + n - 1; 0 or undefined: free ports. */
  port?: number;
}

/**
 * Starts a Kafka cluster of `size` KRaft nodes on 127.0.0.1, each broker and controller (one
 * combined quorum of `size` voters), each with its own folder under dataDir (node-1, node-2, …) and
 * the cluster id shared in dataDir/cluster.id. Resolves once describeCluster() names every broker
 * and a group coordinator answers. The jars must already be in place (ensureKafkaJars()).
 */
export async function startKafkaCluster(opts: StartKafkaClusterOptions): Promise<KafkaCluster> {
  const log = opts.log ?? noop;
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new Error(`a cluster needs 1+ nodes, not ${size}`);
  const libDir = path.resolve(opts.libDir ?? DEFAULT_LIB_DIR);
  const dataDir = path.resolve(opts.dataDir);
  jarsOrThrow(libDir);
  await fs.mkdir(dataDir, { recursive: true });

  const fixed = opts.port ? Array.from({ length: size }, (_, i) => opts.port! + i) : [];
  const free = (await freePorts(size * 2 + fixed.length)).filter((p) => !fixed.includes(p));
  const layout: NodeLayout[] = Array.from({ length: size }, (_, i) => ({
    nodeId: i + 1,
    dir: path.join(dataDir, `node-${i + 1}`),
    port: fixed[i] ?? free.shift()!,
    controllerPort: free.shift()!,
  }));
  const voters = layout.map((n) => `${n.nodeId}@${HOST}:${n.controllerPort}`).join(',');
  const heapMb = opts.heapMb ?? 384;
  const env = opts.env ?? process.env;
  const started = Date.now();
  // The id first, so that the nodes' formats, run at once, all read the same one.
  await clusterIdFor(dataDir);
  // All at once: no node can be ready before a majority of the quorum runs.
  const launched = await Promise.allSettled(
    layout.map((node) =>
      launchNode({ node, voters, size, clusterRoot: dataDir, libDir, heapMb, env, log }),
    ),
  );
  const nodes = launched.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop(5_000).catch(() => {})));
    throw failed.reason;
  }
  const brokers = layout.map((n) => `${HOST}:${n.port}`);
  log(
    `starting a ${size}-node Kafka ${kafkaVersion()} cluster on ${brokers.join(',')} (pids ${nodes.map((n) => n.pid).join(', ')}, logs in ${dataDir}/node-*)`,
  );
  await awaitNodes(nodes, started, opts.readyTimeoutMs ?? 120_000);
  log(`Kafka cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    // All at once: a node stopped alone waits for the controllers to let it go, and the last
    // nodes of a quorum that is shrinking one by one would wait for a majority that is gone.
    stopping ??= Promise.all(nodes.map((n) => n.stop(CLUSTER_STOP_GRACE_MS))).then(() =>
      log(`Kafka cluster (pids ${nodes.map((n) => n.pid).join(', ')}) stopped`),
    );
    return stopping;
  };
  return {
    brokers,
    nodes: nodes.map((n, i) => ({
      nodeId: n.nodeId,
      broker: brokers[i]!,
      pid: n.pid,
      kill: (signal) => n.kill(signal),
    })),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry point for the stack and the tests

function parseBrokerList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The Kafka cluster to use: the one named by KAFKA_BROKERS when it is set (nothing is launched and
 * stop() does nothing), otherwise a local broker on dataDir (or a cluster of `size` nodes, see
 * startKafkaCluster()), fetching the jars first if needed.
 */
export async function resolveKafka(opts: {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  log?: Log;
  port?: number;
  readyTimeoutMs?: number;
  /** how many brokers to launch (default 1) */
  size?: number;
}): Promise<ResolvedKafka> {
  const env = opts.env ?? process.env;
  const fromEnv = env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    const brokers = parseBrokerList(fromEnv);
    if (brokers.length === 0) throw new Error(`KAFKA_BROKERS=${fromEnv} names no host:port`);
    const timeoutMs = opts.readyTimeoutMs ?? 30_000;
    try {
      // Only describeCluster(): an external cluster may not let us look up group coordinators.
      await waitForCluster(brokers, Date.now() + timeoutMs, { groupCoordinator: false });
    } catch (e) {
      throw new Error(
        `KAFKA_BROKERS=${fromEnv} did not answer within ${timeoutMs} ms (${(e as Error).message}); ` +
          'fix KAFKA_BROKERS or unset it to launch a local broker',
      );
    }
    opts.log?.(`using the Kafka cluster from KAFKA_BROKERS: ${brokers.join(',')}`);
    return { brokers, stop: async () => {}, external: true, pids: [] };
  }
  await ensureKafkaJars({ log: opts.log, env });
  if ((opts.size ?? 1) > 1) {
    const cluster = await startKafkaCluster({
      dataDir: opts.dataDir,
      size: opts.size,
      env,
      log: opts.log,
      port: opts.port,
      readyTimeoutMs: opts.readyTimeoutMs,
    });
    return {
      brokers: cluster.brokers,
      stop: cluster.stop,
      external: false,
      pids: cluster.nodes.map((n) => n.pid),
    };
  }
  const broker = await startKafka({
    dataDir: opts.dataDir,
    env,
    log: opts.log,
    port: opts.port,
    readyTimeoutMs: opts.readyTimeoutMs,
  });
  return {
    brokers: broker.brokers,
    stop: broker.stop,
    external: false,
    pid: broker.pid,
    pids: [broker.pid],
  };
}
