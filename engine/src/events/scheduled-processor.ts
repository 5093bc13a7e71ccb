/**
 * Cron triggers and one-off scheduled events, as Hasura's Eventing/ScheduledTrigger.hs runs them
 * from the metadata database: a generator keeps the next 100 events of every cron trigger in
 * `hdb_catalog.hdb_cron_events`; a processor locks the due cron and one-off events
 * (`hdb_scheduled_events`), marks those older than their tolerance `dead`, calls the webhooks
 * and records every attempt (`*_invocation_logs`, tries, delivered / error / next retry). Events
 * that fell due while no engine ran are delivered when one starts, if within the tolerance.
 *
 * An engine takes an event by setting it `locked` and holding a session advisory lock on its id
 * on one dedicated connection, in the same statement. The schema has no lock timestamp, so this
 * is how a crashed engine's events are told apart from a live one's: a `locked` event whose
 * advisory lock nobody holds is put back to `scheduled` by the next pass of any engine.
 */
import pg from 'pg';
import { setMaxListeners } from 'node:events';
import type pino from 'pino';
import { query, sql, transaction } from '@streamsync/database';
import type { Metadata } from '../metadata/types.ts';
import type { WebhookClient } from '../webhook/client.ts';
import { callWebhook, invocationRecord, outcomeFields } from '../webhook/call.ts';
import type { Env, HeaderConf } from '../webhook/env-template.ts';
import type { Json } from '../webhook/kriti.ts';
import type { EventsConfig } from './config.ts';
import {
  cronTriggersOf,
  DEFAULT_ST_RETRY,
  nextCronTimes,
  readCronTrigger,
  type STRetryConf,
} from './definitions.ts';
import type { EventMetrics } from './metrics.ts';
import { logAttempt } from './outcome-writer.ts';
import { Pause } from './pause.ts';

/** Advisory lock namespace of scheduled events (the key is hashtext(id)). */
const LOCK_NS = 7_361_421;

export interface SchedulerDeps {
  /** Where hdb_catalog's scheduled tables live (the metadata database). */
  pool: pg.Pool;
  connectionString: string;
  metadata(): Metadata;
  env: Env;
  config: EventsConfig;
  log: pino.Logger;
  metrics: EventMetrics;
  client: WebhookClient;
}

type Kind = 'cron' | 'one_off';

interface DueEvent {
  kind: Kind;
  id: string;
  trigger_name: string | null;
  tries: number;
  scheduled_ms: number;
  scheduled_time: string;
  created_at: string | null;
  webhook_conf: unknown;
  payload: Json;
  header_conf: HeaderConf[] | null;
  retry_conf: Partial<STRetryConf> | null;
  comment: string | null;
}

/** Hasura (aeson) writes UTC times with a `Z` and no fraction when it is zero. */
const UTC_TEXT = (col: ReturnType<typeof sql>) =>
  sql`CASE WHEN extract(microseconds FROM ${col})::int % 1000000 = 0
           THEN to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           ELSE to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END`;

/** Generate the next `count` events of a cron trigger after `from` (insert, skipping duplicates). */
export async function insertCronEvents(
  db: pg.Pool | pg.PoolClient,
  trigger: string,
  schedule: string,
  from: Date,
  count = 100,
): Promise<void> {
  const times = nextCronTimes(schedule, from, count).map((d) => d.toISOString());
  await query(
    db,
    sql`INSERT INTO hdb_catalog.hdb_cron_events (trigger_name, scheduled_time)
        SELECT ${sql.value(trigger)}, t FROM unnest(${sql.value(times, 'timestamptz[]')}) AS t
        ON CONFLICT (trigger_name, scheduled_time) WHERE status = 'scheduled' DO NOTHING`,
  );
}

