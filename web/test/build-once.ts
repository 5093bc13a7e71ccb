/**
 * vitest global setup of the `web-e2e` project: one production build of the web app per test run
 * (the stack then serves it with `next start`). Skipped when web/.next is newer than every source
 * file, so a second run on an unchanged tree does not rebuild.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = [
  'app',
  'components',
  'hooks',
  'lib',
  'package.json',
  'next.config.ts',
  'postcss.config.mjs',
  'tsconfig.json',
];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

export function buildIsFresh(): boolean {
  const buildId = path.join(WEB, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.every((s) => newestMtime(path.join(WEB, s)) < built);
}

export async function buildWeb(log: (line: string) => void = () => {}): Promise<number> {
  const t0 = Date.now();
  const next = path.resolve(WEB, '..', 'node_modules', 'next', 'dist', 'bin', 'next');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [next, 'build'], {
      cwd: WEB,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    for (const s of [child.stdout, child.stderr])
      s?.on('data', (d: Buffer) => out.push(d.toString()));
    child.on('exit', (c) => {
      if (c !== 0) log(out.join(''));
      resolve(c ?? 1);
    });
  });
  if (code !== 0) throw new Error(`next build failed (exit ${code})`);
  return Date.now() - t0;
}

export default async function setup(): Promise<void> {
  if (buildIsFresh()) return;
  const ms = await buildWeb((l) => process.stderr.write(l));
  if (process.env.STREAMSYNC_TEST_VERBOSE)
    console.log(`[web] next build in ${(ms / 1000).toFixed(1)} s`);
}
