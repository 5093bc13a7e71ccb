/**
 * bench/fuzz/ws: a WebSocket fuzz campaign (bench/fuzz/ws-campaign.ts) against the engine as its
 * own process, on a throwaway database with a dashboard's data: no init, floods, oversized
 * frames, hundreds of idle sockets, abrupt drops, JWT expiry mid-stream, garbage frames and
 * headers, hostile documents, too many subscriptions — over both protocols — with a good client
 * beside them.
 *
 *   npm run bench:fuzz-ws -- [--episodes 300] [--concurrency 4] [--idle-sockets 300] [--seed N]
 *        [--engine-dir <dir>] [--help]
 *
 * Progress goes to stderr; the last stdout line is one JSON object: episodes by scenario, the
 * engine's answers (frames by type, close codes), crashes, transport failures, scenarios whose
 * expected answer did not come, sockets and subscriptions still open at the end, the engine's RSS
 * before, after and at peak, and the good client's latency and failures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';
import { roleToken } from '../query/cases.ts';
import { createDataset } from '../query/dataset.ts';
import { startEngineProcess } from '../query/engine-process.ts';
import { runWsCampaign } from './ws-campaign.ts';
import { expiringToken } from './tokens.ts';

const HELP = `usage: npm run bench:fuzz-ws -- [options]
  --episodes <n>       fuzz episodes (default 300)
  --concurrency <n>    episodes at once (default 4)
  --idle-sockets <n>   sockets the idle-sockets episode holds open (default 300)
  --seed <n>           seed (default: random; printed)
  --engine-dir <dir>   the engine to run (default: this repository's engine/)
Prints progress on stderr and one JSON object (the counts) as the last stdout line.`;

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? def) : def;
};
const log = (line: string) => console.error(`[bench/fuzz-ws] ${line}`);

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
  const episodes = Number(opt('episodes', '300'));
  const concurrency = Number(opt('concurrency', '4'));
  const idleSockets = Number(opt('idle-sockets', '300'));
  const seed = Number(opt('seed', String(Math.floor(Math.random() * 2 ** 31))));
  const engineDir = path.resolve(opt('engine-dir', path.join(REPO_ROOT, 'engine')));
  const loadAtStart = os.loadavg();
  const secrets = { adminSecret: 'fuzz-admin-secret', jwtKey: 'fuzz-jwt-key-'.padEnd(40, 'x') };
  const data = await createDataset({ hours: 1, intervalSeconds: 60, log });
  const engine = await startEngineProcess({
    dbUrl: data.url,
    engineDir,
    adminSecret: secrets.adminSecret,
    jwtKey: secrets.jwtKey,
    poolSize: 10,
    nodeArgs: [],
  });
  try {
    const rssBefore = engine.rssMb();
    log(`engine ${engine.url}, rss ${rssBefore} MB, seed ${seed}, ${episodes} episodes`);
    const result = await runWsCampaign({
      url: engine.url,
      good: { authorization: `Bearer ${roleToken(secrets.jwtKey, 'viewer')}` },
      expiringToken: (s) => expiringToken(secrets.jwtKey, 'viewer', s),
      episodes,
      concurrency,
      seed,
      idleSockets,
      alive: async () => {
        if (engine.proc.exitCode !== null) return false;
        try {
          return (await fetch(`${engine.url}/healthz`, { signal: AbortSignal.timeout(5000) })).ok;
        } catch {
          return false;
        }
      },
      progress: (n) => log(`${n} episodes, rss ${engine.rssMb()} MB`),
    });
    console.log(
      JSON.stringify({
        bench: 'fuzz-ws',
        started: new Date().toISOString(),
        seed,
        concurrency,
        idle_sockets: idleSockets,
        load_average: {
          start: loadAtStart.map((x) => Math.round(x * 100) / 100),
          end: os.loadavg().map((x) => Math.round(x * 100) / 100),
        },
        engine_exited: engine.proc.exitCode !== null,
        engine_rss_mb: {
          before: rssBefore,
          after: engine.rssMb(),
          peak: peakRssMb(engine.proc.pid),
        },
        ...result,
      }),
    );
  } finally {
    await engine.stop();
    await data.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
