import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const web = path.resolve(import.meta.dirname, 'web');
const webAliases = {
  '@': web,
  // Next resolves it for server code; outside Next it is only a marker
  'server-only': path.join(web, 'test', 'server-only-stub.ts'),
};

// One vitest configuration for every package, in two lanes, told apart by `sequence.groupOrder`
// (`npm test`, stack/src/test-runner.ts, runs them one after the other, unit first):
// - unit (0, `<pkg>-unit`): every test outside a package's test/ folder, next to the code. They
//   need no service, and a run of unit projects only starts none.
// - integration (1, `<pkg>`, `web-e2e`): the package's test/ folder, against the real services
//   that the global setup (stack/test/global-setup.ts) starts once for the run (a fresh embedded
//   Postgres and a Kafka broker, or DATABASE_URL / KAFKA_BROKERS when set) and stops at the end.
// Projects do not `extend` this file: an inherited global setup would run once per project.
const PACKAGES = ['database', 'testing', 'stack', 'engine', 'etl-worker', 'bench'];
const ignored = ['**/node_modules/**', 'web/.next/**'];
const UNIT = {
  sequence: { groupOrder: 0 },
  pool: 'forks' as const,
  testTimeout: 60_000,
  setupFiles: ['./testing/src/require-assertions.ts'],
};
const INTEGRATION = { ...UNIT, sequence: { groupOrder: 1 }, hookTimeout: 180_000 };

export default defineConfig({
  test: {
    globalSetup: ['./stack/test/global-setup.ts'],
    teardownTimeout: 60_000,
    projects: [
      ...PACKAGES.map((name) => ({
        test: {
          ...UNIT,
          name: `${name}-unit`,
          include: [`${name}/**/*.test.ts`],
          exclude: [...ignored, `${name}/test/**`],
        },
      })),
      {
        resolve: { alias: webAliases },
        test: {
          ...UNIT,
          name: 'web-unit',
          include: ['web/**/*.test.ts'],
          exclude: [...ignored, 'web/test/**'],
        },
      },
      ...PACKAGES.filter((name) => existsSync(path.join(import.meta.dirname, name, 'test'))).map(
        (name) => ({
          test: { ...INTEGRATION, name, include: [`${name}/test/**/*.test.ts`], exclude: ignored },
        }),
      ),
      {
        // the dashboard in a real Chromium against the real stack; the production build is made
        // once per run, in this project's setup
        resolve: { alias: webAliases },
        test: {
          ...INTEGRATION,
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
