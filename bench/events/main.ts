/**
 * bench/events: event triggers through the engine, in one run, each figure beside its goal
 * (issue 13.6: delivery at 1,000 events/s, row change → webhook latency, a trigger's cost on an
 * insert-heavy table beside the same inserts without one).
 *
 *   npm run bench:events [-- --rate 1000 --seconds 20 --backlog 20000 --rows 200000 --batch 1000
 *        --single 5000 --rounds 3 --pool 100 --fetch-batch 100 --fetch-interval 1000
 *        --cpu-prof <dir> --label <text>]
 *
 * 1. Delivery: rows are inserted at `rate` rows/s (one INSERT of rate/20 rows every 50 ms, as a
 *    loader would) into a table with an insert event trigger; the engine (its own process, with
 *    Hasura's default event settings unless overridden) calls a webhook in this process. Each row
 *    carries the time it was sent; latency is from that to the webhook call. Reported: events
 *    delivered per second (first to last call), time to drain, latency percentiles, CPU per event
 *    of the engine and of the Postgres backends serving it (fetching, recording outcomes).
 * 2. Capacity: with the engine stopped, `backlog` rows are inserted; the engine is started and
 *    the rate at which it works the backlog off (first to last webhook call) is its ceiling on
 *    this machine, whatever the offered rate.
 * 3. Cost of the trigger on inserts: the same rows into two identical tables, one with an event
 *    trigger (its SQL trigger writes hdb_catalog.event_log in the same transaction), one without,
 *    with the engine stopped so nothing else competes; batched (`batch` rows per INSERT … SELECT
 *    FROM unnest) and single-row inserts, rounds alternating which table goes first.
 *
 * `--cpu-prof <dir>` writes the engine's V8 CPU profiles there (one per engine start).
 *
 * Progress goes to stderr; the last stdout line is the JSON result, also written to
 * bench/results/events-<time>.json. Needs a Postgres where it may create a throwaway database
 * (DATABASE_URL, else the system Postgres at 127.0.0.1:5432).
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createPool, query, sql } from '@streamsync/database';
import { cliOptions } from '../cli.ts';
import { startEngineProcess, stats, type EngineProcess } from '../live/support.ts';
import { saveResult } from '../results.ts';
import { BackendCpu } from './backend-cpu.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const opt = cliOptions(process.argv.slice(2), import.meta.url, [
  'rate',
  'seconds',
  'rows',
  'batch',
  'single',
  'rounds',
  'backlog',
  'label',
  'pool',
  'fetch-batch',
  'fetch-interval',
  'cpu-prof',
]);
const RATE = Number(opt('rate', '1000'));
const SECONDS = Number(opt('seconds', '20'));
const ROWS = Number(opt('rows', '200000'));
const BATCH = Number(opt('batch', '1000'));
const SINGLE = Number(opt('single', '5000'));
const ROUNDS = Number(opt('rounds', '3'));
const BACKLOG = Number(opt('backlog', '20000'));
const LABEL = opt('label', '');
const CPU_PROF = opt('cpu-prof', '');
const ENGINE_ENV = {
  HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE: opt('pool', '100'),
  HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE: opt('fetch-batch', '100'),
  HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL: opt('fetch-interval', '1000'),
};

/** Issue 13.6's rate, and the bounds this runner holds the other figures to. */
const GOALS = {
  ratePerS: 1000,
  /** keeping up, an event waits at most one fetch interval for the next fetch, then its call */
  latencyOverIntervalMs: 500,
  /** the engine and its Postgres backends together within half a core at 1,000 events/s */
  cpuMsPerEvent: 0.5,
  /** the event row is a second row write: the whole row as JSON, three index entries */
  batchedSlowdown: 4,
  /** one more row in a transaction that pays for its commit anyway */
  singleRowSlowdown: 1.5,
};

const log = (line: string) => console.error(`[bench/events] ${line}`);
const r2 = (x: number) => Math.round(x * 100) / 100;

