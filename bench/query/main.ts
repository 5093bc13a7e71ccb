/**
 * bench/query: p50 / p99 latency and throughput of representative dashboard queries through the
 * engine, beside the same SQL run directly with pg, in one run. Prints one JSON document to
 * stdout and writes it to bench/results/query-<timestamp>.json.
 *
 *   npm run bench:query [-- --seconds 5 --concurrency 8]
 *
 * Uses DATABASE_URL (a server where it may create a throwaway database) or the system Postgres at
 * 127.0.0.1:5432; the database is migrated and seeded from hasura/, filled with synthetic points,
 * and dropped at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applySeeds, createPool, migrateUp, query, REPO_ROOT, sql } from '@streamsync/database';
import { loadConfig } from '../../engine/src/config.ts';
import { startEngine } from '../../engine/src/server.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 8);

interface Stats {
  requests: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  throughput_rps: number;
}

async function measure(fn: () => Promise<void>): Promise<Stats> {
  for (let i = 0; i < 20; i++) await fn(); // warm up: plan cache, prepared statements
  const lat: number[] = [];
  let errors = 0;
  const until = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const t = process.hrtime.bigint();
        try {
          await fn();
        } catch {
          errors++;
        }
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    requests: lat.length,
    errors,
    p50_ms: round(pct(0.5)),
    p99_ms: round(pct(0.99)),
    mean_ms: round(lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)),
    throughput_rps: round(lat.length / elapsed),
  };
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `bench_query_${randomBytes(4).toString('hex')}`;
  const admin = createPool({ connectionString: adminUrl, applicationName: 'bench-query', max: 1 });
  await query(admin, sql`CREATE DATABASE ${sql.ident(dbName)}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  const pool = createPool({
    connectionString: url,
    applicationName: 'bench-query',
    max: CONCURRENCY,
  });
  let engine: Awaited<ReturnType<typeof startEngine>> | undefined;
  try {
    await migrateUp(pool);
    await applySeeds(pool);
    // 50 sensors × 2 days of minute readings; hourly rollups for the same window
    await query(
      pool,
      sql`SELECT timeseries.ensure_partitions(t, now() - interval '3 days', now())
            FROM unnest(ARRAY['public.sensor_readings', 'public.rollups_1h']::regclass[]) AS t`,
    );
    await query(
      pool,
      sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature, humidity, pressure)
          SELECT e.id, date_trunc('minute', now()) - make_interval(mins => g), 20 + random() * 5, 50, 1000
            FROM public.entities e, generate_series(0, 2879) g WHERE e.kind = 'sensor'`,
    );
    await query(
      pool,
      sql`INSERT INTO public.rollups_1h (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
          SELECT 'sensor_readings', entity_id, 'temperature', date_trunc('hour', ts), count(*), min(temperature),
                 max(temperature), sum(temperature), max(temperature), max(ts)
            FROM public.sensor_readings GROUP BY entity_id, date_trunc('hour', ts)`,
    );
    await query(pool, sql`ANALYZE`);
    engine = await startEngine(
      loadConfig({
        HASURA_GRAPHQL_METADATA_DATABASE_URL: url,
        PG_DATABASE_URL: url,
        HASURA_GRAPHQL_SERVER_PORT: '0',
        HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
        HASURA_GRAPHQL_PG_CONNECTIONS: String(CONCURRENCY),
        LOG_LEVEL: 'silent',
      }),
    );
    const { rows } = await query<{ id: string }>(
      pool,
      sql`SELECT id::text FROM public.entities WHERE key = 'sensor-0007'`,
    );
    const entityId = Number(rows[0]!.id);
    const cases: Array<{
      name: string;
      graphql: string;
      variables: Record<string, unknown>;
      sql: { text: string; values: unknown[] };
    }> = [
      {
        name: 'latest_100_points_of_a_series',
        graphql: `query ($e: bigint!) { sensor_readings(where: {entity_id: {_eq: $e}}, order_by: {ts: desc}, limit: 100) { ts temperature humidity } }`,
        variables: { e: entityId },
        sql: {
          text: `SELECT coalesce(json_agg(json_build_object('ts', ts, 'temperature', temperature, 'humidity', humidity) ORDER BY ts DESC), '[]')::text
                   FROM (SELECT ts, temperature, humidity FROM public.sensor_readings WHERE entity_id = $1 ORDER BY ts DESC LIMIT 100) s`,
          values: [entityId],
        },
      },
      {
        name: 'last_24h_from_hourly_rollup',
        graphql: `query ($e: bigint!, $from: timestamptz!) { rollups_1h(where: {entity_id: {_eq: $e}, metric: {_eq: "temperature"}, bucket: {_gte: $from}}, order_by: {bucket: asc}) { bucket min max avg count } }`,
        variables: { e: entityId, from: new Date(Date.now() - 24 * 3600_000).toISOString() },
        sql: {
          text: `SELECT coalesce(json_agg(json_build_object('bucket', bucket, 'min', min, 'max', max, 'avg', public.rollups_1h_avg(r), 'count', count) ORDER BY bucket), '[]')::text
                   FROM public.rollups_1h r WHERE entity_id = $1 AND metric = 'temperature' AND bucket >= $2`,
          values: [entityId, new Date(Date.now() - 24 * 3600_000).toISOString()],
        },
      },
      {
        name: 'aggregate_over_a_window',
        graphql: `query ($e: bigint!, $from: timestamptz!) { sensor_readings_aggregate(where: {entity_id: {_eq: $e}, ts: {_gte: $from}}) { aggregate { count avg { temperature } max { temperature } min { temperature } } } }`,
        variables: { e: entityId, from: new Date(Date.now() - 6 * 3600_000).toISOString() },
        sql: {
          text: `SELECT json_build_object('count', count(*), 'avg', avg(temperature), 'max', max(temperature), 'min', min(temperature))::text
                   FROM public.sensor_readings WHERE entity_id = $1 AND ts >= $2`,
          values: [entityId, new Date(Date.now() - 6 * 3600_000).toISOString()],
        },
      },
    ];
    const client = new pg.Pool({ connectionString: url, max: CONCURRENCY });
    const results: Record<string, { engine: Stats; direct_sql: Stats }> = {};
    for (const c of cases) {
      const body = JSON.stringify({ query: c.graphql, variables: c.variables });
      const viaEngine = await measure(async () => {
        const r = await fetch(`${engine!.url}/v1/graphql`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
        const text = await r.text();
        if (!text.startsWith('{"data"')) throw new Error(text);
      });
      const stmtName = `bench_${c.name}`;
      const direct = await measure(async () => {
        await client.query({ name: stmtName, text: c.sql.text, values: c.sql.values });
      });
      results[c.name] = { engine: viaEngine, direct_sql: direct };
    }
    await client.end();
    const out = {
      bench: 'query',
      at: new Date().toISOString(),
      seconds_per_case: SECONDS,
      concurrency: CONCURRENCY,
      rows: { sensor_readings: 50 * 2880 },
      results,
    };
    const text = JSON.stringify(out, null, 2);
    console.log(text);
    const dir = path.join(REPO_ROOT, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `query-${out.at.replace(/[:.]/g, '-')}.json`), text);
  } finally {
    await engine?.close();
    await pool.end();
    await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(dbName)} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
