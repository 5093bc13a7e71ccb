/**
 * Child processes of the local stack (the engine, the worker, the producer, the web app): spawned in
 * their own process group so a stop reaches every process they started, with their output prefixed
 * and forwarded, ready when their health URL answers, and stopped with SIGTERM then SIGKILL.
 * A pid file per service lets the next start clean up after a launcher that was killed outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** false: `env` is the whole environment, nothing of the launcher's (default true). */
  inheritEnv?: boolean;
  /** Polled until it answers 2xx; omit for services without a health endpoint. */
  healthUrl?: string;
  readyTimeoutMs?: number;
  /** How long a stop waits after SIGTERM before SIGKILL: longer than the service's own shutdown. */
  stopTimeoutMs?: number;
}

export interface RunningService {
  name: string;
  pid: number;
  /** Resolves with the exit code (or the signal name) when the process group leader exits. */
  exited: Promise<number | string>;
  /** True once stop() was called: an exit after it is expected, not a failure. */
  readonly stopping: boolean;
  /** Its last lines of output (at most 30), to say why it exited. */
  recent(): string[];
  stop(opts?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<void>;
  /** SIGKILL the whole group at once: a crash, for the exactly-once tests. */
  kill(): void;
}

export interface StartOptions {
  /** Each output line, already prefixed with the service name. */
  output?: (line: string) => void;
  /** Folder for pid files; a stale process from an earlier run is stopped first. */
  runDir?: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** Stop a process group recorded by an earlier run, if its leader is still the same program. */
export async function stopStale(runDir: string, name: string): Promise<void> {
  const file = path.join(runDir, `${name}.pid`);
  if (!existsSync(file)) return;
  const [pidText, marker] = readFileSync(file, 'utf8').split('\n');
  const pid = Number(pidText);
  await fs.rm(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return;
  }
  if (!marker || !cmdline.includes(marker)) return; // the pid was reused by something else
  killGroup(pid, 'SIGTERM');
  if (!(await waitForExit(pid, 10_000))) killGroup(pid, 'SIGKILL');
}

export async function startService(
  spec: ServiceSpec,
  opts: StartOptions = {},
): Promise<RunningService> {
  const output = opts.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (opts.runDir) {
    await fs.mkdir(opts.runDir, { recursive: true });
    await stopStale(opts.runDir, spec.name);
  }
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env:
      spec.inheritEnv === false ? (spec.env as NodeJS.ProcessEnv) : { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not spawn ${spec.command}`);
  if (opts.runDir) {
    await fs.writeFile(
      path.join(opts.runDir, `${spec.name}.pid`),
      `${pid}\n${spec.args.join(' ')}\n`,
    );
  }

  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (raw) => {
      // terminal control sequences (next's cursor show/hide) mean nothing in a forwarded log
      // eslint-disable-next-line no-control-regex
      const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      if (line.trim() === '') return;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      output(`[${spec.name}] ${line}`);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  let stopping = false;
  const service: RunningService = {
    name: spec.name,
    pid,
    exited,
    get stopping() {
      return stopping;
    },
    recent: () => [...recent],
    kill: () => killGroup(pid, 'SIGKILL'),
    stop: async ({ signal = 'SIGTERM', timeoutMs = spec.stopTimeoutMs ?? 20_000 } = {}) => {
      stopping = true;
      if (isAlive(pid)) {
        killGroup(pid, signal);
        if (!(await waitForExit(pid, timeoutMs))) killGroup(pid, 'SIGKILL');
      }
      // the group leader is gone; make sure nothing it started outlives it
      killGroup(pid, 'SIGKILL');
      await exited;
      if (opts.runDir) await fs.rm(path.join(opts.runDir, `${spec.name}.pid`), { force: true });
    },
  };

  if (spec.healthUrl) {
    try {
      await waitForHealth(spec.healthUrl, spec.readyTimeoutMs ?? 60_000, exited);
    } catch (err) {
      await service.stop({ timeoutMs: 5000 });
      throw new Error(
        `${spec.name} did not become ready: ${(err as Error).message}\n${recent.join('\n')}`,
      );
    }
  }
  return service;
}

/** Poll a URL until it answers 2xx, the process exits, or the time is up. */
export async function waitForHealth(
  url: string,
  timeoutMs: number,
  exited?: Promise<unknown>,
): Promise<void> {
  let gone: unknown;
  void exited?.then((code) => (gone = code ?? 'exit'));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (gone !== undefined)
      throw new Error(`process exited (${String(gone)}) before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms (${last})`);
}
