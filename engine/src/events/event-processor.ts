/**
 * Delivery of event trigger events, as Hasura's processEventQueue does it: lock a batch of due
 * events in `hdb_catalog.event_log` (`FOR UPDATE SKIP LOCKED`, so engines sharing a database
 * never take the same event), call their webhooks with at most `httpPoolSize` calls in flight
 * while the next batch is fetched, and record each attempt (invocation log, tries, delivered /
 * error / next retry) in one transaction. Nothing is lost when an engine dies: an event stays in
 * the log until an attempt is recorded, and a lock that is not renewed lapses after the lease,
 * so another engine (or this one, restarted) takes it up — at least once.
 */
import type pg from 'pg';
import { setMaxListeners } from 'node:events';
import type pino from 'pino';
import { query, sql } from '@streamsync/database';
import type { Metadata } from '../metadata/types.ts';
import type { WebhookClient } from '../webhook/client.ts';
import { callWebhook, invocationRecord, outcomeFields, type CallResult } from '../webhook/call.ts';
import type { Env } from '../webhook/env-template.ts';
import type { Json } from '../webhook/kriti.ts';
import type { EventsConfig } from './config.ts';
import { effectiveTimeoutSec, eventTriggersOf, type TriggerRef } from './definitions.ts';
import type { EventMetrics } from './metrics.ts';
import { logAttempt, OutcomeWriter } from './outcome-writer.ts';
import { Pause } from './pause.ts';
import { hasSourceCatalog } from './source-catalog.ts';

export interface DeliveryDeps {
  /** The source whose events this processor delivers (each source has its own). */
  source: string;
  /** The source's pool (where the event log lives). */
  pool: pg.Pool;
  /** The metadata in force now. */
  metadata(): Metadata;
  env: Env;
  config: EventsConfig;
  log: pino.Logger;
  metrics: EventMetrics;
  client: WebhookClient;
}

interface FetchedEvent {
  id: string;
  schema_name: string;
  table_name: string;
  trigger_name: string;
  payload: Record<string, Json>;
  tries: number;
  created_at: string;
  created_ms: number;
  due_ms: number;
}

/** Hasura's limit on one event's processing, whatever its timeout says. */
const MAX_PROCESSING_MS = 30 * 60 * 1000;

/**
 * Answered calls whose outcome is not committed yet, at most: past this the loop waits for the
 * outcome writer instead of holding ever more events (a few of its groups).
 */
const MAX_UNRECORDED = 1000;

export class EventProcessor {
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private readonly pause = new Pause();
  private readonly held = new Set<string>();
  /** Every event taken and not yet recorded (its call, then its outcome write). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Webhook calls under way: what HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE bounds. */
  private calls = 0;
  private readonly abort = new AbortController();
  private capacityWaiters: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private catalogSeen = false;
  private readonly outcomes: OutcomeWriter;

  constructor(private readonly deps: DeliveryDeps) {
    this.outcomes = new OutcomeWriter(deps.pool);
    // every call in flight listens for shutdown
    setMaxListeners(0, this.abort.signal);
  }

