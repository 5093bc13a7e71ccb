/**
 * The engine under test as its own process (`<engine dir>/src/main.ts`, as the stack runs it), so
 * its event loop, CPU and memory are its own and the load generator never shares them. Runs with
 * the admin secret and the HS256 JWT key a dashboard's tokens are signed with; `nodeArgs` can add
 * e.g. `--cpu-prof`. The default engine is the repository's; `--engine-dir` points at another
 * copy (a before/after comparison).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';
import { Child, freePort } from '../live/support.ts';

export interface EngineProcess extends Child {
  url: string;
}

export interface EngineProcessOptions {
  dbUrl: string;
  engineDir: string;
  adminSecret: string;
  jwtKey: string;
  poolSize: number;
  nodeArgs: string[];
}

export async function startEngineProcess(opts: EngineProcessOptions): Promise<EngineProcess> {
  const port = await freePort();
  const entry = path.join(opts.engineDir, 'src', 'main.ts');
  const proc = spawn(process.execPath, [...opts.nodeArgs, '--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HASURA_GRAPHQL_METADATA_DATABASE_URL: opts.dbUrl,
      PG_DATABASE_URL: opts.dbUrl,
      HASURA_GRAPHQL_SERVER_HOST: '127.0.0.1',
      HASURA_GRAPHQL_SERVER_PORT: String(port),
      HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
      HASURA_GRAPHQL_ADMIN_SECRET: opts.adminSecret,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: opts.jwtKey }),
      HASURA_GRAPHQL_PG_CONNECTIONS: String(opts.poolSize),
      LOG_LEVEL: 'warn',
    },
    // the engine logs to our stderr: stdout carries the result line only
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
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error('engine not healthy within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
