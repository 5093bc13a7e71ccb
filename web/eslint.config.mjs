// web/ lint: Next's core-web-vitals + TypeScript rules (the root config ignores web/), and the
// import boundaries every package keeps (@streamsync/stack/import-boundaries).
import path from 'node:path';
import { defineConfig, globalIgnores } from 'eslint/config';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';
import { importBoundaries } from '@streamsync/stack/import-boundaries';

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores(['.next/**', 'out/**', 'build/**', 'next-env.d.ts']),
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  ...importBoundaries(path.resolve(import.meta.dirname, '..'), import.meta.dirname),
]);
