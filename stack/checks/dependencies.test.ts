/**
 * Every package a file imports is declared where it is used: in its workspace's package.json
 * (dependencies, devDependencies, peer or optional), or in the root package.json's
 * devDependencies, the repository-wide tools (vitest, eslint, typescript, tsx). Files at the root
 * may also use the workspaces. npm hoists every package to the root node_modules, so an undeclared
 * import works here until the package that brought it in drops it, or the workspace is installed
 * on its own (the Dockerfile's layers).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';

interface Manifest {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const BUILTIN = new Set(builtinModules);

/** The package an import specifier names, or null for a relative, built-in or aliased one. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return null;
  if (specifier.startsWith('node:') || BUILTIN.has(specifier.split('/')[0]!)) return null;
  if (specifier.startsWith('@/')) return null; // web's alias for its own folder
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every module specifier a source file imports (static, dynamic, re-exports, type-only). */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

function declared(m: Manifest): Set<string> {
  return new Set([
    ...(m.name ? [m.name] : []),
    ...Object.keys(m.dependencies ?? {}),
    ...Object.keys(m.devDependencies ?? {}),
    ...Object.keys(m.peerDependencies ?? {}),
    ...Object.keys(m.optionalDependencies ?? {}),
  ]);
}

/**
 * `file: package` for every import not declared for its file. `files` maps a path relative to the
 * root to its text; `manifests` maps a workspace folder ('' for the root) to its package.json.
 */
function undeclaredImports(files: Map<string, string>, manifests: Map<string, Manifest>): string[] {
  const root = manifests.get('')!;
  const workspaces = root.workspaces ?? [];
  const shared = new Set(Object.keys(root.devDependencies ?? {}));
  const names = workspaces.map((w) => manifests.get(w)?.name).filter((n) => n !== undefined);
  const problems: string[] = [];
  for (const [file, text] of files) {
    const top = file.split('/')[0]!;
    const ws = workspaces.includes(top) ? top : '';
    const own = declared(manifests.get(ws)!);
    if (ws === '') for (const n of names) own.add(n);
    for (const spec of importsOf(text)) {
      const pkg = packageOf(spec);
      if (pkg === null || own.has(pkg) || shared.has(pkg)) continue;
      // a type-only use may be served by the package's @types
      if (own.has(`@types/${pkg.replace(/^@(.*)\//, '$1__')}`)) continue;
      problems.push(`${file}: ${pkg} (not in ${ws || 'the root'}/package.json)`);
    }
  }
  return [...new Set(problems)].sort();
}

function repository(): { files: Map<string, string>; manifests: Map<string, Manifest> } {
  const read = (p: string) => readFileSync(path.join(REPO_ROOT, p), 'utf8');
  const root = JSON.parse(read('package.json')) as Manifest;
  const manifests = new Map<string, Manifest>([['', root]]);
  for (const w of root.workspaces ?? [])
    manifests.set(w, JSON.parse(read(`${w}/package.json`)) as Manifest);
  const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const files = new Map<string, string>();
  for (const f of listed.split('\n')) {
    if (!SOURCE.test(f) || f.includes('node_modules/') || f.endsWith('.d.ts')) continue;
    try {
      files.set(f, read(f));
    } catch {
      // listed but deleted in the working tree
    }
  }
  return { files, manifests };
}

describe('Stack > Declared dependencies', () => {
  it('should find every package a file imports declared for its workspace', () => {
    const { files, manifests } = repository();
    expect(files.size).toBeGreaterThan(100);
    expect(undeclaredImports(files, manifests)).toEqual([]);
  });

  it('should name the file and the package of an undeclared import', () => {
    const manifests = new Map<string, Manifest>([
      ['', { workspaces: ['web', 'engine'], devDependencies: { vitest: '4' } }],
      ['web', { name: '@streamsync/web', dependencies: { urql: '5' } }],
      ['engine', { name: '@streamsync/engine', devDependencies: { '@types/ws': '8' } }],
    ]);
    const files = new Map([
      [
        'web/lib/a.ts',
        [
          "import { Client } from '@urql/core';",
          "import { useQuery } from 'urql';",
          "import { it } from 'vitest';",
          "import fs from 'node:fs';",
          "import path from 'path';",
          "import { x } from '@/lib/x.ts';",
          "import { y } from './y.ts';",
          "export { z } from 'graphql/utilities';",
          "const p = await import('playwright-core');",
        ].join('\n'),
      ],
      ['engine/src/b.ts', "import type { WebSocket } from 'ws';\nimport '@streamsync/engine';"],
      ['vitest.config.ts', "import '@streamsync/web';\nimport 'kafkajs';"],
    ]);
    expect(undeclaredImports(files, manifests)).toEqual([
      'vitest.config.ts: kafkajs (not in the root/package.json)',
      'web/lib/a.ts: @urql/core (not in web/package.json)',
      'web/lib/a.ts: graphql (not in web/package.json)',
      'web/lib/a.ts: playwright-core (not in web/package.json)',
    ]);
  });
});
