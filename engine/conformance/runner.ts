/**
 * The conformance runner: plays the Hasura test cases of a cases folder (laid out as
 * ../shared/hasura-conformance, with its manifest.json) against a Hasura-compatible server over
 * HTTP (and WebSocket), and scores each case.
 *
 * Isolation: every directory is split into its upstream test classes (`py_class` groups). In the
 * default mode each group gets a fresh database (cloned from a template holding the `hge_tests`
 * schema and the citext / ltree / pgcrypto extensions, plus PostGIS where the directory needs it)
 * and its own engine process on a free port, started with empty metadata,
 * `HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES=true` and the directory's `hge_env`. Then: directory
 * setup, the case files in manifest order (each with its per-case setup and teardown, teardown
 * even after a failure), directory teardown, engine stopped, database dropped. Groups run in
 * parallel (`jobs`), since they share nothing.
 *
 * Against an already-running server (`engineUrl`) the runner cannot restart it: groups run one
 * after the other and, unless `resetExternal` is false, each starts with `clear_metadata` and a
 * `run_sql` that recreates the `public` and `hge_tests` schemas and the extensions.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { compareResponse, type KeyOrder, type Verdict } from './compare.ts';
import {
  DatabaseFactory,
  dropStaleDatabases,
  inspectServer,
  type ServerInfo,
} from './environment.ts';
import {
  EngineStartError,
  ExternalLauncher,
  HostLauncher,
  InProcessLauncher,
  SpawnLauncher,
  type EngineHandle,
  type EngineLauncher,
} from './engine-launcher.ts';
import { headerValue, postJson, sendCase, type PostResult } from './http-client.ts';
import {
  caseId,
  loadManifest,
  matchesOnly,
  resolveDirs,
  type CaseGroup,
  type CaseKind,
  type CaseStep,
  type ManifestCase,
  type ManifestScenario,
  type ResolvedDir,
  type Transport,
} from './manifest.ts';
import { aroundCaseFile, pythonCheck } from './python-checks.ts';
import { addSourceRequest, extraSources, type ExtraSources } from './extra-sources.ts';
import { ALLOWLIST_SCENARIOS, runAllowlistScenario } from './allowlist-scenarios.ts';
import { INHERITED_ROLE_SCENARIOS, runInheritedRoleScenario } from './inherited-roles-scenarios.ts';
import { probeWebSocket, replayApollo, type ProbeResult } from './websocket.ts';
import {
  basicProtocolScenarios,
  liveQueriesScenario,
  streamingExtraScenarios,
  streamingStepsScenario,
  type Outcome,
  type ScenarioEnv,
} from './ws-scenarios.ts';
import { loadYaml, type Json } from './yaml-load.ts';
import { EventReceiver } from './events/receiver.ts';
import { ActionHandler } from './actions/handler.ts';
import { ACTION_SCENARIOS } from './actions/scenarios.ts';
import { runApiScenario } from './api-scenarios.ts';
import { AuthHook } from './auth-hook.ts';
import {
  cronTriggerScenarios,
  EVENT_SCENARIOS,
  SCHEDULED_SCENARIOS,
  type EventsEnv,
  type Outcome as EventOutcome,
} from './events/scenarios.ts';

export interface RunOptions {
  /** The cases folder (with manifest.json). */
  casesDir: string;
  /** Directory globs to run (all when empty). */
  only?: string[];
  /** Maintenance database URL of the Postgres server the group databases are created on. */
  databaseUrl: string;
  /** Use this running server instead of starting engines. */
  engineUrl?: string;
  /**
   * How engines are started: `host` (default; fresh engines in long-lived helper processes),
   * `spawn` (a new `engine/src/main.ts` process per group) or `in-process` (in this process).
   */
  engine?: 'host' | 'spawn' | 'in-process';
  /** Repository root (for engine/src/main.ts). */
  repoRoot: string;
  /** Groups run at the same time (default 3; 1 against an external server). */
  jobs?: number;
  /** Start engines with this admin secret and send it; also check that requests without it fail. */
  adminSecret?: string;
  /** Against an external server: reset it between groups (default true). */
  resetExternal?: boolean;
  /** Called as each group finishes, with its results (for streaming output). */
  onGroupDone?: (results: CaseResult[], group: GroupReport) => void;
  /** Progress messages. */
  log?: (message: string) => void;
  engineStartTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Keep request and response bodies in the results (for --json). */
  keepBodies?: boolean;
}

/** How a case counts: scored, or one of the README's separately scored metadata categories. */
export type CaseCategory = 'scored' | 'unreferenced' | 'xfail_upstream' | 'skip';

export interface CaseResult {
  id: string;
  dir: string;
  /** 1 for `manifest.json`, 2 for `manifest-wave2.json`: the summary counts each wave apart. */
  wave: number;
  file: string;
  index: number;
  transport: Transport;
  kind: CaseKind;
  pyClass: string | null;
  description?: string;
  category: CaseCategory;
  status: 'pass' | 'fail' | 'skip';
  /** Strict comparison (exact errors). */
  strict: boolean;
  /** Upstream's harness would pass it (error versus error is only a warning). */
  upstream: boolean;
  keyOrder: KeyOrder;
  keyOrderDetail?: string;
  reason?: string;
  diffs?: string[];
  /** `X-Hasura-Role: admin` was added to a case without headers (upstream does this at random). */
  adminRoleHeader?: boolean;
  durationMs: number;
  request?: { url: string; headers: Record<string, string>; body: unknown };
  response?: { status: number; body: unknown };
}

export interface GroupReport {
  dir: string;
  pyClass: string | null;
  /** Why the group could not run (engine start, directory setup). */
  setupError?: string;
  teardownErrors: string[];
  engineLog?: string;
  durationMs: number;
  /** Database clone plus engine start, in ms. */
  startMs?: number;
}

export interface RunResult {
  startedAt: string;
  durationMs: number;
  casesDir: string;
  mode: EngineLauncher['kind'];
  fullRun: boolean;
  server?: ServerInfo;
  websocket?: ProbeResult;
  cases: CaseResult[];
  groups: GroupReport[];
}

