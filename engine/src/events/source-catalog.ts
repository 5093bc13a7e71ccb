/**
 * The event-trigger part of Hasura's catalog in a source database (init_pg_source.sql, source
 * catalog version 4): `hdb_catalog.event_log`, `event_invocation_logs`, `hdb_event_log_cleanups`,
 * `hdb_source_catalog_version` and `insert_event_log()`, with Hasura's names and columns, created
 * the first time a source gets an event trigger (as Hasura does), so that the real Hasura can take
 * the database over and deliver what is pending.
 *
 * Per trigger and operation, `hdb_catalog."notify_hasura_<name>_<OP>"()` is an AFTER … FOR EACH
 * ROW trigger function that calls `insert_event_log` in the writing transaction: an event exists
 * exactly when its row change commits. The functions are written by
 * `hdb_catalog.streamsync_define_event_trigger`, installed here, which reads the table's columns
 * from pg_catalog and quotes every name and literal with Postgres's own format(), so the engine
 * sends only parameters.
 */
import type pg from 'pg';
import { query, sql, transaction } from '@streamsync/database';
import type { Op } from './definitions.ts';

/** Hasura's source catalog version with these tables (Backends/Postgres/DDL/Source/Version.hs). */
export const SOURCE_CATALOG_VERSION = '4';
/** Serialises catalog set-up between engines (any constant distinct from the metadata one). */
const SOURCE_CATALOG_LOCK = 7_361_420_013;

