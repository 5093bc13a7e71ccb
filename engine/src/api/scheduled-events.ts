/**
 * The scheduled-trigger operations of the metadata API (Hasura/RQL/DDL/ScheduledTrigger.hs):
 * `create_cron_trigger` (with `replace`), `delete_cron_trigger`, `get_cron_triggers`,
 * `create_scheduled_event`, `delete_scheduled_event`, `get_scheduled_events` and
 * `get_scheduled_event_invocations`. Cron triggers are metadata (`cron_triggers`); their events
 * and the one-off events are rows of the metadata database's catalog.
 */
import { query, sql } from '@streamsync/database';
import { bad, success, type Args, type OpContext } from './context.ts';
import {
  cronTriggerForApi,
  cronTriggersOf,
  parseCronTrigger,
  parseScheduledEvent,
} from '../events/definitions.ts';
import { dropFutureCronEvents, insertCronEvents } from '../events/scheduled-processor.ts';
import { parsed } from './event-triggers.ts';

const nameOf = (x: unknown) => (x as { name?: unknown }).name;

function cronList(ctx: OpContext): unknown[] {
  if (!Array.isArray(ctx.draft.cron_triggers)) ctx.draft.cron_triggers = [];
  return ctx.draft.cron_triggers as unknown[];
}

function checkExists(ctx: OpContext, name: string): void {
  if (!cronTriggersOf(ctx.draft).some((t) => nameOf(t) === name))
    throw bad('not-exists', `cron trigger with name: ${name} does not exist`);
}

export async function createCronTrigger(ctx: OpContext, args: Args): Promise<unknown> {
  const { meta, replace } = parsed(() => parseCronTrigger(args));
  const list = cronList(ctx);
  const at = list.findIndex((t) => nameOf(t) === meta.name);
  const pool = ctx.engine.metadataPool;
  if (replace) {
    checkExists(ctx, meta.name);
    list[at] = meta;
    await dropFutureCronEvents(pool, [meta.name]);
  } else {
    if (at >= 0) throw bad('already-exists', `cron trigger with name: ${meta.name} already exists`);
    list.push(meta);
  }
  ctx.changed = true;
  await insertCronEvents(pool, meta.name, meta.schedule, new Date());
  ctx.engine.events?.scheduledChanged();
  return success;
}

export async function deleteCronTrigger(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  checkExists(ctx, args.name);
  ctx.draft.cron_triggers = cronList(ctx).filter((t) => nameOf(t) !== args.name);
  if (!(ctx.draft.cron_triggers as unknown[]).length) delete ctx.draft.cron_triggers;
  ctx.changed = true;
  await dropFutureCronEvents(ctx.engine.metadataPool, [args.name]);
  return success;
}

export function getCronTriggers(ctx: OpContext): unknown {
  return { cron_triggers: cronTriggersOf(ctx.draft).map(cronTriggerForApi) };
}

export async function createScheduledEvent(ctx: OpContext, args: Args): Promise<unknown> {
  const ev = parsed(() => parseScheduledEvent(args));
  const { rows } = await query<{ id: string }>(
    ctx.engine.metadataPool,
    sql`INSERT INTO hdb_catalog.hdb_scheduled_events
          (webhook_conf, scheduled_time, payload, retry_conf, header_conf, comment)
        VALUES (${sql.value(JSON.stringify(ev.webhook), 'json')}, ${sql.value(ev.scheduleAt.toISOString())}::timestamptz,
                ${sql.value(JSON.stringify(ev.payload), 'json')}, ${sql.value(JSON.stringify(ev.retryConf), 'json')},
                ${sql.value(JSON.stringify(ev.headers), 'json')}, ${sql.value(ev.comment)})
        RETURNING id`,
  );
  ctx.engine.events?.scheduledChanged();
  return { message: 'success', event_id: rows[0]!.id };
}

function eventType(v: unknown): 'cron' | 'one_off' {
  if (v === 'cron' || v === 'one_off') return v;
  throw bad('parse-failed', 'expected "cron" or "one_off" for "type"', ['type']);
}

export async function deleteScheduledEvent(ctx: OpContext, args: Args): Promise<unknown> {
  const type = eventType(args.type);
  if (typeof args.event_id !== 'string') throw bad('parse-failed', 'key "event_id" not found');
  const table =
    type === 'cron' ? sql`hdb_catalog.hdb_cron_events` : sql`hdb_catalog.hdb_scheduled_events`;
  const r = await query(
    ctx.engine.metadataPool,
    sql`DELETE FROM ${table} WHERE id = ${sql.value(args.event_id)}`,
  );
  if (!r.rowCount) throw bad('not-exists', 'no scheduled event exists with id ' + args.event_id);
  return success;
}

