/**
 * The engine a fuzz campaign runs against: its own process (so a crash is the engine's, not the
 * fuzzer's), serving hasura/metadata with an admin secret and an HS256 JWT key, on `dbUrl`. Shared
 * by the fuzz runners and the engine's fuzz tests; also the runners' option parsing and the
 * engine's memory readings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';
import { startEngineProcess, type EngineProcess } from '../live/support.ts';
import { createDataset, type Dataset } from '../query/dataset.ts';
import { saveResult } from '../results.ts';

export const FUZZ_SECRETS = {
  adminSecret: 'fuzz-admin-secret',
  jwtKey: 'fuzz-jwt-key-'.padEnd(40, 'x'),
};

export interface FuzzEngine extends EngineProcess {
  /** the process is running and answers /healthz */
  alive(): Promise<boolean>;
  /** resident memory now, and at its peak (VmHWM), in MB */
  peakRssMb(): number;
}

export async function startFuzzEngine(
  dbUrl: string,
  opts: { engineDir?: string; logLevel?: string } = {},
): Promise<FuzzEngine> {
  const engine = (await startEngineProcess(
    dbUrl,
    {
      HASURA_GRAPHQL_ADMIN_SECRET: FUZZ_SECRETS.adminSecret,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: FUZZ_SECRETS.jwtKey }),
      HASURA_GRAPHQL_PG_CONNECTIONS: '10',
      HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
      LOG_LEVEL: opts.logLevel ?? 'warn',
    },
    { entry: path.join(opts.engineDir ?? path.join(REPO_ROOT, 'engine'), 'src', 'main.ts') },
  )) as FuzzEngine;
  engine.alive = async () => {
    if (engine.proc.exitCode !== null) return false;
    try {
      return (await fetch(`${engine.url}/healthz`, { signal: AbortSignal.timeout(5000) })).ok;
    } catch {
      return false;
    }
  };
  engine.peakRssMb = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(
        fs.readFileSync(`/proc/${engine.proc.pid}/status`, 'utf8'),
      );
      return m ? Math.round(Number(m[1]) / 1024) : 0;
    } catch {
      return 0;
    }
  };
  return engine;
}

/** The machine's load averages (1, 5, 15 min), two decimals. */
export const loadAverage = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);

export interface FuzzRun {
  seed: number;
  loadAtStart: number[];
  data: Dataset;
  engine: FuzzEngine;
}

/** A runner's start: seed and engine from its options, a dataset of `hours`, the engine on it. */
export async function startFuzzRun(
  opt: (name: string, def: string) => string,
  hours: number,
  log: (line: string) => void,
): Promise<FuzzRun> {
  const seed = Number(opt('seed', String(Math.floor(Math.random() * 2 ** 31))));
  const engineDir = path.resolve(opt('engine-dir', path.join(REPO_ROOT, 'engine')));
  const loadAtStart = loadAverage();
  const data = await createDataset({ hours, intervalSeconds: 60, log });
  try {
    return { seed, loadAtStart, data, engine: await startFuzzEngine(data.url, { engineDir }) };
  } catch (e) {
    await data.drop();
    throw e;
  }
}

/** Print a runner's result as the last stdout line and keep it in bench/results/<name>-<time>.json. */
export function report(name: string, out: Record<string, unknown>): void {
  saveResult(name, out);
}