  start(): void {
    if (this.loopDone) return;
    this.loopDone = this.loop().catch((e: unknown) => {
      this.deps.log.error({ err: e }, 'event delivery loop stopped');
    });
    const every = Math.max(1000, (this.deps.config.lockLeaseSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => void this.renewLocks(), every);
    this.heartbeat.unref();
  }

  /** Wake the loop now (a change was just made and the caller wants it delivered soon). */
  poke(): void {
    this.pause.wake();
  }

  /**
   * Stop taking events, let calls in flight finish (up to the shutdown timeout), then abandon
   * the rest and unlock whatever is still held so another engine takes it at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pause.wake();
    this.wakeLoop();
    await this.loopDone;
    const deadline = this.deps.config.shutdownTimeoutSeconds * 1000;
    if (this.inFlight.size) {
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((r) => setTimeout(r, deadline).unref()),
      ]);
    }
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.unlockHeld();
  }

  private async loop(): Promise<void> {
    let batch = await this.fetchSafely();
    while (!this.stopping) {
      if (batch.length === 0) {
        await this.pause.sleep(this.deps.config.fetchIntervalMs);
        if (this.stopping) break;
      }
      // the next batch is fetched while this one is handed to the HTTP workers
      const next = batch.length ? this.fetchSafely() : Promise.resolve(null);
      for (const ev of batch) {
        await this.freeWorker();
        if (this.stopping) break;
        this.dispatch(ev);
      }
      batch = (await next) ?? (this.stopping ? [] : await this.fetchSafely());
    }
  }

  /**
   * Wait for an HTTP worker. A worker is free again once its call is answered, not once the
   * outcome is committed: outcomes are written in groups, and holding the worker through the
   * group's wait and commit capped delivery at pool size / (call + wait + commit), which a
   * loaded database's slow commits pushed under 1,000 events/s with Hasura's pool of 100.
   */
  private async freeWorker(): Promise<void> {
    while (
      !this.stopping &&
      (this.calls >= this.deps.config.httpPoolSize ||
        this.inFlight.size - this.calls >= MAX_UNRECORDED)
    )
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
  }

  private wakeLoop(): void {
    for (const w of this.capacityWaiters.splice(0)) w();
  }

  private dispatch(ev: FetchedEvent): void {
    this.calls++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.calls--;
      this.wakeLoop();
    };
    const p = this.process(ev, release)
      .catch((e: unknown) =>
        this.deps.log.error({ err: e, event_id: ev.id }, 'event processing failed'),
      )
      .finally(() => {
        release();
        this.inFlight.delete(p);
        this.held.delete(ev.id);
        this.deps.metrics.locked.set(this.held.size);
        this.wakeLoop();
      });
    this.inFlight.add(p);
  }

  private triggerNames(): string[] {
    return eventTriggersOf(this.deps.metadata())
      .filter((r) => r.source === this.deps.source)
      .map((r) => r.conf.name);
  }

  private async fetchSafely(): Promise<FetchedEvent[]> {
    try {
      return await this.fetch();
    } catch (e) {
      this.deps.log.error({ err: e }, 'fetching events failed');
      return [];
    }
  }

  /** Lock up to a batch of due events (Hasura's fetchEvents, with a renewable lease). */
  private async fetch(): Promise<FetchedEvent[]> {
    if (this.stopping) return [];
    const names = this.triggerNames();
    if (!names.length) return [];
    if (!this.catalogSeen) {
      if (!(await hasSourceCatalog(this.deps.pool))) return [];
      this.catalogSeen = true;
    }
    const started = performance.now();
    const { rows } = await query<FetchedEvent>(
      this.deps.pool,
      sql`UPDATE hdb_catalog.event_log SET locked = now()
           WHERE id IN (
             SELECT l.id FROM hdb_catalog.event_log l
              WHERE l.delivered = 'f' AND l.error = 'f' AND l.archived = 'f'
                AND (l.locked IS NULL OR l.locked < now() - make_interval(secs => ${sql.value(this.deps.config.lockLeaseSeconds)}))
                AND (l.next_retry_at IS NULL OR l.next_retry_at <= now())
                AND l.trigger_name = ANY(${sql.value(names, 'text[]')})
              ORDER BY l.locked NULLS FIRST, l.next_retry_at NULLS FIRST, l.created_at
              LIMIT ${sql.value(this.deps.config.fetchBatchSize)}
              FOR UPDATE SKIP LOCKED)
          RETURNING id, schema_name, table_name, trigger_name, payload, tries,
            to_json(created_at)#>>'{}' AS created_at,
            (extract(epoch FROM created_at AT TIME ZONE current_setting('TimeZone')) * 1000)::float8 AS created_ms,
            (extract(epoch FROM coalesce(next_retry_at, created_at) AT TIME ZONE current_setting('TimeZone')) * 1000)::float8 AS due_ms`,
    );
    this.deps.metrics.fetchSeconds.observe((performance.now() - started) / 1000);
    this.deps.metrics.fetched.inc(rows.length);
    for (const r of rows) this.held.add(r.id);
    this.deps.metrics.locked.set(this.held.size);
    return rows;
  }

  private async renewLocks(): Promise<void> {
    if (!this.held.size) return;
    try {
      await query(
        this.deps.pool,
        sql`UPDATE hdb_catalog.event_log SET locked = now()
             WHERE id = ANY(${sql.value([...this.held], 'text[]')}) AND locked IS NOT NULL`,
      );
    } catch (e) {
      this.deps.log.warn({ err: e }, 'renewing event locks failed');
    }
  }

