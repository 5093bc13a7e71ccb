/**
 * The local stack: Postgres, the Kafka broker and each StreamSync service, started in dependency
 * order and stopped in reverse. `npm start` runs it with the defaults below; the end-to-end tests
 * and benchmarks run it on free ports in a temporary folder.
 *
 * A service starts only if its part of the repository is there (its entry file exists), so the
 * launcher works at every stage of the project.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  databaseSettings,
  localDataDir,
  readInt,
  removeLocalStack,
  REPO_ROOT,
  writeLocalStack,
} from '@streamsync/database';
import { balancerSpec, HAPROXY_CONFIG, haproxyBinary, MAX_BALANCED_ENGINES } from './haproxy.ts';
import { resolveKafka } from './kafka.ts';
import { freePorts, isListening } from './ports.ts';
import { prepareDatabase, resolvePostgres } from './postgres.ts';
import { startReplica } from './postgres-replica.ts';
import { hasuraJwtSecret, localSecrets, secretsFile, type LocalSecrets } from './secrets.ts';
import { startService, type RunningService, type ServiceSpec } from './services.ts';
import { DEFAULT_RESTART_POLICY, Supervisor, type RestartPolicy } from './supervisor.ts';
import { buildIsFresh, buildWeb } from './web-build.ts';

export type ServiceName = 'engine' | 'worker' | 'producer' | 'web';
export const ALL_SERVICES: ServiceName[] = ['engine', 'worker', 'producer', 'web'];

export interface StackOptions {
  /** Runtime state: Postgres data, Kafka logs, pid files, secrets. Default .data/ */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  services?: ServiceName[];
  /** Apply seeds (the demo pipelines and entities). Default true. */
  seeds?: boolean;
  log?: (line: string) => void;
  /** Where service output goes; default the same as log. */
  output?: (line: string) => void;
  /** How a service that exits on its own is restarted (see supervisor.ts). */
  restartPolicy?: Partial<RestartPolicy>;
}

export interface Stack {
  dataDir: string;
  postgresUrl: string;
  /** The streaming read replica (STREAMSYNC_PG_REPLICA=1), which the engine reads from. */
  replicaUrl?: string;
  kafkaBrokers: string[];
  secrets: LocalSecrets;
  /** Where the secrets are kept (unless they came from the environment). */
  secretsFile: string;
  /** name → URL, for what listens */
  endpoints: Record<string, string>;
  /**
   * The running processes by name: a service's name, except with STREAMSYNC_ENGINES=N > 1,
   * where the engines are `engine-1` … `engine-N` and HAProxy in front of them is `balancer`.
   */
  services: Map<string, RunningService>;
  /** Every process this stack started (postmaster, broker JVM, service group leaders). */
  pids(): number[];
  /**
   * Stop one process and start it again (an exit through stop() is not restarted by itself);
   * `engine` with several engines restarts them one after the other, the balancer serving on.
   */
  restart(name: string): Promise<RunningService>;
  stop(): Promise<void>;
}

interface Ports {
  engine: number;
  worker: number;
  producer: number;
  web: number;
}

function readPorts(env: NodeJS.ProcessEnv): Ports {
  return {
    engine: readInt(env, 'HASURA_GRAPHQL_SERVER_PORT', 8080, 1, 65535),
    worker: readInt(env, 'ETL_HTTP_PORT', 9464, 1, 65535),
    producer: readInt(env, 'PRODUCER_HTTP_PORT', 9465, 1, 65535),
    web: readInt(env, 'WEB_PORT', 3000, 1, 65535),
  };
}

const PORT_KEYS: Record<ServiceName, string> = {
  engine: 'HASURA_GRAPHQL_SERVER_PORT',
  worker: 'ETL_HTTP_PORT',
  producer: 'PRODUCER_HTTP_PORT',
  web: 'WEB_PORT',
};

const TSX = ['--import', 'tsx'];

/** One process the stack runs and supervises, and the port it must find free. */
interface Instance {
  name: string;
  spec: ServiceSpec;
  port: number;
  portKey: string;
}

/** STREAMSYNC_WEB_DEV=1: serve the dashboard with `next dev` (hot reload) instead of its build. */
function webDevServer(env: NodeJS.ProcessEnv): boolean {
  return readSwitch(env, 'STREAMSYNC_WEB_DEV');
}

