/**
 * `@cached(ttl: Int = 60, refresh: Boolean = false)` on a query (Hasura's query response cache):
 * the answer is kept in the store (cache/: in-process, or Redis) for `ttl` seconds and served
 * from it until then, with Hasura's headers — `Cache-Control: max-age=<seconds left>`,
 * `X-Hasura-Query-Cache-Key`, `X-Hasura-Query-Family-Cache-Key`.
 *
 * The key is what decides the answer, so no role or session can read another's: the role, the
 * operation and document as sent, the SQL statement the role's plan runs (its permissions
 * written in), and every value bound to it — the variables and exactly the session variables the
 * statement reads (permission filters, `where`s, session arguments). Two users whose permissions
 * read their own x-hasura-user-id get different keys; two whose sessions differ only in what the
 * statement never reads share one. Only answers without errors are kept.
 */
import { createHash } from 'node:crypto';
import { valueFromASTUntyped } from 'graphql';
import { QErr } from '../errors.ts';
import type { QueryCacheStore } from '../cache/store.ts';
import type { ExecOptions, Prepared, Step } from './planner.ts';
import type { QueryPlan } from './query.ts';

/** Hasura's default TTL and the longest it accepts (seconds). */
const DEFAULT_TTL = 60;
export const MAX_TTL = 3600;

export interface CacheDirective {
  ttl: number;
  refresh: boolean;
}

/** The operation's `@cached` directive, if it has one. */
export function cacheDirective(p: Prepared): CacheDirective | null {
  const d = p.op.directives?.find((x) => x.name.value === 'cached');
  if (!d) return null;
  const vars: Record<string, unknown> = {};
  for (const [k, v] of p.variables) vars[k] = v.provided ? v.value : undefined;
  const arg = (name: string) => {
    const a = d.arguments?.find((x) => x.name.value === name);
    return a ? valueFromASTUntyped(a.value, vars) : undefined;
  };
  const ttl = arg('ttl') ?? DEFAULT_TTL;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0)
    throw new QErr('validation-failed', 'the ttl of @cached must be a non-negative integer', 200);
  if (ttl > MAX_TTL)
    throw new QErr(
      'validation-failed',
      `the ttl of @cached is more than the maximum ${MAX_TTL}`,
      200,
    );
  return { ttl, refresh: arg('refresh') === true };
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

const json = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

export interface CacheKeys {
  key: string;
  family: string;
}

/** The answer's key (with the bound values) and its family (the same query, any values). */
export function cacheKeys(p: Prepared, plan: QueryPlan, values: unknown[][]): CacheKeys {
  // p.key: role, Backend scenario, operationName, document
  const texts = plan.statements.map((s) => `${s.source}\u0000${s.compiled.text}`).join('\u0000');
  const family = sha1(`${p.key}\u0000${texts}`);
  return { family, key: sha1(`${family}\u0000${json(values ?? [])}`) };
}

export function cacheHeaders(keys: CacheKeys, ttl: number): Array<{ name: string; value: string }> {
  return [
    { name: 'Cache-Control', value: `max-age=${ttl}` },
    { name: 'X-Hasura-Query-Cache-Key', value: keys.key },
    { name: 'X-Hasura-Query-Family-Cache-Key', value: keys.family },
  ];
}

/**
 * The answer of a cached query: from the store, or `run()`'s, stored. A store that fails is
 * skipped (`onStoreError`), never the request.
 */
export async function cachedAnswer(
  store: QueryCacheStore,
  directive: CacheDirective,
  keys: CacheKeys,
  run: () => Promise<string>,
  onStoreError: (e: unknown) => void,
): Promise<{ body: string; ttl: number; hit: boolean }> {
  if (!directive.refresh) {
    const hit = await store.get(keys.key).catch((e: unknown) => (onStoreError(e), null));
    if (hit) return { body: hit.body, ttl: hit.ttl, hit: true };
  }
  const body = await run();
  if (directive.ttl > 0)
    await store.set(keys.key, body, directive.ttl).catch((e: unknown) => onStoreError(e));
  return { body, ttl: directive.ttl, hit: false };
}

/**
 * `step` as a cached step (Hasura's cached result): its answer comes from the store while kept,
 * with the cache's headers. Only a step that answers bytes (a query's one statement) is cached.
 */
export function cachedStep(
  step: Step,
  cache: NonNullable<ExecOptions['queryCache']>,
  directive: CacheDirective,
  keys: CacheKeys,
): Step {
  const run = async () => {
    const a = await step.run();
    if (!('body' in a)) throw new Error('a cached step answers bytes');
    return a.body;
  };
  return {
    kind: 'cached',
    keys: step.keys,
    run: async () => {
      const answer = await cachedAnswer(cache.store, directive, keys, run, (e) => cache.onError(e));
      cache.count(answer.hit);
      return { body: answer.body, headers: cacheHeaders(keys, answer.ttl) };
    },
  };
}
