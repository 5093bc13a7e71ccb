import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { freePorts } from '../src/ports.ts';
import { isAlive } from '../src/services.ts';
import { startStack } from '../src/stack.ts';

/** Processes whose command line mentions `marker` (our temporary data folder). */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

async function isolatedEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  const [pgPort, engine, worker, producer, web] = await freePorts(5);
  return {
    ...process.env,
    DATABASE_URL: '',
    KAFKA_BROKERS: '',
    STREAMSYNC_DATA_DIR: dataDir,
    STREAMSYNC_PG_DATA_DIR: '',
    STREAMSYNC_PG_PORT: String(pgPort),
    STREAMSYNC_KAFKA_PORT: '0',
    HASURA_GRAPHQL_SERVER_PORT: String(engine),
    ETL_HTTP_PORT: String(worker),
    PRODUCER_HTTP_PORT: String(producer),
    WEB_PORT: String(web),
    HASURA_GRAPHQL_ADMIN_SECRET: '',
    STREAMSYNC_JWT_KEY: '',
  };
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-launcher-'));
  await fs.chmod(dir, 0o755); // the embedded Postgres runs as the postgres user
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const d of tempDirs) await fs.rm(d, { recursive: true, force: true });
});

describe('Stack > Launcher', () => {
  it('should start Postgres and Kafka, keep data across a restart, and leave no process behind', async () => {
    const dataDir = await tempDir();
    const env = await isolatedEnv(dataDir);

    const first = await startStack({ dataDir, env, services: [] });
    const firstPids = first.pids();
    expect(firstPids.length).toBe(2);
    const client = new pg.Client({ connectionString: first.postgresUrl });
    await client.connect();
    await client.query(
      "INSERT INTO public.entities (kind, key) VALUES ('sensor', 'kept-across-restart')",
    );
    const { rows: pipelines } = await client.query('SELECT name FROM etl.pipelines ORDER BY name');
    expect(pipelines.map((r) => r.name)).toEqual(['market_trades', 'sensor_readings']);
    await client.end();
    const secrets = first.secrets;
    await first.stop();

    for (const pid of firstPids) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);

    const second = await startStack({ dataDir, env, services: [] });
    try {
      const c2 = new pg.Client({ connectionString: second.postgresUrl });
      await c2.connect();
      const { rows } = await c2.query(
        "SELECT count(*)::int AS n FROM public.entities WHERE key = 'kept-across-restart'",
      );
      expect(rows[0].n).toBe(1);
      await c2.end();
      expect(second.secrets).toEqual(secrets);
    } finally {
      await second.stop();
    }
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('should stop every process it started when `npm start` gets Ctrl-C (SIGINT)', async () => {
    const dataDir = await tempDir();
    const env = { ...(await isolatedEnv(dataDir)), STREAMSYNC_SERVICES: 'engine,worker,producer' };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'stack', 'src', 'main.ts')],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (l) => {
        lines.push(l);
        if (l.includes('ready in')) resolve();
      });
      readline.createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
      child.once('exit', (code) =>
        reject(new Error(`npm start exited early (${code}):\n${lines.join('\n')}`)),
      );
    });
    await ready;

    // what it started: the postmaster, the broker, each service's process group leader
    const pids = [
      Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]),
      Number(readFileSync(path.join(dataDir, 'kafka', 'broker.pid'), 'utf8').split('\n')[0]),
      ...(existsSync(path.join(dataDir, 'run'))
        ? readdirSync(path.join(dataDir, 'run')).map((f) =>
            Number(readFileSync(path.join(dataDir, 'run', f), 'utf8').split('\n')[0]),
          )
        : []),
    ];
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} outlived the launcher`).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(lines.some((l) => l.includes('[stack] stopped'))).toBe(true);
  });

  it('should refuse a bad setting at start with a message naming the key', async () => {
    const dataDir = await tempDir();
    const env = { ...(await isolatedEnv(dataDir)), HASURA_GRAPHQL_SERVER_PORT: 'eighty' };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'stack', 'src', 'main.ts')],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out).toMatch(/HASURA_GRAPHQL_SERVER_PORT: expected an integer/);
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
