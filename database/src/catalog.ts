/**
 * Hasura's catalog in `hdb_catalog`, the part StreamSync shares: the server row (`hdb_version`,
 * which also holds the CLI's and console's state), the stored metadata (`hdb_metadata`), the
 * cross-instance change notice (`hdb_schema_notifications`), and the tables of async actions,
 * cron events and one-off scheduled events with their invocation logs. Table shapes follow Hasura
 * v2.48's, so that the migration state the `hasura` CLI keeps (config v3: `cli_state.migrations`)
 * is the same state our applier keeps, and the engine's events have Hasura's columns. That the real
 * Hasura can take over a database the engine served is intended but has never been tried here (no
 * Hasura runs on our machines): do not promise it.
 */
import type pg from 'pg';
import type { Queryable } from './pool.ts';
import { query, transaction } from './pool.ts';
import { sql } from './sql.ts';

/** The catalog version Hasura v2.4x writes into hdb_version.version. */
export const CATALOG_VERSION = '48';

/** Arbitrary constant for the advisory lock that serialises catalog set-up and migration runs. */
export const CATALOG_LOCK_KEY = 7_361_420_001;

export interface CliState {
  /** database name → version → dirty flag */
  migrations?: Record<string, Record<string, boolean>>;
  settings?: Record<string, string>;
  isStateCopyCompleted?: boolean;
  [key: string]: unknown;
}

export interface CatalogState {
  id: string;
  cli_state: CliState;
  console_state: Record<string, unknown>;
}

const SCHEDULING_CATALOG = [
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_action_log (
        id uuid PRIMARY KEY DEFAULT hdb_catalog.gen_hasura_uuid(),
        action_name text,
        input_payload jsonb NOT NULL,
        request_headers jsonb NOT NULL,
        session_variables jsonb NOT NULL,
        response_payload jsonb NULL,
        errors jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        response_received_at timestamptz NULL,
        status text NOT NULL,
        CHECK (status IN ('created', 'processing', 'completed', 'error')))`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_events (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        trigger_name text NOT NULL,
        scheduled_time timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'scheduled',
        tries integer NOT NULL DEFAULT 0,
        created_at timestamptz DEFAULT now(),
        next_retry_at timestamptz,
        CONSTRAINT valid_status CHECK (status IN ('scheduled', 'locked', 'delivered', 'error', 'dead')))`,
  sql`CREATE INDEX IF NOT EXISTS hdb_cron_event_status ON hdb_catalog.hdb_cron_events (status)`,
  sql`CREATE UNIQUE INDEX IF NOT EXISTS hdb_cron_events_unique_scheduled
        ON hdb_catalog.hdb_cron_events (trigger_name, scheduled_time) WHERE status = 'scheduled'`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_event_invocation_logs (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        event_id text,
        status integer,
        request json,
        response json,
        created_at timestamptz DEFAULT now(),
        FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_cron_events (id)
          ON UPDATE CASCADE ON DELETE CASCADE)`,
  sql`CREATE INDEX IF NOT EXISTS hdb_cron_event_invocation_event_id
        ON hdb_catalog.hdb_cron_event_invocation_logs (event_id)`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_events (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        webhook_conf json NOT NULL,
        scheduled_time timestamptz NOT NULL,
        retry_conf json,
        payload json,
        header_conf json,
        status text NOT NULL DEFAULT 'scheduled',
        tries integer NOT NULL DEFAULT 0,
        created_at timestamptz DEFAULT now(),
        next_retry_at timestamptz,
        comment text,
        CONSTRAINT valid_status CHECK (status IN ('scheduled', 'locked', 'delivered', 'error', 'dead')))`,
  sql`CREATE INDEX IF NOT EXISTS hdb_scheduled_event_status ON hdb_catalog.hdb_scheduled_events (status)`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_event_invocation_logs (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        event_id text,
        status integer,
        request json,
        response json,
        created_at timestamptz DEFAULT now(),
        FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_scheduled_events (id)
          ON DELETE CASCADE ON UPDATE CASCADE)`,
];

/** Create the shared catalog tables if absent. Safe to call from several processes at once. */
export async function ensureCatalog(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (client) => {
    // CREATE … IF NOT EXISTS still races on the catalog's unique indexes; serialise set-up.
    await query(client, sql`SELECT pg_advisory_xact_lock(${sql.value(CATALOG_LOCK_KEY)}::bigint)`);
    await query(client, sql`CREATE SCHEMA IF NOT EXISTS hdb_catalog`);
    await query(
      client,
      sql`CREATE OR REPLACE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid
            LANGUAGE sql AS 'SELECT gen_random_uuid()'`,
    );
    await query(
      client,
      sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_version (
            hasura_uuid uuid DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL PRIMARY KEY,
            version text NOT NULL,
            upgraded_on timestamptz NOT NULL,
            cli_state jsonb DEFAULT '{}'::jsonb NOT NULL,
            console_state jsonb DEFAULT '{}'::jsonb NOT NULL)`,
    );
    await query(
      client,
      sql`CREATE UNIQUE INDEX IF NOT EXISTS hdb_version_one_row ON hdb_catalog.hdb_version ((version IS NOT NULL))`,
    );
    await query(
      client,
      sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_metadata (
            id integer NOT NULL PRIMARY KEY,
            metadata json NOT NULL,
            resource_version integer DEFAULT 1 NOT NULL UNIQUE)`,
    );
    await query(
      client,
      sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_schema_notifications (
            id integer NOT NULL PRIMARY KEY CHECK (id = 1),
            notification json NOT NULL,
            resource_version integer DEFAULT 1 NOT NULL,
            instance_id uuid NOT NULL,
            updated_at timestamptz DEFAULT now())`,
    );
    // the rest of Hasura's metadata catalog at this version: what a version-48 Hasura expects to
    // find when it takes the database over (async action log, cron and one-off scheduled events)
    for (const stmt of SCHEDULING_CATALOG) await query(client, stmt);
    await query(
      client,
      sql`INSERT INTO hdb_catalog.hdb_version (version, upgraded_on)
          VALUES (${sql.value(CATALOG_VERSION)}, now())
          ON CONFLICT ((version IS NOT NULL)) DO NOTHING`,
    );
  });
}

