/**
 * Starting and stopping the engine under test. The runner only talks to it over HTTP (and
 * WebSocket), so three launchers exist:
 *
 * - `spawn` (default): `node --import tsx engine/src/main.ts` as a child process, on a free port,
 *   with Hasura's settings for the group's fresh database (see `engineEnv`);
 * - `in-process`: `startEngine(loadConfig(env))` from engine/src/server.ts in this process;
 * - `external`: a server that is already running at a URL (nothing is started or stopped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface EngineHandle {
  url: string;
  /** The last lines the engine wrote (spawned engines only). */
  logTail(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  databaseUrl: string;
  /** Extra environment (the directory's `hge_env`, the admin secret). */
  env: Record<string, string>;
  /** How long to wait for /healthz. */
  timeoutMs?: number;
}

export interface EngineLauncher {
  readonly kind: 'spawn' | 'in-process' | 'external';
  start(opts: StartOptions): Promise<EngineHandle>;
}

export class EngineStartError extends Error {
  override name = 'EngineStartError';
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The environment an engine under test gets: the parent's environment without any Hasura or
 * database setting (a developer's own admin secret must not leak in), then the group's settings.
 */
export function engineEnv(
  base: NodeJS.ProcessEnv,
  databaseUrl: string,
  port: number,
  extra: Record<string, string>,
) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (k.startsWith('HASURA_GRAPHQL_') || k === 'PG_DATABASE_URL' || k === 'DATABASE_URL')
      continue;
    env[k] = v;
  }
  Object.assign(env, {
    HASURA_GRAPHQL_DATABASE_URL: databaseUrl,
    HASURA_GRAPHQL_METADATA_DATABASE_URL: databaseUrl,
    PG_DATABASE_URL: databaseUrl,
    HASURA_GRAPHQL_SERVER_HOST: '127.0.0.1',
    HASURA_GRAPHQL_SERVER_PORT: String(port),
    HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES: 'true',
    HASURA_GRAPHQL_ENABLE_CONSOLE: 'false',
    ...extra,
  });
  return env;
}

async function waitHealthy(
  url: string,
  deadline: number,
  exited: () => string | undefined,
): Promise<void> {
  let last = 'no answer';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone !== undefined) throw new EngineStartError(gone);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `/healthz answered ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new EngineStartError(`engine not healthy in time (${last})`);
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a runner that is interrupted must not leave engines behind
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export class SpawnLauncher implements EngineLauncher {
  readonly kind = 'spawn';
  constructor(
    private readonly repoRoot: string,
    private readonly entry = 'engine/src/main.ts',
  ) {}

  async start(opts: StartOptions): Promise<EngineHandle> {
    installExitHook();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = engineEnv(process.env, opts.databaseUrl, port, opts.env);
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: this.repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
        if (lines.length > 200) lines.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exit: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        exit = `engine exited (${signal ?? `code ${code}`})`;
        resolve();
      });
      child.once('error', (e) => {
        live.delete(child);
        exit = `engine could not be spawned: ${e.message}`;
        resolve();
      });
    });
    const logTail = () => lines.slice(-30).join('\n');
    const stop = async () => {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    };
    try {
      await waitHealthy(url, Date.now() + (opts.timeoutMs ?? 90_000), () =>
        exit === undefined ? undefined : `${exit}\n${logTail()}`,
      );
    } catch (e) {
      await stop();
      if (e instanceof EngineStartError && !e.message.includes('\n')) {
        throw new EngineStartError(`${e.message}\n${logTail()}`);
      }
      throw e;
    }
    return { url, logTail, stop };
  }
}

interface StartedEngine {
  url?: string;
  port?: number;
  close(): Promise<void> | void;
}

/** Runs the engine in this process through engine/src/server.ts `startEngine`. */
export class InProcessLauncher implements EngineLauncher {
  readonly kind = 'in-process';
  constructor(private readonly repoRoot: string) {}

  async start(opts: StartOptions): Promise<EngineHandle> {
    const port = await freePort();
    const env = engineEnv(process.env, opts.databaseUrl, port, opts.env);
    const configModule = pathToFileURL(path.join(this.repoRoot, 'engine/src/config.ts')).href;
    const serverModule = pathToFileURL(path.join(this.repoRoot, 'engine/src/server.ts')).href;
    let engine: StartedEngine;
    try {
      const { loadConfig } = (await import(configModule)) as {
        loadConfig: (env: NodeJS.ProcessEnv) => unknown;
      };
      const { startEngine } = (await import(serverModule)) as {
        startEngine: (config: unknown) => Promise<StartedEngine>;
      };
      engine = await startEngine(loadConfig(env));
    } catch (e) {
      throw new EngineStartError(
        `in-process engine failed to start: ${(e as Error).stack ?? String(e)}`,
      );
    }
    const url = engine.url ?? `http://127.0.0.1:${engine.port ?? port}`;
    try {
      await waitHealthy(url, Date.now() + (opts.timeoutMs ?? 90_000), () => undefined);
    } catch (e) {
      await engine.close();
      throw e;
    }
    return {
      url: url.replace(/\/+$/, ''),
      logTail: () => '',
      stop: async () => void (await engine.close()),
    };
  }
}

/** A server started by someone else: the runner cannot reset or restart it. */
export class ExternalLauncher implements EngineLauncher {
  readonly kind = 'external';
  constructor(private readonly url: string) {}

  async start(opts: StartOptions): Promise<EngineHandle> {
    const url = this.url.replace(/\/+$/, '');
    await waitHealthy(url, Date.now() + (opts.timeoutMs ?? 10_000), () => undefined);
    return { url, logTail: () => '', stop: async () => {} };
  }
}
