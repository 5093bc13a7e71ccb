/**
 * How the commands (migrate, produce) find a running `npm start` without being told: the launcher
 * writes what it started — the Postgres URL, the Kafka brokers, the engine's URL — to
 * `<data dir>/stack.json` once it is ready and removes it when it stops. The data dir is
 * STREAMSYNC_DATA_DIR, as for the launcher, or .data/ in the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './config.ts';

export interface LocalStackInfo {
  /** The launcher's process id: a file whose launcher is gone is ignored. */
  pid: number;
  dataDir: string;
  postgresUrl: string;
  kafkaBrokers: string[];
  /** The engine's GraphQL endpoint, when the engine runs. */
  graphqlUrl?: string;
  /** Where the admin secret and the token key are kept. */
  secretsFile: string;
}

export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (!env.STREAMSYNC_DATA_DIR) return path.join(REPO_ROOT, '.data');
  // npm runs scripts at the repository root; a relative path means where the user typed it
  return path.resolve(env.INIT_CWD ?? process.cwd(), env.STREAMSYNC_DATA_DIR);
}

export function localStackFile(dataDir: string): string {
  return path.join(dataDir, 'stack.json');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running local stack of this data dir, or undefined when none runs. */
export function findLocalStack(env: NodeJS.ProcessEnv = process.env): LocalStackInfo | undefined {
  const file = localStackFile(localDataDir(env));
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LocalStackInfo;
    return Number.isInteger(info.pid) && isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined; // half written, or not ours: as if none ran
  }
}

/** Said by a command that needed a running stack and found none: what to do instead. */
export function noLocalStackHint(env: NodeJS.ProcessEnv = process.env): string {
  return (
    `no running \`npm start\` found (looked for ${localStackFile(localDataDir(env))}); ` +
    'start one with `npm start` (and STREAMSYNC_DATA_DIR if it uses another data dir), or say where to connect'
  );
}

export async function writeLocalStack(info: LocalStackInfo): Promise<void> {
  await fs.mkdir(info.dataDir, { recursive: true });
  // it holds the Postgres URL with its password: for this user only
  await fs.writeFile(localStackFile(info.dataDir), `${JSON.stringify(info, null, 2)}\n`, {
    mode: 0o600,
  });
}

export async function removeLocalStack(dataDir: string): Promise<void> {
  await fs.rm(localStackFile(dataDir), { force: true });
}