/** Hasura's dropFutureCronEvents: the not yet tried future events of these triggers. */
export async function dropFutureCronEvents(
  db: pg.Pool | pg.PoolClient,
  triggers: string[],
): Promise<void> {
  if (!triggers.length) return;
  await query(
    db,
    sql`DELETE FROM hdb_catalog.hdb_cron_events
         WHERE scheduled_time > now() AND tries = 0 AND trigger_name = ANY(${sql.value(triggers, 'text[]')})`,
  );
}

export class ScheduledProcessor {
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private readonly pause = new Pause();
  private lockClient: pg.Client | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private lastGenerated = 0;

  constructor(private readonly deps: SchedulerDeps) {
    // every call in flight listens for shutdown
    setMaxListeners(0, this.abort.signal);
  }

  start(): void {
    if (this.loopDone) return;
    this.loopDone = this.loop().catch((e: unknown) =>
      this.deps.log.error({ err: e }, 'scheduled events loop stopped'),
    );
  }

  /** Look now (a one-off event was just created, or the cron triggers changed). */
  poke(regenerate = false): void {
    if (regenerate) this.lastGenerated = 0;
    this.pause.wake();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.pause.wake();
    await this.loopDone;
    if (this.inFlight.size) {
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((r) => setTimeout(r, this.deps.config.shutdownTimeoutSeconds * 1000).unref()),
      ]);
    }
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
    // closing the session releases its advisory locks: what was not finished is recovered
    await this.lockClient?.end().catch(() => {});
    this.lockClient = null;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pass();
      } catch (e) {
        this.deps.log.error({ err: e }, 'scheduled events pass failed');
        await this.lockClient?.end().catch(() => {});
        this.lockClient = null;
      }
      if (this.stopping) break;
      await this.pause.sleep(this.deps.config.scheduledFetchIntervalMs);
    }
  }

  private async session(): Promise<pg.Client> {
    if (this.lockClient) return this.lockClient;
    const c = new pg.Client({
      connectionString: this.deps.connectionString,
      application_name: 'streamsync-engine-scheduler',
    });
    c.on('error', () => {
      if (this.lockClient === c) this.lockClient = null;
    });
    await c.connect();
    this.lockClient = c;
    return c;
  }

  private cronTriggers() {
    const out = new Map<string, ReturnType<typeof readCronTrigger>>();
    for (const raw of cronTriggersOf(this.deps.metadata())) {
      try {
        const t = readCronTrigger(raw);
        out.set(t.name, t);
      } catch (e) {
        this.deps.log.warn({ err: e }, 'unreadable cron trigger left out');
      }
    }
    return out;
  }

  /** One pass: top up cron events (each minute), recover orphans, take and deliver what is due. */
  private async pass(): Promise<void> {
    const crons = this.cronTriggers();
    const { pool } = this.deps;
    if (crons.size && Date.now() - this.lastGenerated > 60_000) {
      const names = [...crons.keys()];
      const { rows } = await query<{ trigger_name: string; upcoming: number; latest: Date }>(
        pool,
        sql`SELECT t.name AS trigger_name, coalesce(q.n, 0)::int AS upcoming, coalesce(q.latest, now()) AS latest
              FROM unnest(${sql.value(names, 'text[]')}) AS t(name)
              LEFT JOIN (SELECT trigger_name, count(*) AS n, max(scheduled_time) AS latest
                           FROM hdb_catalog.hdb_cron_events
                          WHERE tries = 0 AND status = 'scheduled' GROUP BY trigger_name) q
                ON q.trigger_name = t.name
             WHERE coalesce(q.n, 0) < 100`,
      );
      for (const r of rows) {
        const t = crons.get(r.trigger_name)!;
        await insertCronEvents(pool, t.name, t.schedule, r.latest);
      }
      this.lastGenerated = Date.now();
    }
    const session = await this.session();
    // a `locked` event whose engine is gone (its advisory lock free) is due again
    for (const table of [sql`hdb_catalog.hdb_cron_events`, sql`hdb_catalog.hdb_scheduled_events`]) {
      await transaction(pool, async (c) => {
        await query(
          c,
          sql`UPDATE ${table} SET status = 'scheduled'
               WHERE status = 'locked' AND pg_try_advisory_xact_lock(${sql.value(LOCK_NS)}, hashtext(id))`,
        );
      });
    }
    const cronNames = [...crons.keys()];
    const due: DueEvent[] = [];
    if (cronNames.length) {
      const { rows } = await query<DueEvent>(
        session,
        sql`UPDATE hdb_catalog.hdb_cron_events SET status = 'locked'
             WHERE id IN (SELECT t.id FROM hdb_catalog.hdb_cron_events t
                           WHERE t.status = 'scheduled'
                             AND ((t.next_retry_at IS NULL AND t.scheduled_time <= now())
                                  OR (t.next_retry_at IS NOT NULL AND t.next_retry_at <= now()))
                             AND t.trigger_name = ANY(${sql.value(cronNames, 'text[]')})
                           FOR UPDATE SKIP LOCKED)
               AND pg_try_advisory_lock(${sql.value(LOCK_NS)}, hashtext(id))
            RETURNING 'cron' AS kind, id, trigger_name, tries,
              (extract(epoch FROM scheduled_time) * 1000)::float8 AS scheduled_ms,
              ${UTC_TEXT(sql`scheduled_time`)} AS scheduled_time, NULL::text AS created_at,
              NULL::json AS webhook_conf, NULL::json AS payload, NULL::json AS header_conf,
              NULL::json AS retry_conf, NULL::text AS comment`,
      );
      due.push(...rows);
    }
    const { rows: oneOff } = await query<DueEvent>(
      session,
      sql`UPDATE hdb_catalog.hdb_scheduled_events SET status = 'locked'
           WHERE id IN (SELECT t.id FROM hdb_catalog.hdb_scheduled_events t
                         WHERE t.status = 'scheduled'
                           AND ((t.next_retry_at IS NULL AND t.scheduled_time <= now())
                                OR (t.next_retry_at IS NOT NULL AND t.next_retry_at <= now()))
                         FOR UPDATE SKIP LOCKED)
             AND pg_try_advisory_lock(${sql.value(LOCK_NS)}, hashtext(id))
          RETURNING 'one_off' AS kind, id, NULL::text AS trigger_name, tries,
            (extract(epoch FROM scheduled_time) * 1000)::float8 AS scheduled_ms,
            ${UTC_TEXT(sql`scheduled_time`)} AS scheduled_time, ${UTC_TEXT(sql`created_at`)} AS created_at,
            webhook_conf, payload, header_conf, retry_conf, comment`,
    );
    due.push(...oneOff);
    for (const ev of due) {
      const p = this.process(ev, crons)
        .catch((e: unknown) =>
          this.deps.log.error({ err: e, event_id: ev.id }, 'scheduled event failed'),
        )
        .finally(async () => {
          this.inFlight.delete(p);
          if (this.lockClient === session)
            await query(
              session,
              sql`SELECT pg_advisory_unlock(${sql.value(LOCK_NS)}, hashtext(${sql.value(ev.id)}))`,
            ).catch(() => {});
        });
      this.inFlight.add(p);
    }
  }

  private async setStatus(ev: DueEvent, status: 'delivered' | 'error' | 'dead'): Promise<void> {
    const table =
      ev.kind === 'cron' ? sql`hdb_catalog.hdb_cron_events` : sql`hdb_catalog.hdb_scheduled_events`;
    await query(
      this.deps.pool,
      sql`UPDATE ${table} SET status = ${sql.value(status)} WHERE id = ${sql.value(ev.id)}`,
    );
    this.deps.metrics.scheduledProcessed.inc({ type: ev.kind, status });
  }

  private async process(
    ev: DueEvent,
    crons: ReturnType<ScheduledProcessor['cronTriggers']>,
  ): Promise<void> {
    const { log, metrics } = this.deps;
    const cron = ev.kind === 'cron' ? crons.get(ev.trigger_name ?? '') : undefined;
    if (ev.kind === 'cron' && !cron) return;
    const retry: STRetryConf = cron
      ? cron.retry_conf
      : { ...DEFAULT_ST_RETRY, ...(ev.retry_conf ?? {}) };
    if ((Date.now() - ev.scheduled_ms) / 1000 > retry.tolerance_seconds) {
      log.info(
        { event_id: ev.id, trigger: ev.trigger_name, scheduled_time: ev.scheduled_time },
        'scheduled event past its tolerance: dead',
      );
      await this.setStatus(ev, 'dead');
      return;
    }
    const body: Record<string, Json> = { id: ev.id };
    if (cron) body.name = cron.name;
    body.scheduled_time = ev.scheduled_time;
    body.payload = (cron ? (cron.payload as Json | undefined) : ev.payload) ?? null;
    const comment = cron ? cron.comment : ev.comment;
    if (comment !== undefined && comment !== null) body.comment = comment;
    if (ev.created_at) body.created_at = ev.created_at;
    const webhook = cron
      ? cron.webhook
      : typeof ev.webhook_conf === 'string'
        ? ev.webhook_conf
        : '';
    const result = await callWebhook(this.deps.client, this.deps.env, {
      webhook: { template: webhook },
      headers: cron ? cron.headers : (ev.header_conf ?? []),
      body,
      timeoutMs: retry.timeout_seconds * 1000,
      ...(cron?.request_transform ? { requestTransform: cron.request_transform } : {}),
      ...(cron?.response_transform ? { responseTransform: cron.response_transform } : {}),
      sessionVariables: null,
      signal: this.abort.signal,
    });
    if (result.kind === 'failure' && result.reason === 'aborted') return;
    const ok = result.kind === 'response' && result.ok;
    metrics.scheduledInvocations.inc({ type: ev.kind, status: ok ? 'success' : 'failed' });
    const record = invocationRecord(result, '1');
    const retryAfter = result.kind === 'response' ? result.retryAfterSeconds : null;
    const exhausted = ev.tries >= retry.num_retries && retryAfter === null;
    const events =
      ev.kind === 'cron' ? sql`hdb_catalog.hdb_cron_events` : sql`hdb_catalog.hdb_scheduled_events`;
    const logs =
      ev.kind === 'cron'
        ? sql`hdb_catalog.hdb_cron_event_invocation_logs`
        : sql`hdb_catalog.hdb_scheduled_event_invocation_logs`;
    await transaction(this.deps.pool, async (c) => {
      await query(
        c,
        sql`INSERT INTO ${logs} (event_id, status, request, response)
            VALUES (${sql.value(ev.id)}, ${sql.value(record.status)},
                    ${sql.value(JSON.stringify(record.request), 'json')}, ${sql.value(JSON.stringify(record.response), 'json')})`,
      );
      if (ok || exhausted) {
        await query(
          c,
          sql`UPDATE ${events} SET tries = tries + 1, status = ${sql.value(ok ? 'delivered' : 'error')}
               WHERE id = ${sql.value(ev.id)}`,
        );
      } else {
        const delay = retryAfter ?? retry.retry_interval_seconds;
        await query(
          c,
          sql`UPDATE ${events} SET tries = tries + 1, status = 'scheduled',
                 next_retry_at = now() + make_interval(secs => ${sql.value(delay)})
               WHERE id = ${sql.value(ev.id)}`,
        );
      }
    });
    if (ok || exhausted)
      metrics.scheduledProcessed.inc({ type: ev.kind, status: ok ? 'delivered' : 'error' });
    logAttempt(log, 'scheduled event', ok, exhausted, {
      event_id: ev.id,
      type: ev.kind,
      trigger: ev.trigger_name,
      try: ev.tries,
      ...outcomeFields(result),
    });
  }
}
