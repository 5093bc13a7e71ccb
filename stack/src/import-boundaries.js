// The import boundaries between the packages, as ESLint config blocks: the root eslint.config.js
// and web/eslint.config.mjs both use them, so every file of the repository is held to them
// (docs/conventions.md). Plain JavaScript: ESLint loads it without a TypeScript loader.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Which packages each package must not import, and why. */
const FORBIDDEN = {
  // the dashboard talks to any GraphQL server over HTTP: it knows no server's code, and reaches
  // Postgres only through that API (its browser tests use @streamsync/testing and the stack)
  web: {
    packages: ['engine', 'etl-worker', 'database'],
    why: 'web/ never imports the engine, the worker or the database package: it talks to GraphQL.',
  },
  // the worker and the engine meet only in Postgres (the change notice is in @streamsync/database)
  'etl-worker': {
    packages: ['engine'],
    why: 'The worker never imports the engine: they share only @streamsync/database.',
  },
  engine: {
    packages: ['etl-worker'],
    why: 'The engine never imports the worker: they share only @streamsync/database.',
  },
};

const CODE = '**/*.{ts,tsx,mts,cts,js,mjs,cjs}';

/**
 * @param {string} root the repository root (the folder of the package.json with `workspaces`)
 * @param {string} [lintRoot] the folder the ESLint config sits in (web/ for web's own config)
 */
export function importBoundaries(root, lintRoot = root) {
  const workspaces = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces;
  /** The workspace a file belongs to ('' for the repository's own files). */
  const workspaceOf = (file) => {
    const top = path.relative(root, file).split(path.sep)[0];
    return workspaces.includes(top) ? top : '';
  };
  // A relative import that leaves its package reaches into another package's files: it bypasses
  // that package's exports and hides the dependency from package.json and from the rules below.
  const noRelativeCrossPackage = {
    meta: {
      type: 'problem',
      docs: { description: 'a relative import stays inside its package' },
      messages: {
        leaves:
          "'{{source}}' leaves {{from}} for {{to}}: import it by package name (@streamsync/…), from that package's exports",
      },
      schema: [],
    },
    create(context) {
      const from = workspaceOf(context.filename);
      const check = (node) => {
        const source = node?.type === 'Literal' ? node.value : undefined;
        if (typeof source !== 'string' || !source.startsWith('.')) return;
        const to = workspaceOf(path.resolve(path.dirname(context.filename), source));
        if (to === from) return;
        const data = {
          source,
          from: from || 'the repository root',
          to: to || 'the repository root',
        };
        context.report({ node, messageId: 'leaves', data });
      };
      return {
        ImportDeclaration: (n) => check(n.source),
        ExportNamedDeclaration: (n) => check(n.source),
        ExportAllDeclaration: (n) => check(n.source),
        ImportExpression: (n) => check(n.source),
      };
    },
  };
  // the globs of a package's files, as seen from the config's folder
  const filesOf = (pkg) => {
    const rel = path.relative(lintRoot, path.join(root, pkg));
    if (rel.startsWith('..')) return null;
    return [rel ? `${rel}/${CODE}` : CODE];
  };
  const blocks = [
    {
      files: [CODE],
      plugins: { streamsync: { rules: { 'no-relative-cross-package': noRelativeCrossPackage } } },
      rules: { 'streamsync/no-relative-cross-package': 'error' },
    },
  ];
  for (const [pkg, { packages, why }] of Object.entries(FORBIDDEN)) {
    const files = filesOf(pkg);
    if (!files) continue;
    const group = packages.flatMap((p) => [`@streamsync/${p}`, `@streamsync/${p}/*`]);
    blocks.push({
      files,
      rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message: why }] }] },
    });
  }
  return blocks;
}
