/**
 * The event trigger operations of the metadata API, as Hasura answers them
 * (Hasura/RQL/DDL/EventTrigger.hs): `create_event_trigger` (with `replace`),
 * `delete_event_trigger`, `redeliver_event`, `invoke_event_trigger`, the event and invocation
 * logs (`get_event_logs`, `get_event_invocation_logs`, `get_event_by_id`) and the log clean-up
 * (`cleanup_event_trigger_logs`, `pause_/resume_event_trigger_cleanups`). Metadata changes go to
 * the request's draft; the SQL triggers follow when the draft is stored (sql-triggers.ts).
 */
import { query, sql, transaction } from '@streamsync/database';
import {
  bad,
  catalogOf,
  checkChange,
  ensureArray,
  findTable,
  poolOf,
  sourceOf,
  success,
  type Args,
  type OpContext,
} from './context.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import type { TableMeta } from '../metadata/types.ts';
import { normalizeName } from '../metadata/types.ts';
import {
  envValue,
  renderTemplate,
  resolveHeaders,
  TemplateError,
} from '../webhook/env-template.ts';
import {
  DefinitionError,
  parseCreateEventTrigger,
  readEventTriggerConf,
  type EventTriggerConf,
} from '../events/definitions.ts';
import { cleanupEventLogs } from '../events/log-cleanup.ts';
import { ensureSourceCatalog, hasSourceCatalog } from '../events/source-catalog.ts';

/** Run a definition parser, its errors as Hasura's parse-failed. */
export function parsed<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DefinitionError) throw bad('parse-failed', e.message, e.path);
    throw e;
  }
}

/** The table (in the draft) holding the named trigger of a source, if any. */
function tableOfTrigger(ctx: OpContext, source: string, name: string): TableMeta | undefined {
  return sourceOf(ctx, source).tables.find((t) =>
    ((t.event_triggers as unknown[] | undefined) ?? []).some(
      (x) => (x as { name?: unknown }).name === name,
    ),
  );
}

function triggerOf(
  ctx: OpContext,
  source: string,
  name: string,
): { table: TableMeta; conf: EventTriggerConf } {
  const table = tableOfTrigger(ctx, source, name);
  const raw = ((table?.event_triggers as unknown[] | undefined) ?? []).find(
    (x) => (x as { name?: unknown }).name === name,
  );
  if (!table || !raw) throw bad('not-exists', `event trigger "${name}" does not exist`);
  return { table, conf: readEventTriggerConf(raw) };
}

/** The webhook and headers must resolve against the engine's environment now, as in Hasura. */
function checkResolvable(ctx: OpContext, conf: EventTriggerConf): void {
  const env = ctx.engine.config.env;
  try {
    if (conf.webhook_from_env !== undefined) envValue(env, conf.webhook_from_env);
    else renderTemplate(conf.webhook ?? '', env);
    resolveHeaders(conf.headers ?? [], env);
  } catch (e) {
    if (e instanceof TemplateError) throw bad('not-found', e.message);
    throw e;
  }
}

export async function createEventTrigger(ctx: OpContext, args: Args): Promise<unknown> {
  const q = parsed(() => parseCreateEventTrigger(args));
  const table = findTable(ctx, { table: q.table, source: q.source });
  const pg = (await catalogOf(ctx, q.source)).tables.get(qualifiedKey(q.table));
  const existing = tableOfTrigger(ctx, q.source, q.conf.name);
  if (q.replace) {
    if (!existing) throw bad('not-exists', `event trigger "${q.conf.name}" does not exist`);
    if (qualifiedKey(normalizeName(existing.table)) !== qualifiedKey(q.table))
      throw bad('not-supported', 'cannot replace table or schema for trigger');
  } else if (existing) {
    throw bad('already-exists', `Event trigger with name "${q.conf.name}" already exists`);
  }
  for (const op of ['insert', 'update', 'delete'] as const) {
    const spec = q.conf.definition[op];
    if (!spec) continue;
    for (const cols of [spec.columns, spec.payload]) {
      if (!Array.isArray(cols)) continue;
      for (const c of cols)
        if (!pg?.columns.some((x) => x.name === c))
          throw bad('not-exists', `column "${c}" does not exist`, [op]);
    }
  }
  checkResolvable(ctx, q.conf);
  const list = ensureArray<unknown>(table, 'event_triggers');
  const at = list.findIndex((x) => (x as { name?: unknown }).name === q.conf.name);
  if (at >= 0) list[at] = q.conf;
  else list.push(q.conf);
  await checkChange(
    ctx,
    (n) =>
      n ===
      `event_trigger ${q.conf.name} in table ${q.table.schema}.${q.table.name} in source ${q.source}`,
  );
  return success;
}