/**
 * Run `work` now and hand back a function that waits for it: a failure is thrown to whoever
 * waits, and never surfaces as an unhandled rejection while the caller is busy elsewhere.
 */
function settle(work: Promise<void>): () => Promise<void> {
  const outcome = work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return async () => {
    const error = await outcome;
    if (error !== undefined) throw error;
  };
}

/** A 0/1 switch (unset: 0). */
function readSwitch(env: NodeJS.ProcessEnv, key: string): boolean {
  const v = env[key] ?? '';
  if (v !== '' && v !== '0' && v !== '1')
    throw new ConfigError(key, `must be 0 or 1, not ${JSON.stringify(v)}`);
  return v === '1';
}

/** STREAMSYNC_SERVICES: a comma-separated subset of the services to start (default all). */
function parseServices(raw: string | undefined): ServiceName[] {
  if (raw === undefined || raw.trim() === '') return ALL_SERVICES;
  if (raw.trim() === 'none') return [];
  const names = raw.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!ALL_SERVICES.includes(n as ServiceName)) {
      throw new ConfigError(
        'STREAMSYNC_SERVICES',
        `unknown service ${JSON.stringify(n)} (known: ${ALL_SERVICES.join(', ')}, or none)`,
      );
    }
  }
  return names as ServiceName[];
}

/** The keys of `env` that are set (non-empty), for settings passed through to a service. */
function pick(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (env[k]) out[k] = env[k];
  return out;
}

/** The settings under a prefix (ETL_*, PRODUCER_*): a service's own knobs pass straight through. */
function withPrefix(env: NodeJS.ProcessEnv, prefix: string): Record<string, string> {
  return pick(
    env,
    Object.keys(env).filter((k) => k.startsWith(prefix)),
  );
}

