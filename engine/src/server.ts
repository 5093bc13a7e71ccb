/**
 * The engine as a value: `startEngine(config)` connects to Postgres, loads (or applies) the
 * metadata, builds the state and listens. Tests, the conformance runner and the benchmarks use it
 * directly; `main.ts` only wires it to the process.
 *
 * This is the composition root, the one module that knows every part: the parts below it receive
 * only the narrow interfaces they use (api/context.ts ApiRuntime, transport/http.ts HttpRuntime,
 * transport/ws-connection.ts WsRuntime, subscription/index.ts SubscriptionsDeps), which `Engine` satisfies,
 * so no part imports this file (layers.test.ts checks it).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import pino from 'pino';
import { createPool } from '@streamsync/database';
import { parseAuthConfig, type AuthConfig } from './auth/index.ts';
import type { EngineConfig } from './config.ts';
import { SourcePools } from './sources/source-pools.ts';
import { loadMetadataDir } from './metadata/load-dir.ts';
import { MetadataStore } from './metadata/store.ts';
import { MetadataSync } from './metadata/sync.ts';
import type { Metadata } from './metadata/types.ts';
import type { SchemaExtension } from './schema/build.ts';
import { mutationSchema } from './schema/mutation.ts';
import { EngineState, introspectSources, type SourceCatalogs } from './execute/state.ts';
import { createHttpHandler } from './transport/http.ts';
import { createMetrics, type EngineMetrics } from './transport/metrics.ts';
import { streamFieldsExtension } from './schema/stream-fields.ts';
import { startSubscriptions, type SubscriptionOptions } from './subscription/index.ts';
import type { SubscriptionsState } from './subscription/state.ts';
import type { WakeupListener } from './subscription/wakeups.ts';
import { GraphQLWebSocketServer } from './transport/ws.ts';
import { StandardCloseCode } from './transport/ws-protocol.ts';
import type { ExecOptions } from './execute/graphql.ts';
import { EventsService } from './events/service.ts';
import { EngineLimits } from './limits/index.ts';
import { ActionsService } from './actions/service.ts';
import { actionsExtensions } from './actions/schema.ts';
import { MemoryQueryCache, type QueryCacheStore } from './cache/store.ts';
import { RedisQueryCache } from './cache/redis.ts';
import { ReadReplicas, replicaUrls } from './replicas/read-replicas.ts';

export interface Engine {
  config: EngineConfig;
  /** the `default` source */
  pool: pg.Pool;
  /** every source's pool (the default's is `pool`), following the metadata */
  sourcePools: SourcePools;
  /** where hdb_catalog lives (may be the same database) */
  metadataPool: pg.Pool;
  /** the `default` source's read replicas: where queries and subscriptions read */
  replicas: ReadReplicas;
  store: MetadataStore;
  state: EngineState;
  auth: AuthConfig;
  metrics: EngineMetrics;
  /** request limits: caps, api_limits, rate counts (limits/) */
  limits: EngineLimits;
  /** how GraphQL operations are planned and run, from the config (built once, here) */
  exec: ExecOptions;
  log: pino.Logger;
  extensions: SchemaExtension[];
  /** Store (when `persist`) and swap in new metadata, checked against the sources' `catalogs`. */
  applyMetadata(metadata: Metadata, catalogs?: SourceCatalogs, persist?: boolean): Promise<void>;
  /** Re-read metadata and catalog (another process changed them, or the database changed). */
  reload(): Promise<void>;
  /**
   * Call `listener` after every metadata change this process takes on — through its own API, a
   * reload, or another instance's change — so that, as Hasura does, every open WebSocket can be
   * closed with code 1012 and clients reconnect to the new schema. Returns an unsubscribe.
   */
  onMetadataChange(listener: (change: MetadataChange) => void): () => void;
  /** Cross-process schema sync (polling + LISTEN on hdb_schema_notifications). */
  sync: MetadataSync;
  /** WebSockets, live queries and streams (set by startEngine). */
  live: LiveServices | null;
  /** Event triggers and scheduled events: SQL triggers, delivery (delivery started by startEngine). */
  events: EventsService | null;
  /** Actions: handler calls, the async action log and its worker (worker started by startEngine). */
  actions: ActionsService;
}

/** WebSockets, live queries and streams of a started engine. */
export interface LiveServices {
  options: SubscriptionOptions;
  subscriptions: SubscriptionsState;
  ws: GraphQLWebSocketServer;
  wakeups: WakeupListener | null;
  stop(): Promise<void>;
}

export interface MetadataChange {
  resourceVersion: number;
  /** `api`: this process changed it; `sync`: another process did; `reload`: reload_metadata */
  cause: 'api' | 'sync' | 'reload';
}

export interface RunningEngine {
  url: string;
  port: number;
  engine: Engine;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Extra schema hooks (mutation / subscription roots). */
  extensions?: SchemaExtension[];
  logger?: pino.Logger;
}

