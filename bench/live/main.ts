/**
 * bench/live: live-query freshness and fan-out, Hasura's polling mode beside event wake-ups, in
 * one run. Prints one JSON document to stdout and writes it to bench/results/live-<time>.json.
 *
 *   npm run bench:live [-- --only fanout|freshness|ingest] [--seconds 20]
 *        [--sizes 1000,5000,10000] [--series 1000] [--changes 200] [--rate 10000] [--watched 200]
 *
 * `--series` is the number of distinct cohorts the fan-out spreads its subscribers over (issue
 * 18.5's goal: `--sizes 100000 --series 10000`).
 *
 * Uses DATABASE_URL (a server where it may create a throwaway database) or the system Postgres at
 * 127.0.0.1:5432. Engines run as child processes (their CPU and memory are measured on their own);
 * the subscribers run in this process. Freshness through Kafka and the ETL worker runs when
 * etl-worker/src/main.ts exists (KAFKA_BROKERS, or a broker the stack launches); the
 * Postgres → engine part is always measured with a writer of our own that notifies as the worker
 * does. `ingest` measures what the commit-order column (ingest_xid) costs the write path.
 */
import fs from 'node:fs';
import os from 'node:os';
import { cliOptions } from '../cli.ts';
import { fanout, FANOUT_GOALS, type FanoutResult } from './fanout.ts';
import {
  freshnessPipeline,
  freshnessPostgres,
  WORKER_ENTRY,
  type FreshnessResult,
} from './freshness.ts';
import { ingestCost, type IngestCostResult } from './ingest-cost.ts';
import { createBenchDb } from './support.ts';
import { saveResult } from '../results.ts';

const arg = cliOptions(process.argv.slice(2), import.meta.url, [
  'only',
  'seconds',
  'sizes',
  'series',
  'changes',
  'rate',
  'watched',
]);
const ONLY = arg('only', 'all');
const SECONDS = Number(arg('seconds', '20'));
const SIZES = arg('sizes', '1000,5000,10000').split(',').map(Number);
const SERIES_COUNT = Number(arg('series', '1000'));
const CHANGES = Number(arg('changes', '200'));
const RATE = Number(arg('rate', '10000'));
const WATCHED = Number(arg('watched', '200'));

async function main(): Promise<void> {
  const started = new Date();
  const db = await createBenchDb(undefined, SERIES_COUNT);
  const out: {
    bench: 'live';
    at: string;
    machine: { cpus: number; load_average_at_start: number[]; note: string };
    settings: Record<string, unknown>;
    freshness: Array<FreshnessResult | { source: string; skipped: string }>;
    fanout: FanoutResult[];
    ingest_cost?: IngestCostResult;
  } = {
    bench: 'live',
    at: started.toISOString(),
    machine: {
      cpus: os.cpus().length,
      load_average_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
      note: 'engine, Postgres and the clients share this machine (and other work running on it)',
    },
    settings: {
      seconds: SECONDS,
      refetch_interval_ms: 1000,
      batch_size: 100,
      event_debounce_ms: 5,
      fanout_series: db.series.length,
      fanout_goals: FANOUT_GOALS,
      fanout_changes_per_s: CHANGES,
      fanout_subscriptions_per_socket: 100,
      freshness_rate_rows_per_s: RATE,
      freshness_watched_series: WATCHED,
    },
    freshness: [],
    fanout: [],
  };
  try {
    if (ONLY === 'all' || ONLY === 'freshness') {
      if (fs.existsSync(WORKER_ENTRY)) {
        try {
          out.freshness.push(await freshnessPipeline(db, RATE, SECONDS, WATCHED));
        } catch (e) {
          out.freshness.push({ source: 'pipeline', skipped: (e as Error).message });
        }
      } else {
        out.freshness.push({
          source: 'pipeline',
          skipped: 'etl-worker/src/main.ts is not on this branch yet (the ETL worker, issue 3)',
        });
      }
      out.freshness.push(await freshnessPostgres(db, RATE, SECONDS, WATCHED));
    }
    if (ONLY === 'all' || ONLY === 'ingest') out.ingest_cost = await ingestCost(db);
    if (ONLY === 'all' || ONLY === 'fanout') {
      for (const n of SIZES) {
        for (const mode of ['polling', 'event'] as const) {
          console.error(`fanout: ${n} subscribers, ${mode} mode`);
          out.fanout.push(await fanout(db, n, mode, SECONDS, CHANGES));
        }
      }
    }
  } finally {
    await db.drop();
  }
  saveResult('live', out, { at: out.at });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