export async function getCatalogState(db: Queryable): Promise<CatalogState> {
  const { rows } = await query<{
    id: string;
    cli_state: CliState;
    console_state: Record<string, unknown>;
  }>(
    db,
    sql`SELECT hasura_uuid::text AS id, cli_state, console_state FROM hdb_catalog.hdb_version LIMIT 1`,
  );
  const row = rows[0];
  if (!row) throw new Error('hdb_catalog.hdb_version has no row: call ensureCatalog() first');
  return { id: row.id, cli_state: row.cli_state ?? {}, console_state: row.console_state ?? {} };
}

/** Store the CLI's or the console's state verbatim, as Hasura's set_catalog_state does. */
export async function setCatalogState(
  db: Queryable,
  type: 'cli' | 'console',
  state: unknown,
): Promise<void> {
  const stateJson = sql.value(JSON.stringify(state ?? {}), 'jsonb');
  await query(
    db,
    type === 'cli'
      ? sql`UPDATE hdb_catalog.hdb_version SET cli_state = ${stateJson}`
      : sql`UPDATE hdb_catalog.hdb_version SET console_state = ${stateJson}`,
  );
}

/** The versions recorded as applied for one database (source) of the CLI state. */
export async function appliedVersions(db: Queryable, source: string): Promise<Set<string>> {
  const { cli_state } = await getCatalogState(db);
  return new Set(Object.keys(cli_state.migrations?.[source] ?? {}));
}

/** Record (dirty = false) or forget one migration version, atomically inside the caller's transaction. */
export async function recordVersion(
  db: Queryable,
  source: string,
  version: string,
  applied: boolean,
): Promise<void> {
  const src = sql.value(source);
  const ver = sql.value(version);
  await query(
    db,
    applied
      ? sql`UPDATE hdb_catalog.hdb_version SET cli_state =
              cli_state || jsonb_build_object('migrations',
                coalesce(cli_state->'migrations', '{}'::jsonb) || jsonb_build_object(${src}::text,
                  coalesce(cli_state->'migrations'->${src}::text, '{}'::jsonb) || jsonb_build_object(${ver}::text, false)))`
      : sql`UPDATE hdb_catalog.hdb_version SET cli_state =
              cli_state #- ARRAY['migrations', ${src}::text, ${ver}::text]`,
  );
}
