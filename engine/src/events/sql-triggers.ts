/**
 * Keeping the SQL side of event triggers in step with the metadata: for every event trigger its
 * `notify_hasura_<name>_<OP>` functions and triggers, for every trigger that left the metadata
 * its functions dropped and its pending events archived (as Hasura's delete_event_trigger does).
 * Changes run in one transaction on the source, before the metadata that needs them is stored.
 */
import type pg from 'pg';
import { query, sql, transaction } from '@streamsync/database';
import type { Metadata } from '../metadata/types.ts';
import {
  eventTriggersOf,
  OPS,
  type EventTriggerConf,
  type Op,
  type TriggerRef,
} from './definitions.ts';
import { ensureSourceCatalog, hasSourceCatalog, sqlTriggerName } from './source-catalog.ts';

type Db = pg.PoolClient;

const key = (r: TriggerRef) => `${r.source}\u0000${r.conf.name}`;

function specOf(conf: EventTriggerConf, op: Op) {
  return op === 'INSERT'
    ? conf.definition.insert
    : op === 'UPDATE'
      ? conf.definition.update
      : conf.definition.delete;
}

/** What the SQL functions depend on: a change here means they must be written again. */
function shape(r: TriggerRef): string {
  return JSON.stringify([
    r.table,
    r.conf.definition.insert,
    r.conf.definition.update,
    r.conf.definition.delete,
  ]);
}

async function tableOid(db: Db, r: TriggerRef): Promise<string | null> {
  const { rows } = await query<{ oid: string }>(
    db,
    sql`SELECT c.oid::text AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ${sql.value(r.table.schema)} AND c.relname = ${sql.value(r.table.name)}`,
  );
  return rows[0]?.oid ?? null;
}

/** Write (or rewrite) the SQL functions and triggers of one event trigger. */
export async function defineSqlTriggers(db: Db, r: TriggerRef, stringify: boolean): Promise<void> {
  const oid = await tableOid(db, r);
  if (oid === null) return; // the table is gone: the trigger is inconsistent metadata
  for (const op of OPS) {
    const spec = specOf(r.conf, op);
    if (!spec) {
      await dropSqlFunction(db, r.conf.name, op);
      continue;
    }
    const cols = (c: '*' | string[] | undefined) => (c === undefined || c === '*' ? null : c);
    await query(
      db,
      sql`SELECT hdb_catalog.streamsync_define_event_trigger(
            ${sql.value(r.conf.name)}, ${sql.value(op)}, ${sql.value(oid)}::oid::regclass,
            ${sql.value(cols(spec.columns), 'text[]')}, ${sql.value(cols(spec.payload), 'text[]')},
            ${sql.value(stringify)})`,
    );
  }
}

async function dropSqlFunction(db: Db, trigger: string, op: Op): Promise<void> {
  await query(
    db,
    sql`DROP FUNCTION IF EXISTS ${sql.ident('hdb_catalog', sqlTriggerName(trigger, op))}() CASCADE`,
  );
}

/** Drop a trigger's SQL side and archive its events (Hasura's dropTriggerAndArchiveEvents). */
export async function dropSqlTriggers(db: Db, trigger: string): Promise<void> {
  for (const op of OPS) await dropSqlFunction(db, trigger, op);
  await query(
    db,
    sql`UPDATE hdb_catalog.event_log SET archived = 't' WHERE trigger_name = ${sql.value(trigger)}`,
  );
}

async function existingFunctions(db: Db): Promise<Set<string>> {
  const { rows } = await query<{ name: string }>(
    db,
    sql`SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'hdb_catalog' AND p.proname LIKE 'notify\_hasura\_%'`,
  );
  return new Set(rows.map((r) => r.name));
}

export interface SyncOptions {
  stringify: boolean;
  /**
   * `changed`: only triggers that are new or whose definition changed (a metadata API change);
   * `missing`: also those whose SQL functions are missing (start-up, metadata applied from a
   * directory); `all`: rewrite every one (reload_metadata with recreate_event_triggers).
   */
  mode: 'changed' | 'missing' | 'all';
  /** Tables whose columns changed (run_sql): their triggers are rewritten. */
  changedTables?: Set<string>;
}

/**
 * Bring the SQL triggers of every source from `before` (null: unknown) to `after`, each in its
 * own database (`poolOf`; a source without a pool is left alone). With `client` (run_sql's
 * transaction), only the triggers of `opts.source` (default: `default`), through it.
 */
export async function syncSqlTriggers(
  poolOf: (source: string) => pg.Pool | undefined,
  before: Metadata | null,
  after: Metadata,
  opts: SyncOptions & { source?: string },
  client?: Db,
): Promise<void> {
  const sources = client
    ? [opts.source ?? 'default']
    : [
        ...new Set(
          [...eventTriggersOf(after), ...(before ? eventTriggersOf(before) : [])].map(
            (r) => r.source,
          ),
        ),
      ];
  for (const source of sources) {
    const pool = poolOf(source);
    if (pool) await syncSource(pool, source, before, after, opts, client);
  }
}

async function syncSource(
  pool: pg.Pool,
  source: string,
  before: Metadata | null,
  after: Metadata,
  opts: SyncOptions,
  client?: Db,
): Promise<void> {
  const wanted = eventTriggersOf(after).filter((r) => r.source === source);
  const old = new Map(
    (before ? eventTriggersOf(before) : [])
      .filter((r) => r.source === source)
      .map((r) => [key(r), r]),
  );
  const gone = [...old.values()].filter((r) => !wanted.some((w) => key(w) === key(r)));
  if (!wanted.length && !gone.length) return;
  if (wanted.length) await ensureSourceCatalog(pool);
  const run = async (db: Db) => {
    if (!wanted.length && !(await hasSourceCatalog(db))) return;
    const present = opts.mode === 'missing' ? await existingFunctions(db) : new Set<string>();
    for (const r of gone) await dropSqlTriggers(db, r.conf.name);
    for (const r of wanted) {
      const prev = old.get(key(r));
      const tableKey = `${r.table.schema}.${r.table.name}`;
      const changed = !prev || shape(prev) !== shape(r) || opts.changedTables?.has(tableKey);
      const missing =
        opts.mode === 'missing' &&
        OPS.some((op) => specOf(r.conf, op) && !present.has(sqlTriggerName(r.conf.name, op)));
      if (opts.mode === 'all' || changed || missing) await defineSqlTriggers(db, r, opts.stringify);
    }
  };
  if (client) await run(client);
  else await transaction(pool, run);
}