export class HarnessError extends Error {
  override name = 'HarnessError';
}

const WS_NOT_SERVED = 'websocket transport not yet served';

function wsNotServed(probe: ProbeResult | undefined): string {
  return `${WS_NOT_SERVED}${probe?.reason ? ` (${probe.reason})` : ''}`;
}

interface Unit {
  dir: ResolvedDir;
  group: CaseGroup;
}

/** Run every selected group and return the results in manifest order. */
export async function runConformance(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const casesDir = path.resolve(opts.casesDir);
  if (!fs.existsSync(path.join(casesDir, 'manifest.json'))) {
    throw new HarnessError(`no manifest.json in ${casesDir}`);
  }
  const manifest = loadManifest(casesDir);
  const only = opts.only ?? [];
  const dirs = resolveDirs(casesDir, manifest).filter((d) => matchesOnly(d.id, only));
  if (dirs.length === 0) throw new HarnessError(`no directory matches ${only.join(', ')}`);
  const units: Unit[] = dirs.flatMap((dir) => dir.groups.map((group) => ({ dir, group })));

  const external = opts.engineUrl !== undefined;
  const launcher: EngineLauncher = external
    ? new ExternalLauncher(opts.engineUrl as string)
    : opts.engine === 'in-process'
      ? new InProcessLauncher(opts.repoRoot)
      : opts.engine === 'spawn'
        ? new SpawnLauncher(opts.repoRoot)
        : new HostLauncher(opts.repoRoot);

  let server: ServerInfo | undefined;
  let factory: DatabaseFactory | undefined;
  if (!external) {
    try {
      server = await inspectServer(opts.databaseUrl);
    } catch (e) {
      throw new HarnessError(
        `cannot reach the database server at ${redact(opts.databaseUrl)}: ${(e as Error).message}`,
      );
    }
    if (!server.enUsLocale) {
      opts.log?.(
        'warning: the database server lacks the en_US.utf-8 locale; setups that SET lc_monetary will fail (see README.md)',
      );
    }
    if (!server.postgis) opts.log?.('warning: PostGIS is not available on the database server');
    const stale = await dropStaleDatabases(opts.databaseUrl);
    if (stale.length > 0)
      opts.log?.(`dropped ${stale.length} database(s) left by an interrupted run`);
    factory = new DatabaseFactory(opts.databaseUrl);
  }

  const ctx: RunContext = {
    opts,
    launcher,
    factory,
    server,
    wsProbe: undefined,
  };
  const jobs = external ? 1 : Math.max(1, opts.jobs ?? 3);
  const outputs: Array<{ results: CaseResult[]; report: GroupReport }> = new Array(units.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < units.length) {
        const i = next++;
        const unit = units[i] as Unit;
        const out = await runUnit(ctx, unit);
        outputs[i] = out;
        opts.onGroupDone?.(out.results, out.report);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, units.length) }, worker));
  } finally {
    await launcher.close?.().catch(() => {});
    await factory?.close();
  }

  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    casesDir,
    mode: launcher.kind,
    fullRun: only.length === 0,
    ...(server ? { server } : {}),
    ...(ctx.wsProbe ? { websocket: ctx.wsProbe } : {}),
    cases: outputs.flatMap((o) => o.results),
    groups: outputs.map((o) => o.report),
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

interface RunContext {
  opts: RunOptions;
  launcher: EngineLauncher;
  factory: DatabaseFactory | undefined;
  server: ServerInfo | undefined;
  /** The first WebSocket probe's outcome (for the report). */
  wsProbe: ProbeResult | undefined;
}

/** What a group needs while its cases run. */
interface GroupContext {
  run: RunContext;
  dir: ResolvedDir;
  group: CaseGroup;
  engine: EngineHandle;
  ws: ProbeResult | undefined;
  /** The webhook receiver of event / scheduled trigger directories. */
  receiver?: EventReceiver;
  /** The action handler of action directories (ACTIONS.md). */
  handler?: ActionHandler;
  /** The engine's admin secret: `--admin-secret`, or one of our own where upstream sets one. */
  secret?: string;
  /** The auth hook of `auth-hook:request-echo` directories. */
  authHook?: AuthHook;
  /** The group's database ('' against an external server). */
  databaseUrl: string;
}

function categoryOf(c: ManifestCase): CaseCategory {
  if (c.skip !== undefined) return 'skip';
  if (c.xfail_upstream) return 'xfail_upstream';
  if (c.unreferenced) return 'unreferenced';
  return 'scored';
}

function blank(
  dir: ResolvedDir,
  group: CaseGroup,
  c: ManifestCase,
  index: number,
  transport: Transport,
): CaseResult {
  return {
    id: caseId(dir.id, c.file, index, transport),
    dir: dir.id,
    wave: dir.manifest.wave ?? 1,
    file: c.file,
    index,
    transport,
    kind: c.kind,
    pyClass: group.pyClass,
    category: categoryOf(c),
    status: 'fail',
    strict: false,
    upstream: false,
    keyOrder: 'not-checked',
    durationMs: 0,
  };
}

