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

export interface EventsDeps {
  sourcePool: pg.Pool;
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
  private readonly delivery: EventProcessor;
  private readonly scheduler: ScheduledProcessor;
  private cleanupTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly deps: EventsDeps) {
    this.metrics = createEventMetrics(deps.registry);
    this.client = new WebhookClient({ maxSockets: deps.config.httpPoolSize });
    const log = deps.log.child({ component: 'events' });
    this.delivery = new EventProcessor({
      pool: deps.sourcePool,
      metadata: deps.metadata,
      env: deps.env,
      config: deps.config,
      log,
      metrics: this.metrics,
      client: this.client,
    });
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
    opts: Omit<SyncOptions, 'stringify'>,
    client?: pg.PoolClient,
  ): Promise<void> {
    await syncSqlTriggers(
      this.deps.sourcePool,
      before,
      after,
      { ...opts, stringify: this.deps.stringifyNumeric },
      client,
    );
  }

  start(): void {
    if (this.started || !this.deps.config.enabled) return;
    this.started = true;
    this.delivery.start();
    this.scheduler.start();
    const cleanup = () =>
      runDueCleanups(this.deps.sourcePool, this.deps.metadata(), (trigger, stats) =>
        this.deps.log.info({ trigger, ...stats }, 'event log clean-up done'),
      ).catch((e: unknown) => this.deps.log.warn({ err: e }, 'event log clean-up failed'));
    this.cleanupTimer = setInterval(() => void cleanup(), 60_000);
    this.cleanupTimer.unref();
  }

  /** Cron triggers changed, or a one-off event was made: look at once. */
  scheduledChanged(): void {
    this.scheduler.poke(true);
  }

  async stop(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    if (this.started) await Promise.all([this.delivery.stop(), this.scheduler.stop()]);
    this.started = false;
    this.client.close();
  }
}
