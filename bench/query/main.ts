/**
 * bench/query: p50 / p99 latency and throughput of the dashboard's queries through the engine,
 * beside the same SQL run directly with pg, in one run.
 *
 *   npm run bench:query [-- --seconds 3 --rounds 4 --warmup 2 --concurrency 8
 *        --role viewer|user|admin --hours 24 --interval 10 --engine-dir <dir> --cpu-prof <dir>
 *        --label <text>]
 *
 * - The engine runs as its own process (engine/src/main.ts, as the stack runs it), with a pool of
 *   `concurrency` connections; pg gets a pool of the same size. Both are driven by the same
 *   closed loop of `concurrency` workers from this process.
 * - Data: every seeded sensor (50) with a point every 10 s over 24 h, rollups filled.
 * - Auth as the dashboard: an HS256 role token (`viewer` by default), or the admin secret.
 * - The direct SQL is the engine's own statement and arguments, from its explain endpoint, and
 *   checked (same response, same text in pg_stat_activity, same plan): see sql-check.ts.
 * - A warm-up per case and side, then `rounds` rounds; in each, every case runs on both sides,
 *   which side goes first alternating by round, so machine noise falls on both alike.
 *
 * Progress goes to stderr. The last stdout line is one JSON object: per case the engine's and pg's
 * p50/p99 ms and req/s (and the engine's CPU ms per request), the ratios (engine ÷ pg for
 * latency, pg ÷ engine for throughput) and the SQL checks. bench/results/query-<time>.json holds
 * the same plus each statement and its plan.
 */
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { createPool, REPO_ROOT } from '@streamsync/database';
import { cliOptions } from '../cli.ts';
import { credentials, dashboardCases, type Role } from './cases.ts';
import { createDataset } from './dataset.ts';
import { startEngineProcess } from './engine-process.ts';
import { closedLoop, httpClient, roundP50s, summarize, type Segment } from './load.ts';
import { captureStatement, checkStatement, type SqlCheck } from './sql-check.ts';
import { machineLoad, saveResult } from '../results.ts';

const opt = cliOptions(process.argv.slice(2), import.meta.url, [
  'seconds',
  'rounds',
  'warmup',
  'concurrency',
  'role',
  'hours',
  'interval',
  'engine-dir',
  'cpu-prof',
  'label',
]);
const SECONDS = Number(opt('seconds', '3'));
const ROUNDS = Number(opt('rounds', '4'));
const WARMUP = Number(opt('warmup', '2'));
const CONCURRENCY = Number(opt('concurrency', '8'));
const ROLE = opt('role', 'viewer') as Role;
const HOURS = Number(opt('hours', '24'));
const INTERVAL = Number(opt('interval', '10'));
const ENGINE_DIR = path.resolve(opt('engine-dir', path.join(REPO_ROOT, 'engine')));
const CPU_PROF = opt('cpu-prof', '');
const LABEL = opt('label', '');
const USER_ID = '1';

