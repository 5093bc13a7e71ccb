import { describe, expect, it } from 'vitest';
import { laneCounts, pickProjects, splitProjectArgs, type JsonReport } from './test-lanes.ts';

const UNIT = ['database-unit', 'engine-unit', 'web-unit'];
const INTEGRATION = ['database', 'engine', 'web-e2e'];

function report(r: Partial<JsonReport>): JsonReport {
  return {
    numPassedTests: 0,
    numFailedTests: 0,
    numPendingTests: 0,
    numTodoTests: 0,
    testResults: [],
    ...r,
  };
}

describe('Stack > npm test > Lanes', () => {
  it('should run every project of both lanes without a filter', () => {
    expect(pickProjects([], UNIT)).toEqual(UNIT);
    expect(pickProjects([], INTEGRATION)).toEqual(INTEGRATION);
  });

  it("should pick a lane's projects with vitest's wildcards, and only those", () => {
    expect(pickProjects(['engine'], UNIT)).toEqual([]);
    expect(pickProjects(['engine'], INTEGRATION)).toEqual(['engine']);
    expect(pickProjects(['engine*'], UNIT)).toEqual(['engine-unit']);
    expect(pickProjects(['engine*'], INTEGRATION)).toEqual(['engine']);
    expect(pickProjects(['*-unit'], INTEGRATION)).toEqual([]);
    expect(pickProjects(['WEB-*'], UNIT)).toEqual(['web-unit']);
    expect(pickProjects(['!web*'], INTEGRATION)).toEqual(['database', 'engine']);
    expect(pickProjects(['web-unit', 'database'], INTEGRATION)).toEqual(['database']);
    expect(pickProjects(['web.unit'], UNIT)).toEqual([]);
  });

  it('should take --project in both spellings out of the arguments vitest gets', () => {
    expect(
      splitProjectArgs([
        '--project',
        'engine',
        'engine/test/a.test.ts',
        '--project=web-*',
        '-t',
        'x',
      ]),
    ).toEqual({ filters: ['engine', 'web-*'], rest: ['engine/test/a.test.ts', '-t', 'x'] });
  });

  it('should count what passed and failed in a lane', () => {
    expect(
      laneCounts(report({ numPassedTests: 7, numPendingTests: 2, numTodoTests: 1 }), 0),
    ).toEqual({ passed: 7, failed: 0, skipped: 3 });
    expect(laneCounts(report({ numPassedTests: 7, numFailedTests: 2 }), 1)).toEqual({
      passed: 7,
      failed: 2,
      skipped: 0,
    });
  });

  it('should count a lane that failed without a failed test as failed', () => {
    // a file that does not even load: no failed test in it, beside a file with one
    const broken = { status: 'failed', assertionResults: [] };
    const failing = { status: 'failed', assertionResults: [{ status: 'failed' }] };
    expect(laneCounts(report({ numPassedTests: 5, testResults: [broken] }), 1).failed).toBe(1);
    expect(
      laneCounts(report({ numFailedTests: 1, testResults: [broken, failing] }), 1).failed,
    ).toBe(2);
    // vitest stopped before writing its report (a global setup that threw)
    expect(laneCounts(undefined, 1)).toEqual({ passed: 0, failed: 1, skipped: 0 });
    // an error outside any test (an unhandled rejection) fails the run with everything passed
    expect(laneCounts(report({ numPassedTests: 5 }), 1).failed).toBe(1);
  });
});
