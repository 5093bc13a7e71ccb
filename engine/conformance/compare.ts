/**
 * The comparison rules of the cases folder's README ("How to compare responses"):
 *
 * - status: exactly the expected one;
 * - headers: the expected `resp_headers` are a subset of the actual headers (names without case);
 * - body: arrays equal in length and order, objects with the same key set (key order ignored),
 *   scalars by JSON value (`1 == 1.0`, `"1" != 1`); `allowed_responses` passes when any
 *   alternative does; no `response` means the status alone is checked.
 *
 * Each case is scored two ways: **strict** (exact error message, code and path too) and
 * **upstream-compatible** (as Hasura's own harness: when both the expected and the actual body
 * carry `errors`/`error`, a mismatch is only a warning). Legacy directories, whose error wording
 * predates upstream rewording, compare errors without their `message` in strict mode.
 *
 * Key order is judged separately (`keyOrder`): keys of objects built from a GraphQL selection set
 * must come in selection order (aliases and fragments followed); leaf values (json, geojson),
 * `errors` and the top level are unordered.
 */
import {
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Json } from './yaml-load.ts';

export interface Expectation {
  status: number;
  /** Absent: only the status (and headers) are checked. */
  response?: Json;
  allowedResponses?: Array<{ response: Json; respHeaders?: Record<string, Json> }>;
  respHeaders?: Record<string, Json>;
}

export interface ActualResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

export interface CompareOptions {
  /** Compare error objects without their message (legacy expectations). */
  softErrorMessages?: boolean;
  /** The request body, to derive the selection-set key order. */
  request?: unknown;
}

export type KeyOrder = 'ok' | 'mismatch' | 'not-checked';

export interface Verdict {
  strict: boolean;
  upstream: boolean;
  keyOrder: KeyOrder;
  /** First problem found (strict), for the FAIL line. */
  reason?: string;
  /** Up to a few body differences with their JSON paths. */
  diffs: string[];
  /** Where key order is off, when it is. */
  keyOrderDetail?: string;
}

const MAX_DIFFS = 5;

export function compareResponse(
  exp: Expectation,
  actual: ActualResponse,
  opts: CompareOptions = {},
): Verdict {
  const keyOrderResult = checkKeyOrder(actual.body, opts.request);
  const base = { keyOrder: keyOrderResult.order, keyOrderDetail: keyOrderResult.detail };

  if (actual.status !== exp.status) {
    const reason = `status: expected ${exp.status}, got ${actual.status}${bodySummary(actual.body)}`;
    return { strict: false, upstream: false, reason, diffs: [], ...base };
  }

  const alternatives: Array<{ response: Json | undefined; respHeaders?: Record<string, Json> }> =
    exp.allowedResponses && exp.allowedResponses.length > 0
      ? exp.allowedResponses
      : [{ response: exp.response, ...(exp.respHeaders ? { respHeaders: exp.respHeaders } : {}) }];

  let first: Verdict | undefined;
  for (const alt of alternatives) {
    const v = compareOne(alt.response, alt.respHeaders, actual, opts);
    const verdict = { ...v, ...base };
    if (verdict.strict) return verdict;
    if (first === undefined) first = verdict;
    else if (verdict.upstream && !first.upstream) first = { ...first, upstream: true };
  }
  return first as Verdict;
}

function compareOne(
  expected: Json | undefined,
  respHeaders: Record<string, Json> | undefined,
  actual: ActualResponse,
  opts: CompareOptions,
): Omit<Verdict, 'keyOrder' | 'keyOrderDetail'> {
  const headerProblem = checkHeaders(respHeaders, actual.headers);
  if (expected === undefined) {
    const ok = headerProblem === undefined;
    return { strict: ok, upstream: ok, diffs: [], ...(ok ? {} : { reason: headerProblem }) };
  }

  const diffs: string[] = [];
  const equal = deepEqual(expected, actual.body, '$', diffs, opts.softErrorMessages === true);
  const upstream = equal || errorsOnBothSides(expected, actual.body);
  let reason: string | undefined;
  if (!equal) reason = describeMismatch(expected, actual.body, diffs);
  else if (headerProblem !== undefined) reason = headerProblem;
  return {
    strict: equal && headerProblem === undefined,
    upstream: upstream && headerProblem === undefined,
    diffs: diffs.slice(0, MAX_DIFFS),
    ...(reason !== undefined ? { reason } : {}),
  };
}