export function deleteEventTrigger(ctx: OpContext, args: Args): unknown {
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  const source = typeof args.source === 'string' ? args.source : 'default';
  const { table } = triggerOf(ctx, source, args.name);
  table.event_triggers = (table.event_triggers as unknown[]).filter(
    (x) => (x as { name?: unknown }).name !== args.name,
  );
  if ((table.event_triggers as unknown[]).length === 0) delete table.event_triggers;
  ctx.changed = true;
  return success;
}

/** The session of the API request, as the `hasura.user` setting a trigger records. */
function sessionJson(ctx: OpContext): string {
  return JSON.stringify(ctx.session?.variables ?? { 'x-hasura-role': 'admin' });
}

export async function invokeEventTrigger(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  if (!('payload' in args)) throw bad('parse-failed', 'key "payload" not found');
  const source = typeof args.source === 'string' ? args.source : 'default';
  const { table, conf } = triggerOf(ctx, source, args.name);
  if (!conf.definition.enable_manual)
    throw bad('not-supported', 'manual mode is not enabled for event trigger');
  const qn = normalizeName(table.table);
  await ensureSourceCatalog(poolOf(ctx, source));
  const id = await transaction(poolOf(ctx, source), async (client) => {
    await query(
      client,
      sql`SELECT set_config('hasura.user', ${sql.value(sessionJson(ctx))}, true)`,
    );
    const { rows } = await query<{ id: string }>(
      client,
      sql`SELECT hdb_catalog.insert_event_log(${sql.value(qn.schema)}, ${sql.value(qn.name)},
            ${sql.value(conf.name)}, 'MANUAL', ${sql.value(JSON.stringify({ old: null, new: args.payload ?? null }), 'json')}) AS id`,
    );
    return rows[0]!.id;
  });
  return { event_id: id };
}

export async function redeliverEvent(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.event_id !== 'string') throw bad('parse-failed', 'key "event_id" not found');
  const pool = poolOf(ctx, typeof args.source === 'string' ? args.source : 'default');
  if (!(await hasSourceCatalog(pool))) throw bad('not-exists', 'event not found');
  const leaseSec = ctx.engine.config.events.lockLeaseSeconds;
  await transaction(pool, async (client) => {
    const { rows } = await query<{ busy: boolean }>(
      client,
      sql`SELECT (locked IS NOT NULL AND locked >= now() - make_interval(secs => ${sql.value(leaseSec)})) AS busy
            FROM hdb_catalog.event_log WHERE id = ${sql.value(args.event_id)} FOR UPDATE`,
    );
    if (!rows[0]) throw bad('not-exists', 'event not found');
    if (rows[0].busy) throw bad('busy', 'event is already being processed');
    await query(
      client,
      sql`UPDATE hdb_catalog.event_log SET delivered = 'f', error = 'f', tries = 0
           WHERE id = ${sql.value(args.event_id)}`,
    );
  });
  return success;
}

const EVENT_COLUMNS = sql`id, schema_name, table_name, trigger_name, payload, delivered, error, tries,
  to_json(created_at) AS created_at, locked, to_json(next_retry_at) AS next_retry_at, archived`;
const INVOCATION_COLUMNS = sql`id, trigger_name, event_id, status, request, response, to_json(created_at) AS created_at`;

function paging(args: Args): { limit: number; offset: number } {
  const n = (v: unknown, d: number, key: string) => {
    if (v === undefined || v === null) return d;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw bad('parse-failed', `expected a non-negative integer for "${key}"`, [key]);
    return v;
  };
  return { limit: n(args.limit, 100, 'limit'), offset: n(args.offset, 0, 'offset') };
}

export async function getEventLogs(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  const source = typeof args.source === 'string' ? args.source : 'default';
  triggerOf(ctx, source, args.name);
  const status = args.status ?? 'all';
  if (!['processed', 'pending', 'all'].includes(String(status)))
    throw bad(
      'parse-failed',
      'event logs status can only be one of the following: processed or pending',
      ['status'],
    );
  const { limit, offset } = paging(args);
  if (!(await hasSourceCatalog(poolOf(ctx, source)))) return [];
  const filter =
    status === 'pending'
      ? sql` AND delivered = false AND error = false AND archived = false`
      : status === 'processed'
        ? sql` AND (delivered = true OR error = true) AND archived = false`
        : sql.empty;
  const { rows } = await query(
    poolOf(ctx, source),
    sql`SELECT ${EVENT_COLUMNS} FROM hdb_catalog.event_log l WHERE trigger_name = ${sql.value(args.name)}${filter}
         ORDER BY l.created_at DESC LIMIT ${sql.value(limit)} OFFSET ${sql.value(offset)}`,
  );
  return rows;
}

export async function getEventInvocationLogs(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  const source = typeof args.source === 'string' ? args.source : 'default';
  triggerOf(ctx, source, args.name);
  const { limit, offset } = paging(args);
  if (!(await hasSourceCatalog(poolOf(ctx, source)))) return [];
  const { rows } = await query(
    poolOf(ctx, source),
    sql`SELECT ${INVOCATION_COLUMNS} FROM hdb_catalog.event_invocation_logs i
         WHERE trigger_name = ${sql.value(args.name)}
         ORDER BY i.created_at DESC LIMIT ${sql.value(limit)} OFFSET ${sql.value(offset)}`,
  );
  return rows;
}