/** Results for every item of every transport of a case file, all with the same outcome. */
function uniform(
  dir: ResolvedDir,
  group: CaseGroup,
  c: ManifestCase,
  status: 'fail' | 'skip',
  reason: string,
): CaseResult[] {
  const transports =
    c.kind === 'http-case' ? (c.transports ?? ['http']) : (['http'] as Transport[]);
  const out: CaseResult[] = [];
  for (const t of transports) {
    for (let i = 0; i < c.n_cases; i++) out.push({ ...blank(dir, group, c, i, t), status, reason });
  }
  return out;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

async function runUnit(
  ctx: RunContext,
  unit: Unit,
): Promise<{ results: CaseResult[]; report: GroupReport }> {
  const { dir, group } = unit;
  const started = Date.now();
  const report: GroupReport = {
    dir: dir.id,
    pyClass: group.pyClass,
    teardownErrors: [],
    durationMs: 0,
  };
  const results: CaseResult[] = [];
  // every case of the group fails for `reason`, except what would be skipped anyway
  let ws: ProbeResult | undefined;
  const failAll = (reason: string) => {
    for (const sc of group.scenarios)
      results.push(scenarioFailure(dir, group, sc.id, reason, sc.skip));
    for (const c of group.cases) {
      if (c.skip !== undefined) {
        results.push(...uniform(dir, group, c, 'skip', c.skip));
        continue;
      }
      const wsMissing = ws !== undefined && !ws.served;
      if (c.kind === 'ws-scenario' && wsMissing) {
        results.push(...uniform(dir, group, c, 'skip', wsNotServed(ws)));
        continue;
      }
      for (const r of uniform(dir, group, c, 'fail', reason)) {
        results.push(
          r.transport !== 'http' && wsMissing
            ? { ...r, status: 'skip', reason: wsNotServed(ws) }
            : r,
        );
      }
    }
  };

  // cases that do not need a server at all
  const runnable = group.cases.filter((c) => c.skip === undefined);
  if (runnable.length === 0 && group.scenarios.every((sc) => sc.skip !== undefined)) {
    failAll('');
    report.durationMs = Date.now() - started;
    return { results, report };
  }

  const env = groupEnv(dir, group);
  // upstream runs some directories with an admin secret (their cases then send none on purpose)
  const secret =
    ctx.opts.adminSecret ??
    (dir.adminSecret ? `conformance-${crypto.randomBytes(9).toString('hex')}` : undefined);
  if (secret) env.HASURA_GRAPHQL_ADMIN_SECRET = secret;

  let db: Awaited<ReturnType<DatabaseFactory['create']>> | undefined;
  const extraDbs: Array<Awaited<ReturnType<DatabaseFactory['create']>>> = [];
  const extra = extraSources(dir.manifest, group.pyClass);
  let engine: EngineHandle | undefined;
  // event and scheduled triggers call back into a receiver the scenarios read (EVENTS.md)
  const servers = dir.manifest.servers ?? [];
  const receiver =
    servers.includes('event-receiver') || servers.includes('scheduled-event-receiver')
      ? new EventReceiver()
      : undefined;
  // action directories call a handler that calls back into the engine (ACTIONS.md)
  const handler = servers.includes('action-handler') ? new ActionHandler(secret) : undefined;
  // an auth hook in POST mode that echoes what it receives (GRAPHQL-EXTRAS.md)
  const authHook = servers.includes('auth-hook:request-echo') ? new AuthHook() : undefined;
  try {
    if (receiver) {
      const url = await receiver.start();
      if (servers.includes('event-receiver')) env.EVENT_WEBHOOK_HANDLER = url;
    }
    if (handler) env.ACTION_WEBHOOK_HANDLER = await handler.start();
    if (authHook) {
      env.HASURA_GRAPHQL_AUTH_HOOK = await authHook.start();
      env.HASURA_GRAPHQL_AUTH_HOOK_MODE = 'POST';
    }
    try {
      if (ctx.factory) {
        db = await ctx.factory.create({
          postgis: dir.needsPostgis && ctx.server?.postgis === true,
        });
        for (const name of extra.envVars) {
          const more = await ctx.factory.create({ postgis: false });
          extraDbs.push(more);
          env[name] = more.url;
        }
      }
      engine = await ctx.launcher.start({
        databaseUrl: db?.url ?? '',
        env,
        ...(ctx.opts.engineStartTimeoutMs ? { timeoutMs: ctx.opts.engineStartTimeoutMs } : {}),
      });
      report.startMs = Date.now() - started;
      if (handler) handler.engineUrl = engine.url;
    } catch (e) {
      const msg = e instanceof EngineStartError ? e.message : ((e as Error).stack ?? String(e));
      report.setupError = `engine failed to start: ${firstLine(msg)}`;
      report.engineLog = msg;
      failAll(report.setupError);
      return { results, report };
    }

    const needsWs = group.cases.some(
      (c) => c.kind === 'ws-scenario' || (c.transports ?? []).some((t) => t !== 'http'),
    );
    if (needsWs) {
      ws = await probeWebSocket(engine.url, adminHeaders({ secret }));
      ctx.wsProbe ??= ws;
    }
    const g: GroupContext = {
      run: ctx,
      dir,
      group,
      engine,
      ws,
      ...(receiver ? { receiver } : {}),
      ...(handler ? { handler } : {}),
      ...(secret ? { secret } : {}),
      ...(authHook ? { authHook } : {}),
      databaseUrl: db?.url ?? '',
    };

    if (ctx.launcher.kind === 'external' && ctx.opts.resetExternal !== false) {
      const problem = await resetExternal(g);
      if (problem) {
        report.setupError = `reset of the external server failed: ${problem}`;
        failAll(report.setupError);
        return { results, report };
      }
    }

    const setupProblem = (await addExtraSources(g, extra)) ?? (await directorySetup(g));
    if (setupProblem) {
      report.setupError = `setup failed: ${setupProblem}`;
      report.engineLog = engine.logTail();
      failAll(report.setupError);
      return { results, report };
    }
    for (const c of group.cases) results.push(...(await runCaseFile(g, c)));
    if (ws?.served) results.push(...(await extraScenarios(g)));
    results.push(...(await eventScenarios(g)));
    results.push(...(await actionScenarios(g)));
    results.push(...(await graphqlExtrasScenarios(g)));
    results.push(...(await apiScenarios(g)));
    report.teardownErrors.push(...(await directoryTeardown(g)));
    if (results.some((r) => r.status === 'fail')) report.engineLog = engine.logTail();
  } finally {
    await engine?.stop().catch(() => {});
    await receiver?.stop().catch(() => {});
    await handler?.stop().catch(() => {});
    await authHook?.stop().catch(() => {});
    for (const d of [db, ...extraDbs])
      await d
        ?.drop()
        .catch((e: Error) => report.teardownErrors.push(`drop database: ${e.message}`));
    report.durationMs = Date.now() - started;
  }
  return { results, report };
}

/** The engine settings of a group: the directory's, or its class's own (`py_class_env`). */
function groupEnv(dir: ResolvedDir, group: CaseGroup): Record<string, string> {
  const own = group.pyClass ? dir.manifest.py_class_env?.[group.pyClass]?.hge_env : undefined;
  if (!own) return { ...dir.env };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(own)) if (v !== null) env[k] = v;
  return env;
}

