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
import { FUZZ_SECRETS, loadAverage, report, startFuzzRun } from './engine.ts';
import { cliOptions } from '../cli.ts';
import { CAMPAIGN_TOKEN_SECONDS, expiringToken } from './tokens.ts';
import { runWsCampaign } from './ws-campaign.ts';

const log = (line: string) => console.error(`[bench/fuzz-ws] ${line}`);

async function main(): Promise<void> {
  const opt = cliOptions(process.argv.slice(2), import.meta.url, [
    'episodes',
    'concurrency',
    'idle-sockets',
    'seed',
    'engine-dir',
  ]);
  const episodes = Number(opt('episodes', '300'));
  const concurrency = Number(opt('concurrency', '4'));
  const idleSockets = Number(opt('idle-sockets', '300'));
  const secrets = FUZZ_SECRETS;
  const { seed, loadAtStart, data, engine } = await startFuzzRun(opt, 1, log);
  try {
    const rssBefore = engine.rssMb();
    log(`engine ${engine.url}, rss ${rssBefore} MB, seed ${seed}, ${episodes} episodes`);
    const result = await runWsCampaign({
      url: engine.url,
      good: {
        authorization: `Bearer ${expiringToken(secrets.jwtKey, 'viewer', CAMPAIGN_TOKEN_SECONDS)}`,
      },
      expiringToken: (s) => expiringToken(secrets.jwtKey, 'viewer', s),
      episodes,
      concurrency,
      seed,
      idleSockets,
      alive: () => engine.alive(),
      progress: (n) => log(`${n} episodes, rss ${engine.rssMb()} MB`),
    });
    report('fuzz-ws', {
      bench: 'fuzz-ws',
      started: new Date().toISOString(),
      seed,
      concurrency,
      idle_sockets: idleSockets,
      load_average: { start: loadAtStart, end: loadAverage() },
      engine_exited: engine.proc.exitCode !== null,
      engine_rss_mb: {
        before: rssBefore,
        after: engine.rssMb(),
        peak: engine.peakRssMb(),
      },
      ...result,
    });
  } finally {
    await engine.stop();
    await data.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
