import path from 'node:path';
import { defineConfig } from 'vitest/config';

const web = path.resolve(import.meta.dirname, 'web');
const webAliases = {
  '@': web,
  // Next resolves it for server code; outside Next it is only a marker
  'server-only': path.join(web, 'test', 'server-only-stub.ts'),
};

// One vitest run for every package. The global setup starts the real services the tests talk to
// (a fresh embedded Postgres and a Kafka broker, or DATABASE_URL / KAFKA_BROKERS when set) and
// stops them at the end; a test never runs without them.
export default defineConfig({
  test: {
    globalSetup: ['./stack/test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    projects: [
      ...['database', 'stack', 'engine', 'etl-worker'].map((name) => ({
        extends: true as const,
        test: {
          name,
          include: [`${name}/**/*.test.ts`],
          exclude: ['**/node_modules/**'],
        },
      })),
      {
        // the dashboard's unit tests, next to the code
        extends: true,
        resolve: { alias: webAliases },
        test: {
          name: 'web',
          include: ['web/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'web/.next/**', 'web/test/**'],
        },
      },
      {
        // the dashboard in a real Chromium against the real stack; the production build is made
        // once per run, in this project's setup
        extends: true,
        resolve: { alias: webAliases },
        test: {
          name: 'web-e2e',
          include: ['web/test/**/*.e2e.test.ts'],
          globalSetup: ['./web/test/build-once.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
