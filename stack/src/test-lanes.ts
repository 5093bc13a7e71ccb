/**
 * The parts of `npm test` (test-runner.ts) that decide: which projects a `--project` filter picks,
 * and what a lane's vitest run counts as passed and failed.
 */

export interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  /** per test file */
  testResults: Array<{ status: string; assertionResults: Array<{ status: string }> }>;
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** vitest's project filter: `*` matches anything, a leading `!` negates, case-insensitive. */
function matchesProjectFilter(filter: string, name: string): boolean {
  const negated = filter.startsWith('!');
  const body = (negated ? filter.slice(1) : filter)
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${negated ? `(?!${body}$)` : `${body}$`}`, 'i').test(name);
}

/** The projects of one lane that the filters pick (all of them without a filter). */
export function pickProjects(filters: string[], projects: string[]): string[] {
  if (filters.length === 0) return projects;
  return projects.filter((p) => filters.some((f) => matchesProjectFilter(f, p)));
}

/** Split `--project X` / `--project=X` from the other arguments. */
export function splitProjectArgs(args: string[]): { filters: string[]; rest: string[] } {
  const filters: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--project' && i + 1 < args.length) filters.push(args[++i]!);
    else if (a.startsWith('--project=')) filters.push(a.slice('--project='.length));
    else rest.push(a);
  }
  return { filters, rest };
}

/** What a lane counts: its JSON report (undefined: vitest did not get to write one) and exit code. */
export function laneCounts(r: JsonReport | undefined, code: number): Counts {
  if (!r) return { passed: 0, failed: 1, skipped: 0 };
  // a file that failed without a failed test (an import that throws, a failing hook) must still
  // count against the run
  const brokenFiles = r.testResults.filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  ).length;
  let failed = r.numFailedTests + brokenFiles;
  if (code !== 0 && failed === 0) failed = 1;
  return { passed: r.numPassedTests, failed, skipped: r.numPendingTests + r.numTodoTests };
}
