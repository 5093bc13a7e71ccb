/**
 * What the commit-order column costs on the write path: the same batches (the worker's shape,
 * `INSERT … SELECT FROM unnest(…)`, 10,000 rows a transaction) into two tables of the
 * sensor_readings shape, one without and one with `ingest_xid xid8 DEFAULT pg_current_xact_id()`
 * and its index, alternating, in the same database.
 */
import { query, sql } from '@streamsync/database';
import type { BenchDb } from './support.ts';

export interface IngestCostResult {
  rows_per_table: number;
  batch_rows: number;
  without_column_rows_per_s: number;
  with_column_rows_per_s: number;
  ratio_with_over_without: number;
}

export async function ingestCost(db: BenchDb, rows = 400_000): Promise<IngestCostResult> {
  const batch = 10_000;
  const tables = { without: 'cost_without_xid', with: 'cost_with_xid' } as const;
  for (const [kind, name] of Object.entries(tables)) {
    await query(db.pool, sql`DROP TABLE IF EXISTS ${sql.ident('public', name)}`);
    await query(
      db.pool,
      sql`CREATE TABLE ${sql.ident('public', name)} (
            entity_id bigint NOT NULL, ts timestamptz NOT NULL, temperature float8, humidity float8,
            pressure float8, battery float8, dew_point float8, PRIMARY KEY (entity_id, ts))`,
    );
    await query(db.pool, sql`CREATE INDEX ON ${sql.ident('public', name)} (ts)`);
    if (kind === 'with') {
      await query(
        db.pool,
        sql`ALTER TABLE ${sql.ident('public', name)} ADD COLUMN ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id()`,
      );
      await query(db.pool, sql`CREATE INDEX ON ${sql.ident('public', name)} (ingest_xid)`);
    }
  }
  const seconds = { without: 0, with: 0 };
  const base = Date.now() - 3_600_000;
  let offset = 0;
  for (let done = 0; done < rows; done += batch) {
    const ids: number[] = [];
    const ts: string[] = [];
    for (let i = 0; i < batch; i++) {
      ids.push(1 + (i % 1000));
      ts.push(new Date(base + offset + Math.floor(i / 1000)).toISOString());
    }
    offset += batch / 1000;
    const order =
      (done / batch) % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
    for (const kind of order) {
      const t = process.hrtime.bigint();
      await query(
        db.pool,
        sql`INSERT INTO ${sql.ident('public', tables[kind])} (entity_id, ts, temperature, humidity, pressure, battery, dew_point)
            SELECT * FROM unnest(${sql.value(ids, 'bigint[]')}, ${sql.value(ts, 'timestamptz[]')},
              array_fill(20.5::float8, ARRAY[${sql.value(batch)}::int]), array_fill(50::float8, ARRAY[${sql.value(batch)}::int]),
              array_fill(1010::float8, ARRAY[${sql.value(batch)}::int]), array_fill(3.3::float8, ARRAY[${sql.value(batch)}::int]),
              array_fill(10::float8, ARRAY[${sql.value(batch)}::int]))`,
      );
      seconds[kind] += Number(process.hrtime.bigint() - t) / 1e9;
    }
  }
  for (const name of Object.values(tables))
    await query(db.pool, sql`DROP TABLE ${sql.ident('public', name)}`);
  const without = rows / seconds.without;
  const withCol = rows / seconds.with;
  return {
    rows_per_table: rows,
    batch_rows: batch,
    without_column_rows_per_s: Math.round(without),
    with_column_rows_per_s: Math.round(withCol),
    ratio_with_over_without: Math.round((withCol / without) * 1000) / 1000,
  };
}