  private async unlockHeld(): Promise<void> {
    if (!this.held.size) return;
    const ids = [...this.held];
    this.held.clear();
    try {
      await query(
        this.deps.pool,
        sql`UPDATE hdb_catalog.event_log SET locked = NULL
             WHERE id = ANY(${sql.value(ids, 'text[]')}) AND locked IS NOT NULL`,
      );
    } catch (e) {
      this.deps.log.warn({ err: e, events: ids.length }, 'unlocking events at shutdown failed');
    }
  }

  private triggerFor(ev: FetchedEvent): TriggerRef | undefined {
    return eventTriggersOf(this.deps.metadata()).find(
      (r) =>
        r.source === this.deps.source &&
        r.conf.name === ev.trigger_name &&
        r.table.schema === ev.schema_name &&
        r.table.name === ev.table_name,
    );
  }

  /** Deliver one event and record the attempt; `callDone` frees its HTTP worker. */
  private async process(ev: FetchedEvent, callDone: () => void): Promise<void> {
    const { metrics, log } = this.deps;
    const ref = this.triggerFor(ev);
    if (!ref) {
      // the trigger left the metadata (or not yet arrived here): look again in a minute
      log.warn(
        { event_id: ev.id, trigger: ev.trigger_name },
        'event of an unknown trigger, retried in 60 s',
      );
      await query(
        this.deps.pool,
        sql`UPDATE hdb_catalog.event_log SET next_retry_at = now() + interval '60 seconds', locked = NULL
             WHERE id = ${sql.value(ev.id)}`,
      );
      return;
    }
    const conf = ref.conf;
    const label = { trigger_name: conf.name };
    metrics.queueSeconds.observe(label, Math.max(0, Date.now() - ev.due_ms) / 1000);
    const body = {
      id: ev.id,
      table: { schema: ev.schema_name, name: ev.table_name },
      trigger: { name: conf.name },
      event: ev.payload,
      delivery_info: { current_retry: ev.tries, max_retries: conf.retry_conf.num_retries },
      created_at: ev.created_at,
    };
    const session = ev.payload.session_variables;
    metrics.httpWorkers.inc();
    let result: CallResult;
    try {
      result = await callWebhook(this.deps.client, this.deps.env, {
        webhook:
          conf.webhook_from_env !== undefined
            ? { fromEnv: conf.webhook_from_env }
            : { template: conf.webhook ?? '' },
        headers: conf.headers ?? [],
        body,
        timeoutMs: Math.min(effectiveTimeoutSec(conf) * 1000, MAX_PROCESSING_MS),
        ...(conf.request_transform ? { requestTransform: conf.request_transform } : {}),
        ...(conf.response_transform ? { responseTransform: conf.response_transform } : {}),
        sessionVariables:
          session && typeof session === 'object' && !Array.isArray(session)
            ? (session as Record<string, string>)
            : null,
        signal: this.abort.signal,
      });
    } finally {
      metrics.httpWorkers.dec();
      callDone();
    }
    if (result.kind === 'failure' && result.reason === 'aborted') return; // shutdown: unlocked by stop()
    metrics.requestBytes.inc(result.requestBytes);
    if (result.kind === 'response') metrics.responseBytes.inc(result.responseBytes);
    metrics.webhookSeconds.observe(label, result.durationMs / 1000);
    const ok = result.kind === 'response' && result.ok;
    metrics.invocations.inc({ ...label, status: ok ? 'success' : 'failed' });
    const retryAfter = result.kind === 'response' ? result.retryAfterSeconds : null;
    const exhausted = ev.tries >= conf.retry_conf.num_retries && retryAfter === null;
    const record = invocationRecord(result, '2');
    await this.outcomes.write({
      eventId: ev.id,
      trigger: conf.name,
      status: record.status,
      request: record.request,
      response: record.response,
      result: ok ? 'delivered' : exhausted ? 'failed' : 'retry',
      retryInSeconds: retryAfter ?? conf.retry_conf.interval_sec,
    });
    if (ok || exhausted) {
      metrics.processed.inc({ ...label, status: ok ? 'success' : 'failed' });
      metrics.processingSeconds.observe(label, Math.max(0, Date.now() - ev.due_ms) / 1000);
    }
    logAttempt(log, 'event', ok, exhausted, {
      event_id: ev.id,
      trigger: conf.name,
      try: ev.tries,
      url_template: conf.webhook ?? `{{${conf.webhook_from_env}}}`,
      ...outcomeFields(result),
    });
  }
}