interface Receiver {
  url: string;
  latencies: number[];
  firstAt: number;
  lastAt: number;
  /** Forget what was received (a new phase starts). */
  reset(): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const rec: Receiver = {
    url: '',
    latencies: [],
    firstAt: 0,
    lastAt: 0,
    reset() {
      rec.latencies = [];
      rec.firstAt = 0;
      rec.lastAt = 0;
    },
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      // the one figure wanted, found rather than parsed: this process shares the machine with
      // the engine, and a receiver that parses every payload would slow down what it measures
      const body = Buffer.concat(chunks).toString('utf8');
      const at = body.indexOf('"sent_ms":');
      if (at < 0) throw new Error(`no sent_ms in ${body.slice(0, 200)}`);
      rec.latencies.push(now - parseFloat(body.slice(at + 10, at + 40)));
      rec.firstAt ||= now;
      rec.lastAt = now;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return rec;
}

/** A figure beside its goal. */
const goal = (value: number | null, bound: number, kind: '>=' | '<=') => ({
  value,
  goal: `${kind} ${bound}`,
  met: value !== null && (kind === '>=' ? value >= bound : value <= bound),
});

/** The engine's /metrics, each series summed over its labels. */
async function engineMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

/** Events per second between the first and the last webhook call. */
const callRate = (rec: Receiver) =>
  rec.latencies.length > 1
    ? r2(((rec.latencies.length - 1) * 1000) / Math.max(1, rec.lastAt - rec.firstAt))
    : 0;

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_events_${randomBytes(4).toString('hex')}`;
  const admin = createPool({ connectionString: adminUrl, applicationName: 'bench-events', max: 1 });
  await query(admin, sql`CREATE DATABASE ${sql.ident(name)}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const dbUrl = u.toString();
  const pool = createPool({ connectionString: dbUrl, applicationName: 'bench-events', max: 4 });
  const receiver = await startReceiver();
  // the engine's source pool: in this database it does nothing but deliver events
  const engineBackends = new BackendCpu(pool, 'streamsync-engine');
  let engine: EngineProcess | undefined;
  const startEngine = () =>
    startEngineProcess(
      dbUrl,
      { HASURA_GRAPHQL_METADATA_DIR: '', WEBHOOK_BASE: receiver.url, ...ENGINE_ENV },
      { nodeArgs: CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : [] },
    );
  const waitFor = async (count: number) => {
    const since = Date.now();
    while (receiver.latencies.length < count && Date.now() - since < 120_000) await sleep(50);
    return Date.now();
  };
  try {
    await query(
      pool,
      sql`CREATE TABLE readings (id bigserial PRIMARY KEY, entity_id int NOT NULL, ts timestamptz NOT NULL,
            value double precision, sent_ms double precision NOT NULL)`,
    );
    await query(pool, sql`CREATE TABLE plain (LIKE readings INCLUDING ALL)`);
    await query(pool, sql`CREATE TABLE triggered (LIKE readings INCLUDING ALL)`);
    engine = await startEngine();
    const api = async (body: unknown) => {
      const r = await fetch(`${engine!.url}/v1/metadata`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.status !== 200) throw new Error(`${JSON.stringify(body)}: ${await r.text()}`);
    };
    for (const t of ['readings', 'triggered'])
      await api({ type: 'pg_track_table', args: { table: t } });
    await api({
      type: 'pg_create_event_trigger',
      args: {
        name: 'readings_insert',
        table: 'readings',
        webhook: '{{WEBHOOK_BASE}}/hook',
        insert: { columns: '*' },
      },
    });
    // never delivered (the engine is stopped for part 3): only its SQL trigger matters
    await api({
      type: 'pg_create_event_trigger',
      args: {
        name: 'triggered_insert',
        table: 'triggered',
        webhook: 'http://127.0.0.1:1',
        insert: { columns: '*' },
      },
    });
    const insertReadings = (n: number) =>
      query(
        pool,
        sql`INSERT INTO readings (entity_id, ts, value, sent_ms)
            SELECT (g % 50) + 1, now(), random() * 100, ${sql.value(Date.now())}::float8
              FROM generate_series(1, ${sql.value(n)}) g`,
      );

    // 1. delivery at RATE events/s
    const tick = 50;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    const total = perTick * Math.round((SECONDS * 1000) / tick);
    log(`delivery: ${total} rows at ${RATE}/s (${perTick} rows every ${tick} ms)`);
    await engineBackends.start();
    const cpu0 = engine.cpuSeconds();
    const t0 = Date.now();
    let sent = 0;
    let lagTicks = 0;
    while (sent < total) {
      const due = t0 + (sent / perTick) * tick;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -tick) lagTicks++;
      const n = Math.min(perTick, total - sent);
      await insertReadings(n);
      sent += n;
    }
    const loadEnd = Date.now();
    const deliveredAtLoadEnd = receiver.latencies.length;
    const drained = await waitFor(total);
    const cpu = engine.cpuSeconds() - cpu0;
    const dbCpu = await engineBackends.stop();
    const lat = stats(receiver.latencies);
    const n1 = Math.max(1, receiver.latencies.length);
    const delivery = {
      events: total,
      delivered: receiver.latencies.length,
      offered_rate_per_s: r2((sent * 1000) / (loadEnd - t0)),
      delivered_rate_per_s: callRate(receiver),
      delivered_rate_during_load_per_s: r2((deliveredAtLoadEnd * 1000) / (loadEnd - t0)),
      drain_after_load_ms: drained - loadEnd,
      backlog_at_load_end: total - deliveredAtLoadEnd,
      latency_ms: lat,
      engine_cpu_seconds: r2(cpu),
      engine_cpu_ms_per_event: r2((cpu * 1000) / n1),
      postgres_cpu_ms_per_event: dbCpu === null ? null : r2((dbCpu * 1000) / n1),
      engine_rss_mb: engine.rssMb(),
      insert_ticks_late: lagTicks,
    };
    log(
      `delivered ${delivery.delivered}/${total} at ${delivery.delivered_rate_per_s}/s; ` +
        `p50 ${lat.p50_ms} ms, p99 ${lat.p99_ms} ms; engine ${delivery.engine_cpu_ms_per_event} ms, ` +
        `postgres ${delivery.postgres_cpu_ms_per_event} ms CPU per event`,
    );
    await engine.stop();
    engine = undefined;