function adminHeaders(g: { secret?: string | undefined }): Record<string, string> {
  return g.secret ? { 'X-Hasura-Admin-Secret': g.secret } : {};
}

function summarize(res: PostResult): string {
  const b = res.body as Record<string, unknown> | undefined;
  if (b && typeof b === 'object' && !Array.isArray(b)) {
    if (typeof b.error === 'string') {
      const internal = b.internal as { error?: { message?: unknown } } | undefined;
      const detail =
        typeof internal?.error?.message === 'string' ? `: ${internal.error.message}` : '';
      return `${b.error}${detail} [${String(b.code)} at ${String(b.path)}]`;
    }
    if (Array.isArray(b.errors)) return JSON.stringify(b.errors[0]).slice(0, 300);
  }
  return res.text.slice(0, 300);
}

/** POST a setup or teardown file; undefined when it answered 200. */
async function postFile(
  g: GroupContext,
  file: string,
  endpoint: string,
): Promise<string | undefined> {
  const full = path.join(g.dir.absPath, file);
  let body: Json;
  try {
    body = loadYaml(fs.readFileSync(full, 'utf8'));
  } catch (e) {
    return `${file}: ${(e as Error).message}`;
  }
  try {
    const res = await postJson(
      g.engine.url,
      endpoint,
      body,
      adminHeaders(g),
      g.run.opts.requestTimeoutMs,
    );
    return res.status === 200
      ? undefined
      : `${file} → ${endpoint} answered ${res.status}: ${summarize(res)}`;
  } catch (e) {
    return `${file} → ${endpoint}: ${(e as Error).message}`;
  }
}

function exists(g: GroupContext, file: string): boolean {
  return fs.existsSync(path.join(g.dir.absPath, file));
}

/** The sources upstream's fixture adds before the directory setup (extra-sources.ts). */
async function addExtraSources(g: GroupContext, extra: ExtraSources): Promise<string | undefined> {
  for (const source of extra.sources) {
    const res = await postJson(
      g.engine.url,
      '/v1/metadata',
      addSourceRequest(source),
      adminHeaders(g),
    );
    if (res.status !== 200)
      return `pg_add_source ${source.name} answered ${res.status}: ${summarize(res)}`;
  }
  return undefined;
}

async function directorySetup(g: GroupContext): Promise<string | undefined> {
  const { style, api } = g.dir;
  if (style === 'per_dir') {
    if (api === 'v2') {
      return (
        (exists(g, 'schema_setup.yaml')
          ? await postFile(g, 'schema_setup.yaml', '/v2/query')
          : undefined) ??
        (exists(g, 'setup.yaml') ? await postFile(g, 'setup.yaml', '/v1/metadata') : undefined)
      );
    }
    return exists(g, 'setup.yaml') ? postFile(g, 'setup.yaml', '/v1/query') : undefined;
  }
  if (style === 'mutation') {
    // v2 (README): schema_setup.yaml → /v2/query, then setup.yaml → /v1/metadata
    if (api === 'v2')
      return (
        (exists(g, 'schema_setup.yaml')
          ? await postFile(g, 'schema_setup.yaml', '/v2/query')
          : undefined) ??
        (exists(g, 'setup.yaml') ? await postFile(g, 'setup.yaml', '/v1/metadata') : undefined)
      );
    return exists(g, 'schema_setup.yaml')
      ? postFile(g, 'schema_setup.yaml', '/v1/query')
      : undefined;
  }
  return undefined;
}

async function directoryTeardown(g: GroupContext): Promise<string[]> {
  const { style, api } = g.dir;
  const steps: Array<[string, string]> = [];
  if (style === 'per_dir') {
    if (api === 'v2')
      steps.push(['teardown.yaml', '/v1/metadata'], ['schema_teardown.yaml', '/v2/query']);
    else steps.push(['teardown.yaml', '/v1/query']);
  } else if (style === 'mutation') {
    if (api === 'v2')
      steps.push(['teardown.yaml', '/v1/metadata'], ['schema_teardown.yaml', '/v2/query']);
    else steps.push(['schema_teardown.yaml', '/v1/query']);
  }
  const errors: string[] = [];
  for (const [file, endpoint] of steps) {
    if (!exists(g, file)) continue;
    const problem = await postFile(g, file, endpoint);
    if (problem) errors.push(problem);
  }
  return errors;
}

/** POST files to /v1/query in order, stopping at the first that fails. */
async function postFiles(g: GroupContext, files: string[]): Promise<string | undefined> {
  for (const f of files) {
    const problem = await postFile(g, f, '/v1/query');
    if (problem) return problem;
  }
  return undefined;
}

async function caseSetup(g: GroupContext): Promise<string | undefined> {
  const override = g.dir.manifest.setup_override?.setup;
  if (override && (g.dir.style === 'per_case' || g.dir.style === 'custom'))
    return postFiles(g, override);
  if (g.dir.style === 'per_case' && exists(g, 'setup.yaml'))
    return postFile(g, 'setup.yaml', '/v1/query');
  if (g.dir.style === 'mutation' && exists(g, 'values_setup.yaml')) {
    return postFile(g, 'values_setup.yaml', '/v1/query');
  }
  return undefined;
}

async function caseTeardown(g: GroupContext): Promise<string | undefined> {
  const override = g.dir.manifest.setup_override?.teardown;
  if (override && (g.dir.style === 'per_case' || g.dir.style === 'custom'))
    return postFiles(g, override);
  if (g.dir.style === 'per_case' && exists(g, 'teardown.yaml'))
    return postFile(g, 'teardown.yaml', '/v1/query');
  if (g.dir.style === 'mutation' && exists(g, 'values_teardown.yaml')) {
    return postFile(g, 'values_teardown.yaml', '/v1/query');
  }
  return undefined;
}

