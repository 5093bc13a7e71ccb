/**
 * Fan-out: N live-query subscribers over the bench database's series (N/series per series, one
 * cohort per series), a writer changing `changesPerSec` series a second (each change one
 * transaction, notified in event mode), and for every change and every subscriber of its series:
 * was it delivered (a frame with that reading or a later one), and how long after the commit did
 * its frame arrive. Also what a subscriber costs the engine in memory (resident growth from before
 * the first subscription to every subscriber answered) and what reading one cohort costs it in CPU
 * (engine CPU over the measured stretch / cohorts its poll statements read). With several
 * engines (bench/scale), subscriber i connects straight to engine i mod E, as a balancer spreading
 * connections evenly would place it; CPU, memory and polls are the sums over the engines.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CHANGE_CHANNEL, encodeChangeNotice, query, sql } from '@streamsync/database';
import { treeCpuSeconds } from '../ingest/proc.ts';
import {
  startEngineProcess,
  stats,
  subscribeMany,
  xactCount,
  type BenchDb,
  type EngineProcess,
  type LatencyStats,
} from './support.ts';

/** The goals of issue 18.5, beside the figures they judge. */
export const FANOUT_GOALS = { missed_changes: 0, event_p99_ms: 250, polling_mean_ms: 1000 };

export interface FanoutResult {
  subscribers: number;
  /** distinct cohorts: the series the subscribers are spread over */
  cohorts: number;
  /** engine processes the subscribers were split across */
  engines: number;
  mode: 'polling' | 'event';
  all_first_results: boolean;
  seconds: number;
  changes: number;
  deliveries_expected: number;
  missed_changes: number;
  delivery_latency: LatencyStats;
  /** CPU of all the engines, in cores (CPU s / s) */
  engine_cpu_cores: number;
  /** CPU of the Postgres server (all backends: the pollers' statements and the writer's), in
   * cores, when its postmaster was given */
  postgres_cpu_cores?: number;
  /** the peak resident memory of the engines, added up */
  engine_rss_mb: number;
  /** transactions of the bench database a second (writer included; Postgres' own counters) */
  postgres_xact_per_s: number;
  /** statements the engine's pollers ran a second (each one a batch of up to 100 cohorts) */
  engine_poll_statements_per_s: number;
  engine_polls: number;
  /** resident memory the subscribers added to the engines, per subscriber (KiB) */
  engine_rss_per_subscriber_kb: number;
  /** engine CPU over the measured stretch per cohort read by a poll statement (µs) */
  engine_cpu_us_per_cohort_poll: number | null;
  goals: {
    missed_changes: number;
    /** event mode: p99 ≤ this; polling mode: mean < polling_mean_ms */
    latency_ms: { p99_max?: number; mean_below?: number };
    pass: boolean;
  };
}

const QUERY = `subscription ($id: bigint!) {
  sensor_readings(where: {entity_id: {_eq: $id}}, order_by: {ts: desc}, limit: 1) { ts temperature }
}`;