function paging(args: Args) {
  const int = (v: unknown, key: string) => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw bad('parse-failed', `expected a non-negative integer for "${key}"`, [key]);
    return v;
  };
  const limit = int(args.limit, 'limit');
  const offset = int(args.offset, 'offset');
  return {
    limit: limit === null ? sql.empty : sql` LIMIT ${sql.value(limit)}`,
    offset: offset === null ? sql.empty : sql` OFFSET ${sql.value(offset)}`,
  };
}

const STATUSES = ['scheduled', 'locked', 'delivered', 'error', 'dead'];

export async function getScheduledEvents(ctx: OpContext, args: Args): Promise<unknown> {
  const type = eventType(args.type);
  const statuses = Array.isArray(args.status) ? args.status.map(String) : [];
  for (const s of statuses)
    if (!STATUSES.includes(s)) throw bad('parse-failed', `unexpected status: ${s}`, ['status']);
  const { limit, offset } = paging(args);
  const status = statuses.length
    ? sql` AND status = ANY(${sql.value(statuses, 'text[]')})`
    : sql.empty;
  let rows: unknown[];
  let where;
  if (type === 'cron') {
    if (typeof args.trigger_name !== 'string')
      throw bad('parse-failed', 'key "trigger_name" not found');
    checkExists(ctx, args.trigger_name);
    where = sql`trigger_name = ${sql.value(args.trigger_name)}${status}`;
    rows = (
      await query(
        ctx.engine.metadataPool,
        sql`SELECT id, trigger_name, scheduled_time, status, tries, created_at, next_retry_at
              FROM hdb_catalog.hdb_cron_events WHERE ${where}
             ORDER BY scheduled_time ASC${limit}${offset}`,
      )
    ).rows;
  } else {
    where = sql`true${status}`;
    rows = (
      await query(
        ctx.engine.metadataPool,
        sql`SELECT id, webhook_conf, scheduled_time, retry_conf, payload, header_conf, status, tries,
                   created_at, next_retry_at, comment
              FROM hdb_catalog.hdb_scheduled_events WHERE ${where}
             ORDER BY scheduled_time ASC${limit}${offset}`,
      )
    ).rows;
  }
  const out: Record<string, unknown> = { events: rows };
  if (args.get_rows_count === true) {
    const table =
      type === 'cron' ? sql`hdb_catalog.hdb_cron_events` : sql`hdb_catalog.hdb_scheduled_events`;
    const c = await query<{ n: number }>(
      ctx.engine.metadataPool,
      sql`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    );
    out.count = c.rows[0]!.n;
  }
  return out;
}

export async function getScheduledEventInvocations(ctx: OpContext, args: Args): Promise<unknown> {
  const type = eventType(args.type);
  const { limit, offset } = paging(args);
  const logs =
    type === 'cron'
      ? sql`hdb_catalog.hdb_cron_event_invocation_logs`
      : sql`hdb_catalog.hdb_scheduled_event_invocation_logs`;
  let where;
  if (typeof args.event_id === 'string') where = sql`i.event_id = ${sql.value(args.event_id)}`;
  else if (type === 'cron') {
    if (typeof args.trigger_name !== 'string')
      throw bad('parse-failed', 'key "trigger_name" not found');
    checkExists(ctx, args.trigger_name);
    where = sql`i.event_id IN (SELECT id FROM hdb_catalog.hdb_cron_events WHERE trigger_name = ${sql.value(args.trigger_name)})`;
  } else where = sql`true`;
  const { rows } = await query(
    ctx.engine.metadataPool,
    sql`SELECT i.id, i.event_id, i.status, i.request, i.response, i.created_at
          FROM ${logs} i WHERE ${where} ORDER BY i.created_at DESC${limit}${offset}`,
  );
  const out: Record<string, unknown> = { invocations: rows };
  if (args.get_rows_count === true) {
    const c = await query<{ n: number }>(
      ctx.engine.metadataPool,
      sql`SELECT count(*)::int AS n FROM ${logs} i WHERE ${where}`,
    );
    out.count = c.rows[0]!.n;
  }
  return out;
}