async function resetExternal(g: GroupContext): Promise<string | undefined> {
  const headers = adminHeaders(g);
  const base = g.engine.url;
  const clear = await postJson(base, '/v1/metadata', { type: 'clear_metadata', args: {} }, headers);
  if (clear.status !== 200) return `clear_metadata answered ${clear.status}: ${summarize(clear)}`;
  const extensions = [
    'citext',
    'ltree',
    'pgcrypto',
    ...(g.dir.needsPostgis ? ['postgis', 'postgis_topology', 'postgis_raster'] : []),
  ];
  const statements = [
    'DROP SCHEMA IF EXISTS hge_tests CASCADE',
    'DROP SCHEMA IF EXISTS public CASCADE',
    'CREATE SCHEMA public',
    'CREATE SCHEMA hge_tests',
    ...extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${e}`),
  ];
  const reset = await postJson(
    base,
    '/v2/query',
    {
      type: 'run_sql',
      args: { source: 'default', sql: `${statements.join(';\n')};`, cascade: true },
    },
    headers,
  );
  if (reset.status !== 200) return `schema reset answered ${reset.status}: ${summarize(reset)}`;
  return undefined;
}

/** Deterministic stand-in for upstream's coin flip: about half the header-less cases get the header. */
export function addsAdminRoleHeader(id: string): boolean {
  return (crypto.createHash('sha1').update(id).digest()[0] as number) % 2 === 1;
}

function readCaseItems(g: GroupContext, c: ManifestCase): Json[] {
  const doc = loadYaml(fs.readFileSync(path.join(g.dir.absPath, c.file), 'utf8'));
  return Array.isArray(doc) ? doc : [doc];
}

async function runCaseFile(g: GroupContext, c: ManifestCase): Promise<CaseResult[]> {
  const { dir, group } = g;
  if (c.skip !== undefined) return uniform(dir, group, c, 'skip', c.skip);
  const unavailable = (c.needs ?? []).filter((n) =>
    n === 'postgis' ? g.run.server?.postgis === false : (g.run.server?.missing ?? []).includes(n),
  );
  if (unavailable.length > 0) {
    return uniform(
      dir,
      group,
      c,
      'skip',
      `needs ${unavailable.join(', ')}, not available on the database server`,
    );
  }
  if (c.kind === 'ws-scenario') {
    if (!g.ws?.served) return uniform(dir, group, c, 'skip', wsNotServed(g.ws));
    return runScenarioFile(g, c);
  }
  if (c.kind === 'metadata-error') return [await runMetadataError(g, c)];

  const out: CaseResult[] = [];
  for (const transport of c.transports ?? ['http']) {
    if (transport !== 'http' && !g.ws?.served) {
      for (let i = 0; i < c.n_cases; i++) {
        out.push({
          ...blank(dir, group, c, i, transport),
          status: 'skip',
          reason: wsNotServed(g.ws),
        });
      }
      continue;
    }
    let items: Json[];
    try {
      items = readCaseItems(g, c);
    } catch (e) {
      return uniform(dir, group, c, 'fail', `cannot load ${c.file}: ${(e as Error).message}`);
    }
    let setupProblem = (await caseSetup(g)) ?? (await caseSteps(g, c.pre_steps));
    // steps upstream runs in Python around this file (python-checks.ts)
    let restore: (() => Promise<void>) | undefined;
    const around = aroundCaseFile(`${dir.manifest.path}/${c.file}`);
    if (around && !setupProblem) {
      try {
        restore = await around((url, body) =>
          postJson(g.engine.url, url, body, adminHeaders(g), g.run.opts.requestTimeoutMs),
        );
      } catch (e) {
        setupProblem = (e as Error).message;
      }
    }
    try {
      for (let i = 0; i < items.length; i++) {
        const base = blank(dir, group, c, i, transport);
        if (setupProblem) {
          out.push({ ...base, reason: `per-case setup failed: ${setupProblem}` });
          continue;
        }
        const r = await runItem(g, c, items[i] as Json, base, transport);
        if (r) out.push(r);
      }
      const after = setupProblem ? undefined : await caseSteps(g, c.post_steps);
      const last = out[out.length - 1];
      if (after && last) {
        last.status = 'fail';
        last.strict = false;
        last.reason = `${last.reason ? `${last.reason}; ` : ''}post-step failed: ${after}`;
      }
    } finally {
      await restore?.().catch(() => {});
      const problem = await caseTeardown(g);
      if (problem) {
        const last = out[out.length - 1];
        // a failing per-case teardown leaves state behind for the next file: say so on this one
        if (last)
          last.reason = `${last.reason ? `${last.reason}; ` : ''}per-case teardown failed: ${problem}`;
      }
    }
  }
  return out;
}

function scenarioEnv(g: GroupContext): ScenarioEnv {
  return {
    baseUrl: g.engine.url,
    headers: adminHeaders(g),
    dirPath: g.dir.absPath,
    setup: () => caseSetup(g),
    teardown: () => caseTeardown(g),
  };
}

/** A `ws-scenario` file of SUBSCRIPTIONS.md: one result per step. */
async function runScenarioFile(g: GroupContext, c: ManifestCase): Promise<CaseResult[]> {
  const started = performance.now();
  const driver = g.dir.id.endsWith('subscriptions/live_queries')
    ? liveQueriesScenario
    : g.dir.id.endsWith('subscriptions/streaming')
      ? streamingStepsScenario
      : undefined;
  if (!driver)
    return uniform(g.dir, g.group, c, 'skip', 'no SUBSCRIPTIONS.md scenario for this directory');
  let outcomes: Outcome[];
  try {
    outcomes = await driver(scenarioEnv(g));
  } catch (e) {
    return uniform(g.dir, g.group, c, 'fail', (e as Error).message);
  }
  const ms = Math.round((performance.now() - started) / Math.max(1, outcomes.length));
  return outcomes.map((o, i) => scenarioResult(g, c, i, o, ms));
}

function scenarioResult(
  g: GroupContext,
  c: ManifestCase,
  index: number,
  o: Outcome,
  durationMs: number,
  name?: string,
): CaseResult {
  const r = blank(g.dir, g.group, c, index, 'http');
  if (name !== undefined) {
    r.id = `${g.dir.id}/SUBSCRIPTIONS.md#${name}`;
    r.file = 'SUBSCRIPTIONS.md';
    r.transport = 'websocket';
    r.description = `SUBSCRIPTIONS.md scenario ${name}`;
  }
  r.status = o.ok ? 'pass' : 'fail';
  r.strict = o.ok;
  r.upstream = o.ok;
  if (o.reason) r.reason = o.reason;
  r.durationMs = durationMs;
  return r;
}

