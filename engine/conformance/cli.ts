/**
 * `npm run conformance -- [options]`: run the Hasura conformance cases against the engine.
 *
 *   --dir <cases-dir>          cases folder with manifest.json (default: $CONFORMANCE_DIR, else
 *                              ../shared/hasura-conformance next to the repository)
 *   --json <out-file>          write every case's result (with request and response) as JSON
 *   --only <dir-glob>          run only matching directories (repeatable; `graphql_query/**`)
 *   --url <engine-url>         use a running server instead of starting engines (see README.md)
 *   --no-reset                 with --url: do not reset the server between groups
 *   --database-url <url>       Postgres server for the per-group databases (default:
 *                              $CONFORMANCE_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 *   --jobs <n>                 groups run at once (default 3)
 *   --engine <how>             host (default: fresh engines in one helper process per job),
 *                              spawn (a new engine/src/main.ts process per group), in-process
 *   --admin-secret <secret>    run engines with this admin secret (and check refusals without it)
 *   --known-failures <file>    default engine/conformance/known-failures.json
 *   --update-known-failures    rewrite the known-failures file from this run
 *   --reason <text>            reason for new known failures (else asked, default "unclassified");
 *                              `auto`: the issue that brings the missing feature, else the failure
 *   --quiet                    print only failures, the table and the summary
 *
 * Exit status: 0 when every failure is a known one and no known failure passes; 1 otherwise;
 * 2 when the run itself could not happen (bad option, no manifest, database unreachable).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  diffKnownFailures,
  loadKnownFailures,
  saveKnownFailures,
  suggestReason,
  updateKnownFailures,
  UNCLASSIFIED,
} from './known-failures.ts';
import { caseLine, directoryTable, groupLines, summaryLines } from './report.ts';
import { HarnessError, runConformance, type CaseResult } from './runner.ts';
import {
  DEFAULT_KNOWN_FAILURES,
  defaultCasesDir,
  defaultDatabaseUrl,
  REPO_ROOT,
} from './defaults.ts';

async function askReasons(
  newFailures: CaseResult[],
  fallback: string | undefined,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (fallback !== undefined || !process.stdin.isTTY || newFailures.length === 0) {
    for (const r of newFailures)
      out.set(r.id, fallback === 'auto' ? suggestReason(r) : (fallback ?? UNCLASSIFIED));
    return out;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    console.log(
      `\n${newFailures.length} new failure(s): give each a reason (Enter keeps "${UNCLASSIFIED}").`,
    );
    let last = UNCLASSIFIED;
    for (const r of newFailures) {
      console.log(`\n${caseLine(r)}\n  (type "auto" for: ${suggestReason(r)})`);
      const answer = (await rl.question(`reason [${last}]: `)).trim();
      if (answer !== '') last = answer === 'auto' ? suggestReason(r) : answer;
      out.set(r.id, last);
    }
  } finally {
    rl.close();
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        json: { type: 'string' },
        only: { type: 'string', multiple: true },
        url: { type: 'string' },
        'no-reset': { type: 'boolean' },
        'database-url': { type: 'string' },
        jobs: { type: 'string' },
        engine: { type: 'string' },
        'admin-secret': { type: 'string' },
        'known-failures': { type: 'string' },
        'update-known-failures': { type: 'boolean' },
        reason: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`conformance: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (values.help) {
    const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
    console.log(/\/\*\*([\s\S]*?)\*\//.exec(src)?.[1]?.replace(/^ \* ?/gm, '') ?? '');
    return 0;
  }
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    console.error('conformance: --jobs must be a positive integer');
    return 2;
  }

  if (values.engine !== undefined && !['host', 'spawn', 'in-process'].includes(values.engine)) {
    console.error('conformance: --engine must be host, spawn or in-process');
    return 2;
  }
  const casesDir = path.resolve(values.dir ?? defaultCasesDir());
  const knownFile = path.resolve(values['known-failures'] ?? DEFAULT_KNOWN_FAILURES);
  let known;
  try {
    known = loadKnownFailures(knownFile);
  } catch (e) {
    console.error(`conformance: ${(e as Error).message}`);
    return 2;
  }
  const quiet = values.quiet === true;

  let result;
  try {
    result = await runConformance({
      casesDir,
      only: values.only ?? [],
      databaseUrl: values['database-url'] ?? defaultDatabaseUrl(),
      ...(values.url !== undefined ? { engineUrl: values.url } : {}),
      ...(values.engine !== undefined
        ? { engine: values.engine as 'host' | 'spawn' | 'in-process' }
        : {}),
      repoRoot: REPO_ROOT,
      ...(jobs !== undefined ? { jobs } : {}),
      ...(values['admin-secret'] !== undefined ? { adminSecret: values['admin-secret'] } : {}),
      resetExternal: values['no-reset'] !== true,
      keepBodies: values.json !== undefined,
      log: (m) => console.log(`# ${m}`),
      onGroupDone: (results, report) => {
        for (const line of groupLines(results, report, known)) {
          if (!quiet || (!line.startsWith('PASS') && !line.startsWith('SKIP'))) console.log(line);
        }
        if (report.engineLog && report.setupError)
          console.log(
            `  engine log:\n    ${report.engineLog.split('\n').slice(-8).join('\n    ')}`,
          );
      },
    });
  } catch (e) {
    console.error(
      `conformance: ${e instanceof HarnessError ? e.message : ((e as Error).stack ?? String(e))}`,
    );
    return 2;
  }

  const diff = diffKnownFailures(result.cases, known, result.fullRun);
  console.log('');
  for (const line of directoryTable(result)) console.log(line);
  console.log('');

  if (values['update-known-failures']) {
    const reasons = await askReasons(diff.regressions, values.reason);
    const updated = await updateKnownFailures(
      result.cases,
      known,
      async (r) => reasons.get(r.id) ?? UNCLASSIFIED,
      result.fullRun,
    );
    saveKnownFailures(knownFile, updated);
    console.log(
      `# ${path.relative(process.cwd(), knownFile)}: ${updated.size} known failure(s) (${diff.regressions.length} added, ${diff.fixed.length + diff.unknown.length} removed)`,
    );
  }

  if (values.json) {
    const out = path.resolve(values.json);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(
      out,
      `${JSON.stringify({ ...result, knownFailures: { file: knownFile, ...diff, regressions: diff.regressions.map((r) => r.id) } }, null, 2)}\n`,
    );
    console.log(`# results written to ${out}`);
  }

  for (const line of summaryLines(result, diff)) console.log(line);
  if (values['update-known-failures']) return 0;
  return diff.regressions.length > 0 || diff.fixed.length > 0 || diff.unknown.length > 0 ? 1 : 0;
}

const invokedDirectly =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
