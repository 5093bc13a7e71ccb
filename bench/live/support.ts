/**
 * What the live benchmarks share: a throwaway database with extra series (1,000 unless asked), engines as child
 * processes (so their CPU and memory are their own), a light graphql-transport-ws subscriber
 * pool, and latency statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import WebSocket from 'ws';
import { applySeeds, createPool, migrateUp, query, REPO_ROOT, sql } from '@streamsync/database';

export const SERIES = 1000;

export interface BenchDb {
  url: string;
  pool: pg.Pool;
  /** entity ids of the bench series, index i → series i */
  series: number[];
  drop(): Promise<void>;
}

/**
 * A throwaway database on the server `adminUrl` names (default DATABASE_URL, or the system
 * Postgres on 127.0.0.1:5432), migrated, seeded and given the bench series.
 */
export async function createBenchDb(
  adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  seriesCount = SERIES,
): Promise<BenchDb> {
  const name = `bench_live_${randomBytes(4).toString('hex')}`;
  const admin = createPool({ connectionString: adminUrl, applicationName: 'bench-live', max: 1 });
  await query(admin, sql`CREATE DATABASE ${sql.ident(name)}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = createPool({ connectionString: url, applicationName: 'bench-live', max: 8 });
  try {
    await migrateUp(pool);
    await applySeeds(pool);
    await query(
      pool,
      sql`INSERT INTO public.entities (kind, key, name, owner_id)
          SELECT 'sensor', format('bench-%s', lpad(i::text, 6, '0')), format('Bench %s', i), '1'
            FROM generate_series(1, ${sql.value(seriesCount)}) i`,
    );
    // one reading per series, so every live query starts with a row
    await query(
      pool,
      sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
          SELECT id, now() - interval '1 minute', 20 FROM public.entities WHERE key LIKE 'bench-%'`,
    );
    await query(pool, sql`ANALYZE`);
  } catch (e) {
    await pool.end();
    await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
    await admin.end();
    throw e;
  }
  const { rows } = await query<{ id: string }>(
    pool,
    sql`SELECT id::text FROM public.entities WHERE key LIKE 'bench-%' ORDER BY key`,
  );
  return {
    url,
    pool,
    series: rows.map((r) => Number(r.id)),
    async drop() {
      await pool.end();
      await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A child process of ours, with its CPU time and memory read from /proc. */
export class Child {
  constructor(readonly proc: ChildProcess) {}

  /** user + system CPU seconds so far */
  cpuSeconds(): number {
    try {
      const f = fs.readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8');
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(parts[11]) + Number(parts[12])) / 100; // utime, stime in clock ticks (100 Hz)
    } catch {
      return 0;
    }
  }

  rssMb(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${this.proc.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : 0;
    } catch {
      return 0;
    }
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(t);
  }
}

export interface EngineProcess extends Child {
  url: string;
}

/** The engine as a child process (`engine/src/main.ts`), healthy on a free port. */
export async function startEngineProcess(
  dbUrl: string,
  env: Record<string, string>,
  opts: { entry?: string; nodeArgs?: string[] } = {},
): Promise<EngineProcess> {
  const port = await freePort();
  const entry = opts.entry ?? 'engine/src/main.ts';
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HASURA_GRAPHQL_METADATA_DATABASE_URL: dbUrl,
      PG_DATABASE_URL: dbUrl,
      HASURA_GRAPHQL_SERVER_HOST: '127.0.0.1',
      HASURA_GRAPHQL_SERVER_PORT: String(port),
      HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
      LOG_LEVEL: 'warn',
      ...env,
    },
    // children log to our stderr: stdout carries the JSON result
    stdio: ['ignore', 2, 2],
  });
  const child = new Child(proc) as EngineProcess;
  child.url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`engine exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${child.url}/healthz`)).ok) return child;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error('engine not healthy within 60 s');
    }
    await sleep(200);
  }
}

/** A frame for a subscription: the subscriber's index and the frame's data. */
export type OnData = (subscriber: number, data: unknown, at: number) => void;

/**
 * `count` subscriptions over graphql-transport-ws, `perConnection` per socket; `request(i)` gives
 * subscriber i's query and variables. Resolves once every subscriber has had its first result.
 */
export async function subscribeMany(
  engineUrl: string,
  count: number,
  perConnection: number,
  request: (i: number) => { query: string; variables?: Record<string, unknown> },
  onData: OnData,
  /** connection_init's payload: e.g. `{ headers: { … } }` where the engine wants a session */
  initPayload: Record<string, unknown> = {},
): Promise<{ close(): void; firsts: number }> {
  const sockets: WebSocket[] = [];
  let firsts = 0;
  const seen = new Uint8Array(count);
  const url = `${engineUrl.replace(/^http/, 'ws')}/v1/graphql`;
  const opened: Array<Promise<void>> = [];
  for (let start = 0; start < count; start += perConnection) {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    sockets.push(ws);
    const end = Math.min(count, start + perConnection);
    opened.push(
      new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('open', () =>
          ws.send(JSON.stringify({ type: 'connection_init', payload: initPayload })),
        );
        ws.on('message', (raw) => {
          const at = performance.now();
          const m = JSON.parse(raw.toString()) as { type: string; id?: string; payload?: unknown };
          if (m.type === 'connection_ack') {
            for (let i = start; i < end; i++)
              ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: request(i) }));
            resolve();
          } else if (m.type === 'next') {
            const i = Number(m.id);
            if (!seen[i]) {
              seen[i] = 1;
              firsts++;
            }
            onData(i, (m.payload as { data?: unknown }).data, at);
          } else if (m.type === 'ping') {
            ws.send(JSON.stringify({ type: 'pong' }));
          } else if (m.type === 'error') {
            console.error('subscription error', JSON.stringify(m).slice(0, 300));
          }
        });
      }),
    );
  }
  await Promise.all(opened);
  const deadline = Date.now() + 120_000;
  while (firsts < count && Date.now() < deadline) await sleep(50);
  return {
    firsts,
    close() {
      for (const s of sockets) s.terminate();
    },
  };
}

export interface LatencyStats {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

export function stats(xs: number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    count: s.length,
    mean_ms: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    p50_ms: r(pct(0.5)),
    p95_ms: r(pct(0.95)),
    p99_ms: r(pct(0.99)),
    max_ms: r(s[s.length - 1] ?? 0),
  };
}

/** Transactions committed in a database so far (each poll statement is one). */
export async function xactCount(pool: pg.Pool): Promise<number> {
  const { rows } = await query<{ n: string }>(
    pool,
    sql`SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(rows[0]?.n ?? 0);
}