/** How each service is run, given where Postgres and Kafka are. */
function serviceSpec(
  name: ServiceName,
  ctx: {
    postgresUrl: string;
    /** the read replica the engine reads from, when the stack started one */
    replicaUrl?: string;
    brokers: string[];
    ports: Ports;
    secrets: LocalSecrets;
    env: NodeJS.ProcessEnv;
  },
): ServiceSpec | undefined {
  const { ports, secrets } = ctx;
  const engineUrl = `http://127.0.0.1:${ports.engine}`;
  const common = { LOG_LEVEL: ctx.env.LOG_LEVEL ?? 'info' };
  switch (name) {
    case 'engine': {
      const entry = path.join(REPO_ROOT, 'engine', 'src', 'main.ts');
      if (!existsSync(entry)) return undefined;
      return {
        name,
        command: process.execPath,
        args: [...TSX, entry],
        cwd: REPO_ROOT,
        env: {
          ...common,
          HASURA_GRAPHQL_SERVER_HOST: '127.0.0.1',
          HASURA_GRAPHQL_SERVER_PORT: String(ports.engine),
          HASURA_GRAPHQL_METADATA_DATABASE_URL: ctx.postgresUrl,
          PG_DATABASE_URL: ctx.postgresUrl,
          // queries and subscriptions read from the replica, writes go to the primary
          ...(ctx.replicaUrl ? { HASURA_GRAPHQL_READ_REPLICA_URLS: ctx.replicaUrl } : {}),
          HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
          HASURA_GRAPHQL_ADMIN_SECRET: secrets.adminSecret,
          HASURA_GRAPHQL_JWT_SECRET: hasuraJwtSecret(secrets.jwtKey),
          HASURA_GRAPHQL_ENABLE_CONSOLE: 'true',
          // hasura/metadata's triggers and its replay_dead_letters action call the worker:
          // {{STREAMSYNC_WEBHOOK_BASE}}/hooks/…
          STREAMSYNC_WEBHOOK_BASE: `http://127.0.0.1:${ports.worker}`,
          STREAMSYNC_WEBHOOK_SECRET: secrets.webhookSecret,
        },
        healthUrl: `${engineUrl}/healthz`,
      };
    }
    case 'worker': {
      const entry = path.join(REPO_ROOT, 'etl-worker', 'src', 'main.ts');
      if (!existsSync(entry)) return undefined;
      return {
        name,
        command: process.execPath,
        args: [...TSX, entry],
        cwd: REPO_ROOT,
        env: {
          ...common,
          ...withPrefix(ctx.env, 'ETL_'),
          ...pick(ctx.env, ['PG_POOL_MAX', 'PG_STATEMENT_TIMEOUT_MS']),
          DATABASE_URL: ctx.postgresUrl,
          KAFKA_BROKERS: ctx.brokers.join(','),
          ETL_HTTP_HOST: '127.0.0.1',
          ETL_HTTP_PORT: String(ports.worker),
          STREAMSYNC_WEBHOOK_SECRET: secrets.webhookSecret,
        },
        healthUrl: `http://127.0.0.1:${ports.worker}/healthz`,
        // the worker gives up on its batch after 30 s (etl-worker/src/main.ts): let it
        stopTimeoutMs: 40_000,
      };
    }
    case 'producer': {
      const entry = path.join(REPO_ROOT, 'etl-worker', 'src', 'producer', 'main.ts');
      if (!existsSync(entry)) return undefined;
      return {
        name,
        command: process.execPath,
        args: [...TSX, entry],
        cwd: REPO_ROOT,
        env: {
          ...common,
          ...withPrefix(ctx.env, 'PRODUCER_'),
          ...pick(ctx.env, ['ETL_TOPIC_PARTITIONS']),
          KAFKA_BROKERS: ctx.brokers.join(','),
          PRODUCER_HTTP_HOST: '127.0.0.1',
          PRODUCER_HTTP_PORT: String(ports.producer),
        },
        healthUrl: `http://127.0.0.1:${ports.producer}/healthz`,
      };
    }
    case 'web': {
      const nextBin = path.join(REPO_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
      if (!existsSync(path.join(REPO_ROOT, 'web', 'package.json')) || !existsSync(nextBin))
        return undefined;
      return {
        name,
        command: process.execPath,
        // the production build startStack made sure of; the dev server only when asked for
        args: [
          nextBin,
          webDevServer(ctx.env) ? 'dev' : 'start',
          '--hostname',
          '127.0.0.1',
          '--port',
          String(ports.web),
        ],
        cwd: path.join(REPO_ROOT, 'web'),
        env: {
          ...common,
          NEXT_TELEMETRY_DISABLED: '1',
          // the web app learns everything at run time (one build serves any deployment); it gets
          // the token key, never the admin secret
          GRAPHQL_URL: `${engineUrl}/v1/graphql`,
          GRAPHQL_PUBLIC_URL: ctx.env.GRAPHQL_PUBLIC_URL || `${engineUrl}/v1/graphql`,
          STREAMSYNC_JWT_KEY: secrets.jwtKey,
          // the local stack is one person's: they own the dashboards they make (unless a proxy names users)
          ...(ctx.env.STREAMSYNC_WEB_USER_HEADER ? {} : { STREAMSYNC_WEB_USER_ID: 'local' }),
          ...pick(ctx.env, [
            'GRAPHQL_PUBLIC_WS_URL',
            'STREAMSYNC_TOKEN_TTL_S',
            'STREAMSYNC_WEB_ROLE',
            'STREAMSYNC_WEB_USER_ID',
            'STREAMSYNC_WEB_USER_HEADER',
          ]),
        },
        healthUrl: `http://127.0.0.1:${ports.web}/api/healthz`,
        readyTimeoutMs: 180_000,
      };
    }
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const output = opts.output ?? log;
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : localDataDir(env);
  const runDir = path.join(dataDir, 'run');
  const wanted = opts.services ?? parseServices(env.STREAMSYNC_SERVICES);

  // read every setting first: a bad value stops us before anything starts
  const ports = readPorts(env);
  // STREAMSYNC_ENGINES=N > 1: N engines on ports of their own behind HAProxy on the engine port,
  // so the web app, the worker and every client keep one URL
  const engines = readInt(env, 'STREAMSYNC_ENGINES', 1, 1, MAX_BALANCED_ENGINES);
  if (engines > 1 && wanted.includes('engine')) haproxyBinary(env);
  const dbSettings = databaseSettings({
    ...env,
    STREAMSYNC_PG_DATA_DIR: env.STREAMSYNC_PG_DATA_DIR || path.join(dataDir, 'postgres'),
  });
  const secrets = await localSecrets(dataDir, env);
  const withReplica = readSwitch(env, 'STREAMSYNC_PG_REPLICA');
  const replicaPort = readInt(env, 'STREAMSYNC_PG_REPLICA_PORT', 54330, 1, 65535);
  if (withReplica && dbSettings.url) {
    throw new ConfigError(
      'STREAMSYNC_PG_REPLICA',
      'starts a replica of the embedded Postgres (it copies its data folder), not of DATABASE_URL; ' +
        "run your server's replica yourself and give its URL to the engine in HASURA_GRAPHQL_READ_REPLICA_URLS",
    );
  }

  // users judge what `npm start` serves: the dashboard's production build, made (or remade after
  // a change under web/) while Postgres and Kafka start, and awaited before the web service starts
  const webBuild =
    wanted.includes('web') &&
    existsSync(path.join(REPO_ROOT, 'web', 'package.json')) &&
    !webDevServer(env) &&
    !buildIsFresh()
      ? settle(
          (async () => {
            log('building the dashboard for production (next build, once per change of web/)');
            const ms = await buildWeb(log);
            log(`dashboard built in ${(ms / 1000).toFixed(0)} s`);
          })(),
        )
      : undefined;

  const stops: Array<() => Promise<void>> = [];
  const services = new Map<string, RunningService>();
  const supervisors = new Map<string, Supervisor>();
  /** every process started, in start order (stopped in the reverse) */
  const instances = new Map<string, Instance>();
  const policy = { ...DEFAULT_RESTART_POLICY, ...opts.restartPolicy };
  const stopService = async (name: string) => {
    await supervisors.get(name)?.stop();
    supervisors.delete(name);
    const svc = services.get(name);
    services.delete(name);
    await svc?.stop().catch((e) => log(`${name}: ${(e as Error).message}`));
  };
  // the reverse of the start order: web, producer, worker, the balancer, the engines; then Kafka,
  // then Postgres
  const stopAll = async () => {
    // the other commands find a running stack through this file (database/src/local-stack.ts)
    await removeLocalStack(dataDir).catch(() => {});
    for (const name of [...instances.keys()].reverse()) {
      if (!services.has(name) && !supervisors.has(name)) continue;
      log(`stopping ${name}`);
      await stopService(name);
    }
    while (stops.length) await stops.pop()!().catch((e) => log(`stop: ${(e as Error).message}`));
  };

  try {
    log(
      dbSettings.url
        ? 'using Postgres at DATABASE_URL'
        : `starting embedded Postgres on 127.0.0.1:${dbSettings.embeddedPort}`,
    );
    const postgres = await resolvePostgres(dbSettings, log);
    stops.push(async () => {
      await postgres.stop();
      if (!postgres.external) log('Postgres stopped');
    });
    const { applied, seeds } = await prepareDatabase(postgres.url, {
      seeds: opts.seeds !== false,
      log,
    });
    log(
      `migrations: ${applied.length} applied${seeds.length ? `, seeds: ${seeds.join(', ')}` : ''}`,
    );
    let replica: Awaited<ReturnType<typeof startReplica>> | undefined;
    if (withReplica) {
      if (await isListening(replicaPort)) {
        throw new ConfigError(
          'STREAMSYNC_PG_REPLICA_PORT',
          `port ${replicaPort} for the read replica is already in use`,
        );
      }
      log(`starting a streaming read replica of Postgres on 127.0.0.1:${replicaPort}`);
      const started = await startReplica({
        primaryUrl: postgres.url,
        dataDir: path.join(dataDir, 'postgres-replica'),
        port: replicaPort,
        log: (line) => log(`postgres replica: ${line}`),
      });
      replica = started;
      // stopped before the primary (stops run last in, first out)
      stops.push(async () => {
        await started.stop();
        log('Postgres replica stopped');
      });
    }

    // STREAMSYNC_KAFKA_BROKERS=3: a three-node cluster (each broker and controller) instead of one
    // broker, in a folder of its own so that the single broker's data stays as it was
    const kafkaNodes = readInt(env, 'STREAMSYNC_KAFKA_BROKERS', 1, 1, 9);
    log(
      env.KAFKA_BROKERS
        ? `using Kafka at KAFKA_BROKERS=${env.KAFKA_BROKERS}`
        : kafkaNodes > 1
          ? `starting a ${kafkaNodes}-broker Kafka cluster`
          : 'starting the Kafka broker',
    );
    const kafka = await resolveKafka({
      dataDir: path.join(dataDir, kafkaNodes > 1 ? `kafka-${kafkaNodes}-brokers` : 'kafka'),
      env,
      log,
      port: readInt(env, 'STREAMSYNC_KAFKA_PORT', 9092, 0, 65535),
      size: kafkaNodes,
    });
    stops.push(() => kafka.stop());

    const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    const ctx = {
      postgresUrl: postgres.url,
      replicaUrl: replica?.url,
      brokers: kafka.brokers,
      ports,
      secrets,
      env,
    };
    const endpoints: Record<string, string> = {
      postgres: redact(postgres.url),
      ...(replica ? { 'postgres replica': `${redact(replica.url)} (read-only)` } : {}),
      kafka: kafka.brokers.join(','),
    };

    const startOnce = async (inst: Instance): Promise<RunningService> => {
      if (await isListening(inst.port)) {
        throw new ConfigError(
          inst.portKey,
          `port ${inst.port} for the ${inst.name} is already in use`,
        );
      }
      log(`starting ${inst.name}`);
      const svc = await startService(inst.spec, { output, runDir });
      services.set(inst.name, svc);
      return svc;
    };
    const start = (inst: Instance): Promise<RunningService> => {
      instances.set(inst.name, inst);
      const supervisor = new Supervisor(inst.name, () => startOnce(inst), log, policy);
      supervisors.set(inst.name, supervisor);
      return supervisor.start();
    };
    /** A service's processes: itself, or several engines and HAProxy on the engine port. */
    const instancesOf = async (name: ServiceName, spec: ServiceSpec): Promise<Instance[]> => {
      if (name !== 'engine' || engines === 1)
        return [{ name, spec, port: ports[name], portKey: PORT_KEYS[name] }];
      const enginePorts = await freePorts(engines);
      const list: Instance[] = enginePorts.map((port, i) => ({
        name: `engine-${i + 1}`,
        spec: {
          ...spec,
          name: `engine-${i + 1}`,
          env: { ...spec.env, HASURA_GRAPHQL_SERVER_PORT: String(port) },
          healthUrl: `http://127.0.0.1:${port}/healthz`,
        },
        port,
        portKey: 'STREAMSYNC_ENGINES',
      }));
      const bind = `127.0.0.1:${ports.engine}`;
      const servers = enginePorts.map((p) => `127.0.0.1:${p}`);
      endpoints.engines = `${engines} behind HAProxy (${path.relative(REPO_ROOT, HAPROXY_CONFIG)}): ${servers.join(', ')}`;
      return [
        ...list,
        {
          name: 'balancer',
          spec: balancerSpec({ bind, servers, env }),
          port: ports.engine,
          portKey: PORT_KEYS.engine,
        },
      ];
    };

    for (const name of wanted) {
      const spec = serviceSpec(name, ctx);
      if (!spec) {
        log(`${name}: not present in this checkout, skipped`);
        continue;
      }
      if (name === 'web' && webBuild) await webBuild();
      // one after the other: each engine applies hasura/metadata at start
      for (const inst of await instancesOf(name, spec)) await start(inst);
      const base = `http://127.0.0.1:${ports[name]}`;
      endpoints[name] =
        name === 'engine'
          ? `${base}/v1/graphql (console: ${base}/console)`
          : name === 'web'
            ? base
            : `${base}/metrics`;
    }

    await writeLocalStack({
      pid: process.pid,
      dataDir,
      postgresUrl: postgres.url,
      kafkaBrokers: kafka.brokers,
      ...(instances.has('engine') || instances.has('balancer')
        ? { graphqlUrl: `http://127.0.0.1:${ports.engine}/v1/graphql` }
        : {}),
      secretsFile: secretsFile(dataDir),
    });
    return {
      dataDir,
      postgresUrl: postgres.url,
      ...(replica ? { replicaUrl: replica.url } : {}),
      kafkaBrokers: kafka.brokers,
      secrets,
      secretsFile: secretsFile(dataDir),
      endpoints,
      services,
      pids: () =>
        [
          postgres.pid,
          replica?.pid,
          ...kafka.pids,
          ...[...services.values()].map((svc) => svc.pid),
        ].filter((pid): pid is number => pid !== undefined),
      restart: async (name) => {
        const group = instances.has(name)
          ? [name]
          : [...instances.keys()].filter((n) => n.startsWith(`${name}-`));
        if (group.length === 0) throw new Error(`no ${name} in this stack`);
        let last: RunningService | undefined;
        for (const n of group) {
          await stopService(n);
          last = await start(instances.get(n)!);
        }
        return last!;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
