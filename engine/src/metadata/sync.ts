/**
 * Keeping every engine process that serves one database on the same metadata, as Hasura's schema
 * sync does: a change is stored with a new resource_version and a row in
 * `hdb_catalog.hdb_schema_notifications` naming the instance that made it; every other instance
 * notices (a Postgres NOTIFY for speed, and a poll every HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL
 * ms — default 1000, 0 disables — in case a notice is missed) and reloads metadata and catalog.
 */
import type pg from 'pg';
import type pino from 'pino';
import { query, sql } from '@streamsync/database';

/** The channel a change is announced on (payload: resource_version). */
export const SCHEMA_SYNC_CHANNEL = 'hasura_schema_sync';

export interface SyncTarget {
  /** The resource_version this process serves. */
  currentVersion(): number;
  /** Reload metadata and catalog because another process changed them. */
  reload(): Promise<void>;
}

export class MetadataSync {
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.PoolClient | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly instanceId: string,
    private readonly target: SyncTarget,
    private readonly log: pino.Logger,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    if (this.intervalMs > 0) {
      this.timer = setInterval(() => this.check(), this.intervalMs);
      this.timer.unref();
    }
    try {
      const client = await this.pool.connect();
      this.listener = client;
      client.on('notification', (n) => {
        if (n.channel === SCHEMA_SYNC_CHANNEL) this.check();
      });
      client.on('error', (e) => this.log.warn({ err: e }, 'schema sync listener failed'));
      await query(client, sql`LISTEN ${sql.ident(SCHEMA_SYNC_CHANNEL)}`);
    } catch (e) {
      // polling still works
      this.log.warn({ err: e }, 'schema sync: LISTEN failed, polling only');
    }
  }

  /** Compare the stored resource_version with ours; reload when another instance moved it. */
  check(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.poll()
      .catch((e) => this.log.warn({ err: e }, 'schema sync check failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.check();
        }
      });
  }

  private async poll(): Promise<void> {
    const { rows } = await query<{ resource_version: number; instance_id: string }>(
      this.pool,
      sql`SELECT resource_version, instance_id::text AS instance_id FROM hdb_catalog.hdb_schema_notifications WHERE id = 1`,
    );
    const row = rows[0];
    if (!row || row.resource_version === this.target.currentVersion()) return;
    // our own change, seen before this process swapped its state in: not another instance's
    if (row.instance_id === this.instanceId) return;
    if (row.resource_version < this.target.currentVersion()) return;
    this.log.info(
      { from: this.target.currentVersion(), to: row.resource_version, by: row.instance_id },
      'metadata changed by another instance: reloading',
    );
    await this.target.reload();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
    const l = this.listener;
    this.listener = undefined;
    if (l) {
      await query(l, sql`UNLISTEN *`).catch(() => {});
      l.release();
    }
  }
}

/** Announce a stored change to the other instances (inside the storing transaction). */
export async function announceChange(
  client: pg.PoolClient,
  resourceVersion: number,
): Promise<void> {
  await query(
    client,
    sql`SELECT pg_notify(${sql.value(SCHEMA_SYNC_CHANNEL)}, ${sql.value(String(resourceVersion))})`,
  );
}
