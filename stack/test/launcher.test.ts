import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
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

  it('should start a three-broker Kafka cluster with STREAMSYNC_KAFKA_BROKERS=3 and stop every broker', async () => {
    const dataDir = await tempDir();
    const env = { ...(await isolatedEnv(dataDir)), STREAMSYNC_KAFKA_BROKERS: '3' };
    const stack = await startStack({ dataDir, env, services: [] });
    const pids = stack.pids();
    try {
      // Postgres and three brokers, each named by the cluster, each with its own log dir
      expect(pids).toHaveLength(4);
      expect(stack.kafkaBrokers).toHaveLength(3);
      const kafka = new Kafka({
        clientId: 'launcher-test',
        brokers: stack.kafkaBrokers,
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual(
          [...stack.kafkaBrokers].sort(),
        );
      } finally {
        await admin.disconnect();
      }
      for (const n of [1, 2, 3]) {
        expect(
          existsSync(
            path.join(dataDir, 'kafka-3-brokers', `node-${n}`, 'kraft-logs', 'meta.properties'),
          ),
        ).toBe(true);
      }
    } finally {
      await stack.stop();
    }
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 180_000);

  it('should stop every child in order, with no warning or error, on SIGTERM to the `npm start` process alone', async () => {
    const dataDir = await tempDir();
    const env = { ...(await isolatedEnv(dataDir)), STREAMSYNC_SERVICES: 'engine,worker,producer' };
    // as a user or a process manager runs it; in its own process group, so the signal below
    // reaches the npm process alone and not its children
    const child = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const lines: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (l) => {
        lines.push(l);
        // the last line of the start: every line of it is in by then
        if (l.includes('Ctrl-C stops everything')) resolve();
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
      ...readdirSync(path.join(dataDir, 'run')).map((f) =>
        Number(readFileSync(path.join(dataDir, 'run', f), 'utf8').split('\n')[0]),
      ),
    ];
    expect(pids).toHaveLength(5);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    // the other commands find it (database/src/local-stack.ts)
    expect(existsSync(path.join(dataDir, 'stack.json'))).toBe(true);
    expect(lines).toContain(
      `[stack]   admin secret in ${path.join(dataDir, 'local-secrets.json')} (console, hasura CLI); Ctrl-C stops everything`,
    );

    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} outlived the launcher`).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'stack.json'))).toBe(false);

    // services in the reverse of their start, then Kafka, then Postgres
    const at = (text: string) => {
      const i = lines.findIndex((l) => l.includes(text));
      expect(i, `no line with ${JSON.stringify(text)}:\n${lines.join('\n')}`).toBeGreaterThan(-1);
      return i;
    };
    const order = [
      at('[stack] SIGTERM: stopping'),
      at('[stack] stopping producer'),
      at('[stack] stopping worker'),
      at('[stack] stopping engine'),
      at('Kafka broker (pid'),
      at('[stack] Postgres stopped'),
      at('[stack] stopped'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // an ordinary start and stop: no warning or error from anyone (pino levels 40 and up)
    const loud = lines.filter((l) => /"level":(4|5|6)0\b|\berror\b|\bERR/i.test(l));
    expect(loud).toEqual([]);
  });

  it('should report a killed engine with its exit and last lines, and start it again', async () => {
    const dataDir = await tempDir();
    const env = await isolatedEnv(dataDir);
    const lines: string[] = [];
    const stack = await startStack({
      dataDir,
      env,
      services: ['engine'],
      log: (l) => lines.push(`[stack] ${l}`),
      output: (l) => lines.push(l),
      restartPolicy: { backoffMs: 200 },
    });
    try {
      const killed = stack.services.get('engine')!;
      killed.kill(); // SIGKILL: a crash, as the V8 abort of issue 11 was
      await expect
        .poll(() => lines.find((l) => l.includes('engine restarted')), {
          timeout: 60_000,
        })
        .toBeDefined();
      const report = lines.findIndex((l) =>
        l.startsWith(
          `[stack] engine (pid ${killed.pid}) exited unexpectedly (signal SIGKILL); its last lines:`,
        ),
      );
      expect(report, lines.join('\n')).toBeGreaterThan(-1);
      // its last output is quoted (the engine logs a line when it listens)
      expect(lines[report]).toContain('engine listening');
      expect(lines.some((l) => l.includes('restarting engine in 0.2 s (attempt 1 of 5)'))).toBe(
        true,
      );

      const again = stack.services.get('engine')!;
      expect(again.pid).not.toBe(killed.pid);
      const res = await fetch(`http://127.0.0.1:${env.HASURA_GRAPHQL_SERVER_PORT}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await stack.stop();
    }
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('should start a streaming read replica with STREAMSYNC_PG_REPLICA=1, keep it across a restart and stop it', async () => {
    const dataDir = await tempDir();
    const [replicaPort] = await freePorts(1);
    const env: NodeJS.ProcessEnv = {
      ...(await isolatedEnv(dataDir)),
      // the run's broker: this test is about Postgres
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      STREAMSYNC_PG_REPLICA: '1',
      STREAMSYNC_PG_REPLICA_PORT: String(replicaPort),
    };
    for (let round = 0; round < 2; round++) {
      // the first time with the engine, which must be told to read from the replica
      const stack = await startStack({ dataDir, env, services: round === 0 ? ['engine'] : [] });
      try {
        expect(stack.replicaUrl).toContain(`:${replicaPort}/`);
        // the two postmasters (Kafka is the run's), and the engine the first time
        expect(stack.pids().length).toBe(round === 0 ? 3 : 2);
        if (round === 0) {
          const metrics = await fetch(
            `http://127.0.0.1:${env.HASURA_GRAPHQL_SERVER_PORT}/metrics`,
          ).then((r) => r.text());
          expect(metrics).toContain(
            `engine_read_replica_up{replica="postgres://postgres:***@127.0.0.1:${replicaPort}/streamsync"} 1`,
          );
        }
        const replica = new pg.Client({ connectionString: stack.replicaUrl });
        const primary = new pg.Client({ connectionString: stack.postgresUrl });
        await replica.connect();
        await primary.connect();
        try {
          const { rows } = await replica.query('SELECT pg_is_in_recovery() AS standby');
          expect(rows[0].standby).toBe(true);
          const key = `replicated-${round}`;
          await primary.query("INSERT INTO public.entities (kind, key) VALUES ('sensor', $1)", [
            key,
          ]);
          await waitFor('the replica to replay the insert', async () => {
            const r = await replica.query('SELECT 1 FROM public.entities WHERE key = $1', [key]);
            return r.rowCount === 1;
          });
          // both rounds' rows: the second start kept the replica's data and caught up
          const all = await replica.query(
            "SELECT key FROM public.entities WHERE key LIKE 'replicated-%' ORDER BY key",
          );
          expect(all.rows.map((r) => r.key)).toEqual(
            Array.from({ length: round + 1 }, (_, i) => `replicated-${i}`),
          );
          const { rows: senders } = await primary.query(
            'SELECT application_name, state FROM pg_stat_replication',
          );
          expect(senders).toEqual([{ application_name: 'streamsync_replica', state: 'streaming' }]);
        } finally {
          await replica.end();
          await primary.end();
        }
      } finally {
        await stack.stop();
      }
      expect(processesMentioning(dataDir)).toEqual([]);
    }
  });

  it('should run two engines behind HAProxy on the engine port, answering on while one is killed and restarted', async () => {
    const dataDir = await tempDir();
    const env: NodeJS.ProcessEnv = { ...(await isolatedEnv(dataDir)), STREAMSYNC_ENGINES: '2' };
    const lines: string[] = [];
    const stack = await startStack({
      dataDir,
      env,
      services: ['engine'],
      log: (l) => lines.push(`[stack] ${l}`),
      output: (l) => lines.push(l),
      restartPolicy: { backoffMs: 200 },
    });
    const url = `http://127.0.0.1:${env.HASURA_GRAPHQL_SERVER_PORT}/v1/graphql`;
    const ask = async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hasura-admin-secret': stack.secrets.adminSecret,
        },
        body: JSON.stringify({ query: '{ pipelines(order_by: {name: asc}) { name } }' }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const answer = {
      status: 200,
      body: { data: { pipelines: [{ name: 'market_trades' }, { name: 'sensor_readings' }] } },
    };
    try {
      expect([...stack.services.keys()]).toEqual(['engine-1', 'engine-2', 'balancer']);
      expect(stack.endpoints.engines).toMatch(
        /^2 behind HAProxy \(deploy\/haproxy\/haproxy\.cfg\): 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+$/,
      );
      // leastconn over both: every answer the same, whichever engine gave it
      for (let i = 0; i < 6; i++) expect(await ask()).toEqual(answer);

      const killed = stack.services.get('engine-1')!;
      killed.kill();
      await killed.exited;
      // a connection refused by the dead engine is retried on the other: no request fails
      for (let i = 0; i < 20; i++) expect(await ask()).toEqual(answer);
      await expect
        .poll(() => lines.find((l) => l.includes('engine-1 restarted')), { timeout: 60_000 })
        .toBeDefined();
      expect(stack.services.get('engine-1')!.pid).not.toBe(killed.pid);
      for (let i = 0; i < 6; i++) expect(await ask()).toEqual(answer);
    } finally {
      await stack.stop();
    }
    // the balancer first, then the engines
    const stopping = ['balancer', 'engine-2', 'engine-1'].map((n) =>
      lines.indexOf(`[stack] stopping ${n}`),
    );
    expect(stopping.every((i) => i > -1)).toBe(true);
    expect([...stopping].sort((a, b) => a - b)).toEqual(stopping);
    expect(processesMentioning(dataDir)).toEqual([]);
    // Postgres, Kafka and two engines one after the other: longer than the default minute here
  }, 180_000);

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
