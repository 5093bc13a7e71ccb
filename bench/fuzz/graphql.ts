/**
 * bench/fuzz/graphql: a GraphQL fuzz campaign against the engine as its own process, on a
 * throwaway database with a dashboard's data. Requests are generated from the live schema of
 * every role (admin, viewer, user) — valid, near-valid and hostile shapes (bench/fuzz/
 * graphql-cases.ts) — with strangers (a forged token, an expired one, none) mixed in, while a
 * good client is timed beside them.
 *
 *   npm run bench:fuzz-graphql -- [--requests 100000] [--concurrency 8] [--seed N]
 *        [--scale bench|test] [--slow-ms 10000] [--engine-dir <dir>] [--help]
 *
 * Progress goes to stderr; the last stdout line is one JSON object: counts (crashes, transport
 * failures, 5xx, answers slower than the time limit, internal errors, non-JSON answers), counts
 * by family, result and shape, the first requests of each bad kind, the engine's RSS before and
 * after (and its peak), and the good client's latency alone and beside the fuzzer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';
import { roleToken } from '../query/cases.ts';
import { createDataset } from '../query/dataset.ts';
import { startEngineProcess } from '../query/engine-process.ts';
import { runGraphqlCampaign } from './graphql-campaign.ts';
import { loadRoleSchema, type FuzzClient } from './graphql-cases.ts';

const HELP = `usage: npm run bench:fuzz-graphql -- [options]
  --requests <n>      fuzz requests to send (default 100000)
  --concurrency <n>   requests in flight (default 8)
  --seed <n>          generator seed (default: random; printed)
  --scale bench|test  hostile sizes up to the engine's limits, or test-sized (default bench)
  --slow-ms <ms>      an answer slower than this counts as slow (default 10000, the time limit)
  --engine-dir <dir>  the engine to run (default: this repository's engine/)
Prints progress on stderr and one JSON object (the counts) as the last stdout line.`;

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? def) : def;
};

const log = (line: string) => console.error(`[bench/fuzz-graphql] ${line}`);

function peakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const requests = Number(opt('requests', '100000'));
  const concurrency = Number(opt('concurrency', '8'));
  const seed = Number(opt('seed', String(Math.floor(Math.random() * 2 ** 31))));
  const scale = opt('scale', 'bench') as 'bench' | 'test';
  const slowMs = Number(opt('slow-ms', '10000'));
  const engineDir = path.resolve(opt('engine-dir', path.join(REPO_ROOT, 'engine')));
  const loadAtStart = os.loadavg();
  const secrets = { adminSecret: 'fuzz-admin-secret', jwtKey: 'fuzz-jwt-key-'.padEnd(40, 'x') };
  const data = await createDataset({ hours: 2, intervalSeconds: 60, log });
  const engine = await startEngineProcess({
    dbUrl: data.url,
    engineDir,
    adminSecret: secrets.adminSecret,
    jwtKey: secrets.jwtKey,
    poolSize: 10,
    nodeArgs: [],
  });
  try {
    const token = (role: string, uid?: string) => ({
      authorization: `Bearer ${roleToken(secrets.jwtKey, role, uid)}`,
    });
    const owner = data.sensors[0]!.owner;
    const clients: FuzzClient[] = [
      { role: 'admin', headers: { 'x-hasura-admin-secret': secrets.adminSecret } },
      { role: 'viewer', headers: token('viewer') },
      { role: 'user', headers: token('user', owner) },
    ];
    const strangers: FuzzClient[] = [
      {
        role: 'forged',
        headers: { authorization: `Bearer ${roleToken('not-the-key'.padEnd(40, 'y'), 'admin')}` },
      },
      { role: 'none', headers: {} },
      { role: 'wrong-secret', headers: { 'x-hasura-admin-secret': 'nope' } },
    ];
    const schemas = await Promise.all(clients.map((c) => loadRoleSchema(engine.url, c)));
    const rssBefore = engine.rssMb();
    log(`engine ${engine.url}, rss ${rssBefore} MB, seed ${seed}, ${requests} requests`);
    const result = await runGraphqlCampaign({
      url: engine.url,
      schemas,
      strangers,
      goodClient: clients[1]!,
      requests,
      concurrency,
      seed,
      scale,
      slowMs,
      baselineMs: 3000,
      alive: async () => {
        if (engine.proc.exitCode !== null) return false;
        try {
          return (await fetch(`${engine.url}/healthz`, { signal: AbortSignal.timeout(5000) })).ok;
        } catch {
          return false;
        }
      },
      progress: (n) => log(`${n} requests, rss ${engine.rssMb()} MB`),
    });
    const out = {
      bench: 'fuzz-graphql',
      started: new Date().toISOString(),
      seed,
      scale,
      concurrency,
      slow_ms: slowMs,
      load_average: {
        start: loadAtStart.map((x) => Math.round(x * 100) / 100),
        end: os.loadavg().map((x) => Math.round(x * 100) / 100),
      },
      engine_exited: engine.proc.exitCode !== null,
      engine_rss_mb: { before: rssBefore, after: engine.rssMb(), peak: peakRssMb(engine.proc.pid) },
      ...result,
    };
    console.log(JSON.stringify(out));
  } finally {
    await engine.stop();
    await data.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
