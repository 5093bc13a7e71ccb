/**
 * Which environment variables source code reads, found by reading the code the way this
 * repository reads the environment. The compose checks (compose.test.ts: every variable a service
 * gets is one its code reads) and the deployment guide's check (deployment-doc.test.ts: every
 * variable the guide names exists) share it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const NAME = String.raw`[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*`;
const Q = String.raw`(?<q>['"\x60])`;

/**
 * How this repository reads the environment:
 * - `env.NAME`, `process.env.NAME`, `ctx.env.NAME`, `env?.NAME`
 * - `env['NAME']`, `env?.['NAME']`
 * - a reader given the environment and the name: `readInt(env, 'NAME', …)`, `readUrl(env, 'NAME', …)`,
 *   `readString(env, 'NAME')` (database/src/config.ts, engine/src/config.ts, web/lib/config.ts)
 * - a reader over the environment given the name first: `text('NAME_X', …)` (etl-worker config);
 *   only names with an underscore, and not `new ConfigError('NAME', …)`, which names a key without
 *   reading it
 * - `const { NAME } = process.env`
 */
const READ_PATTERNS: RegExp[] = [
  new RegExp(String.raw`\benv\??\.(?<name>${NAME})\b`, 'g'),
  new RegExp(String.raw`\benv\??\.?\[\s*${Q}(?<name>${NAME})\k<q>\s*\]`, 'g'),
  new RegExp(
    String.raw`\b[A-Za-z_$][\w$]*\s*\(\s*[\w$.]*\benv\s*,\s*${Q}(?<name>${NAME})\k<q>`,
    'g',
  ),
  // here the name must have an underscore: `on('SIGTERM')` and `query('COMMIT')` are not settings
  new RegExp(
    String.raw`\b(?!ConfigError\b)[A-Za-z_$][\w$]*\s*\(\s*${Q}(?<name>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\k<q>`,
    'g',
  ),
];
const DESTRUCTURE = /\{([^{}]*)\}\s*=\s*(?:[\w$]+\.)*env\b/g;

/** Comments name variables without reading them. */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

export function envNamesRead(source: string): Set<string> {
  const code = stripComments(source);
  const names = new Set<string>();
  for (const re of READ_PATTERNS) {
    for (const m of code.matchAll(re)) names.add(m.groups!.name!);
  }
  for (const m of code.matchAll(DESTRUCTURE)) {
    for (const part of m[1]!.split(',')) {
      const key = part.split(/[:=]/)[0]!.trim();
      if (new RegExp(`^${NAME}$`).test(key)) names.add(key);
    }
  }
  return names;
}

export function namesReadBy(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) for (const n of envNamesRead(readFileSync(f, 'utf8'))) names.add(n);
  return names;
}

/** Source files under a folder (no tests, no dependencies, no build output). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', '.next', 'test', 'dist'].includes(e.name)) walk(p);
      } else if (
        /\.(ts|tsx|mts)$/.test(e.name) &&
        !/\.(test|e2e\.test)\.tsx?$|\.d\.ts$/.test(e.name)
      ) {
        out.push(p);
      }
    }
  };
  walk(dir);
  return out.sort();
}
