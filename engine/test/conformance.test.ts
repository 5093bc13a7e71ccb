/**
 * The engine against Hasura's own test cases (../shared/hasura-conformance), every case, with the
 * known failures of engine/conformance/known-failures.json. The test fails when a case outside that
 * list fails (a regression), when a listed case passes (the list must shrink: run
 * `npm run conformance -- --update-known-failures`), and when an entry has no real reason.
 *
 * It needs a Postgres server with PostGIS and the en_US.utf-8 locale (see README.md):
 * $CONFORMANCE_DATABASE_URL, else the system server at postgres://postgres@127.0.0.1:5432/postgres.
 * The full results are written to .data/conformance/last-run.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KNOWN_FAILURES,
  defaultCasesDir,
  defaultDatabaseUrl,
  REPO_ROOT,
} from '../conformance/defaults.ts';
import {
  diffKnownFailures,
  loadKnownFailures,
  UNCLASSIFIED,
} from '../conformance/known-failures.ts';
import { caseLine, summaryLines } from '../conformance/report.ts';
import { runConformance } from '../conformance/runner.ts';

describe('Conformance > Hasura test cases', () => {
  it(
    'should fail no case but the known failures, each listed with its reason',
    async () => {
      const known = loadKnownFailures(DEFAULT_KNOWN_FAILURES);
      const unclassified = [...known]
        .filter(([, reason]) => reason.trim() === UNCLASSIFIED)
        .map(([id]) => id);
      expect(unclassified, `give these entries of ${DEFAULT_KNOWN_FAILURES} a reason`).toEqual([]);

      const result = await runConformance({
        casesDir: defaultCasesDir(),
        databaseUrl: defaultDatabaseUrl(),
        repoRoot: REPO_ROOT,
        keepBodies: true,
        ...(process.env.CONFORMANCE_JOBS ? { jobs: Number(process.env.CONFORMANCE_JOBS) } : {}),
      });
      const out = path.join(REPO_ROOT, '.data', 'conformance', 'last-run.json');
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

      const diff = diffKnownFailures(result.cases, known, result.fullRun);
      if (diff.regressions.length + diff.fixed.length + diff.unknown.length > 0) {
        console.log([...summaryLines(result, diff), `details: ${out}`].join('\n'));
      }
      expect(
        diff.regressions.map((r) => caseLine(r)),
        'cases failing outside known-failures.json (fix them, or list them with a reason)',
      ).toEqual([]);
      expect(
        diff.fixed,
        'listed as known failures but passing now: npm run conformance -- --update-known-failures',
      ).toEqual([]);
      expect(diff.unknown, 'known-failures.json names cases that do not exist').toEqual([]);
    },
    20 * 60_000,
  );
});