export async function fanout(
  db: BenchDb,
  subscribers: number,
  mode: 'polling' | 'event',
  seconds: number,
  changesPerSec: number,
  opts: {
    /** engine processes to split the subscribers across (default 1) */
    engines?: number;
    /** the postmaster of the bench database's server: its CPU (every backend) is measured too */
    postgresPid?: number;
  } = {},
): Promise<FanoutResult> {
  const engineCount = opts.engines ?? 1;
  const engines: EngineProcess[] = [];
  const stopEngines = () => Promise.all(engines.map((e) => e.stop()));
  try {
    for (let e = 0; e < engineCount; e++) {
      engines.push(
        await startEngineProcess(db.url, {
          STREAMSYNC_ENGINE_EVENT_WAKEUPS: mode === 'event' ? 'true' : 'false',
          STREAMSYNC_ENGINE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '1000',
        }),
      );
    }
  } catch (err) {
    await stopEngines();
    throw err;
  }
  const engineCpu = () => engines.reduce((sum, e) => sum + e.cpuSeconds(), 0);
  const engineRss = () => engines.reduce((sum, e) => sum + e.rssMb(), 0);
  const rssIdle = engineRss();
  const series = db.series;
  const perSeries = new Map<number, number[]>(); // entity id → subscriber indexes
  const latest = new Float64Array(subscribers); // ms timestamp of the newest reading seen
  const commits = new Map<string, number>(); // `${entity}@${tsMs}` → commit time (performance.now)
  const latencies: number[] = [];
  try {
    // engine e serves the subscribers i with i mod E = e; its own subscription ids count from 0
    const subs = await Promise.all(
      engines.map((engine, e) => {
        const global = (local: number) => local * engineCount + e;
        const count = Math.ceil((subscribers - e) / engineCount);
        return subscribeMany(
          engine.url,
          count,
          100,
          (local) => {
            const i = global(local);
            const id = series[i % series.length]!;
            let list = perSeries.get(id);
            if (!list) perSeries.set(id, (list = []));
            list.push(i);
            return { query: QUERY, variables: { id } };
          },
          (local, data, at) => {
            const i = global(local);
            const row = (data as { sensor_readings: Array<{ ts: string }> }).sensor_readings[0];
            if (!row) return;
            const ts = Date.parse(row.ts);
            if (ts <= latest[i]!) return;
            latest[i] = ts;
            const id = series[i % series.length]!;
            const committed = commits.get(`${id}@${ts}`);
            if (committed !== undefined) latencies.push(at - committed);
          },
        );
      }),
    );
    await sleep(1500); // let the first polls settle
    const rssSubscribed = engineRss();
    const xact0 = await xactCount(db.pool);
    const cpu0 = engineCpu();
    const pgCpu0 = treeCpuSeconds(opts.postgresPid);
    const polls0 = await pollStats(engines);
    const t0 = performance.now();
    const writes: Array<{ id: number; ts: number }> = [];
    let next = 0;
    let rss = engineRss();
    const tickMs = 100;
    const perTick = Math.max(1, Math.round((changesPerSec * tickMs) / 1000));
    while (performance.now() - t0 < seconds * 1000) {
      const tickStart = performance.now();
      const batch: number[] = [];
      for (let k = 0; k < perTick; k++) batch.push(series[next++ % series.length]!);
      // one transaction per change, as independent writers would commit them
      await Promise.all(
        batch.map(async (id) => {
          const ts = Date.now();
          const client = await db.pool.connect();
          try {
            await query(client, sql`BEGIN`);
            await query(
              client,
              sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
                  VALUES (${sql.value(id)}, ${sql.value(new Date(ts).toISOString())}::timestamptz, random())`,
            );
            if (mode === 'event') {
              const payload = encodeChangeNotice({
                tables: ['public.sensor_readings'],
                series: { 'public.sensor_readings': [id] },
              });
              await query(
                client,
                sql`SELECT pg_notify(${sql.value(DEFAULT_CHANGE_CHANNEL)}, ${sql.value(payload)})`,
              );
            }
            // latency counts from the moment COMMIT is sent (a frame may beat its reply)
            commits.set(`${id}@${ts}`, performance.now());
            await query(client, sql`COMMIT`);
            writes.push({ id, ts });
          } finally {
            client.release();
          }
        }),
      );
      rss = Math.max(rss, engineRss());
      const wait = tickMs - (performance.now() - tickStart);
      if (wait > 0) await sleep(wait);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = engineCpu() - cpu0;
    const pollsMeasured = await pollStats(engines);
    const pgCpu = treeCpuSeconds(opts.postgresPid) - pgCpu0;
    await sleep(3000); // drain: the last changes reach their subscribers
    const xact = (await xactCount(db.pool)) - xact0;
    const polls1 = await pollStats(engines);
    let expected = 0;
    let missed = 0;
    for (const w of writes) {
      for (const i of perSeries.get(w.id) ?? []) {
        expected++;
        if (latest[i]! < w.ts) missed++;
      }
    }
    for (const s of subs) s.close();
    const latency = stats(latencies);
    const cohortPolls = pollsMeasured.cohorts - polls0.cohorts;
    const latencyGoal =
      mode === 'event'
        ? { p99_max: FANOUT_GOALS.event_p99_ms }
        : { mean_below: FANOUT_GOALS.polling_mean_ms };
    return {
      subscribers,
      cohorts: Math.min(subscribers, series.length),
      engines: engineCount,
      mode,
      all_first_results: subs.reduce((n, s) => n + s.firsts, 0) === subscribers,
      seconds: Math.round(elapsed * 10) / 10,
      changes: writes.length,
      deliveries_expected: expected,
      missed_changes: missed,
      delivery_latency: latency,
      engine_cpu_cores: Math.round((cpu / elapsed) * 100) / 100,
      ...(opts.postgresPid === undefined
        ? {}
        : { postgres_cpu_cores: Math.round((pgCpu / elapsed) * 100) / 100 }),
      engine_rss_mb: rss,
      // includes the writer's own transactions (one per change) and the poll statements
      postgres_xact_per_s: Math.round(xact / (elapsed + 3)),
      engine_poll_statements_per_s: Math.round(
        (polls1.statements - polls0.statements) / (elapsed + 3),
      ),
      engine_polls: polls1.polls - polls0.polls,
      engine_rss_per_subscriber_kb:
        Math.round((((rssSubscribed - rssIdle) * 1024) / subscribers) * 100) / 100,
      // both counted over the same stretch: while the writer ran, not in the drain
      engine_cpu_us_per_cohort_poll:
        cohortPolls > 0 ? Math.round(((cpu * 1e6) / cohortPolls) * 10) / 10 : null,
      goals: {
        missed_changes: FANOUT_GOALS.missed_changes,
        latency_ms: latencyGoal,
        pass:
          missed === FANOUT_GOALS.missed_changes &&
          (mode === 'event'
            ? latency.p99_ms <= FANOUT_GOALS.event_p99_ms
            : latency.mean_ms < FANOUT_GOALS.polling_mean_ms),
      },
    };
  } finally {
    await stopEngines();
  }
}

/** Polls, poll statements and cohorts they read so far, over all the engines. */
async function pollStats(
  engines: EngineProcess[],
): Promise<{ polls: number; statements: number; cohorts: number }> {
  const texts = await Promise.all(
    engines.map((e) => fetch(`${e.url}/metrics`).then((r) => r.text())),
  );
  const out = { polls: 0, statements: 0, cohorts: 0 };
  for (const line of texts.join('\n').split('\n')) {
    const v = Number(line.split(' ').pop());
    if (line.startsWith('engine_subscription_polls_total{')) out.polls += v;
    if (line.startsWith('engine_subscription_poll_duration_seconds_count{')) out.statements += v;
    if (line.startsWith('engine_subscription_cohort_polls_total{')) out.cohorts += v;
  }
  return out;
}
