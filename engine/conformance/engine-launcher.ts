/**
 * Starting and stopping the engine under test. The runner only talks to it over HTTP (and
 * WebSocket), so several launchers exist:
 *
 * - `host` (default): one long-lived child process per parallel job (engine-host.ts) loads the
 *   engine once and starts a fresh engine for each group, on a free port, with Hasura's settings
 *   for the group's database (see `engineEnv`); each engine still runs apart from the runner;
 * - `spawn`: `node --import tsx engine/src/main.ts`, a new process for every group (slowest, the
 *   exact production entry point);
 * - `in-process`: `startEngine(loadConfig(env))` from engine/src/server.ts in this process;
 * - `external`: a server that is already running at a URL (nothing is started or stopped).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
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
  readonly kind: 'host' | 'spawn' | 'in-process' | 'external';
  start(opts: StartOptions): Promise<EngineHandle>;
  /** Release what the launcher keeps between groups (engine hosts). */
  close?(): Promise<void>;
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
    // one process, many engines: keep their logs to warnings
    const env = engineEnv(process.env, opts.databaseUrl, port, { LOG_LEVEL: 'warn', ...opts.env });
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

interface Host {
  child: ChildProcess;
  lines: string[];
  exit?: string;
  onMessage?: (msg: HostMessage) => void;
}

type HostMessage =
  | { type: 'ready' }
  | { type: 'started'; url: string }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/** Engines in long-lived host processes (engine-host.ts), one engine per host at a time. */
export class HostLauncher implements EngineLauncher {
  readonly kind = 'host';
  private idle: Host[] = [];
  private hosts = new Set<Host>();

  constructor(private readonly repoRoot: string) {}

  private spawnHost(): Promise<Host> {
    installExitHook();
    const script = path.join(this.repoRoot, 'engine', 'conformance', 'engine-host.ts');
    const child = fork(script, [this.repoRoot], {
      cwd: this.repoRoot,
      execArgv: ['--import', 'tsx'],
      env: engineEnv(process.env, '', 0, {}),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    live.add(child);
    const host: Host = { child, lines: [] };
    this.hosts.add(host);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        host.lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
        if (host.lines.length > 200) host.lines.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (msg: HostMessage) => host.onMessage?.(msg));
    child.once('exit', (code, signal) => {
      live.delete(child);
      this.hosts.delete(host);
      this.idle = this.idle.filter((h) => h !== host);
      host.exit = `engine host exited (${signal ?? `code ${code}`})`;
      host.onMessage?.({ type: 'error', message: host.exit });
    });
    return this.request(host, undefined, 'ready', 120_000).then(() => host);
  }

  /** Send a message (if any) and wait for the answer of type `want`. */
  private request(
    host: Host,
    msg: object | undefined,
    want: HostMessage['type'],
    timeoutMs: number,
  ): Promise<HostMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        host.onMessage = undefined;
        reject(new EngineStartError(`engine host: no ${want} within ${timeoutMs} ms`));
      }, timeoutMs);
      host.onMessage = (m) => {
        clearTimeout(timer);
        host.onMessage = undefined;
        if (m.type === want) resolve(m);
        else
          reject(
            new EngineStartError(
              m.type === 'error' ? m.message : `engine host: unexpected ${m.type}`,
            ),
          );
      };
      if (host.exit !== undefined) host.onMessage({ type: 'error', message: host.exit });
      else if (msg) host.child.send(msg);
    });
  }

  async start(opts: StartOptions): Promise<EngineHandle> {
    const host = this.idle.pop() ?? (await this.spawnHost());
    host.lines = [];
    const port = await freePort();
    const env = engineEnv(process.env, opts.databaseUrl, port, opts.env);
    const logTail = () => host.lines.slice(-30).join('\n');
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      if (host.exit !== undefined) return;
      try {
        await this.request(host, { type: 'stop' }, 'stopped', 30_000);
        this.idle.push(host);
      } catch {
        host.child.kill('SIGKILL');
      }
    };
    try {
      const started = (await this.request(
        host,
        { type: 'start', env },
        'started',
        opts.timeoutMs ?? 90_000,
      )) as {
        url: string;
      };
      const url = started.url.replace(/\/+$/, '');
      await waitHealthy(url, Date.now() + (opts.timeoutMs ?? 90_000), () => host.exit);
      return { url, logTail, stop };
    } catch (e) {
      const tail = logTail();
      await stop();
      throw new EngineStartError(`${(e as Error).message}${tail ? `\n${tail}` : ''}`);
    }
  }

  async close(): Promise<void> {
    const all = [...this.hosts];
    this.idle = [];
    await Promise.all(
      all.map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.exit !== undefined) return resolve();
            h.child.once('exit', () => resolve());
            h.child.disconnect?.();
            setTimeout(() => h.child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  }
}