export async function getEventById(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.event_id !== 'string') throw bad('parse-failed', 'key "event_id" not found');
  const limit = paging({ limit: args.invocation_log_limit, offset: args.invocation_log_offset });
  const missing = () => bad('not-exists', `event id ${String(args.event_id)} does not exist`);
  const source = typeof args.source === 'string' ? args.source : 'default';
  if (!(await hasSourceCatalog(poolOf(ctx, source)))) throw missing();
  const { rows } = await query(
    poolOf(ctx, source),
    sql`SELECT ${EVENT_COLUMNS} FROM hdb_catalog.event_log WHERE id = ${sql.value(args.event_id)}`,
  );
  if (!rows[0]) throw missing();
  const inv = await query(
    poolOf(ctx, source),
    sql`SELECT ${INVOCATION_COLUMNS} FROM hdb_catalog.event_invocation_logs i
         WHERE event_id = ${sql.value(args.event_id)}
         ORDER BY i.created_at DESC LIMIT ${sql.value(limit.limit)} OFFSET ${sql.value(limit.offset)}`,
  );
  return { event: rows[0], invocations: inv.rows };
}

/** `cleanup_event_trigger_logs`: delete processed events older than `clear_older_than` hours. */
export async function cleanupEventTriggerLogs(ctx: OpContext, args: Args): Promise<unknown> {
  if (typeof args.event_trigger_name !== 'string')
    throw bad('parse-failed', 'key "event_trigger_name" not found');
  if (typeof args.clear_older_than !== 'number' || args.clear_older_than < 0)
    throw bad('parse-failed', 'key "clear_older_than" not found');
  const source = typeof args.source === 'string' ? args.source : 'default';
  triggerOf(ctx, source, args.event_trigger_name);
  if (!(await hasSourceCatalog(poolOf(ctx, source))))
    return { deleted_event_logs: 0, deleted_event_invocation_logs: 0 };
  const stats = await cleanupEventLogs(poolOf(ctx, source), {
    trigger: args.event_trigger_name,
    batchSize: typeof args.batch_size === 'number' ? args.batch_size : 10000,
    clearOlderThanHours: args.clear_older_than,
    timeoutSec: typeof args.timeout === 'number' ? args.timeout : 60,
    cleanInvocationLogs: args.clean_invocation_logs === true,
  });
  return {
    deleted_event_logs: stats.eventLogs,
    deleted_event_invocation_logs: stats.invocationLogs,
  };
}

/** `pause_event_trigger_cleanups` / `resume_event_trigger_cleanups`. */
export function toggleCleanups(paused: boolean) {
  return (ctx: OpContext, args: Args): unknown => {
    const spec = args.event_triggers;
    const all = (source: string) =>
      sourceOf(ctx, source).tables.flatMap((t) =>
        ((t.event_triggers as unknown[] | undefined) ?? []).map(
          (x) => (x as { name: string }).name,
        ),
      );
    let targets: Array<[string, string]>;
    if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
      const sources = (spec as { sources?: unknown }).sources;
      const names =
        sources === '*'
          ? ctx.draft.sources.map((s) => s.name)
          : Array.isArray(sources)
            ? sources.map(String)
            : [];
      targets = names.flatMap((s) => all(s).map((n) => [s, n] as [string, string]));
    } else if (Array.isArray(spec)) {
      targets = spec.flatMap((q) => {
        const o = q as { source_name?: unknown; event_triggers?: unknown };
        const s = typeof o.source_name === 'string' ? o.source_name : 'default';
        return (Array.isArray(o.event_triggers) ? o.event_triggers : []).map(
          (n) => [s, String(n)] as [string, string],
        );
      });
    } else {
      throw bad(
        'parse-failed',
        'The event trigger cleanup argument should either be "*", list of sources or list of event trigger qualifiers',
      );
    }
    for (const [s, n] of targets) {
      const { table } = triggerOf(ctx, s, n);
      const raw = (table.event_triggers as Array<Record<string, unknown>>).find(
        (x) => x.name === n,
      )!;
      const cc = raw.cleanup_config as Record<string, unknown> | undefined;
      if (!cc) {
        if (Array.isArray(spec)) throw bad('not-exists', `cleanup config does not exist for ${n}`);
        continue;
      }
      raw.cleanup_config = { ...cc, paused };
      ctx.changed = true;
    }
    return success;
  };
}

/** Inconsistencies of the event triggers in a table: unknown columns (checked by the validator). */
export function eventTriggerObjectName(
  name: string,
  table: { schema: string; name: string },
  source: string,
) {
  return `event_trigger ${name} in table ${table.schema}.${table.name} in source ${source}`;
}