export async function createEngine(config: EngineConfig, opts: StartOptions = {}): Promise<Engine> {
  const log = opts.logger ?? pino({ level: config.logLevel, base: { service: 'engine' } });
  const auth = parseAuthConfig(config.env);
  const metadataPool = createPool({
    connectionString: config.metadataDatabaseUrl,
    applicationName: 'streamsync-engine-metadata',
    max: 3,
  });
  const dbUrl = config.databaseUrl ?? config.metadataDatabaseUrl;
  const pool = createPool({
    connectionString: dbUrl,
    applicationName: 'streamsync-engine',
    max: config.poolMax,
  });
  const sourcePools = new SourcePools(pool, { env: config.env, poolMax: config.poolMax });
  const store = new MetadataStore(metadataPool);
  await store.init();
  let stored = await store.load();
  const metrics = createMetrics();
  let current: Metadata = stored.metadata;
  const events = new EventsService({
    sourcePool: pool,
    poolOf: (name) => sourcePools.get(name),
    metadataPool,
    metadataDatabaseUrl: config.metadataDatabaseUrl,
    metadata: () => current,
    env: config.env,
    config: config.events,
    stringifyNumeric: config.stringifyNumericTypes,
    log,
    registry: metrics.registry,
  });
  // the SQL triggers of every source are checked below: each needs its pool
  sourcePools.configure(stored.metadata.sources);
  if (config.metadataDir) {
    const md = loadMetadataDir(config.metadataDir);
    sourcePools.ensure(md.sources);
    await events.syncSql(stored.metadata, md, { mode: 'missing' });
    // the same metadata again (an engine restarted, a second engine started): no new
    // resource_version, which would make every other engine reload and close its sockets
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(md)), stored.metadata)) {
      const version = await store.save(md);
      stored = { metadata: md, resourceVersion: version };
    }
  } else {
    // triggers whose SQL side is missing (a database restored without them, a fresh source)
    await events.syncSql(null, stored.metadata, { mode: 'missing' });
  }
  current = stored.metadata;
  // mutation_root is always there (issue 5); callers add more roots
  const extensions = [mutationSchema, streamFieldsExtension, ...(opts.extensions ?? [])];
  const stateOpts = {
    stringifyNumeric: config.stringifyNumericTypes,
    inferFunctionPermissions: config.inferFunctionPermissions,
    planCacheSize: config.planCacheSize,
    extensions,
    // each state's custom types and actions (actions/)
    extensionsFor: actionsExtensions,
    allowlist: config.enableAllowlist,
    naming: config.naming,
  };
  const listeners = new Set<(change: MetadataChange) => void>();
  const changed = (cause: MetadataChange['cause']) => {
    const change = { resourceVersion: engine.state.resourceVersion, cause };
    for (const l of listeners) {
      try {
        l(change);
      } catch (e) {
        log.error({ err: e }, 'metadata change listener failed');
      }
    }
  };
  // @cached answers: shared through Redis when configured, else bounded in this process
  const queryCache: QueryCacheStore = config.redisUrl
    ? new RedisQueryCache(config.redisUrl)
    : new MemoryQueryCache(config.queryCacheEntries, config.queryCacheBytes);
  if (queryCache instanceof RedisQueryCache) {
    // an unreachable Redis is a configuration error: say so at start, naming the key
    await queryCache.ping().catch((e: Error) => {
      throw new Error(`HASURA_GRAPHQL_REDIS_URL: cannot reach Redis (${e.message})`);
    });
  }
  const limits = new EngineLimits(config.limits, (kind) => metrics.limitRefusals.inc({ kind }));
  const replicas = new ReadReplicas({
    primary: pool,
    poolMax: config.poolMax,
    healthIntervalMs: config.readReplicaHealthIntervalMs,
    log: log.child({ component: 'read-replicas' }),
    registry: metrics.registry,
  });
  // the state of `metadata`, every source read through its own pool
  const buildState = (metadata: Metadata, version: number) => {
    sourcePools.configure(metadata.sources);
    return EngineState.build(sourcePools.poolOf, metadata, version, stateOpts);
  };
  const engine: Engine = {
    config,
    pool,
    sourcePools,
    metadataPool,
    replicas,
    store,
    auth,
    log,
    extensions,
    metrics,
    limits,
    exec: {
      pool,
      reads: replicas,
      sourcePool: (name) => sourcePools.get(name),
      includeInternal: config.adminInternalErrors || config.devMode,
      preparedStatements: config.preparedStatements,
      maxDepth: config.maxQueryDepth,
      maxFields: config.maxQueryFields,
      stringifyNumeric: config.stringifyNumericTypes,
      planCacheMetrics: metrics.planCache,
      limits,
      // an operation's action root fields are a step of its plan (actions/)
      stepKinds: [
        { field: 'action', plan: (call, fields) => engine.actions.stepKind.plan(call, fields) },
      ],
      queryCache: {
        store: queryCache,
        onError: (e) => {
          metrics.queryCache.errors.inc();
          log.warn({ err: e }, 'query cache store failed; the query ran uncached');
        },
        count: (hit) => (hit ? metrics.queryCache.hits : metrics.queryCache.misses).inc(),
      },
    },
    state: await buildState(stored.metadata, stored.resourceVersion),
    async applyMetadata(metadata, catalogs, persist = true) {
      sourcePools.configure(metadata.sources);
      const cats =
        catalogs ??
        (await introspectSources(metadata, sourcePools.poolOf, engine.state.catalogs.catalogs));
      const version = persist ? await store.save(metadata) : engine.state.resourceVersion;
      engine.state = new EngineState(metadata, version, cats, stateOpts);
      changed('api');
    },
    async reload() {
      const s = await store.load();
      engine.state = await buildState(s.metadata, s.resourceVersion);
      changed('reload');
    },
    onMetadataChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    sync: undefined as unknown as MetadataSync,
    live: null,
    events,
    actions: new ActionsService({
      metadataPool,
      metadataDatabaseUrl: config.metadataDatabaseUrl,
      state: () => engine.state,
      env: config.env,
      config: config.actions,
      log: log.child({ component: 'actions' }),
    }),
  };
  // the default source's read replicas follow its metadata (or HASURA_GRAPHQL_READ_REPLICA_URLS)
  const followReplicas = () => {
    const source = engine.state.metadata.sources.find((s) => s.name === 'default');
    const { urls, problems } = replicaUrls(
      source?.configuration,
      config.env,
      config.readReplicaUrls,
    );
    for (const p of problems) log.warn(`read replica left out: ${p}`);
    replicas.configure(urls);
  };
  followReplicas();
  // delivery reads the metadata in force, whoever changed it
  const followState = () => {
    current = engine.state.metadata;
    followReplicas();
    // a delivery loop per source with event triggers
    engine.events?.followMetadata();
  };
  listeners.add(followState);
  engine.sync = new MetadataSync(
    metadataPool,
    store.instanceId,
    {
      currentVersion: () => engine.state.resourceVersion,
      reload: async () => {
        const s = await store.load();
        engine.state = await buildState(s.metadata, s.resourceVersion);
        changed('sync');
      },
    },
    log,
    config.schemaSyncPollIntervalMs,
  );
  if (engine.state.inconsistencies.length) {
    log.warn(
      { inconsistencies: engine.state.inconsistencies.map((i) => i.reason) },
      'inconsistent metadata',
    );
  }
  return engine;
}

