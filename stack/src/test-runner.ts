/**
 * `npm test`: one vitest run over every package (its global setup starts and stops the real
 * Postgres and Kafka the tests use), then a closing line `N passed, M failed` totalled over every
 * suite, which CI reads. Arguments are passed on to vitest (`npm test -- --project engine`).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '@streamsync/database';

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  success: boolean;
}

const outDir = path.join(REPO_ROOT, '.data', 'test-results');
await fs.mkdir(outDir, { recursive: true });
const reportFile = path.join(outDir, 'vitest.json');
await fs.rm(reportFile, { force: true });

const vitest = path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const args = [
  vitest,
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${reportFile}`,
  ...process.argv.slice(2),
];
const code: number = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(reportFile)) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as JsonReport;
  passed = report.numPassedTests;
  // a suite that failed to load (an error in setup, an import that throws) has no failed test but
  // must still count against the run
  failed = report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  skipped = report.numPendingTests + report.numTodoTests;
} else {
  failed = 1; // vitest did not even report: the global setup (services) failed
}
if (code !== 0 && failed === 0) failed = 1;

const summary = `${passed} passed, ${failed} failed`;
await fs.writeFile(path.join(outDir, 'summary.txt'), `${summary}\n`);
if (skipped > 0) console.log(`(${skipped} skipped)`);
console.log(summary);
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
