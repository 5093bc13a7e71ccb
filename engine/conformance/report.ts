/**
 * Text output of a run: one line per case (`PASS` / `FAIL` / `SKIP` id — reason), a table per
 * directory, the separately scored categories, and the final `N passed, M failed, K skipped` line.
 */
import type { KnownFailures, KnownFailuresDiff } from './known-failures.ts';
import type { CaseResult, GroupReport, RunResult } from './runner.ts';

const TAGS: Record<CaseResult['category'], string> = {
  scored: '',
  unreferenced: ' [unreferenced]',
  xfail_upstream: ' [xfail upstream]',
  skip: '',
};

export function caseLine(r: CaseResult, known?: KnownFailures): string {
  const tag = TAGS[r.category];
  if (r.status === 'skip') return `SKIP ${r.id} — ${r.reason ?? 'skipped'}`;
  if (r.status === 'pass') {
    const order =
      r.keyOrder === 'mismatch' ? ` (key order differs: ${r.keyOrderDetail ?? ''})` : '';
    return `PASS ${r.id}${tag}${order}`;
  }
  const compat = r.upstream ? ' (passes upstream-compatible)' : '';
  const listed =
    known === undefined
      ? ''
      : known.has(r.id)
        ? ' [known failure]'
        : r.category === 'xfail_upstream'
          ? ''
          : ' [NEW FAILURE]';
  return `FAIL ${r.id}${tag} — ${r.reason ?? 'failed'}${compat}${listed}`;
}

export function groupLines(
  results: CaseResult[],
  report: GroupReport,
  known?: KnownFailures,
): string[] {
  const lines = results.map((r) => caseLine(r, known));
  for (const t of report.teardownErrors)
    lines.push(`WARN ${report.dir} (${report.pyClass ?? 'unreferenced'}) teardown: ${t}`);
  return lines;
}

interface Row {
  dir: string;
  cases: number;
  pass: number;
  fail: number;
  skip: number;
  upstream: number;
  keyOrder: number;
  notes: string[];
}

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

export function directoryTable(result: RunResult): string[] {
  const rows = new Map<string, Row>();
  for (const r of result.cases) {
    let row = rows.get(r.dir);
    if (!row) {
      row = {
        dir: r.dir,
        cases: 0,
        pass: 0,
        fail: 0,
        skip: 0,
        upstream: 0,
        keyOrder: 0,
        notes: [],
      };
      rows.set(r.dir, row);
    }
    row.cases++;
    row[r.status]++;
    if (r.status !== 'skip' && r.upstream) row.upstream++;
    if (r.keyOrder === 'mismatch') row.keyOrder++;
  }
  for (const g of result.groups) {
    const row = rows.get(g.dir);
    if (!row) continue;
    if (g.setupError)
      row.notes.push(`${g.pyClass ?? 'unreferenced'}: ${g.setupError.slice(0, 80)}`);
    if (g.teardownErrors.length > 0)
      row.notes.push(`${g.pyClass ?? 'unreferenced'}: teardown failed`);
  }
  const width = Math.max(9, ...[...rows.keys()].map((k) => k.length));
  const header = `${pad('directory', width)}  ${pad('cases', 5, true)} ${pad('pass', 5, true)} ${pad('fail', 5, true)} ${pad('skip', 5, true)} ${pad('compat', 6, true)} ${pad('order', 5, true)}  notes`;
  const lines = [header, '-'.repeat(header.length)];
  for (const row of rows.values()) {
    lines.push(
      `${pad(row.dir, width)}  ${pad(row.cases, 5, true)} ${pad(row.pass, 5, true)} ${pad(row.fail, 5, true)} ${pad(row.skip, 5, true)} ${pad(row.upstream, 6, true)} ${pad(row.keyOrder, 5, true)}  ${row.notes.join('; ')}`,
    );
  }
  lines.push(
    '(compat: passes upstream-compatible scoring; order: key-order mismatches, not failures)',
  );
  return lines;
}

function count(results: CaseResult[], pred: (r: CaseResult) => boolean): number {
  return results.filter(pred).length;
}

export function summaryLines(result: RunResult, diff?: KnownFailuresDiff): string[] {
  const cs = result.cases;
  const scored = cs.filter((r) => r.category === 'scored' && r.status !== 'skip');
  const lines: string[] = [];
  const passed = count(scored, (r) => r.status === 'pass');
  const failed = count(scored, (r) => r.status === 'fail');
  // each wave's score apart, so that a second wave's arrival never hides a first-wave regression
  for (const wave of [...new Set(cs.map((r) => r.wave))].sort()) {
    const ws = scored.filter((r) => r.wave === wave);
    lines.push(
      `wave ${wave}: ${count(ws, (r) => r.status === 'pass')} passed, ${count(ws, (r) => r.status === 'fail')} failed, ${count(cs, (r) => r.wave === wave && r.status === 'skip')} skipped`,
    );
  }
  lines.push(
    `scored cases: ${passed} passed, ${failed} failed (strict); upstream-compatible: ${count(scored, (r) => r.upstream)} passed; key order: ${count(scored, (r) => r.keyOrder === 'mismatch')} mismatch(es)`,
  );
  for (const cat of ['unreferenced', 'xfail_upstream'] as const) {
    const rs = cs.filter((r) => r.category === cat && r.status !== 'skip');
    if (rs.length > 0) {
      lines.push(
        `${cat === 'unreferenced' ? 'unreferenced (no upstream test uses them; reported apart)' : 'xfail_upstream (Hasura fails them too; excluded from the score)'}: ${count(rs, (r) => r.status === 'pass')} passed, ${count(rs, (r) => r.status === 'fail')} failed`,
      );
    }
  }
  const skipped = cs.filter((r) => r.status === 'skip');
  if (skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const r of skipped) {
      const key = (r.reason ?? 'skipped').replace(/ \(.*\)$/, '');
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    lines.push(`skipped: ${skipped.length}`);
    for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]))
      lines.push(`  ${n} × ${reason}`);
  }
  if (diff) {
    lines.push(
      `known failures: ${diff.regressions.length} new failure(s), ${diff.fixed.length} listed case(s) now passing, ${diff.unclassified.length} unclassified, ${diff.unknown.length} unknown id(s)`,
    );
    for (const r of diff.regressions) lines.push(`  NEW FAILURE ${r.id} — ${r.reason ?? ''}`);
    for (const id of diff.fixed)
      lines.push(`  NOW PASSING ${id} (remove it: --update-known-failures)`);
    for (const id of diff.unknown) lines.push(`  UNKNOWN ID ${id}`);
  }
  lines.push(
    `duration: ${(result.durationMs / 1000).toFixed(1)} s (${result.mode} engine${result.groups.length > 1 ? `, ${result.groups.length} groups` : ''})`,
  );
  lines.push(`${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  return lines;
}
