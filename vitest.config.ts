import { defineConfig } from 'vitest/config';

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
    projects: ['database', 'stack', 'engine', 'etl-worker'].map((name) => ({
      extends: true,
      test: {
        name,
        include: [`${name}/**/*.test.ts`],
        exclude: ['**/node_modules/**'],
      },
    })),
  },
});
