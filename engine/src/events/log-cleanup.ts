/**
 * Clean-up of old event logs: processed events (delivered, or failed for good) older than a
 * retention are deleted in batches, with their invocation logs or keeping them, as Hasura's
 * `cleanup_event_trigger_logs` and an event trigger's `cleanup_config` do. Automatic clean-ups
 * are scheduled per trigger on its cron schedule in `hdb_catalog.hdb_event_log_cleanups`; one
 * engine runs each (the row is locked while it runs).
 */
import type pg from 'pg';
import { query, sql, transaction } from '@streamsync/database';
import type { Metadata } from '../metadata/types.ts';
import { eventTriggersOf, nextCronTimes } from './definitions.ts';

export interface CleanupRequest {
  trigger: string;
  batchSize: number;
  clearOlderThanHours: number;
  timeoutSec: number;
  cleanInvocationLogs: boolean;
}

export interface CleanupStats {
  eventLogs: number;
  invocationLogs: number;
}

/** Delete in batches until nothing old is left (each batch its own short transaction). */
export async function cleanupEventLogs(pool: pg.Pool, req: CleanupRequest): Promise<CleanupStats> {
  const total: CleanupStats = { eventLogs: 0, invocationLogs: 0 };
  for (;;) {
    const batch = await transaction(pool, async (client) => {
      await query(
        client,
        sql`SELECT set_config('statement_timeout', ${sql.value(String(req.timeoutSec * 1000))}, true)`,
      );
      const { rows } = await query<{ id: string }>(
        client,
        sql`SELECT id FROM hdb_catalog.event_log
             WHERE (delivered OR error) AND trigger_name = ${sql.value(req.trigger)}
               AND created_at < now() - make_interval(hours => ${sql.value(req.clearOlderThanHours)})
               AND locked IS NULL
             LIMIT ${sql.value(req.batchSize)}
             FOR UPDATE SKIP LOCKED`,
      );
      const ids = sql.value(
        rows.map((r) => r.id),
        'text[]',
      );
      let invocationLogs = 0;
      if (req.cleanInvocationLogs) {
        const r = await query(
          client,
          sql`DELETE FROM hdb_catalog.event_invocation_logs WHERE event_id = ANY(${ids})`,
        );
        invocationLogs = r.rowCount ?? 0;
      }
      const d = await query(client, sql`DELETE FROM hdb_catalog.event_log WHERE id = ANY(${ids})`);
      return { eventLogs: d.rowCount ?? 0, invocationLogs };
    });
    total.eventLogs += batch.eventLogs;
    total.invocationLogs += batch.invocationLogs;
    if (batch.eventLogs < req.batchSize) return total;
  }
}

/**
 * One pass of automatic clean-up: make sure each trigger with an active `cleanup_config` has its
 * next run scheduled, then run the ones that are due (older missed runs are marked dead, as in
 * Hasura: only the latest due run of a trigger happens).
 */
export async function runDueCleanups(
  pool: pg.Pool,
  metadata: Metadata,
  onDone: (trigger: string, stats: CleanupStats) => void,
  source = 'default',
): Promise<void> {
  const withCleanup = eventTriggersOf(metadata).filter(
    (r) => r.source === source && r.conf.cleanup_config && !r.conf.cleanup_config.paused,
  );
  if (!withCleanup.length) return;
  for (const r of withCleanup) {
    const next = nextCronTimes(r.conf.cleanup_config!.schedule, new Date(), 1)[0]!;
    await query(
      pool,
      sql`INSERT INTO hdb_catalog.hdb_event_log_cleanups (trigger_name, scheduled_at, status)
          VALUES (${sql.value(r.conf.name)}, (${sql.value(next.toISOString())}::timestamptz AT TIME ZONE 'UTC'), 'scheduled')
          ON CONFLICT DO NOTHING`,
    );
  }
  for (const r of withCleanup) {
    const cfg = r.conf.cleanup_config!;
    await transaction(pool, async (client) => {
      const { rows } = await query<{ id: string }>(
        client,
        sql`WITH due AS (
              SELECT id, scheduled_at FROM hdb_catalog.hdb_event_log_cleanups
               WHERE trigger_name = ${sql.value(r.conf.name)} AND status = 'scheduled'
                 AND scheduled_at <= (now() AT TIME ZONE 'UTC')
               ORDER BY scheduled_at DESC FOR UPDATE SKIP LOCKED),
            dead AS (
              UPDATE hdb_catalog.hdb_event_log_cleanups SET status = 'dead'
               WHERE id IN (SELECT id FROM due OFFSET 1))
            SELECT id FROM due LIMIT 1`,
      );
      const id = rows[0]?.id;
      if (!id) return;
      const stats = await cleanupEventLogs(pool, {
        trigger: r.conf.name,
        batchSize: cfg.batch_size,
        clearOlderThanHours: cfg.clear_older_than,
        timeoutSec: cfg.timeout,
        cleanInvocationLogs: cfg.clean_invocation_logs,
      });
      await query(
        client,
        sql`UPDATE hdb_catalog.hdb_event_log_cleanups
               SET status = 'completed', deleted_event_logs = ${sql.value(stats.eventLogs)},
                   deleted_event_invocation_logs = ${sql.value(stats.invocationLogs)}
             WHERE id = ${sql.value(id)}`,
      );
      onDone(r.conf.name, stats);
    });
  }
}
