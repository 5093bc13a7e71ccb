/**
 * The web app's production build (`next build` in web/), which the stack then serves with
 * `next start`; for the browser tests and bench/web. `buildIsFresh()` tells whether web/.next is
 * newer than every source file, so a second run on an unchanged tree need not rebuild.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';

const WEB = path.join(REPO_ROOT, 'web');
const SOURCES = [
  'app',
  'components',
  'hooks',
  'lib',
  'package.json',
  'instrumentation.ts',
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
  const next = path.join(REPO_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
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
