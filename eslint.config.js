// One lint configuration for the whole repository but web/, which has its own (Next.js rules) and
// is linted by npm run check:web. Both hold every file to the import boundaries between packages.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importBoundaries } from '@streamsync/stack/import-boundaries';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.next/**',
      '.data/**',
      'stack/kafka/lib/**',
      'bench/results/**',
      'web/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Only the SQL builder and the engine's translator may build raw SQL text. Everywhere else,
    // a pg query() call must receive a compiled builder result, never a template literal.
    files: ['**/*.ts'],
    ignores: ['database/src/sql.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name='query'] > TemplateLiteral.arguments:first-child",
          message:
            'Build SQL with the sql`` tag from @streamsync/database, never a template string.',
        },
        {
          selector:
            "CallExpression[callee.property.name='query'] > BinaryExpression.arguments:first-child[operator='+']",
          message:
            'Build SQL with the sql`` tag from @streamsync/database, never string concatenation.',
        },
      ],
    },
  },
  ...importBoundaries(import.meta.dirname),
);
