/**
 * Read replicas of the `default` source (Hasura's `configuration.read_replicas`, or
 * HASURA_GRAPHQL_READ_REPLICA_URLS): queries and subscriptions read from a replica, picked at
 * random among those that answer (Hasura picks uniformly at random too); mutations, metadata,
 * run_sql and the event and action machinery keep using the primary pool, which they hold
 * directly — only what is routed through `run` ever reaches a replica.
 *
 * Each replica is health-checked on a fixed beat by a fresh connection (so a replica that stopped
 * is noticed even while no read uses it). A replica that stops answering is taken out at once —
 * by the check, or by the first read that fails to reach it, which is then run again on the
 * primary (or another replica), so a client sees no error — with one warning line and
 * `engine_read_replica_up{replica} 0`; reads go to the primary meanwhile
 * (`engine_read_replica_fallback_reads_total`). When it answers the check again it is put back,
 * with one info line.
 */
import pg from 'pg';
import type pino from 'pino';
import client from 'prom-client';
import { createPool, query, sql } from '@streamsync/database';

/** Where one read runs: a replica's pool, or the primary's. */
export interface ReadTarget {
  pool: pg.Pool;
  /** true on a replica (a hot standby: streams check its replay position first) */
  replica: boolean;
  /** the replica's URL without its password, or `primary` */
  name: string;
}

/** What readers use: run a read on a replica when one is up, else on the primary. */
export interface ReadRouter {
  run<R>(read: (target: ReadTarget) => Promise<R>): Promise<R>;
}

export interface ReadReplicaOptions {
  primary: pg.Pool;
  /** connections per replica pool */
  poolMax: number;
  /** ms between health checks of each replica */
  healthIntervalMs: number;
  log: pino.Logger;
  registry: client.Registry;
}

interface Replica {
  url: string;
  name: string;
  pool: pg.Pool;
  up: boolean;
}

/** A URL as logs and metric labels may show it: without its password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/**
 * An error that says the server cannot be reached or is going away (no SQLSTATE, or a network
 * error code, or class 08 / 57P01-03), as opposed to an error of the statement itself.
 */
function unreachable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return true;
  return (
    /^E[A-Z]+$/.test(code) || code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code)
  );
}

/** SQLSTATE 40001 on a hot standby: "canceling statement due to conflict with recovery". */
const RECOVERY_CONFLICT = '40001';

export class ReadReplicas implements ReadRouter {
  private replicas: Replica[] = [];
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private readonly primaryTarget: ReadTarget;
  private readonly up: client.Gauge<'replica'>;
  private readonly failovers: client.Counter<'replica'>;
  private readonly fallbackReads: client.Counter;

  constructor(private readonly opts: ReadReplicaOptions) {
    this.primaryTarget = { pool: opts.primary, replica: false, name: 'primary' };
    this.up = new client.Gauge({
      name: 'engine_read_replica_up',
      help: 'Whether a read replica answers its health check (1) or its reads go elsewhere (0)',
      labelNames: ['replica'],
      registers: [opts.registry],
    });
    this.failovers = new client.Counter({
      name: 'engine_read_replica_failovers_total',
      help: 'Times a read replica stopped answering and was taken out of the reads',
      labelNames: ['replica'],
      registers: [opts.registry],
    });
    this.fallbackReads = new client.Counter({
      name: 'engine_read_replica_fallback_reads_total',
      help: 'Reads run on the primary because no read replica was up (or the one picked failed)',
      registers: [opts.registry],
    });
  }

  /** The replicas in use (their URLs); configured replicas not in `urls` are closed. */
  configure(urls: readonly string[]): void {
    const wanted = new Set(urls);
    for (const r of this.replicas.filter((x) => !wanted.has(x.url))) {
      this.up.remove({ replica: r.name });
      void r.pool.end().catch(() => {});
    }
    const kept = this.replicas.filter((x) => wanted.has(x.url));
    for (const url of wanted) {
      if (kept.some((x) => x.url === url)) continue;
      const name = redactUrl(url);
      const pool = createPool({
        connectionString: url,
        applicationName: 'streamsync-engine-replica',
        max: this.opts.poolMax,
      });
      // up until a check or a read says otherwise: the first reads need not wait for a check
      kept.push({ url, name, pool, up: true });
      this.up.set({ replica: name }, 1);
      this.opts.log.info(
        { replica: name },
        'read replica configured: queries and subscriptions read from it',
      );
    }
    this.replicas = kept;
    if (this.replicas.length > 0) void this.checkAll();
  }