/** The scenarios of SUBSCRIPTIONS.md that are not manifest cases, as extra results. */
async function extraScenarios(g: GroupContext): Promise<CaseResult[]> {
  const basic = g.dir.id.endsWith('subscriptions/basic');
  const streaming = g.dir.id.endsWith('subscriptions/streaming');
  if (!basic && !streaming) return [];
  const started = performance.now();
  const c: ManifestCase = { file: 'SUBSCRIPTIONS.md', kind: 'ws-scenario', n_cases: 1 };
  const env = basic
    ? { ...scenarioEnv(g), setup: async () => undefined, teardown: async () => undefined }
    : scenarioEnv(g);
  const outcomes = basic
    ? await basicProtocolScenarios(env, g.secret !== undefined)
    : await streamingExtraScenarios(env);
  const ms = Math.round((performance.now() - started) / Math.max(1, outcomes.length));
  return outcomes.map((o, i) => scenarioResult(g, c, i, o, ms, o.name));
}

function isObject(x: unknown): x is Record<string, Json> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function verdictInto(r: CaseResult, v: Verdict): CaseResult {
  r.strict = v.strict;
  r.upstream = v.upstream;
  r.keyOrder = v.keyOrder;
  if (v.keyOrderDetail) r.keyOrderDetail = v.keyOrderDetail;
  r.status = v.strict ? 'pass' : 'fail';
  if (v.reason && !v.strict) r.reason = v.reason;
  if (v.diffs.length > 0 && !v.strict) r.diffs = v.diffs;
  return r;
}

async function runItem(
  g: GroupContext,
  c: ManifestCase,
  item: Json,
  r: CaseResult,
  transport: Transport,
): Promise<CaseResult | undefined> {
  const started = performance.now();
  const fail = (reason: string): CaseResult => {
    r.status = 'fail';
    r.reason = reason;
    return r;
  };
  try {
    if (!isObject(item)) return fail('the case is not a mapping');
    if (typeof item.description === 'string') r.description = item.description;
    const url = item.url;
    if (typeof url !== 'string') return fail('the case has no url');
    if (item.query === undefined) return fail('the case has no query');

    // headers as upstream sends them; `header` (a misspelling in one file) is ignored, so admin
    const headers: Record<string, string> = {};
    if (isObject(item.headers))
      for (const [k, v] of Object.entries(item.headers)) headers[k] = headerValue(v);
    // `check_query_secret` and `add_auth: false` cases are sent with exactly their own headers
    // (ACTIONS.md, GRAPHQL-EXTRAS.md); the latter without the admin secret either
    const exact = c.add_auth === false || item.add_auth === false;
    const auth = exact ? {} : adminHeaders(g);
    if (
      Object.keys(headers).length === 0 &&
      c.runner !== 'check_query_secret' &&
      !exact &&
      addsAdminRoleHeader(r.id)
    ) {
      headers['X-Hasura-Role'] = 'admin';
      r.adminRoleHeader = true;
    }
    const status = typeof item.status === 'number' ? item.status : 200;
    const allowed = Array.isArray(item.allowed_responses)
      ? item.allowed_responses.filter(isObject).map((a) => ({
          response: a.response as Json,
          ...(isObject(a.resp_headers) ? { respHeaders: a.resp_headers } : {}),
        }))
      : undefined;
    const expectation = {
      status,
      ...(item.response !== undefined ? { response: item.response } : {}),
      ...(allowed ? { allowedResponses: allowed } : {}),
      ...(isObject(item.resp_headers) ? { respHeaders: item.resp_headers } : {}),
    };
    const soft = g.dir.manifest.role.includes('legacy');
    const opts = g.run.opts;

    if (transport !== 'http') {
      if (!url.endsWith('/graphql')) {
        // a schema-changing step of the file: replayed over HTTP to keep the state, not scored
        await postJson(
          g.engine.url,
          url,
          item.query,
          { ...headers, ...auth },
          opts.requestTimeoutMs,
        );
        return undefined;
      }
      if (!isObject(item.query)) return fail('a batched request is not replayed over websocket');
      if (item.response === undefined)
        return fail('no expected response to compare over websocket');
      const outcome = await replayApollo(
        g.engine.url,
        url,
        item.query,
        { ...headers, ...auth },
        transport,
      );
      if (!outcome.frame) return fail(outcome.problem ?? 'no payload');
      const expectsErrors =
        isObject(item.response) && ('errors' in item.response || 'error' in item.response);
      if (!expectsErrors && outcome.frame.type !== 'data') {
        return fail(`expected a data frame, got ${JSON.stringify(outcome.frame).slice(0, 300)}`);
      }
      const v = compareResponse(
        { status: 200, response: item.response },
        { status: 200, headers: {}, body: outcome.frame.payload },
        { softErrorMessages: soft, request: item.query },
      );
      verdictInto(r, v);
      if (outcome.problem) {
        r.status = 'fail';
        r.strict = false;
        r.reason = outcome.problem;
      }
      if (opts.keepBodies) r.response = { status: 200, body: outcome.frame.payload };
      return r;
    }

    // with an admin secret, upstream first checks that the request is refused without it
    if (g.secret && !exact) {
      const refusal = await checkRefusedWithoutSecret(g, url, item.query, headers, status);
      if (refusal) return fail(refusal);
    }
    const sent = { ...headers, ...auth };
    // REST endpoint cases name their method and body (ENDPOINTS.md)
    const res =
      typeof item.method === 'string'
        ? await sendCase(g.engine.url, url, item.method, item.body, sent, opts.requestTimeoutMs)
        : await postJson(g.engine.url, url, item.query, sent, opts.requestTimeoutMs);
    if (opts.keepBodies) {
      r.request = { url, headers: sent, body: item.query };
      r.response = { status: res.status, body: res.body };
    }
    // explain: Hasura's own SQL text and plan are not ours to match (GRAPHQL-EXTRAS.md, "Explain")
    if (c.kind === 'explain') {
      if (expectation.response !== undefined)
        expectation.response = explainShape(expectation.response);
      res.body = explainShape(res.body as Json);
    }
    verdictInto(
      r,
      compareResponse(expectation, res, { softErrorMessages: soft, request: item.query }),
    );
    if (r.status === 'pass' && c.python_side_asserts) {
      const check = pythonCheck(`${g.dir.manifest.path}/${c.file}`);
      const problem = check?.(res.body);
      if (problem) {
        r.status = 'fail';
        r.strict = false;
        r.upstream = false;
        r.reason = problem;
      }
    }
    return r;
  } catch (e) {
    return fail((e as Error).message);
  } finally {
    r.durationMs = Math.round(performance.now() - started);
  }
}

