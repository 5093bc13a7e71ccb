import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';

describe('Database > Time partitions', () => {
  let db: TestDatabase;

  const partitions = async (table: string) =>
    (
      await query<{ name: string; bound: string }>(
        db.pool,
        sql`SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = ${sql.value(table)}::regclass ORDER BY 1`,
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'parts' });
  });
  afterAll(async () => db?.drop());

  it('should have partitions ahead of now for every registered table', async () => {
    const { rows } = await query<{ table_name: string }>(
      db.pool,
      sql`SELECT table_name FROM timeseries.partitioned_tables`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual([
      'market_trades',
      'rollups_1h',
      'rollups_1m',
      'sensor_readings',
    ]);
    // a point three days ahead has a home
    await query(
      db.pool,
      sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature) VALUES (1, now() + interval '2 days', 20)`,
    );
  });

  it('should refuse a point for which no partition exists, until ensure_partitions makes one', async () => {
    const insert = sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
                       VALUES (1, '2020-03-04T05:06:07Z', 20)`;
    await expect(query(db.pool, insert)).rejects.toThrow(/no partition of relation/);
    const { rows } = await query<{ made: number }>(
      db.pool,
      sql`SELECT timeseries.ensure_partitions('public.sensor_readings', '2020-03-04T00:00:00Z', '2020-03-04T23:00:00Z') AS made`,
    );
    expect(rows[0]!.made).toBe(1);
    await query(db.pool, insert);
    expect((await partitions('public.sensor_readings')).map((p) => p.name)).toContain(
      'sensor_readings_p20200304',
    );
    // a second call makes nothing
    const again = await query<{ made: number }>(
      db.pool,
      sql`SELECT timeseries.ensure_partitions('public.sensor_readings', '2020-03-04T00:00:00Z', '2020-03-04T23:00:00Z') AS made`,
    );
    expect(again.rows[0]!.made).toBe(0);
  });

  it('should align partitions on UTC day boundaries', async () => {
    const p = (await partitions('public.sensor_readings')).find(
      (x) => x.name === 'sensor_readings_p20200304',
    );
    expect(p?.bound).toBe(
      "FOR VALUES FROM ('2020-03-04 00:00:00+00') TO ('2020-03-05 00:00:00+00')",
    );
  });

  it('should drop partitions wholly older than the retention, and keep the rest', async () => {
    // sensor_readings keeps 30 days: as of 2020-04-10, the 2020-03-04 partition has expired
    const { rows } = await query<{ table_name: string; created: number; dropped: number }>(
      db.pool,
      sql`SELECT * FROM timeseries.maintain_partitions('2020-04-10T12:00:00Z') WHERE table_name = 'sensor_readings'`,
    );
    expect(rows[0]!.dropped).toBe(1);
    expect(rows[0]!.created).toBeGreaterThanOrEqual(4); // 2020-04-09 … 2020-04-13
    const names = (await partitions('public.sensor_readings')).map((p) => p.name);
    expect(names).not.toContain('sensor_readings_p20200304');
    expect(names).toContain('sensor_readings_p20200413');
    // the points of today are untouched
    const { rows: left } = await query<{ n: string }>(
      db.pool,
      sql`SELECT count(*) AS n FROM public.sensor_readings WHERE ts > now()`,
    );
    expect(Number(left[0]!.n)).toBe(1);
  });

  it('should refuse to register a table that is not range-partitioned on the time column', async () => {
    await query(db.pool, sql`CREATE TABLE public.not_partitioned (ts timestamptz)`);
    await expect(
      query(db.pool, sql`SELECT timeseries.register_table('public.not_partitioned', 'ts')`),
    ).rejects.toThrow(/must be PARTITION BY RANGE \(ts\)/);
  });

  it('should serve bucketed_series from the per-minute rollups, and from the hourly ones for whole hours', async () => {
    await query(
      db.pool,
      sql`INSERT INTO public.rollups_1m (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
          SELECT 'sensor_readings', 1, 'temperature', date_trunc('minute', now()) - i * interval '1 minute',
                 2, i, i + 1, 2 * i + 1, i + 1, date_trunc('minute', now()) - i * interval '1 minute' + interval '30 seconds'
            FROM generate_series(0, 9) AS i`,
    );
    await query(
      db.pool,
      sql`INSERT INTO public.rollups_1h (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
          VALUES ('sensor_readings', 1, 'temperature', date_trunc('hour', now()), 20, 0, 10, 100, 1, now())`,
    );
    const fiveMin = await query<{
      count: string;
      min: number;
      max: number;
      avg: number;
      last: number;
    }>(
      db.pool,
      sql`SELECT * FROM public.bucketed_series('sensor_readings', 1, 'temperature',
                                                now() - interval '1 hour', now() + interval '1 minute', '5 minutes')`,
    );
    const total = fiveMin.rows.reduce((s, r) => s + Number(r.count), 0);
    expect(total).toBe(20);
    const hourly = await query<{ count: string; avg: number }>(
      db.pool,
      sql`SELECT * FROM public.bucketed_series('sensor_readings', 1, 'temperature',
                                                now() - interval '1 day', now() + interval '1 hour', '1 hour')`,
    );
    expect(hourly.rows).toHaveLength(1);
    expect(Number(hourly.rows[0]!.count)).toBe(20);
    expect(hourly.rows[0]!.avg).toBe(5);
  });
});