    // 2. capacity: a backlog worked off by a fresh engine
    log(`capacity: ${BACKLOG} events queued while the engine is stopped`);
    for (let done = 0; done < BACKLOG; done += 1000)
      await insertReadings(Math.min(1000, BACKLOG - done));
    receiver.reset();
    engine = await startEngine();
    await engineBackends.start();
    const cpu1 = engine.cpuSeconds();
    const own1 = process.cpuUsage();
    // what holds the rate: busy HTTP workers once a second (a scrape costs the engine little)
    const workers: number[] = [];
    const scraping = setInterval(() => {
      void engineMetrics(engine!.url)
        .then((m) => workers.push(m.get('hasura_event_trigger_http_workers') ?? 0))
        .catch(() => {});
    }, 1000);
    await waitFor(BACKLOG);
    clearInterval(scraping);
    const backlogCpu = engine.cpuSeconds() - cpu1;
    const own = process.cpuUsage(own1);
    const backlogDbCpu = await engineBackends.stop();
    const n2 = Math.max(1, receiver.latencies.length);
    const m = await engineMetrics(engine.url);
    const fetches = m.get('hasura_event_fetch_time_per_batch_seconds_count') ?? 0;
    const calls = m.get('hasura_event_webhook_processing_time_seconds_count') ?? 0;
    const capacity = {
      events: BACKLOG,
      delivered: receiver.latencies.length,
      delivered_rate_per_s: callRate(receiver),
      engine_cpu_ms_per_event: r2((backlogCpu * 1000) / n2),
      postgres_cpu_ms_per_event: backlogDbCpu === null ? null : r2((backlogDbCpu * 1000) / n2),
      // this process, which does nothing else meanwhile: the webhook's share of the machine
      receiver_cpu_ms_per_event: r2((own.user + own.system) / 1000 / n2),
      fetches,
      events_per_fetch: r2((m.get('hasura_events_fetched_total') ?? 0) / Math.max(1, fetches)),
      mean_fetch_ms: r2(
        ((m.get('hasura_event_fetch_time_per_batch_seconds_sum') ?? 0) * 1000) /
          Math.max(1, fetches),
      ),
      mean_webhook_call_ms: r2(
        ((m.get('hasura_event_webhook_processing_time_seconds_sum') ?? 0) * 1000) /
          Math.max(1, calls),
      ),
      mean_busy_http_workers: r2(workers.reduce((a, b) => a + b, 0) / Math.max(1, workers.length)),
    };
    log(
      `capacity: ${capacity.delivered}/${BACKLOG} at ${capacity.delivered_rate_per_s}/s; engine ` +
        `${capacity.engine_cpu_ms_per_event} ms, postgres ${capacity.postgres_cpu_ms_per_event} ms CPU per event`,
    );
    await engine.stop();
    engine = undefined;