/**
 * An explain answer as upstream compares it: only its SQL (`response[0].sql`, or `response.sql`
 * for a subscription), and that only for presence — the text is Hasura's own generated SQL.
 */
function explainShape(body: Json): Json {
  const one = (x: Json): Json =>
    isObject(x)
      ? {
          ...(x.field !== undefined ? { field: x.field } : {}),
          sql: typeof x.sql === 'string' ? '<sql>' : (x.sql ?? null),
        }
      : x;
  return Array.isArray(body) ? body.map(one) : one(body);
}

async function checkRefusedWithoutSecret(
  g: GroupContext,
  url: string,
  body: Json,
  headers: Record<string, string>,
  expectedStatus: number,
): Promise<string | undefined> {
  const graphql = url === '/v1/graphql' || url === '/v1beta1/relay';
  const allowed = graphql ? [expectedStatus === 404 ? 404 : 200] : [401, 404];
  const random = crypto.randomBytes(30).toString('base64');
  for (const [label, h] of [
    ['without the admin secret', headers],
    ['with a wrong admin secret', { ...headers, 'X-Hasura-Admin-Secret': random }],
  ] as const) {
    const res = await postJson(g.engine.url, url, body, h, g.run.opts.requestTimeoutMs);
    if (!allowed.includes(res.status)) {
      return `${label}: expected status ${allowed.join(' or ')}, got ${res.status} (${summarize(res)})`;
    }
  }
  return undefined;
}

async function runMetadataError(g: GroupContext, c: ManifestCase): Promise<CaseResult> {
  const r = blank(g.dir, g.group, c, 0, 'http');
  const started = performance.now();
  const expect = c.expect as { url: string; status: number; error: string };
  try {
    const body = loadYaml(fs.readFileSync(path.join(g.dir.absPath, c.file), 'utf8'));
    const res = await postJson(
      g.engine.url,
      expect.url,
      body,
      adminHeaders(g),
      g.run.opts.requestTimeoutMs,
    );
    const error = isObject(res.body) ? res.body.error : undefined;
    const statusOk = res.status === expect.status;
    r.strict = statusOk && error === expect.error;
    r.upstream = statusOk && error !== undefined;
    r.status = r.strict ? 'pass' : 'fail';
    if (!statusOk)
      r.reason = `status: expected ${expect.status}, got ${res.status} (${summarize(res)})`;
    else if (!r.strict)
      r.reason = `error: expected ${JSON.stringify(expect.error)}, got ${JSON.stringify(error)}`;
    if (g.run.opts.keepBodies) r.response = { status: res.status, body: res.body };
  } catch (e) {
    r.reason = (e as Error).message;
  }
  r.durationMs = Math.round(performance.now() - started);
  return r;
}

function scenarioFailure(
  dir: ResolvedDir,
  group: CaseGroup,
  id: string,
  reason: string,
  skip?: string,
): CaseResult {
  const c: ManifestCase = { file: dir.manifest.doc ?? 'EVENTS.md', kind: 'scenario', n_cases: 1 };
  const r = blank(dir, group, c, 0, 'http');
  r.id = `${dir.id}/${c.file}#${id}`;
  r.description = `${c.file} scenario ${id}`;
  r.status = skip !== undefined ? 'skip' : 'fail';
  r.reason = skip ?? reason;
  if (skip !== undefined) r.category = 'skip';
  return r;
}

/** What upstream's Python sends around a case file (`pre_steps`, `post_steps`), as admin. */
async function caseSteps(g: GroupContext, steps: CaseStep[] = []): Promise<string | undefined> {
  for (const step of steps) {
    const body = step.file
      ? loadYaml(fs.readFileSync(path.join(g.dir.absPath, step.file), 'utf8'))
      : step.body;
    const res = await postJson(g.engine.url, step.url, body, adminHeaders(g));
    if (res.status !== step.status)
      return `step ${step.file ?? step.url} answered ${res.status}: ${summarize(res)}`;
  }
  return undefined;
}

/** A scenario driver's outcome as the case result of scenario `id`, timed from `started`. */
function scenarioOutcome(
  g: GroupContext,
  id: string,
  o: { ok: boolean; reason?: string },
  started: number,
): CaseResult {
  const r = scenarioFailure(g.dir, g.group, id, o.reason ?? '');
  r.status = o.ok ? 'pass' : 'fail';
  r.strict = o.ok;
  r.upstream = o.ok;
  if (o.ok) delete r.reason;
  r.durationMs = Math.round(performance.now() - started);
  return r;
}