const DDL = [
  sql`CREATE SCHEMA IF NOT EXISTS hdb_catalog`,
  sql`CREATE OR REPLACE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid
        LANGUAGE sql AS 'SELECT gen_random_uuid()'`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_source_catalog_version (
        version text NOT NULL,
        upgraded_on timestamptz NOT NULL)`,
  sql`CREATE UNIQUE INDEX IF NOT EXISTS hdb_source_catalog_version_one_row
        ON hdb_catalog.hdb_source_catalog_version ((version IS NOT NULL))`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.event_log (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        schema_name text NOT NULL,
        table_name text NOT NULL,
        trigger_name text NOT NULL,
        payload jsonb NOT NULL,
        delivered boolean NOT NULL DEFAULT false,
        error boolean NOT NULL DEFAULT false,
        tries integer NOT NULL DEFAULT 0,
        created_at timestamp DEFAULT now(),
        locked timestamptz,
        next_retry_at timestamp,
        archived boolean NOT NULL DEFAULT false)`,
  sql`CREATE INDEX IF NOT EXISTS event_log_trigger_name_idx ON hdb_catalog.event_log (trigger_name)`,
  // the fetch query's order, over what is still to deliver
  sql`CREATE INDEX IF NOT EXISTS event_log_fetch_events
        ON hdb_catalog.event_log (locked NULLS FIRST, next_retry_at NULLS FIRST, created_at)
        WHERE delivered = 'f' AND error = 'f' AND archived = 'f'`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.event_invocation_logs (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        trigger_name text,
        event_id text,
        status integer,
        request json,
        response json,
        created_at timestamp DEFAULT now())`,
  sql`CREATE INDEX IF NOT EXISTS event_invocation_logs_event_id_idx
        ON hdb_catalog.event_invocation_logs (event_id)`,
  sql`CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_event_log_cleanups (
        id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
        trigger_name text NOT NULL,
        scheduled_at timestamp NOT NULL,
        deleted_event_logs integer,
        deleted_event_invocation_logs integer,
        status text NOT NULL,
        CHECK (status IN ('scheduled', 'paused', 'completed', 'dead')),
        UNIQUE (trigger_name, scheduled_at))`,
  // Hasura's insert_event_log, except that an empty hasura.user (a connection that once set it
  // locally) counts as no session rather than failing the writer's statement
  sql`CREATE OR REPLACE FUNCTION hdb_catalog.insert_event_log(
        schema_name text, table_name text, trigger_name text, op text, row_data json)
      RETURNS text LANGUAGE plpgsql AS $fn$
      DECLARE
        new_id text := gen_random_uuid();
      BEGIN
        INSERT INTO hdb_catalog.event_log (id, schema_name, table_name, trigger_name, payload)
        VALUES (new_id, schema_name, table_name, trigger_name, json_build_object(
          'op', op,
          'data', row_data,
          'session_variables', nullif(current_setting('hasura.user', true), '')::json,
          'trace_context', nullif(current_setting('hasura.tracecontext', true), '')::json));
        RETURN new_id;
      END
      $fn$`,
  sql`CREATE OR REPLACE FUNCTION hdb_catalog.streamsync_define_event_trigger(
        p_trigger text, p_op text, p_table regclass, p_listen text[], p_payload text[],
        p_stringify boolean)
      RETURNS void LANGUAGE plpgsql AS $fn$
      DECLARE
        v_schema text;
        v_table text;
        v_fn text := 'notify_hasura_' || p_trigger || '_' || p_op;
        v_old text;
        v_new text;
        -- the same columns over a statement's transition table (alias tr)
        v_tr text;
        v_old_row text;
        v_new_row text;
        v_cmp text := 'IS DISTINCT FROM';
        v_body text;
      BEGIN
        IF p_op NOT IN ('INSERT', 'UPDATE', 'DELETE') THEN
          RAISE EXCEPTION 'unknown operation %', p_op;
        END IF;
        SELECT n.nspname, c.relname INTO v_schema, v_table
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_table;
        -- the payload: the chosen columns of OLD / NEW, as Hasura renders them (big numbers as
        -- text when stringified, geometries as GeoJSON with their CRS)
        FOR i IN 1..3 LOOP
          SELECT string_agg(
                   CASE
                     WHEN coalesce(bt.typname, t.typname) IN ('geometry', 'geography')
                       THEN format('ST_AsGeoJSON(%s.%I, 15, 4)::json AS %I', q.v, a.attname, a.attname)
                     WHEN p_stringify AND coalesce(bt.typname, t.typname) IN ('int8', 'numeric', 'float8', 'money')
                       THEN format('%s.%I::text AS %I', q.v, a.attname, a.attname)
                     ELSE format('%s.%I AS %I', q.v, a.attname, a.attname)
                   END, ', ' ORDER BY a.attnum)
            INTO v_body
            FROM (SELECT CASE i WHEN 1 THEN 'OLD' WHEN 2 THEN 'NEW' ELSE 'tr' END AS v) q,
                 pg_attribute a
                 JOIN pg_type t ON t.oid = a.atttypid
                 LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
           WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
             AND (p_payload IS NULL OR a.attname = ANY (p_payload))
           GROUP BY q.v;
          IF i = 1 THEN v_old := v_body; ELSIF i = 2 THEN v_new := v_body; ELSE v_tr := v_body; END IF;
        END LOOP;
        IF p_op = 'UPDATE' THEN
          -- the columns listened to: an update that leaves them all as they were is no event
          FOR i IN 1..2 LOOP
            SELECT 'row(' || string_agg(
                     CASE
                       WHEN p_stringify AND coalesce(bt.typname, t.typname) IN ('int8', 'numeric', 'float8', 'money')
                         THEN format('%s.%I::text', q.v, a.attname)
                       ELSE format('%s.%I', q.v, a.attname)
                     END, ', ' ORDER BY a.attnum) || ')'
              INTO v_body
              FROM (SELECT CASE i WHEN 1 THEN 'OLD' ELSE 'NEW' END AS v) q,
                   pg_attribute a
                   JOIN pg_type t ON t.oid = a.atttypid
                   LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
             WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
               AND (p_listen IS NULL OR a.attname = ANY (p_listen))
             GROUP BY q.v;
            IF i = 1 THEN v_old_row := v_body; ELSE v_new_row := v_body; END IF;
          END LOOP;
          -- compared null-safely, as Hasura's record comparison does; types without equality
          -- (json, point, …) by their binary image, Hasura's fallback, chosen once here instead
          -- of by an exception block in every row's trigger
          BEGIN
            EXECUTE format('SELECT %s IS DISTINCT FROM %s FROM %s AS "new" WHERE false',
                           v_new_row, v_new_row, p_table);
          EXCEPTION WHEN undefined_function THEN
            -- as records: between row constructors *<> would be applied column by column
            v_cmp := '*<>';
            v_old_row := v_old_row || '::record';
            v_new_row := v_new_row || '::record';
          END;
        END IF;
        IF p_op = 'UPDATE' THEN
          -- per row: an update pairs each old row with its new one
          EXECUTE format(
            'CREATE OR REPLACE FUNCTION hdb_catalog.%I() RETURNS trigger LANGUAGE plpgsql AS %L',
            v_fn,
            format(
              'BEGIN IF %s %s %s THEN PERFORM hdb_catalog.insert_event_log(%L, %L, %L, TG_OP, json_build_object(''old'', row_to_json((SELECT r FROM (SELECT %s) AS r)), ''new'', row_to_json((SELECT r FROM (SELECT %s) AS r)))); END IF; RETURN NULL; END',
              v_old_row, v_cmp, v_new_row, v_schema, v_table, p_trigger, v_old, v_new));
          EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_fn, p_table);
          EXECUTE format(
            'CREATE TRIGGER %I AFTER UPDATE ON %s FOR EACH ROW EXECUTE PROCEDURE hdb_catalog.%I()',
            v_fn, p_table, v_fn);
        ELSE
          -- per statement, over its transition table: one INSERT … SELECT writes the events of
          -- all the rows a statement inserted (or deleted), the same rows insert_event_log would
          EXECUTE format(
            'CREATE OR REPLACE FUNCTION hdb_catalog.%I() RETURNS trigger LANGUAGE plpgsql AS %L',
            v_fn,
            format(
              'BEGIN INSERT INTO hdb_catalog.event_log (schema_name, table_name, trigger_name, payload) SELECT %L, %L, %L, jsonb_build_object(''op'', TG_OP, ''data'', jsonb_build_object(''old'', %s, ''new'', %s), ''session_variables'', nullif(current_setting(''hasura.user'', true), '''')::jsonb, ''trace_context'', nullif(current_setting(''hasura.tracecontext'', true), '''')::jsonb) FROM (SELECT %s FROM %s) AS r; RETURN NULL; END',
              v_schema, v_table, p_trigger,
              CASE WHEN p_op = 'DELETE' THEN 'to_jsonb(r)' ELSE 'NULL' END,
              CASE WHEN p_op = 'INSERT' THEN 'to_jsonb(r)' ELSE 'NULL' END,
              v_tr,
              CASE WHEN p_op = 'INSERT' THEN 'hasura_new_rows AS tr' ELSE 'hasura_old_rows AS tr' END));
          EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_fn, p_table);
          EXECUTE format(
            'CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s TABLE AS %I FOR EACH STATEMENT EXECUTE PROCEDURE hdb_catalog.%I()',
            v_fn, p_op, p_table,
            CASE WHEN p_op = 'INSERT' THEN 'NEW' ELSE 'OLD' END,
            CASE WHEN p_op = 'INSERT' THEN 'hasura_new_rows' ELSE 'hasura_old_rows' END,
            v_fn);
        END IF;
      END
      $fn$`,
];

/** Pools whose source catalog this process has brought up to date. */
const ready = new WeakSet<pg.Pool>();

/**
 * Create the source catalog when it is missing, and bring this engine's functions up to date
 * (idempotent; several engines may race: an advisory lock serialises them). Done once per
 * process and source.
 */
export async function ensureSourceCatalog(pool: pg.Pool): Promise<void> {
  if (ready.has(pool)) return;
  await transaction(pool, async (client) => {
    await query(
      client,
      sql`SELECT pg_advisory_xact_lock(${sql.value(SOURCE_CATALOG_LOCK)}::bigint)`,
    );
    for (const stmt of DDL) await query(client, stmt);
    await query(
      client,
      sql`INSERT INTO hdb_catalog.hdb_source_catalog_version (version, upgraded_on)
          VALUES (${sql.value(SOURCE_CATALOG_VERSION)}, now())
          ON CONFLICT ((version IS NOT NULL)) DO NOTHING`,
    );
  });
  ready.add(pool);
}

/** Is there an event log in this source (any event trigger ever made)? */
export async function hasSourceCatalog(db: pg.Pool | pg.PoolClient): Promise<boolean> {
  const { rows } = await query<{ ok: boolean }>(
    db,
    sql`SELECT to_regclass('hdb_catalog.event_log') IS NOT NULL AS ok`,
  );
  return rows[0]?.ok === true;
}

/** Hasura's name for the SQL function (and trigger) of one operation of a trigger. */
export const sqlTriggerName = (trigger: string, op: Op) => `notify_hasura_${trigger}_${op}`;