function checkHeaders(
  expected: Record<string, Json> | undefined,
  actual: Record<string, string>,
): string | undefined {
  if (!expected) return undefined;
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name.toLowerCase()];
    const want = typeof value === 'string' ? value : JSON.stringify(value);
    if (got !== want) {
      return `header ${name}: expected ${JSON.stringify(want)}, got ${got === undefined ? 'none' : JSON.stringify(got)}`;
    }
  }
  return undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function hasErrors(x: unknown): boolean {
  return (
    isObject(x) &&
    ((x.errors !== undefined && x.errors !== null) || (x.error !== undefined && x.error !== null))
  );
}

/** Upstream's leniency: both sides are errors (element by element for a batch). */
function errorsOnBothSides(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return false;
    return expected.every(
      (e, i) => deepEqual(e, actual[i], '$', [], false) || (hasErrors(e) && hasErrors(actual[i])),
    );
  }
  return hasErrors(expected) && hasErrors(actual);
}

function describeMismatch(expected: unknown, actual: unknown, diffs: string[]): string {
  if (isObject(expected) && isObject(actual)) {
    if ('data' in expected && !hasErrors(expected) && hasErrors(actual)) {
      return `expected data, got error: ${firstError(actual)}`;
    }
    if (hasErrors(expected) && !hasErrors(actual))
      return `expected an error (${firstError(expected)}), got data`;
  }
  return diffs[0] ?? 'body differs';
}

function firstError(body: Record<string, unknown>): string {
  const e = Array.isArray(body.errors)
    ? body.errors[0]
    : body.error !== undefined
      ? body
      : undefined;
  if (!isObject(e)) return JSON.stringify(body.errors ?? body.error);
  const msg = (e.message ?? e.error) as unknown;
  const ext = isObject(e.extensions) ? e.extensions : e;
  return `${JSON.stringify(msg)} [${String(ext.code)} at ${String(ext.path)}]`;
}

