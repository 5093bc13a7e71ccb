/**
 * Engine settings, read from the environment under Hasura's own variable names (and Hasura's
 * defaults), plus a few STREAMSYNC_ENGINE_* limits of our own. A bad value stops the engine at
 * start with a ConfigError naming the key.
 */
import { ConfigError, readBool, readInt } from '@streamsync/database';
import {
  isNamingConvention,
  NAMING_CONVENTION_ERROR,
  type NamingConvention,
  type NamingSettings,
} from './schema/naming-convention.ts';
import { parseCorsPolicy, type CorsPolicy } from './transport/cors.ts';
import { loadEventsConfig, type EventsConfig } from './events/config.ts';
import { loadActionsConfig, type ActionsConfig } from './actions/config.ts';
import type { LimitSettings } from './limits/index.ts';

export interface EngineConfig {
  host: string;
  port: number;
  /** Where hdb_catalog lives (metadata, catalog state). */
  metadataDatabaseUrl: string;
  /** The `default` source; the metadata's `from_env` names are resolved against `env`. */
  databaseUrl: string | undefined;
  /**
   * HASURA_GRAPHQL_READ_REPLICA_URLS: read replicas of the `default` source, used when its
   * metadata names none (`configuration.read_replicas`), as Hasura does.
   */
  readReplicaUrls: string[];
  /** ms between health checks of each read replica (replicas/read-replicas.ts) */
  readReplicaHealthIntervalMs: number;
  /** Apply this metadata directory (v3, with !include) at start, as cli-migrations-v3 does. */
  metadataDir: string | undefined;
  adminSecret: string | undefined;
  /** Raw HASURA_GRAPHQL_JWT_SECRET JSON, parsed by the auth module. */
  jwtSecret: string | undefined;
  unauthorizedRole: string | undefined;
  enableConsole: boolean;
  /** HASURA_GRAPHQL_ENABLE_ALLOWLIST: only allow-listed documents for non-admin roles. */
  enableAllowlist: boolean;
  /**
   * HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS (default true): a role may call a tracked function
   * when it may select the returned table; false: only with a function permission.
   */
  inferFunctionPermissions: boolean;
  /** HASURA_GRAPHQL_EXPERIMENTAL_FEATURES: the comma-separated features turned on. */
  experimentalFeatures: string[];
  /**
   * The naming convention of sources that name none: HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION,
   * used (as each source's own) only with the experimental feature `naming_convention`.
   */
  naming: NamingSettings;
  /** HASURA_GRAPHQL_REDIS_URL: `@cached` answers in Redis; unset: in-process (queryCache*). */
  redisUrl: string | undefined;
  /** Bounds of the in-process `@cached` store: answers, and bytes of their text. */
  queryCacheEntries: number;
  queryCacheBytes: number;
  /** HASURA_GRAPHQL_CORS_DOMAIN / HASURA_GRAPHQL_DISABLE_CORS. */
  cors: CorsPolicy;
  stringifyNumericTypes: boolean;
  /** Admin errors carry `extensions.internal` (HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS, default true). */
  adminInternalErrors: boolean;
  devMode: boolean;
  enabledApis: Set<string>;
  /** HTTP body limit in bytes. */
  maxBodyBytes: number;
  /** Deepest selection-set nesting accepted in one operation. */
  maxQueryDepth: number;
  /** Most fields (after fragment expansion) accepted in one operation. */
  maxQueryFields: number;
  /** Most requests in one batch. */
  maxBatchSize: number;
  /** Request limits: caps for every role, and the defaults of non-admin roles (limits/). */
  limits: LimitSettings;
  /** Pool size for the `default` source. */
  poolMax: number;
  /** Compiled plans kept per engine. */
  planCacheSize: number;
  /** Use pg named (prepared) statements for cached plans. */
  preparedStatements: boolean;
  /** How often other instances' metadata changes are polled for (0: only LISTEN). */
  schemaSyncPollIntervalMs: number;
  /** Event triggers and scheduled events (events/config.ts). */
  events: EventsConfig;
  /** async actions (actions/config.ts) */
  actions: ActionsConfig;
  env: NodeJS.ProcessEnv;
  logLevel: string;
}

function redisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const v = readString(env, 'HASURA_GRAPHQL_REDIS_URL');
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError('HASURA_GRAPHQL_REDIS_URL', 'not a URL');
  }
  if (u.protocol !== 'redis:')
    throw new ConfigError('HASURA_GRAPHQL_REDIS_URL', `expected redis://, got ${u.protocol}`);
  return v;
}