export async function startEngine(
  config: EngineConfig,
  opts: StartOptions = {},
): Promise<RunningEngine> {
  const engine = await createEngine(config, opts);
  await engine.sync.start();
  const server = http.createServer(createHttpHandler(engine));
  server.keepAliveTimeout = 65_000;
  const live = startLive(engine);
  engine.events?.start();
  engine.actions.start();
  engine.replicas.start();
  server.on('upgrade', (req, socket, head) => live.ws.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  engine.log.info({ url }, 'engine listening');
  let closed = false;
  return {
    url,
    port,
    engine,
    async close() {
      if (closed) return;
      closed = true;
      await live.stop();
      await engine.events?.stop();
      await engine.actions.stop();
      await engine.sync.stop();
      await engine.replicas.stop();
      await engine.exec.queryCache?.store.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.sourcePools.end();
      await engine.pool.end().catch(() => {});
      if (engine.metadataPool !== engine.pool) await engine.metadataPool.end().catch(() => {});
    },
  };
}

/** The subscriptions and the WebSocket transport that feeds them, wired to `engine`. */
function startLive(engine: Engine): LiveServices {
  const refs: { ws?: GraphQLWebSocketServer } = {};
  const subs = startSubscriptions({
    env: engine.config.env,
    pool: engine.pool,
    reads: engine.replicas,
    connectionString: engine.config.databaseUrl ?? engine.config.metadataDatabaseUrl,
    registry: engine.metrics.registry,
    log: engine.log,
    includeInternal: engine.exec.includeInternal,
    plan: engine.exec,
    connections: () => refs.ws?.connectionCount ?? 0,
  });
  const ws = new GraphQLWebSocketServer({
    runtime: engine,
    subscriptions: subs.subscriptions,
    options: subs.options,
    metrics: subs.metrics,
  });
  refs.ws = ws;
  engine.onMetadataChange(() => {
    if (!subs.options.closeOnMetadataChange) return;
    subs.log.info('Closing all websocket connections as the metadata has changed');
    ws.closeAll(StandardCloseCode.ServiceRestart, 'Server state changed, restarting the server');
  });
  const live: LiveServices = {
    options: subs.options,
    subscriptions: subs.subscriptions,
    ws,
    wakeups: subs.wakeups,
    async stop() {
      await ws.shutdown();
      await subs.stop();
    },
  };
  engine.live = live;
  return live;
}
