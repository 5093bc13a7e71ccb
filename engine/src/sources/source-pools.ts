/**
 * One pg pool per Postgres source of the metadata (Hasura's `sources[i].configuration`). The
 * `default` source keeps the pool the engine was started with (HASURA_GRAPHQL_DATABASE_URL); every
 * other source gets a pool of its own from its `connection_info` (`database_url` as a URL or
 * `{from_env}`, `pool_settings.max_connections`), made when the metadata first names it and ended
 * when the metadata drops it or changes its connection.
 */
import type pg from 'pg';
import { createPool } from '@streamsync/database';

export const DEFAULT_SOURCE = 'default';

/** Where a source's connection_info says its database is, or why it says nowhere. */
export function sourceDatabaseUrl(
  configuration: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv,
): { url: string } | { problem: string } {
  const ci = (configuration?.connection_info ?? {}) as Record<string, unknown>;
  const db = ci.database_url;
  if (typeof db === 'string') return { url: db };
  if (db && typeof db === 'object') {
    const o = db as Record<string, unknown>;
    if (typeof o.from_env === 'string') {
      const url = env[o.from_env];
      return url ? { url } : { problem: `environment variable '${o.from_env}' not set` };
    }
    // {connection_parameters: {host, port, username, password, database}}
    const p = o.connection_parameters as Record<string, unknown> | undefined;
    if (p && typeof p.host === 'string') {
      const u = new URL('postgres://localhost');
      u.hostname = p.host;
      if (p.port !== undefined) u.port = String(p.port);
      if (typeof p.username === 'string') u.username = encodeURIComponent(p.username);
      if (typeof p.password === 'string') u.password = encodeURIComponent(p.password);
      if (typeof p.database === 'string') u.pathname = `/${encodeURIComponent(p.database)}`;
      return { url: u.toString() };
    }
  }
  return { problem: 'no database_url in connection_info' };
}

function maxConnections(configuration: Record<string, unknown> | undefined, dflt: number): number {
  const ci = (configuration?.connection_info ?? {}) as Record<string, unknown>;
  const ps = (ci.pool_settings ?? {}) as Record<string, unknown>;
  const n = ps.max_connections;
  // a source's own pool stays modest on one machine: Hasura's 50 per source is a ceiling here
  return typeof n === 'number' && n > 0 ? Math.min(n, dflt) : dflt;
}

/** What a pool is made from: a source's name and configuration, as metadata has them. */
export interface SourceConnection {
  name: string;
  configuration?: Record<string, unknown>;
}

interface Entry {
  url: string;
  max: number;
  pool: pg.Pool;
}

export class SourcePools {
  private readonly pools = new Map<string, Entry>();
  /** sources whose pool could not be made, with the reason (an inconsistent source) */
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly defaultPool: pg.Pool,
    private readonly opts: { env: NodeJS.ProcessEnv; poolMax: number },
  ) {}

  /** The pool of a source the metadata names (default: the engine's own), if it has one. */
  get(name: string): pg.Pool | undefined {
    if (name === DEFAULT_SOURCE) return this.defaultPool;
    return this.pools.get(name)?.pool;
  }

  /** Why a source has no pool (its database_url does not resolve). */
  problem(name: string): string | undefined {
    return this.problems.get(name);
  }

  /** `get`, or why the source has no pool: what a catalog read is given (EngineState.build). */
  readonly poolOf = (name: string): pg.Pool | string =>
    this.get(name) ?? this.problem(name) ?? `source with name "${name}" has no pool`;

  /**
   * Follow the metadata's sources: a pool for each new one (or one whose connection changed);
   * the pools of sources no longer named are ended.
   */
  configure(sources: ReadonlyArray<SourceConnection>): void {
    const named = this.ensure(sources);
    for (const name of [...this.pools.keys()]) if (!named.has(name)) this.retire(name);
  }

  /**
   * A pool for each of `sources` that has none (or whose connection changed), ending none: a
   * metadata request reads the catalogs of its draft's sources before the draft is in force.
   */
  ensure(sources: ReadonlyArray<SourceConnection>): Set<string> {
    const named = new Set<string>();
    for (const s of sources) {
      if (s.name === DEFAULT_SOURCE) continue;
      named.add(s.name);
      const where = sourceDatabaseUrl(s.configuration, this.opts.env);
      const old = this.pools.get(s.name);
      this.problems.delete(s.name);
      if ('problem' in where) {
        this.problems.set(s.name, where.problem);
        if (old) this.retire(s.name);
        continue;
      }
      const max = maxConnections(s.configuration, this.opts.poolMax);
      if (old && old.url === where.url && old.max === max) continue;
      if (old) this.retire(s.name);
      this.pools.set(s.name, {
        url: where.url,
        max,
        pool: createPool({
          connectionString: where.url,
          applicationName: 'streamsync-engine',
          max,
        }),
      });
    }
    return named;
  }

  private retire(name: string): void {
    const e = this.pools.get(name);
    this.pools.delete(name);
    // statements in flight finish first: end() waits for checked-out clients
    void e?.pool.end().catch(() => {});
  }

  async end(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((e) => e.pool.end().catch(() => {})));
  }
}
