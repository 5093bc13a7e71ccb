import { describe, expect, it } from 'vitest';
import { summaryLines } from './report.ts';
import type { CaseResult, RunResult } from './runner.ts';

const result = (id: string, wave: number, status: CaseResult['status']): CaseResult => ({
  id,
  dir: `wave${wave}`,
  wave,
  file: 'f.yaml',
  index: 0,
  transport: 'http',
  kind: 'http-case',
  pyClass: 'P',
  category: status === 'skip' ? 'skip' : 'scored',
  status,
  strict: status === 'pass',
  upstream: status === 'pass',
  keyOrder: 'not-checked',
  durationMs: 0,
});

const run = (cases: CaseResult[]): RunResult => ({
  startedAt: new Date(0).toISOString(),
  durationMs: 1000,
  casesDir: '/cases',
  mode: 'in-process',
  fullRun: true,
  cases,
  groups: [],
});

describe('Conformance > report', () => {
  it('should count each wave apart before the total line', () => {
    const lines = summaryLines(
      run([
        result('a', 1, 'pass'),
        result('b', 1, 'pass'),
        result('c', 1, 'fail'),
        result('d', 2, 'pass'),
        result('e', 2, 'fail'),
        result('f', 2, 'fail'),
        result('g', 2, 'skip'),
      ]),
    );
    expect(lines).toContain('wave 1: 2 passed, 1 failed, 0 skipped');
    expect(lines).toContain('wave 2: 1 passed, 2 failed, 1 skipped');
    expect(lines.at(-1)).toBe('3 passed, 3 failed, 1 skipped');
    expect(lines.indexOf('wave 2: 1 passed, 2 failed, 1 skipped')).toBeLessThan(lines.length - 1);
  });
});
