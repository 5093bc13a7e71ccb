/**
 * Event triggers and scheduled events of one engine, wired once at start-up from narrow
 * dependencies (the source and metadata pools, the metadata in force, the environment, a
 * logger, the metrics registry): the delivery loops, the automatic log clean-up, and the hook
 * that keeps the SQL triggers in step with metadata about to be stored.
 */
import type pg from 'pg';
import type pino from 'pino';
import type client from 'prom-client';
import type { Metadata } from '../metadata/types.ts';
import { WebhookClient } from '../webhook/client.ts';
import type { Env } from '../webhook/env-template.ts';
import type { EventsConfig } from './config.ts';
import { EventProcessor } from './event-processor.ts';
import { runDueCleanups } from './log-cleanup.ts';
import { createEventMetrics, type EventMetrics } from './metrics.ts';
import { ScheduledProcessor } from './scheduled-processor.ts';
import { syncSqlTriggers, type SyncOptions } from './sql-triggers.ts';
import { eventTriggersOf } from './definitions.ts';

export interface EventsDeps {
  /** the `default` source's pool */
  sourcePool: pg.Pool;
  /** the pool of another source (sources/) */
  poolOf?: (source: string) => pg.Pool | undefined;
  metadataPool: pg.Pool;
  metadataDatabaseUrl: string;
  metadata(): Metadata;
  env: Env;
  config: EventsConfig;
  stringifyNumeric: boolean;
  log: pino.Logger;
  registry: client.Registry;
}

export class EventsService {
  readonly metrics: EventMetrics;
  private readonly client: WebhookClient;
  /** one delivery loop per source with event triggers */
  private readonly deliveries = new Map<string, EventProcessor>();
  private readonly scheduler: ScheduledProcessor;
  private cleanupTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly deps: EventsDeps) {
    this.metrics = createEventMetrics(deps.registry);
    this.client = new WebhookClient({ maxSockets: deps.config.httpPoolSize });
    this.scheduler = new ScheduledProcessor({
      pool: deps.metadataPool,
      connectionString: deps.metadataDatabaseUrl,
      metadata: deps.metadata,
      env: deps.env,
      config: deps.config,
      log: deps.log.child({ component: 'scheduled-events' }),
      metrics: this.metrics,
      client: this.client,
    });
  }

  /** Bring the SQL triggers in line with metadata about to be stored (or just loaded). */
  async syncSql(
    before: Metadata | null,
    after: Metadata,
    opts: Omit<SyncOptions, 'stringify'> & { source?: string },
    client?: pg.PoolClient,
  ): Promise<void> {
    await syncSqlTriggers(
      this.poolOf,
      before,
      after,
      { ...opts, stringify: this.deps.stringifyNumeric },
      client,
    );
  }

  private readonly poolOf = (source: string): pg.Pool | undefined =>
    source === 'default' ? this.deps.sourcePool : this.deps.poolOf?.(source);

  /** The sources whose events are delivered: `default` and every other with an event trigger. */
  private sources(): string[] {
    const named = eventTriggersOf(this.deps.metadata()).map((r) => r.source);
    return [...new Set(['default', ...named])];
  }

  /**
   * A delivery loop for each source with event triggers in the metadata in force (call after a
   * metadata change); the loops of sources that have none left are stopped.
   */
  followMetadata(): void {
    if (!this.started) return;
    const wanted = new Set(this.sources());
    for (const source of wanted) {
      const pool = this.poolOf(source);
      if (!pool || this.deliveries.has(source)) continue;
      const d = new EventProcessor({
        source,
        pool,
        metadata: this.deps.metadata,
        env: this.deps.env,
        config: this.deps.config,
        log: this.deps.log.child({ component: 'events', source }),
        metrics: this.metrics,
        client: this.client,
      });
      this.deliveries.set(source, d);
      d.start();
    }
    for (const [source, d] of this.deliveries) {
      if (wanted.has(source)) continue;
      this.deliveries.delete(source);
      void d.stop();
    }
  }

  start(): void {
    if (this.started || !this.deps.config.enabled) return;
    this.started = true;
    this.followMetadata();
    this.scheduler.start();
    const cleanup = async () => {
      for (const source of this.sources()) {
        const pool = this.poolOf(source);
        if (!pool) continue;
        await runDueCleanups(
          pool,
          this.deps.metadata(),
          (trigger, stats) => this.deps.log.info({ trigger, ...stats }, 'event log clean-up done'),
          source,
        ).catch((e: unknown) => this.deps.log.warn({ err: e }, 'event log clean-up failed'));
      }
    };
    this.cleanupTimer = setInterval(() => void cleanup(), 60_000);
    this.cleanupTimer.unref();
  }

  /** Cron triggers changed, or a one-off event was made: look at once. */
  scheduledChanged(): void {
    this.scheduler.poke(true);
  }

  async stop(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    if (this.started)
      await Promise.all([
        ...[...this.deliveries.values()].map((d) => d.stop()),
        this.scheduler.stop(),
      ]);
    this.deliveries.clear();
    this.started = false;
    this.client.close();
  }
}
