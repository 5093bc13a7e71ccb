import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compareIds,
  diffKnownFailures,
  loadKnownFailures,
  saveKnownFailures,
  updateKnownFailures,
} from './known-failures.ts';
import type { CaseResult } from './runner.ts';

const result = (
  id: string,
  status: CaseResult['status'],
  category: CaseResult['category'] = 'scored',
): CaseResult => ({
  id,
  dir: 'd',
  file: 'f.yaml',
  index: 0,
  transport: 'http',
  kind: 'http-case',
  pyClass: 'P',
  category,
  status,
  strict: status === 'pass',
  upstream: status === 'pass',
  keyOrder: 'not-checked',
  wave: 1,
  durationMs: 0,
  reason: status === 'fail' ? 'boom' : undefined,
});

describe('Conformance > known failures', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-known-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('should find new failures, listed cases that pass, unclassified and unknown entries', () => {
    const known = new Map([
      ['d/a.yaml#0', 'needs mutations (issue 5)'],
      ['d/b.yaml#0', 'unclassified'],
      ['d/gone.yaml#0', 'x'],
    ]);
    const results = [
      result('d/a.yaml#0', 'fail'),
      result('d/b.yaml#0', 'pass'),
      result('d/c.yaml#0', 'fail'),
      result('d/s.yaml#0', 'skip'),
      result('d/x.yaml#0', 'fail', 'xfail_upstream'),
      result('d/u.yaml#0', 'fail', 'unreferenced'),
    ];
    const diff = diffKnownFailures(results, known, true);
    expect(diff.regressions.map((r) => r.id)).toEqual(['d/c.yaml#0', 'd/u.yaml#0']);
    expect(diff.fixed).toEqual(['d/b.yaml#0']);
    expect(diff.unclassified).toEqual(['d/b.yaml#0']);
    expect(diff.unknown).toEqual(['d/gone.yaml#0']);
    // a partial run cannot tell unknown ids
    expect(diffKnownFailures(results, known, false).unknown).toEqual([]);
  });

  it('should shrink the list, keep reasons, and ask for new ones', async () => {
    const known = new Map([
      ['d/a.yaml#0', 'needs mutations (issue 5)'],
      ['d/b.yaml#0', 'old'],
      ['d/notrun.yaml#0', 'kept in a partial run'],
      ['d/s.yaml#0', 'kept while skipped'],
    ]);
    const results = [
      result('d/a.yaml#0', 'fail'),
      result('d/b.yaml#0', 'pass'),
      result('d/c.yaml#0', 'fail'),
      result('d/s.yaml#0', 'skip'),
    ];
    const asked: string[] = [];
    const updated = await updateKnownFailures(
      results,
      known,
      async (r) => {
        asked.push(r.id);
        return '';
      },
      false,
    );
    expect(asked).toEqual(['d/c.yaml#0']);
    expect(Object.fromEntries(updated)).toEqual({
      'd/a.yaml#0': 'needs mutations (issue 5)',
      'd/c.yaml#0': 'unclassified',
      'd/notrun.yaml#0': 'kept in a partial run',
      'd/s.yaml#0': 'kept while skipped',
    });
    const full = await updateKnownFailures(results, known, async () => 'r', true);
    expect(full.has('d/notrun.yaml#0')).toBe(false);
  });

  it('should save sorted by file and numeric index, and load it back', () => {
    const file = path.join(tmp, 'known.json');
    const known = new Map([
      ['d/b.yaml#10', 'x'],
      ['d/b.yaml#2@websocket', 'y'],
      ['d/b.yaml#2', 'z'],
      ['d/a.yaml#1', 'w'],
    ]);
    saveKnownFailures(file, known);
    const text = fs.readFileSync(file, 'utf8');
    expect(Object.keys(JSON.parse(text).failures)).toEqual([
      'd/a.yaml#1',
      'd/b.yaml#2',
      'd/b.yaml#2@websocket',
      'd/b.yaml#10',
    ]);
    expect(loadKnownFailures(file)).toEqual(known);
    expect(loadKnownFailures(path.join(tmp, 'missing.json')).size).toBe(0);
    expect(compareIds('a#1', 'a#1')).toBe(0);
  });

  it('should refuse an entry without a reason', () => {
    const file = path.join(tmp, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ failures: { 'd/a.yaml#0': '' } }));
    expect(() => loadKnownFailures(file)).toThrow(/reason for d\/a.yaml#0/);
  });
});