/** The Python-only scenarios of ACTIONS.md for this group, one result each. */
async function actionScenarios(g: GroupContext): Promise<CaseResult[]> {
  if (!g.handler) return [];
  const out: CaseResult[] = [];
  for (const sc of g.group.scenarios) {
    if (typeof sc.skip === 'string') {
      out.push(scenarioFailure(g.dir, g.group, sc.id, '', sc.skip));
      continue;
    }
    const scenario = ACTION_SCENARIOS[`${g.dir.manifest.path}#${sc.id}`];
    const started = performance.now();
    const o = scenario
      ? await scenario({
          baseUrl: g.engine.url,
          headers: adminHeaders(g),
          dirPath: g.dir.absPath,
          setup: () => caseSetup(g),
          teardown: () => caseTeardown(g),
        }).catch((e: unknown) => ({ ok: false, reason: (e as Error).message }))
      : { ok: false, reason: `no scenario driver for ${sc.id}` };
    out.push(scenarioOutcome(g, sc.id, o, started));
  }
  return out;
}

/** GRAPHQL-EXTRAS.md's Python-only scenarios: the ids each driver knows, and how to run one. */
const GRAPHQL_EXTRAS: Array<
  [ids: Record<string, unknown>, run: typeof runAllowlistScenario | typeof runInheritedRoleScenario]
> = [
  [ALLOWLIST_SCENARIOS, runAllowlistScenario],
  [INHERITED_ROLE_SCENARIOS, runInheritedRoleScenario],
];

/** The Python-only scenarios of GRAPHQL-EXTRAS.md for this group, one result each. */
async function graphqlExtrasScenarios(g: GroupContext): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const sc of g.group.scenarios) {
    const run = GRAPHQL_EXTRAS.find(([ids]) => sc.id in ids)?.[1];
    if (!run) continue;
    if (typeof sc.skip === 'string') {
      out.push(scenarioFailure(g.dir, g.group, sc.id, '', sc.skip));
      continue;
    }
    const started = performance.now();
    const o = await run(sc.id, { baseUrl: g.engine.url, headers: adminHeaders(g) });
    const r = scenarioFailure(g.dir, g.group, sc.id, o?.reason ?? '');
    r.status = o?.ok ? 'pass' : 'fail';
    r.strict = o?.ok === true;
    r.upstream = o?.ok === true;
    if (o?.ok) delete r.reason;
    r.durationMs = Math.round(performance.now() - started);
    out.push(r);
  }
  return out;
}

/** Extra scenarios of a directory that are upstream checks of a case file, not manifest scenarios. */
const FOLLOW_UP_SCENARIOS: Record<string, string[]> = {
  'event_triggers/transform': ['TestEventTransform.test_basic'],
};

/** The Python-only scenarios of EVENTS.md for this group, one result each. */
async function eventScenarios(g: GroupContext): Promise<CaseResult[]> {
  const receiver = g.receiver;
  const names = [
    ...g.group.scenarios,
    ...(FOLLOW_UP_SCENARIOS[g.dir.manifest.path] ?? [])
      .filter((id) => id.startsWith(`${g.group.pyClass}.`))
      .map((id) => ({ id, py_class: g.group.pyClass ?? '', py_test: id.split('.')[1] ?? '' })),
  ];
  if (!names.length || !receiver) return [];
  const env: EventsEnv = {
    baseUrl: g.engine.url,
    headers: adminHeaders(g),
    dirPath: g.dir.absPath,
    receiver,
    setup: () => caseSetup(g),
    teardown: () => caseTeardown(g),
  };
  const out: CaseResult[] = [];
  const record = (id: string, o: EventOutcome, ms: number) => {
    const r = scenarioFailure(g.dir, g.group, id, o.reason ?? '');
    r.status = o.ok ? 'pass' : 'fail';
    r.strict = o.ok;
    r.upstream = o.ok;
    if (o.ok) delete r.reason;
    r.durationMs = ms;
    out.push(r);
  };
  if (g.group.pyClass === 'TestCronTrigger') {
    const started = performance.now();
    const outcomes = await cronTriggerScenarios(env);
    const ms = Math.round((performance.now() - started) / Math.max(1, outcomes.length));
    for (const [id, o] of outcomes) record(id, o, ms);
    return out;
  }
  for (const sc of names as ManifestScenario[]) {
    if (typeof sc.skip === 'string') {
      out.push(scenarioFailure(g.dir, g.group, sc.id, '', sc.skip));
      continue;
    }
    const key = `${g.dir.manifest.path}#${sc.id}`;
    const scenario = EVENT_SCENARIOS[key] ?? SCHEDULED_SCENARIOS[key];
    const started = performance.now();
    const outcome: EventOutcome = scenario
      ? await scenario(env).catch((e: unknown) => ({ ok: false, reason: (e as Error).message }))
      : { ok: false, reason: `no scenario driver for ${sc.id}` };
    record(sc.id, outcome, Math.round(performance.now() - started));
  }
  return out;
}

/**
 * The Python-only scenarios of V1.md, GRAPHQL-EXTRAS.md and SUBSCRIPTIONS.md (api-scenarios.ts):
 * every scenario of the group that no event, action or GRAPHQL_EXTRAS driver takes, one result each.
 */
async function apiScenarios(g: GroupContext): Promise<CaseResult[]> {
  if (g.receiver || g.handler) return [];
  const out: CaseResult[] = [];
  for (const sc of g.group.scenarios) {
    if (GRAPHQL_EXTRAS.some(([ids]) => sc.id in ids)) continue;
    if (typeof sc.skip === 'string') {
      out.push(scenarioFailure(g.dir, g.group, sc.id, '', sc.skip));
      continue;
    }
    const key = `${g.dir.manifest.path}#${sc.id}`;
    const started = performance.now();
    const o = await runApiScenario(key, {
      baseUrl: g.engine.url,
      headers: adminHeaders(g),
      dirPath: g.dir.absPath,
      databaseUrl: g.databaseUrl,
      setup: () => caseSetup(g),
      teardown: () => caseTeardown(g),
      ...(g.authHook ? { authHook: g.authHook } : {}),
    });
    out.push(scenarioOutcome(g, sc.id, o, started));
  }
  return out;
}
