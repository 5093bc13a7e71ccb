/**
 * The engine under test as its own process (`<engine dir>/src/main.ts`, as the stack runs it), so
 * its event loop, CPU and memory are its own and the load generator never shares them. Runs with
 * the admin secret and the HS256 JWT key a dashboard's tokens are signed with; `nodeArgs` can add
 * e.g. `--cpu-prof`. The default engine is the repository's; `--engine-dir` points at another
 * copy (a before/after comparison).
 */
import path from 'node:path';
import { startEngineProcess as startEngine, type EngineProcess } from '../live/support.ts';

export type { EngineProcess };

export interface EngineProcessOptions {
  dbUrl: string;
  engineDir: string;
  adminSecret: string;
  jwtKey: string;
  poolSize: number;
  nodeArgs: string[];
  /** more engine settings (e.g. HASURA_GRAPHQL_REDIS_URL) */
  env?: Record<string, string>;
}

export function startEngineProcess(opts: EngineProcessOptions): Promise<EngineProcess> {
  return startEngine(
    opts.dbUrl,
    {
      HASURA_GRAPHQL_ADMIN_SECRET: opts.adminSecret,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: opts.jwtKey }),
      HASURA_GRAPHQL_PG_CONNECTIONS: String(opts.poolSize),
      ...opts.env,
    },
    { entry: path.join(opts.engineDir, 'src', 'main.ts'), nodeArgs: opts.nodeArgs },
  );
}
