/**
 * `npm test`: the unit lane, then the integration lane (vitest.config.ts tells them apart by
 * `sequence.groupOrder`), each one vitest run; then a closing line `N passed, M failed` totalled
 * over both, which CI reads. Two runs, not one, because vitest starts every global setup before the
 * first test: the unit lane must start no service, so that it runs (and reports) even where
 * Postgres, Kafka or Java are missing. A failing unit lane does not stop the integration lane.
 *
 * Arguments are passed on to vitest. `--project X` (vitest's wildcards, `*` and a leading `!`) picks
 * projects, and only the lanes that hold a picked project run; file filters apply to both lanes.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@streamsync/database';
import {
  laneCounts,
  pickProjects,
  splitProjectArgs,
  type Counts,
  type JsonReport,
} from './test-lanes.ts';

interface ProjectDef {
  test?: { name?: string; sequence?: { groupOrder?: number } };
}

const outDir = path.join(REPO_ROOT, '.data', 'test-results');
const vitest = path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');

/** The projects of vitest.config.ts by lane (groupOrder 0: unit, else integration). */
async function lanes(): Promise<Array<{ lane: string; projects: string[] }>> {
  const url = pathToFileURL(path.join(REPO_ROOT, 'vitest.config.ts')).href;
  const config = (await import(url)) as { default: { test: { projects: ProjectDef[] } } };
  const unit: string[] = [];
  const integration: string[] = [];
  for (const p of config.default.test.projects) {
    const name = p.test?.name;
    if (!name) throw new Error('every project in vitest.config.ts needs a name');
    ((p.test?.sequence?.groupOrder ?? 0) === 0 ? unit : integration).push(name);
  }
  return [
    { lane: 'unit', projects: unit },
    { lane: 'integration', projects: integration },
  ];
}

async function runLane(lane: string, projects: string[], rest: string[]): Promise<Counts> {
  const report = path.join(outDir, `vitest-${lane}.json`);
  await fs.rm(report, { force: true });
  const args = [
    vitest,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    // with a file filter, one lane may hold none of the files
    ...(rest.some((a) => !a.startsWith('-')) ? ['--passWithNoTests'] : []),
    ...projects.flatMap((p) => ['--project', p]),
    ...rest,
  ];
  console.log(`\n::: ${lane} lane: ${projects.join(', ')}`);
  const t0 = Date.now();
  const code: number = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (c, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(c ?? (signal ? 1 : 0));
    });
  });
  const json = existsSync(report)
    ? (JSON.parse(readFileSync(report, 'utf8')) as JsonReport)
    : undefined;
  const counts = laneCounts(json, code);
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`::: ${lane} lane: ${counts.passed} passed, ${counts.failed} failed in ${seconds} s`);
  return counts;
}

async function main(): Promise<number> {
  await fs.mkdir(outDir, { recursive: true });
  await fs.rm(path.join(outDir, 'summary.txt'), { force: true });
  const { filters, rest } = splitProjectArgs(process.argv.slice(2));
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  let ran = 0;
  const all = await lanes();
  for (const { lane, projects } of all) {
    const picked = pickProjects(filters, projects);
    if (picked.length === 0) continue;
    const c = await runLane(lane, picked, rest);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    ran++;
  }
  if (ran === 0) {
    const names = all.flatMap((l) => l.projects).join(', ');
    console.error(`no project matches ${filters.join(', ')}; the projects are: ${names}`);
    total.failed = 1;
  } else if (total.passed + total.failed === 0) {
    console.error('no test ran');
    total.failed = 1;
  }
  const summary = `${total.passed} passed, ${total.failed} failed`;
  await fs.writeFile(path.join(outDir, 'summary.txt'), `${summary}\n`);
  if (total.skipped > 0) console.log(`(${total.skipped} skipped)`);
  console.log(summary);
  return total.failed > 0 ? 1 : 0;
}

process.exit(await main());
