/**
 * Partitions ahead of the data. Time-series tables are range-partitioned by time, and the database
 * keeps partitions a few intervals ahead of now (timeseries.maintain_partitions); a batch with a
 * late or early point inside the accepted range may still need one that does not exist yet. Before
 * a batch is written, its time range is checked against what this process knows exists, and
 * timeseries.ensure_partitions fills the gap in its own short transaction (it serialises with the
 * other workers on the table), never inside the batch's.
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';

export class PartitionKeeper {
  /** table → ranges [from, to) in ms known to be covered */
  private readonly covered = new Map<string, Array<[number, number]>>();
  private readonly intervals = new Map<string, number | null>();

  constructor(private readonly pool: pg.Pool) {}

  private isCovered(table: string, fromMs: number, toMs: number): boolean {
    return (this.covered.get(table) ?? []).some(([a, b]) => a <= fromMs && toMs < b);
  }

  /** partition width of a managed table (null: not managed, nothing to do) */
  private async intervalOf(schema: string, table: string): Promise<number | null> {
    const name = `${schema}.${table}`;
    if (!this.intervals.has(name)) {
      const { rows } = await query<{ s: number }>(
        this.pool,
        sql`SELECT extract(epoch FROM partition_interval)::float8 AS s
              FROM timeseries.partitioned_tables
             WHERE table_schema = ${sql.value(schema)} AND table_name = ${sql.value(table)}`,
      );
      this.intervals.set(name, rows[0]?.s ?? null);
    }
    return this.intervals.get(name)!;
  }

  /** Make sure `table` has partitions for every instant in [fromMs, toMs] (when it is managed). */
  async ensure(schema: string, table: string, fromMs: number, toMs: number): Promise<void> {
    const name = `${schema}.${table}`;
    if (this.isCovered(name, fromMs, toMs)) return;
    const intervalS = await this.intervalOf(schema, table);
    if (intervalS === null) {
      this.covered.set(name, [[-Infinity, Infinity]]);
      return;
    }
    // widen to whole partitions plus one ahead, so the next batches of a moving stream hit the cache
    const step = intervalS * 1000;
    const from = Math.floor(fromMs / step) * step;
    const to = Math.max(Math.ceil((toMs + 1) / step) * step, from + step) + step;
    await query(
      this.pool,
      sql`SELECT timeseries.ensure_partitions(
            ${sql.value(name)}::regclass,
            ${sql.value(new Date(from).toISOString())}::timestamptz,
            ${sql.value(new Date(to).toISOString())}::timestamptz)`,
    );
    const list = this.covered.get(name) ?? [];
    list.push([from, to]);
    // ranges pile up only with very scattered late data; forget the oldest
    if (list.length > 64) list.shift();
    this.covered.set(name, list);
  }

  /** The rollup tables, partitioned by bucket start. */
  async ensureRollups(fromMs: number, toMs: number): Promise<void> {
    await this.ensure('public', 'rollups_1m', fromMs - 60_000, toMs);
    await this.ensure('public', 'rollups_1h', fromMs - 3_600_000, toMs);
  }

  /** Forget everything (after an error: partitions may have been dropped or re-registered). */
  reset(): void {
    this.covered.clear();
    this.intervals.clear();
  }
}
