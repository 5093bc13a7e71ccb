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
import { CAMPAIGN_TOKEN_SECONDS, expiringToken } from './tokens.ts';
import { FUZZ_SECRETS, loadAverage, report, startFuzzRun } from './engine.ts';
import { cliOptions } from '../cli.ts';
import { runGraphqlCampaign } from './graphql-campaign.ts';
import { loadRoleSchema, type FuzzClient } from './graphql-cases.ts';

const log = (line: string) => console.error(`[bench/fuzz-graphql] ${line}`);

async function main(): Promise<void> {
  const opt = cliOptions(process.argv.slice(2), import.meta.url, [
    'requests',
    'concurrency',
    'seed',
    'scale',
    'slow-ms',
    'engine-dir',
  ]);
  const requests = Number(opt('requests', '100000'));
  const concurrency = Number(opt('concurrency', '8'));
  const scale = opt('scale', 'bench') as 'bench' | 'test';
  const slowMs = Number(opt('slow-ms', '10000'));
  const secrets = FUZZ_SECRETS;
  const { seed, loadAtStart, data, engine } = await startFuzzRun(opt, 2, log);
  try {
    const token = (role: string, uid?: string) => ({
      authorization: `Bearer ${expiringToken(secrets.jwtKey, role, CAMPAIGN_TOKEN_SECONDS, uid)}`,
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
        headers: {
          authorization: `Bearer ${expiringToken('not-the-key'.padEnd(40, 'y'), 'admin', CAMPAIGN_TOKEN_SECONDS)}`,
        },
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
      alive: () => engine.alive(),
      progress: (n) => log(`${n} requests, rss ${engine.rssMb()} MB`),
    });
    const out = {
      bench: 'fuzz-graphql',
      started: new Date().toISOString(),
      seed,
      scale,
      concurrency,
      slow_ms: slowMs,
      load_average: { start: loadAtStart, end: loadAverage() },
      engine_exited: engine.proc.exitCode !== null,
      engine_rss_mb: { before: rssBefore, after: engine.rssMb(), peak: engine.peakRssMb() },
      ...result,
    };
    report('fuzz-graphql', out);
  } finally {
    await engine.stop();
    await data.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
