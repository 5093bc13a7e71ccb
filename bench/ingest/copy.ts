/**
 * The yardstick: a server-side `COPY … FROM 'file'` of the same rows into a table of the same
 * shape as public.sensor_readings — same columns and defaults (ingest_xid included), same range
 * partitions, same primary key and indexes — in the same database, on the same server settings.
 * It is the fastest way Postgres has to take these rows, so worker / COPY says how much of the
 * database's capacity the worker uses.
 */
import pg from 'pg';
import { query, sql } from '@streamsync/database';
import { treeCpuSeconds } from './proc.ts';

export const COPY_TABLE = 'bench_ingest.sensor_readings';

export interface CopyResult {
  rows: number;
  seconds: number;
  rows_per_s: number;
  /** CPU seconds of Postgres during the COPY, and per row (comparable with the worker's) */
  postgres_cpu_s: number;
  postgres_cpu_us_per_row: number;
}

/**
 * An empty twin of public.sensor_readings: LIKE … INCLUDING ALL gives the columns, defaults,
 * constraints and indexes (as partitioned indexes, so each partition gets its own), and every
 * partition of the original is made again with the same bounds.
 */
async function createTwin(client: pg.Client): Promise<void> {
  await query(client, sql`DROP SCHEMA IF EXISTS bench_ingest CASCADE`);
  await query(client, sql`CREATE SCHEMA bench_ingest`);
  await query(
    client,
    sql`CREATE TABLE bench_ingest.sensor_readings (LIKE public.sensor_readings INCLUDING ALL)
          PARTITION BY RANGE (ts)`,
  );
  await query(
    client,
    sql`DO $$
        DECLARE part record;
        BEGIN
          FOR part IN
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'public.sensor_readings'::regclass
          LOOP
            EXECUTE format('CREATE TABLE bench_ingest.%I PARTITION OF bench_ingest.sensor_readings %s',
                           part.relname, part.bound);
          END LOOP;
        END $$`,
  );
}

/** The index definitions of a table, with its name taken out, to compare the twins. */
export async function indexShapes(client: pg.Client, table: string): Promise<string[]> {
  const { rows } = await query<{ def: string }>(
    client,
    sql`SELECT regexp_replace(regexp_replace(pg_get_indexdef(indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', 'CREATE \\1INDEX ON '),
                              '(public|bench_ingest)\\.sensor_readings', 'T') AS def
          FROM pg_index WHERE indrelid = ${sql.value(table)}::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.def);
}

export async function copyFromFile(
  url: string,
  csvPath: string,
  postmasterPid: number | undefined,
): Promise<CopyResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-ingest-copy' });
  await client.connect();
  try {
    await createTwin(client);
    const [a, b] = [
      await indexShapes(client, 'public.sensor_readings'),
      await indexShapes(client, COPY_TABLE),
    ];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(`the COPY table's indexes differ: ${JSON.stringify({ a, b })}`);
    }
    // start from a clean WAL state, as the worker's run will
    await query(client, sql`CHECKPOINT`);
    // COPY takes no parameters; the file name travels as a session setting into a DO block that
    // quotes it with %L
    await query(client, sql`SELECT set_config('bench_ingest.csv', ${sql.value(csvPath)}, false)`);
    const cpuBefore = treeCpuSeconds(postmasterPid);
    const started = performance.now();
    await query(
      client,
      sql`DO $$ BEGIN
            EXECUTE format('COPY bench_ingest.sensor_readings (entity_id, ts, temperature, humidity, pressure, battery, dew_point) FROM %L WITH (FORMAT csv)',
                           current_setting('bench_ingest.csv'));
          END $$`,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = treeCpuSeconds(postmasterPid) - cpuBefore;
    const { rows } = await query<{ n: string }>(
      client,
      sql`SELECT count(*)::text AS n FROM bench_ingest.sensor_readings`,
    );
    const n = Number(rows[0]!.n);
    return {
      rows: n,
      seconds: round(seconds, 3),
      rows_per_s: Math.round(n / seconds),
      postgres_cpu_s: round(cpu, 2),
      postgres_cpu_us_per_row: round((cpu / n) * 1e6, 1),
    };
  } finally {
    await client.end();
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