const log = (line: string) => console.error(`[bench/query] ${line}`);
const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  if (!['viewer', 'user', 'admin'].includes(ROLE)) throw new Error(`--role: ${ROLE}`);
  const started = new Date();
  const loadAtStart = os.loadavg();
  const secrets = { adminSecret: 'bench-admin-secret', jwtKey: 'bench-jwt-key-'.padEnd(40, 'x') };
  const data = await createDataset({ hours: HOURS, intervalSeconds: INTERVAL, log });
  let engine: Awaited<ReturnType<typeof startEngineProcess>> | undefined;
  let direct: pg.Pool | undefined;
  let http: ReturnType<typeof httpClient> | undefined;
  try {
    log(`engine: ${ENGINE_DIR}`);
    engine = await startEngineProcess({
      dbUrl: data.url,
      engineDir: ENGINE_DIR,
      ...secrets,
      poolSize: CONCURRENCY,
      nodeArgs: CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : [],
    });
    http = httpClient(engine.url, CONCURRENCY);
    const client = http;
    direct = createPool({
      connectionString: data.url,
      applicationName: 'bench-query-direct',
      max: CONCURRENCY,
    });
    const observer = data.pool;
    const cases = dashboardCases(started);
    const creds = credentials(ROLE, secrets, USER_ID);
    const entities = data.sensors
      .filter((s) => ROLE !== 'user' || s.owner === USER_ID)
      .map((s) => s.id);
    const pick = (i: number) => entities[i % entities.length]!;

    const prepared = [];
    for (const c of cases) {
      const captured = await captureStatement(
        client,
        secrets.adminSecret,
        c,
        entities,
        creds.explainUser,
      );
      const bodies = new Map(
        entities.map((e) => [
          e,
          Buffer.from(
            JSON.stringify({
              query: c.query,
              operationName: c.operationName,
              variables: c.variables(e),
            }),
          ),
        ]),
      );
      const viaEngine = async (entity: number): Promise<string> => {
        const text = await client.post('/v1/graphql', bodies.get(entity)!, creds.headers);
        if (!text.startsWith('{"data"')) throw new Error(text.slice(0, 300));
        return text;
      };
      const statementName = `bench_${c.name}`;
      const viaPg = async (entity: number): Promise<void> => {
        const r = await direct!.query({
          name: statementName,
          text: captured.text,
          values: captured.args.get(entity)!,
        });
        if (r.rows.length !== 1) throw new Error(`${r.rows.length} rows`);
      };
      const check: SqlCheck = await checkStatement(captured, pick(0), viaEngine, direct, observer);
      log(
        `${c.name}: same result ${check.same_result}, executed by engine ${check.executed_by_engine}, same plan ${check.same_plan}`,
      );
      prepared.push({ c, captured, check, viaEngine, viaPg });
    }

    log(`warm-up: ${WARMUP} s per case and side`);
    for (const p of prepared) {
      await closedLoop(WARMUP, CONCURRENCY, (i) => p.viaEngine(pick(i)).then(() => {}));
      await closedLoop(WARMUP, CONCURRENCY, (i) => p.viaPg(pick(i)));
    }

    const segs = new Map(
      prepared.map((p) => [
        p.c.name,
        { engine: [] as Segment[], pg: [] as Segment[], engineCpuS: 0 },
      ]),
    );
    for (let r = 0; r < ROUNDS; r++) {
      log(`round ${r + 1}/${ROUNDS}`);
      for (const p of prepared) {
        const s = segs.get(p.c.name)!;
        const runEngine = async () => {
          const cpu0 = engine!.cpuSeconds();
          s.engine.push(
            await closedLoop(SECONDS, CONCURRENCY, (i) => p.viaEngine(pick(i)).then(() => {})),
          );
          s.engineCpuS += engine!.cpuSeconds() - cpu0;
        };
        const runPg = async () => {
          s.pg.push(await closedLoop(SECONDS, CONCURRENCY, (i) => p.viaPg(pick(i))));
        };
        if (r % 2 === 0) {
          await runEngine();
          await runPg();
        } else {
          await runPg();
          await runEngine();
        }
      }
    }

    const results: Record<string, unknown> = {};
    const statements: Record<string, unknown> = {};
    for (const p of prepared) {
      const s = segs.get(p.c.name)!;
      const e = summarize(s.engine);
      const d = summarize(s.pg);
      const firstError = [...s.engine, ...s.pg].find((x) => x.firstError)?.firstError;
      results[p.c.name] = {
        engine: {
          ...e,
          cpu_ms_per_req: e.requests ? round2((s.engineCpuS * 1000) / e.requests) : null,
          round_p50_ms: roundP50s(s.engine),
        },
        pg: { ...d, round_p50_ms: roundP50s(s.pg) },
        ratio: {
          p50: round2(e.p50_ms / d.p50_ms),
          p99: round2(e.p99_ms / d.p99_ms),
          req_per_s: round2(d.req_per_s / e.req_per_s),
        },
        sql: {
          same_result: p.check.same_result,
          executed_by_engine: p.check.executed_by_engine,
          same_plan: p.check.same_plan,
        },
        ...(firstError ? { first_error: firstError } : {}),
      };
      statements[p.c.name] = { text: p.captured.text, plan: p.check.plan };
    }
    const out = {
      bench: 'query',
      label: LABEL || undefined,
      at: started.toISOString(),
      machine: machineLoad(loadAtStart),
      settings: {
        engine: 'own process',
        engine_dir: path.relative(REPO_ROOT, ENGINE_DIR) || '.',
        role: ROLE,
        auth: ROLE === 'admin' ? 'admin secret' : 'HS256 JWT',
        concurrency: CONCURRENCY,
        engine_pool: CONCURRENCY,
        pg_pool: CONCURRENCY,
        seconds_per_segment: SECONDS,
        rounds: ROUNDS,
        warmup_seconds: WARMUP,
        series: entities.length,
        points_every_s: INTERVAL,
        hours: HOURS,
        rows: data.rows,
        prepared_statements: 'both sides (named statements)',
        cpu_profile_dir: CPU_PROF ? path.resolve(CPU_PROF) : undefined,
      },
      note: "pg runs the engine's own statement and arguments (from its /v1/graphql/explain); sql.same_result: the engine's body is exactly that statement's JSON; sql.executed_by_engine: pg_stat_activity shows it as the engine connections' last statement; sql.same_plan: EXPLAIN of it directly matches the engine's explain. Latency ratio engine/pg, throughput ratio pg/engine.",
      results,
    };
    saveResult('query', out, { at: out.at, details: { statements } });
  } finally {
    http?.close();
    await engine?.stop();
    await direct?.end();
    await data.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
