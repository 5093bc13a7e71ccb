/**
 * The bench database: a throwaway database on DATABASE_URL (or the system Postgres at
 * 127.0.0.1:5432), migrated and seeded from hasura/, with a dashboard's worth of data: every seeded
 * sensor (50) with a point every `intervalSeconds` over `hours`, and the per-minute and per-hour
 * rollups of those points filled as the ETL worker would. Vacuumed and analyzed, as a steady-state
 * database would be.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { applySeeds, createPool, migrateUp, query, sql } from '@streamsync/database';

export interface DatasetOptions {
  hours: number;
  intervalSeconds: number;
  log: (line: string) => void;
}

export interface Dataset {
  url: string;
  pool: pg.Pool;
  /** the sensors (entity id, owner), ordered by key */
  sensors: Array<{ id: number; owner: string }>;
  rows: Record<string, number>;
  drop(): Promise<void>;
}

export async function createDataset(opts: DatasetOptions): Promise<Dataset> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_query_${randomBytes(4).toString('hex')}`;
  const admin = createPool({ connectionString: adminUrl, applicationName: 'bench-query', max: 1 });
  await query(admin, sql`CREATE DATABASE ${sql.ident(name)}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = createPool({ connectionString: url, applicationName: 'bench-query', max: 2 });
  const drop = async () => {
    await pool.end();
    await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
    await admin.end();
  };
  try {
    await migrateUp(pool);
    await applySeeds(pool);
    const span = sql.value(`${opts.hours} hours`, 'interval');
    await query(
      pool,
      sql`SELECT timeseries.ensure_partitions(t, now() - ${span} - interval '1 day', now() + interval '1 day')
            FROM unnest(ARRAY['public.sensor_readings', 'public.rollups_1m', 'public.rollups_1h']::regclass[]) AS t`,
    );
    const points = Math.floor((opts.hours * 3600) / opts.intervalSeconds);
    opts.log(`dataset: ${points} points per sensor`);
    await query(
      pool,
      sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature, humidity, pressure, battery)
          SELECT e.id,
                 date_trunc('second', now()) - make_interval(secs => g * ${sql.value(opts.intervalSeconds)}),
                 20 + 5 * sin(g / 360.0 + e.id) + random(), 45 + 10 * random(), 1000 + 20 * random(), 3.6
            FROM public.entities e, generate_series(0, ${sql.value(points - 1)}) g
           WHERE e.kind = 'sensor'`,
    );
    for (const [table, width] of [
      ['rollups_1m', 'minute'],
      ['rollups_1h', 'hour'],
    ] as const) {
      opts.log(`dataset: ${table}`);
      await query(
        pool,
        sql`INSERT INTO ${sql.ident('public', table)} (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
            SELECT 'sensor_readings', r.entity_id, m.metric, date_trunc(${sql.value(width)}, r.ts),
                   count(*), min(m.v), max(m.v), sum(m.v),
                   (array_agg(m.v ORDER BY r.ts DESC))[1], max(r.ts)
              FROM public.sensor_readings r
              CROSS JOIN LATERAL (VALUES ('temperature', r.temperature), ('humidity', r.humidity),
                                         ('pressure', r.pressure)) AS m(metric, v)
             GROUP BY 2, 3, 4`,
      );
    }
    opts.log('dataset: vacuum analyze');
    await query(pool, sql`VACUUM ANALYZE`);
    const counts = await query<{ t: string; n: string }>(
      pool,
      sql`SELECT 'sensor_readings' AS t, count(*)::text AS n FROM public.sensor_readings
          UNION ALL SELECT 'rollups_1m', count(*)::text FROM public.rollups_1m
          UNION ALL SELECT 'rollups_1h', count(*)::text FROM public.rollups_1h`,
    );
    const sensors = await query<{ id: string; owner_id: string }>(
      pool,
      sql`SELECT id::text, owner_id FROM public.entities WHERE kind = 'sensor' ORDER BY key`,
    );
    return {
      url,
      pool,
      sensors: sensors.rows.map((r) => ({ id: Number(r.id), owner: r.owner_id })),
      rows: Object.fromEntries(counts.rows.map((r) => [r.t, Number(r.n)])),
      drop,
    };
  } catch (e) {
    await drop().catch(() => {});
    throw e;
  }
}
