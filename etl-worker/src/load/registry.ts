/**
 * The declared pipelines, kept current without a restart: read from etl.pipelines, each checked
 * against its target table and compiled; reloaded when the table's trigger notifies
 * `streamsync_pipelines` and, as a safety net for a lost notification, on a timer. A declaration
 * that does not compile is reported (key and reason) and left out; the others run.
 */
import type pg from 'pg';
import type pino from 'pino';
import { query, sql, type Queryable } from '@streamsync/database';
import { listenForever } from '../ops/listen.ts';
import { compilePipeline } from '../pipeline/index.ts';
import {
  PipelineError,
  type CompiledPipeline,
  type PipelineRow,
  type TargetTable,
} from '../pipeline/types.ts';

export const PIPELINES_CHANNEL = 'streamsync_pipelines';

export interface LoadedPipeline {
  pipeline: CompiledPipeline;
}

export interface PipelineSet {
  /** enabled pipelines that compiled */
  pipelines: Map<string, LoadedPipeline>;
  /** topic → the pipelines it feeds */
  byTopic: Map<string, LoadedPipeline[]>;
  /** declarations that failed to compile */
  errors: PipelineError[];
  /** names of disabled pipelines */
  disabled: string[];
  /** every (name, version) that compiled: equal signatures mean nothing changed */
  signature: string;
}

const SELECT_PIPELINES = sql`
  SELECT name, description, topics, target_schema, target_table, entity, mapping, time_column,
         time_field, time_format, key_columns, transforms, filters, rollup_columns,
         extract(epoch FROM late_after)::float8 AS late_after_s, late_action, on_duplicate,
         enabled, version
    FROM etl.pipelines
   ORDER BY name`;

async function describeTable(
  db: Queryable,
  schema: string,
  table: string,
): Promise<TargetTable | null> {
  const cols = await query<{
    name: string;
    sql_type: string;
    not_null: boolean;
    has_default: boolean;
  }>(
    db,
    sql`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS sql_type,
               a.attnotnull AS not_null,
               (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ${sql.value(schema)} AND c.relname = ${sql.value(table)}
           AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum`,
  );
  if (cols.rows.length === 0) return null;
  const reg = await query<{ retention_s: number | null }>(
    db,
    sql`SELECT extract(epoch FROM retention)::float8 AS retention_s
          FROM timeseries.partitioned_tables
         WHERE table_schema = ${sql.value(schema)} AND table_name = ${sql.value(table)}`,
  );
  return {
    schema,
    name: table,
    columns: cols.rows.map((c) => ({
      name: c.name,
      sqlType: c.sql_type,
      notNull: c.not_null,
      hasDefault: c.has_default,
    })),
    retentionS: reg.rows[0]?.retention_s ?? null,
  };
}

/** Read and compile every declaration. */
export async function loadPipelines(db: Queryable): Promise<PipelineSet> {
  const { rows } = await query<PipelineRow>(db, SELECT_PIPELINES);
  const pipelines = new Map<string, LoadedPipeline>();
  const errors: PipelineError[] = [];
  const disabled: string[] = [];
  // a table altered under an unchanged declaration must recompile too
  const tables: unknown[] = [];
  for (const row of rows) {
    if (!row.enabled) {
      disabled.push(row.name);
      continue;
    }
    try {
      const table = await describeTable(db, row.target_schema, row.target_table);
      if (!table) {
        throw new PipelineError(
          row.name,
          'target_table',
          `table ${row.target_schema}.${row.target_table} does not exist`,
        );
      }
      tables.push(table);
      pipelines.set(row.name, { pipeline: compilePipeline(row, table) });
    } catch (err) {
      errors.push(
        err instanceof PipelineError
          ? err
          : new PipelineError(row.name, 'declaration', (err as Error).message),
      );
    }
  }
  const byTopic = new Map<string, LoadedPipeline[]>();
  for (const p of pipelines.values()) {
    for (const t of p.pipeline.topics) {
      const list = byTopic.get(t) ?? [];
      list.push(p);
      byTopic.set(t, list);
    }
  }
  const signature = JSON.stringify([
    [...pipelines.values()].map((p) => [p.pipeline.name, p.pipeline.version]),
    errors.map((e) => e.message),
    tables,
  ]);
  return { pipelines, byTopic, errors, disabled, signature };
}

export interface RegistryOptions {
  pool: pg.Pool;
  connectionString: string;
  pollMs: number;
  log: pino.Logger;
  /** called with each new set whose signature differs from the last */
  onChange(set: PipelineSet): void;
}

/** Watches etl.pipelines: LISTEN for the trigger's notifications, poll as a safety net. */
export class PipelineRegistry {
  current: PipelineSet | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: RegistryOptions) {}

  /** The first load; throws when Postgres cannot be read (the caller retries). */
  async start(): Promise<PipelineSet> {
    await this.reload();
    this.stopListening = listenForever({
      connectionString: this.opts.connectionString,
      channel: PIPELINES_CHANNEL,
      applicationName: 'streamsync-etl-pipelines',
      onNotify: () => void this.reload().catch(() => {}),
      // a change made while we were not listening
      onListening: () => void this.reload().catch(() => {}),
    });
    if (this.opts.pollMs > 0) {
      this.timer = setInterval(() => void this.reload().catch(() => {}), this.opts.pollMs);
      this.timer.unref();
    }
    return this.current!;
  }

  /** Reload now; concurrent calls coalesce into one more run. */
  async reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.again = false;
          const set = await loadPipelines(this.opts.pool);
          if (set.signature !== this.current?.signature) {
            for (const e of set.errors) {
              this.opts.log.error(
                { pipeline: e.pipeline, key: e.key, reason: e.reason },
                'pipeline declaration rejected',
              );
            }
            this.opts.log.info(
              {
                pipelines: [...set.pipelines.keys()],
                disabled: set.disabled,
                rejected: set.errors.map((e) => e.pipeline),
              },
              'pipelines loaded',
            );
            this.current = set;
            this.opts.onChange(set);
          }
        } while (this.again && !this.stopped);
      } catch (err) {
        this.opts.log.warn({ err }, 'pipelines: reload failed, keeping the previous set');
        throw err;
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.stopListening?.();
    await this.reloading?.catch(() => {});
  }
}