/** HASURA_GRAPHQL_READ_REPLICA_URLS: comma-separated postgres:// URLs. */
function readReplicaUrls(env: NodeJS.ProcessEnv): string[] {
  const key = 'HASURA_GRAPHQL_READ_REPLICA_URLS';
  const urls = (readString(env, key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of urls) {
    if (!/^postgres(ql)?:\/\//.test(u)) throw new ConfigError(key, 'expected postgres:// URLs');
  }
  return urls;
}

function readString(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === '' ? undefined : v;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const metadataDatabaseUrl =
    readString(env, 'HASURA_GRAPHQL_METADATA_DATABASE_URL') ??
    readString(env, 'HASURA_GRAPHQL_DATABASE_URL') ??
    readString(env, 'PG_DATABASE_URL');
  if (!metadataDatabaseUrl) {
    throw new ConfigError(
      'HASURA_GRAPHQL_METADATA_DATABASE_URL',
      'required (or HASURA_GRAPHQL_DATABASE_URL / PG_DATABASE_URL)',
    );
  }
  for (const key of [
    'HASURA_GRAPHQL_METADATA_DATABASE_URL',
    'HASURA_GRAPHQL_DATABASE_URL',
    'PG_DATABASE_URL',
  ]) {
    const v = readString(env, key);
    if (v && !/^postgres(ql)?:\/\//.test(v))
      throw new ConfigError(key, 'expected a postgres:// URL');
  }
  const apis = (readString(env, 'HASURA_GRAPHQL_ENABLED_APIS') ?? 'metadata,graphql,pgdump,config')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const a of apis) {
    if (!['metadata', 'graphql', 'pgdump', 'config', 'developer', 'metrics'].includes(a)) {
      throw new ConfigError('HASURA_GRAPHQL_ENABLED_APIS', `unknown API ${JSON.stringify(a)}`);
    }
  }
  const jwt = readString(env, 'HASURA_GRAPHQL_JWT_SECRET');
  if (jwt) {
    try {
      JSON.parse(jwt);
    } catch {
      throw new ConfigError('HASURA_GRAPHQL_JWT_SECRET', 'expected a JSON object');
    }
  }
  const host = readString(env, 'HASURA_GRAPHQL_SERVER_HOST') ?? '127.0.0.1';
  const experimentalFeatures = (readString(env, 'HASURA_GRAPHQL_EXPERIMENTAL_FEATURES') ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  // the planner recurses per level: these maxima keep every setting within the stack
  const maxQueryDepth = readInt(env, 'STREAMSYNC_ENGINE_MAX_QUERY_DEPTH', 30, 1, 100);
  const maxQueryFields = readInt(env, 'STREAMSYNC_ENGINE_MAX_QUERY_FIELDS', 2000, 1, 1_000_000);
  const maxBatchSize = readInt(env, 'STREAMSYNC_ENGINE_MAX_BATCH_SIZE', 100, 1, 10_000);
  return {
    host: host === '*' ? '0.0.0.0' : host,
    port: readInt(env, 'HASURA_GRAPHQL_SERVER_PORT', 8080, 0, 65535),
    metadataDatabaseUrl,
    databaseUrl:
      readString(env, 'PG_DATABASE_URL') ?? readString(env, 'HASURA_GRAPHQL_DATABASE_URL'),
    readReplicaUrls: readReplicaUrls(env),
    readReplicaHealthIntervalMs: readInt(
      env,
      'STREAMSYNC_ENGINE_READ_REPLICA_HEALTH_INTERVAL',
      1000,
      100,
      3600 * 1000,
    ),
    metadataDir: readString(env, 'HASURA_GRAPHQL_METADATA_DIR'),
    adminSecret: readString(env, 'HASURA_GRAPHQL_ADMIN_SECRET'),
    jwtSecret: jwt,
    unauthorizedRole: readString(env, 'HASURA_GRAPHQL_UNAUTHORIZED_ROLE'),
    enableConsole: readBool(env, 'HASURA_GRAPHQL_ENABLE_CONSOLE', false),
    enableAllowlist: readBool(env, 'HASURA_GRAPHQL_ENABLE_ALLOWLIST', false),
    inferFunctionPermissions: readBool(env, 'HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS', true),
    experimentalFeatures,
    naming: {
      enabled: experimentalFeatures.includes('naming_convention'),
      defaultConvention: defaultNamingConvention(env),
    },
    redisUrl: redisUrl(env),
    queryCacheEntries: readInt(env, 'STREAMSYNC_ENGINE_QUERY_CACHE_ENTRIES', 1000, 0, 10_000_000),
    queryCacheBytes: readInt(
      env,
      'STREAMSYNC_ENGINE_QUERY_CACHE_BYTES',
      64 * 1024 * 1024,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    cors: parseCorsPolicy(
      readString(env, 'HASURA_GRAPHQL_CORS_DOMAIN'),
      readBool(env, 'HASURA_GRAPHQL_DISABLE_CORS', false),
    ),
    stringifyNumericTypes: readBool(env, 'HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES', false),
    adminInternalErrors: readBool(env, 'HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS', true),
    devMode: readBool(env, 'HASURA_GRAPHQL_DEV_MODE', false),
    enabledApis: new Set(apis),
    maxBodyBytes: readInt(env, 'STREAMSYNC_ENGINE_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024),
    maxQueryDepth,
    maxQueryFields,
    maxBatchSize,
    limits: loadLimitSettings(env, maxQueryDepth, maxQueryFields, maxBatchSize),
    poolMax: readInt(env, 'HASURA_GRAPHQL_PG_CONNECTIONS', 50, 1, 10_000),
    planCacheSize: readInt(env, 'STREAMSYNC_ENGINE_PLAN_CACHE_SIZE', 4096, 0, 1_000_000),
    preparedStatements: readBool(env, 'STREAMSYNC_ENGINE_PREPARED_STATEMENTS', true),
    schemaSyncPollIntervalMs: readInt(
      env,
      'HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL',
      1000,
      0,
      24 * 3600 * 1000,
    ),
    events: loadEventsConfig(env),
    actions: loadActionsConfig(env),
    env,
    logLevel: readString(env, 'LOG_LEVEL') ?? 'info',
  };
}

/** 0 in a default-limit setting means "no default of that kind". */
const orNull = (n: number): number | null => (n === 0 ? null : n);

function loadLimitSettings(
  env: NodeJS.ProcessEnv,
  maxDepth: number,
  maxNodes: number,
  maxBatch: number,
): LimitSettings {
  const rate = readInt(env, 'STREAMSYNC_ENGINE_DEFAULT_RATE_LIMIT', 0, 0, 1_000_000_000);
  return {
    caps: {
      maxNesting: readInt(env, 'STREAMSYNC_ENGINE_MAX_QUERY_NESTING', 256, 8, 512),
      maxTokens: readInt(env, 'STREAMSYNC_ENGINE_MAX_QUERY_TOKENS', 100_000, 100, 10_000_000),
      maxDepth,
      maxNodes,
      maxBatch,
      maxInputDepth: readInt(env, 'STREAMSYNC_ENGINE_MAX_INPUT_DEPTH', 32, 2, 100),
      maxListLength: readInt(env, 'STREAMSYNC_ENGINE_MAX_LIST_LENGTH', 10_000, 1, 10_000_000),
      maxInputValues: readInt(env, 'STREAMSYNC_ENGINE_MAX_INPUT_VALUES', 100_000, 1, 100_000_000),
    },
    defaults: {
      depth: orNull(readInt(env, 'STREAMSYNC_ENGINE_DEFAULT_DEPTH_LIMIT', 12, 0, 100)),
      nodes: orNull(readInt(env, 'STREAMSYNC_ENGINE_DEFAULT_NODE_LIMIT', 1000, 0, 1_000_000)),
      batch: orNull(readInt(env, 'STREAMSYNC_ENGINE_DEFAULT_BATCH_LIMIT', 20, 0, 10_000)),
      time: orNull(readInt(env, 'STREAMSYNC_ENGINE_DEFAULT_TIME_LIMIT', 10, 0, 86_400)),
      rate: rate ? { max_reqs_per_min: rate, unique_params: 'IP' } : null,
    },
  };
}

/** HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION (Hasura's default: hasura-default). */
function defaultNamingConvention(env: NodeJS.ProcessEnv): NamingConvention {
  const v = readString(env, 'HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION') ?? 'hasura-default';
  if (!isNamingConvention(v))
    throw new ConfigError('HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION', NAMING_CONVENTION_ERROR);
  return v;
}