  get configured(): number {
    return this.replicas.length;
  }

  /** Start the health checks. */
  start(): void {
    if (this.timer || this.opts.healthIntervalMs <= 0) return;
    this.timer = setInterval(() => void this.checkAll(), this.opts.healthIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    const pools = this.replicas.map((r) => r.pool);
    this.replicas = [];
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
  }

  /** A replica that is up, at random; the primary when none is. */
  private pick(exclude: ReadonlySet<Replica>): Replica | null {
    const up = this.replicas.filter((r) => r.up && !exclude.has(r));
    if (up.length === 0) return null;
    return up[Math.floor(Math.random() * up.length)]!;
  }

  async run<R>(read: (target: ReadTarget) => Promise<R>): Promise<R> {
    // most deployments have no replica: every read goes straight to the primary
    if (this.replicas.length === 0) return read(this.primaryTarget);
    const tried = new Set<Replica>();
    for (;;) {
      const r = this.pick(tried);
      if (!r) {
        if (this.replicas.length > 0) this.fallbackReads.inc();
        return read(this.primaryTarget);
      }
      tried.add(r);
      try {
        return await read({ pool: r.pool, replica: true, name: r.name });
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === RECOVERY_CONFLICT) {
          // replay removed rows this statement still needed: the primary has them
          this.fallbackReads.inc();
          return read(this.primaryTarget);
        }
        if (!unreachable(e)) throw e;
        this.markDown(r, e);
      }
    }
  }

  private markDown(r: Replica, e: unknown): void {
    if (!r.up) return;
    r.up = false;
    this.up.set({ replica: r.name }, 0);
    this.failovers.inc({ replica: r.name });
    this.opts.log.warn(
      { replica: r.name, err: (e as Error).message },
      'read replica is not answering: its queries and subscriptions go to the primary until it is back',
    );
  }

  private markUp(r: Replica): void {
    if (r.up) return;
    r.up = true;
    this.up.set({ replica: r.name }, 1);
    this.opts.log.info(
      { replica: r.name },
      'read replica is back: queries and subscriptions read from it again',
    );
  }

  /** One health check of every replica; a check still running is not started twice. */
  private checkAll(): Promise<void> {
    this.checking ??= Promise.all(this.replicas.map((r) => this.check(r))).then(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async check(r: Replica): Promise<void> {
    const timeout = Math.max(1000, Math.min(5000, this.opts.healthIntervalMs * 2));
    const probe = new pg.Client({
      connectionString: r.url,
      application_name: 'streamsync-engine-replica-check',
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await query(probe, sql`SELECT 1`);
      if (this.replicas.includes(r)) this.markUp(r);
    } catch (e) {
      if (this.replicas.includes(r)) this.markDown(r, e);
    } finally {
      await probe.end().catch(() => {});
    }
  }
}

/**
 * The replica URLs of a source's `configuration`: its `read_replicas` (each `database_url` a
 * string or `{from_env}`), or `fallback` (HASURA_GRAPHQL_READ_REPLICA_URLS) when it names none.
 * A replica whose URL cannot be resolved is left out and named in `problems`.
 */
export function replicaUrls(
  configuration: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv,
  fallback: readonly string[],
): { urls: string[]; problems: string[] } {
  const list = configuration?.read_replicas;
  if (!Array.isArray(list) || list.length === 0) return { urls: [...fallback], problems: [] };
  const urls: string[] = [];
  const problems: string[] = [];
  list.forEach((entry: unknown, i) => {
    const db = (entry as { database_url?: unknown } | null)?.database_url;
    const fromEnv = (db as { from_env?: unknown } | null)?.from_env;
    const url =
      typeof db === 'string' ? db : typeof fromEnv === 'string' ? env[fromEnv] : undefined;
    if (url && /^postgres(ql)?:\/\//.test(url)) urls.push(url);
    else
      problems.push(
        typeof fromEnv === 'string'
          ? `read_replicas[${i}]: environment variable '${fromEnv}' not set`
          : `read_replicas[${i}]: database_url is not a postgres:// URL or {from_env}`,
      );
  });
  return { urls, problems };
}