    // 3. the trigger's cost on inserts
    const batched: Record<'plain' | 'triggered', number[]> = { plain: [], triggered: [] };
    const single: Record<'plain' | 'triggered', number[]> = { plain: [], triggered: [] };
    const insertBatches = async (table: 'plain' | 'triggered') => {
      const start = performance.now();
      for (let done = 0; done < ROWS; done += BATCH) {
        const n = Math.min(BATCH, ROWS - done);
        const ids = Array.from({ length: n }, (_, i) => (i % 50) + 1);
        const values = Array.from({ length: n }, () => Math.random() * 100);
        await query(
          pool,
          sql`INSERT INTO ${sql.ident(table)} (entity_id, ts, value, sent_ms)
              SELECT e, now(), v, 0 FROM unnest(${sql.value(ids, 'int[]')}, ${sql.value(values, 'float8[]')}) AS x(e, v)`,
        );
      }
      return (ROWS * 1000) / (performance.now() - start);
    };
    const insertSingles = async (table: 'plain' | 'triggered') => {
      const start = performance.now();
      for (let i = 0; i < SINGLE; i++) {
        await query(
          pool,
          sql`INSERT INTO ${sql.ident(table)} (entity_id, ts, value, sent_ms)
              VALUES (${sql.value((i % 50) + 1)}, now(), ${sql.value(Math.random() * 100)}, 0)`,
        );
      }
      return (SINGLE * 1000) / (performance.now() - start);
    };
    const reset = async () => {
      await query(pool, sql`TRUNCATE plain, triggered`);
      await query(pool, sql`TRUNCATE hdb_catalog.event_log, hdb_catalog.event_invocation_logs`);
      await query(pool, sql`VACUUM ANALYZE plain`);
      await query(pool, sql`VACUUM ANALYZE triggered`);
    };
    for (let r = 0; r < ROUNDS; r++) {
      const order: Array<'plain' | 'triggered'> =
        r % 2 === 0 ? ['plain', 'triggered'] : ['triggered', 'plain'];
      for (const t of order) {
        await reset();
        batched[t].push(await insertBatches(t));
        single[t].push(await insertSingles(t));
      }
      log(
        `round ${r + 1}/${ROUNDS}: batched ${Math.round(batched.plain[r]!)} vs ${Math.round(batched.triggered[r]!)} rows/s, single ${Math.round(single.plain[r]!)} vs ${Math.round(single.triggered[r]!)} rows/s`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const side = (xs: Record<'plain' | 'triggered', number[]>) => ({
      without_trigger_rows_per_s: Math.round(median(xs.plain)),
      with_trigger_rows_per_s: Math.round(median(xs.triggered)),
      slowdown: r2(median(xs.plain) / median(xs.triggered)),
      rounds: { plain: xs.plain.map(Math.round), triggered: xs.triggered.map(Math.round) },
    });
    const insertCost = { batched: side(batched), single_row: side(single) };
    const cpuPerEvent = (x: {
      engine_cpu_ms_per_event: number;
      postgres_cpu_ms_per_event: number | null;
    }) =>
      x.postgres_cpu_ms_per_event === null
        ? null
        : r2(x.engine_cpu_ms_per_event + x.postgres_cpu_ms_per_event);
    const interval = Number(ENGINE_ENV.HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL);
    const goals = {
      delivered_rate_per_s: goal(
        delivery.delivered_rate_per_s,
        Math.min(RATE, GOALS.ratePerS),
        '>=',
      ),
      capacity_rate_per_s: goal(capacity.delivered_rate_per_s, GOALS.ratePerS, '>='),
      latency_p50_ms: goal(lat.p50_ms, interval + GOALS.latencyOverIntervalMs, '<='),
      latency_p95_ms: goal(lat.p95_ms, interval + GOALS.latencyOverIntervalMs, '<='),
      latency_p99_ms: goal(lat.p99_ms, interval + GOALS.latencyOverIntervalMs, '<='),
      cpu_ms_per_event_engine_and_postgres: goal(cpuPerEvent(delivery), GOALS.cpuMsPerEvent, '<='),
      capacity_cpu_ms_per_event_engine_and_postgres: goal(
        cpuPerEvent(capacity),
        GOALS.cpuMsPerEvent,
        '<=',
      ),
      insert_slowdown_batched: goal(insertCost.batched.slowdown, GOALS.batchedSlowdown, '<='),
      insert_slowdown_single_row: goal(
        insertCost.single_row.slowdown,
        GOALS.singleRowSlowdown,
        '<=',
      ),
    };
    for (const [k, g] of Object.entries(goals))
      log(`${k}: ${g.value} (goal ${g.goal}: ${g.met ? 'met' : 'NOT met'})`);
    const out = {
      bench: 'events',
      label: LABEL || undefined,
      at: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        load_average_at_start: loadAtStart.map(r2),
        load_average_at_end: os.loadavg().map(r2),
      },
      settings: {
        rate: RATE,
        seconds: SECONDS,
        backlog: BACKLOG,
        rows: ROWS,
        batch: BATCH,
        single: SINGLE,
        rounds: ROUNDS,
        ...ENGINE_ENV,
      },
      goals,
      delivery,
      capacity,
      insert_cost: insertCost,
    };
    saveResult('events', out, { at: started });
  } finally {
    await engineBackends.stop().catch(() => null);
    await engine?.stop().catch(() => {});
    await receiver.close();
    await pool.end();
    await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
