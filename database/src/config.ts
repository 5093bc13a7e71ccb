/**
 * Connection settings, from the environment. Every StreamSync process reads Postgres settings
 * through here so the names and defaults are the same everywhere (and documented in the README).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`invalid configuration ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The repository root (database/src/ → ../..), for paths such as hasura/ and .data/. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DatabaseSettings {
  /** Set when DATABASE_URL names an existing server: nothing is launched. */
  url: string | undefined;
  /** Embedded Postgres: data directory, kept across restarts (git-ignored). */
  embeddedDataDir: string;
  /** Embedded Postgres port: not 5432, so it never collides with a system Postgres. */
  embeddedPort: number;
  /** Database name created and used on the embedded server. */
  database: string;
  /** Pool size for each process. */
  poolMax: number;
  /** statement_timeout in ms applied to pooled connections (0 = none). */
  statementTimeoutMs: number;
}

export function readInt(
  env: NodeJS.ProcessEnv,
  key: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim()))
    throw new ConfigError(key, `expected an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new ConfigError(key, `expected an integer in [${min}, ${max}], got ${n}`);
  return n;
}

export function readBool(env: NodeJS.ProcessEnv, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(key, `expected true or false, got ${JSON.stringify(raw)}`);
}

export function readUrl(
  env: NodeJS.ProcessEnv,
  key: string,
  protocols: string[],
): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(key, 'not a valid URL');
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(key, `expected a ${protocols.join(' or ')} URL, got ${u.protocol}`);
  }
  return raw;
}

/** The same server and credentials, another database (for the throwaway databases of tests and tools). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseSettings(env: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  const database = env.STREAMSYNC_PG_DATABASE || 'streamsync';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(database)) {
    throw new ConfigError(
      'STREAMSYNC_PG_DATABASE',
      'expected a plain database name ([A-Za-z_][A-Za-z0-9_]*)',
    );
  }
  return {
    url: readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    embeddedDataDir: path.resolve(
      env.STREAMSYNC_PG_DATA_DIR || path.join(REPO_ROOT, '.data', 'postgres'),
    ),
    embeddedPort: readInt(env, 'STREAMSYNC_PG_PORT', 54329, 1, 65535),
    database,
    poolMax: readInt(env, 'PG_POOL_MAX', 10, 1, 1000),
    statementTimeoutMs: readInt(env, 'PG_STATEMENT_TIMEOUT_MS', 0, 0),
  };
}
