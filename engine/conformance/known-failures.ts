/**
 * The list of cases the engine is known not to pass, with the reason for each
 * (engine/conformance/known-failures.json):
 *
 *     {
 *       "_doc": "…",
 *       "failures": {
 *         "graphql_mutation/insert/basic/person_jsonb.yaml#0": "needs mutations (issue 5)",
 *         "graphql_query/basic/select_query_author.yaml#0@websocket": "needs subscriptions (issue 6)"
 *       }
 *     }
 *
 * Keys are case ids (`<dir>/<file>#<index>`, plus `@websocket` / `@subscription` for a replay);
 * values say why. The list only shrinks: a failure that is not listed is a regression, and a listed
 * case that passes must be removed (`--update-known-failures` does both, keeping the reasons of
 * entries that still fail). The reason "unclassified" is refused by the conformance test.
 */
import fs from 'node:fs';
import type { CaseResult } from './runner.ts';

export const UNCLASSIFIED = 'unclassified';

const DOC =
  'Cases of the conformance folder the engine does not pass yet, by case id ' +
  '(<dir>/<file>#<index>, plus @websocket / @subscription for a replay), each with its reason. ' +
  'Rewrite with `npm run conformance -- --update-known-failures`. The conformance test fails on a ' +
  'failure not listed here, on a listed case that now passes, and on an "unclassified" reason.';

export type KnownFailures = Map<string, string>;

export function loadKnownFailures(file: string): KnownFailures {
  if (!fs.existsSync(file)) return new Map();
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { failures?: Record<string, unknown> };
  const out: KnownFailures = new Map();
  for (const [id, reason] of Object.entries(raw.failures ?? {})) {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`${file}: the reason for ${id} must be a non-empty string`);
    }
    out.set(id, reason);
  }
  return out;
}

export function saveKnownFailures(file: string, known: KnownFailures): void {
  const failures: Record<string, string> = {};
  for (const id of [...known.keys()].sort(compareIds)) failures[id] = known.get(id) as string;
  fs.writeFileSync(file, `${JSON.stringify({ _doc: DOC, failures }, null, 2)}\n`);
}

/** Order ids by file, then numerically by index, then transport. */
export function compareIds(a: string, b: string): number {
  const split = (id: string) => {
    const m = /^(.*)#(\d+)(@.*)?$/.exec(id);
    return m ? ([m[1] as string, Number(m[2]), m[3] ?? ''] as const) : ([id, 0, ''] as const);
  };
  const [fa, ia, ta] = split(a);
  const [fb, ib, tb] = split(b);
  return fa < fb ? -1 : fa > fb ? 1 : ia !== ib ? ia - ib : ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** Results whose outcome is held against the known-failures list. */
export function isTracked(r: CaseResult): boolean {
  return r.status !== 'skip' && (r.category === 'scored' || r.category === 'unreferenced');
}

export interface KnownFailuresDiff {
  /** Failing, and not listed. */
  regressions: CaseResult[];
  /** Listed, and passing now. */
  fixed: string[];
  /** Listed with the reason "unclassified". */
  unclassified: string[];
  /** Listed, but no case has this id (only reported for a run of every case). */
  unknown: string[];
}

export function diffKnownFailures(
  results: CaseResult[],
  known: KnownFailures,
  fullRun: boolean,
): KnownFailuresDiff {
  const regressions: CaseResult[] = [];
  const fixed: string[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    seen.add(r.id);
    if (!isTracked(r)) continue;
    const listed = known.has(r.id);
    if (r.status === 'fail' && !listed) regressions.push(r);
    if (r.status === 'pass' && listed) fixed.push(r.id);
  }
  const unclassified = [...known]
    .filter(([, reason]) => reason.trim() === UNCLASSIFIED)
    .map(([id]) => id);
  const unknown = fullRun ? [...known.keys()].filter((id) => !seen.has(id)) : [];
  return { regressions, fixed, unclassified, unknown };
}

/**
 * The new list after a run: entries of cases that now pass are dropped, entries of cases not run
 * (or skipped) are kept, still-failing entries keep their reason, new failures get `reasonFor`.
 */
export async function updateKnownFailures(
  results: CaseResult[],
  known: KnownFailures,
  reasonFor: (r: CaseResult) => Promise<string>,
  fullRun: boolean,
): Promise<KnownFailures> {
  const out: KnownFailures = new Map(known);
  const ran = new Set(results.map((r) => r.id));
  if (fullRun) for (const id of known.keys()) if (!ran.has(id)) out.delete(id);
  for (const r of results) {
    if (!isTracked(r)) continue;
    if (r.status === 'pass') out.delete(r.id);
    else if (!out.has(r.id)) out.set(r.id, (await reasonFor(r)).trim() || UNCLASSIFIED);
  }
  return out;
}

/**
 * A first classification of a failure, for `--reason auto`: the issue that brings the missing
 * feature when the case needs one, else the failure itself (a precise engine gap to review).
 */
export function suggestReason(r: CaseResult): string {
  const why = (r.reason ?? 'fails').replace(/ \[NEW FAILURE\]$/, '');
  if (/websocket transport not yet served/.test(why)) {
    return 'needs subscriptions and the websocket transport (issue 6)';
  }
  if (r.dir.includes('graphql_mutation/') || /no mutations exist/.test(why))
    return 'needs mutations (issue 5)';
  return `engine gap: ${why.length > 240 ? `${why.slice(0, 237)}...` : why}`;
}
