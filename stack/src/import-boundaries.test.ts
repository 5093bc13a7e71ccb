/**
 * The import boundaries (import-boundaries.js) fire: each forbidden import below, linted as if it
 * were a file of the package named, is refused by the repository's real lint configurations (the
 * root one, and web's own for web/), and the allowed ones pass. The whole repository passing them
 * is stack/checks/lint.test.ts.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';

const root = new ESLint({ cwd: REPO_ROOT });
const web = new ESLint({ cwd: path.join(REPO_ROOT, 'web') });

/** The boundary problems ESLint reports for `code` as the file `file` (relative to the repo). */
async function boundaryProblems(file: string, code: string): Promise<string[]> {
  const eslint = file.startsWith('web/') ? web : root;
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId?.startsWith('streamsync/'))
    .map((m) => `${m.ruleId}: ${m.message}`);
}

describe('Stack > Import boundaries', () => {
  it.each([
    ['web/lib/bad.ts', "import { sql } from '@streamsync/database';", /web\/ never imports/],
    ['web/app/bad.tsx', "import type { Engine } from '@streamsync/engine';", /web\/ never imports/],
    ['web/test/bad.ts', "import { x } from '@streamsync/etl-worker/producer';", /web\/ never/],
    ['etl-worker/src/bad.ts', "export * from '@streamsync/engine';", /worker never imports/],
    ['engine/src/x/bad.ts', "import '@streamsync/etl-worker';", /engine never imports the worker/],
    [
      'etl-worker/test/bad.ts',
      "import { f } from '../../stack/src/ports.ts';",
      /leaves etl-worker/,
    ],
    [
      'web/test/bad.ts',
      "import { f } from '../../testing/src/index.ts';",
      /leaves web for testing/,
    ],
    ['bench/x/bad.ts', "const m = await import('../../engine/src/index.ts');", /leaves bench/],
    ['engine/bad.ts', "export { a } from '../database/src/index.ts';", /leaves engine/],
    ['bad.ts', "import { a } from './engine/src/index.ts';", /leaves the repository root/],
  ])('should refuse, in %s, %s', async (file, code, message) => {
    const problems = await boundaryProblems(file, code);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each([
    ['web/test/ok.ts', "import { waitFor } from '@streamsync/testing';"],
    ['web/test/ok.ts', "import { startStack } from '@streamsync/stack';"],
    ['web/lib/ok.ts', "import { f } from '../components/x.tsx';"],
    ['etl-worker/src/ok.ts', "import { sql } from '@streamsync/database';"],
    ['engine/src/a/ok.ts', "import { b } from '../../conformance/b.ts';"],
    ['bench/ok.ts', "import { e } from '@streamsync/engine';"],
  ])('should allow, in %s, %s', async (file, code) => {
    expect(await boundaryProblems(file, code)).toEqual([]);
  });
});
