/**
 * The repository passes its lint rules — `npm run check:lint` (the root configuration) and web's
 * own lint (`npm run check:web`) — so that neither rots between the times someone runs them; the
 * import boundaries among them.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';

async function lint(cwd: string, cacheName: string): Promise<string> {
  // the cache (git-ignored, like `eslint --cache`) makes a rerun on a mostly unchanged tree quick
  const cacheLocation = path.join(REPO_ROOT, '.data', 'eslint', cacheName);
  const eslint = new ESLint({ cwd, cache: true, cacheLocation, cacheStrategy: 'content' });
  const results = await eslint.lintFiles(['.']);
  const problems = results.filter((r) => r.errorCount + r.warningCount > 0);
  return (await eslint.loadFormatter('stylish')).format(problems) as string;
}

describe('Stack > Lint', () => {
  it('should find nothing in the repository (npm run check:lint)', async () => {
    expect(await lint(REPO_ROOT, 'root')).toBe('');
  }, 180_000);

  it('should find nothing in web/ (its own configuration, npm run check:web)', async () => {
    expect(await lint(path.join(REPO_ROOT, 'web'), 'web')).toBe('');
  }, 180_000);
});