function show(v: unknown): string {
  const s = typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function bodySummary(body: unknown): string {
  if (hasErrors(body)) return ` (${firstError(body as Record<string, unknown>)})`;
  const s = show(body);
  return s === 'undefined' ? '' : ` (${s})`;
}

function keyPath(base: string, k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${base}.${k}` : `${base}[${JSON.stringify(k)}]`;
}

/** Deep equality by the README's rules, collecting differences. */
export function deepEqual(
  exp: unknown,
  act: unknown,
  at: string,
  diffs: string[],
  softMessages: boolean,
): boolean {
  const note = (d: string) => {
    if (diffs.length < MAX_DIFFS) diffs.push(d);
    return false;
  };
  if (
    (typeof exp === 'number' || typeof exp === 'bigint') &&
    (typeof act === 'number' || typeof act === 'bigint')
  ) {
    const same = typeof exp === typeof act ? exp === act : Number(exp) === Number(act);
    return same || note(`${at}: expected ${show(exp)}, got ${show(act)}`);
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(act)) return note(`${at}: expected an array, got ${show(act)}`);
    if (exp.length !== act.length) {
      deepEqualItems(exp, act, at, diffs, softMessages);
      return note(`${at}: expected ${exp.length} items, got ${act.length}`);
    }
    return deepEqualItems(exp, act, at, diffs, softMessages);
  }
  if (isObject(exp)) {
    if (!isObject(act)) return note(`${at}: expected an object, got ${show(act)}`);
    let ok = true;
    // legacy expectations: the wording of GraphQL (`errors[n].message`) and REST (`error`) errors
    const softKey = !softMessages
      ? undefined
      : /\.errors\[\d+\]$/.test(at)
        ? 'message'
        : /^\$(\[\d+\])?$/.test(at) && 'code' in exp && 'error' in exp
          ? 'error'
          : undefined;
    for (const k of Object.keys(exp)) {
      if (!(k in act)) {
        ok = note(`${keyPath(at, k)}: missing (expected ${show(exp[k])})`);
        continue;
      }
      if (k === softKey) continue;
      if (!deepEqual(exp[k], act[k], keyPath(at, k), diffs, softMessages)) ok = false;
    }
    for (const k of Object.keys(act)) {
      if (!(k in exp)) ok = note(`${keyPath(at, k)}: unexpected key (value ${show(act[k])})`);
    }
    return ok;
  }
  return exp === act || note(`${at}: expected ${show(exp)}, got ${show(act)}`);
}

function deepEqualItems(
  exp: unknown[],
  act: unknown[],
  at: string,
  diffs: string[],
  soft: boolean,
): boolean {
  let ok = true;
  const n = Math.min(exp.length, act.length);
  for (let i = 0; i < n; i++)
    if (!deepEqual(exp[i], act[i], `${at}[${i}]`, diffs, soft)) ok = false;
  return ok && exp.length === act.length;
}

// --- key order ---------------------------------------------------------------------------------

/** A selection set as the response keys it produces, in order, with their sub-selections. */
interface Selection {
  order: string[];
  children: Map<string, Selection | null>;
}

function buildSelection(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  into: Selection = { order: [], children: new Map() },
  seen: Set<string> = new Set(),
): Selection {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const key = sel.alias?.value ?? sel.name.value;
      if (!into.children.has(key)) {
        into.order.push(key);
        into.children.set(key, null);
      }
      if (sel.selectionSet) {
        const prev = into.children.get(key) ?? undefined;
        into.children.set(
          key,
          buildSelection(sel.selectionSet, fragments, prev ?? undefined, new Set(seen)),
        );
      }
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      buildSelection(sel.selectionSet, fragments, into, seen);
    } else {
      const name = sel.name.value;
      const frag = fragments.get(name);
      if (frag && !seen.has(name))
        buildSelection(frag.selectionSet, fragments, into, new Set([...seen, name]));
    }
  }
  return into;
}

function operationSelection(request: unknown): Selection | undefined {
  if (!isObject(request) || typeof request.query !== 'string') return undefined;
  let doc: DocumentNode;
  try {
    doc = parse(request.query);
  } catch {
    return undefined;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const named = typeof request.operationName === 'string' ? request.operationName : undefined;
  const op = (named ? ops.find((o) => o.name?.value === named) : undefined) ?? ops[0];
  return op ? buildSelection(op.selectionSet, fragments) : undefined;
}

function orderProblem(value: unknown, sel: Selection, at: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = orderProblem(value[i], sel, `${at}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  let last = -1;
  let lastKey = '';
  for (const k of Object.keys(value)) {
    const pos = sel.order.indexOf(k);
    if (pos < 0) continue; // not selected: the key-set comparison reports it
    if (pos < last) {
      return `${at}: ${JSON.stringify(k)} comes after ${JSON.stringify(lastKey)}, but is selected before it`;
    }
    last = pos;
    lastKey = k;
    const child = sel.children.get(k);
    if (child) {
      const p = orderProblem(value[k], child, keyPath(at, k));
      if (p) return p;
    }
  }
  return undefined;
}

/** Are the keys of `data` in selection order? Batched requests are checked element by element. */
export function checkKeyOrder(
  body: unknown,
  request: unknown,
): { order: KeyOrder; detail?: string } {
  const pairs: Array<[unknown, unknown, string]> =
    Array.isArray(request) && Array.isArray(body)
      ? request.map((r, i) => [body[i], r, `$[${i}]`] as [unknown, unknown, string])
      : [[body, request, '$']];
  let checked = false;
  for (const [b, r, at] of pairs) {
    if (!isObject(b) || !isObject(b.data)) continue;
    const sel = operationSelection(r);
    if (!sel) continue;
    checked = true;
    const problem = orderProblem(b.data, sel, `${at}.data`);
    if (problem) return { order: 'mismatch', detail: problem };
  }
  return { order: checked ? 'ok' : 'not-checked' };
}
