/** Where the runner looks for its inputs when no option says otherwise. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_KNOWN_FAILURES = path.join(
  REPO_ROOT,
  'engine',
  'conformance',
  'known-failures.json',
);

/**
 * The cases folder: $CONFORMANCE_DIR, else `shared/hasura-conformance` beside the repository or
 * beside any of its ancestors (a worktree may sit deeper than the main checkout).
 */
export function defaultCasesDir(
  env: NodeJS.ProcessEnv = process.env,
  repoRoot = REPO_ROOT,
): string {
  if (env.CONFORMANCE_DIR) return path.resolve(env.CONFORMANCE_DIR);
  let dir = repoRoot;
  for (;;) {
    const candidate = path.join(path.dirname(dir), 'shared', 'hasura-conformance');
    if (fs.existsSync(path.join(candidate, 'manifest.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.resolve(repoRoot, '..', 'shared', 'hasura-conformance');
}

export function defaultDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONFORMANCE_DATABASE_URL || DEFAULT_DATABASE_URL;
}
