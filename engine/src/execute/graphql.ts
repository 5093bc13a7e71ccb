/**
 * One GraphQL request, from JSON body to response text: the planner (planner.ts) prepares it, the
 * operation hooks (ExecOptions.operationHooks: root fields that are not Postgres statements, such
 * as actions) may answer it, and otherwise the operation's type picks the plan and the run — a
 * query's cached statement (query.ts) or a mutation's transaction (mutation.ts). Subscriptions
 * are planned by the same planner over WebSocket (subscription/plan.ts); over HTTP they are
 * Hasura's error.
 */
import { encodeGqlError, QErr, toQErr } from '../errors.ts';
import type { Session } from '../session.ts';
import { executeMutation } from './mutation.ts';
import { buildQueryPlan, planQuery, runQuery } from './query.ts';
import { cacheDirective, cachedAnswer, cacheHeaders, cacheKeys } from './query-cache.ts';
import {
  checkSessionVars,
  paramsByKey,
  placeholderLookup,
  prepare,
  type ExecOptions,
  type HookResult,
  type Prepared,
} from './planner.ts';
import { bindPlaceholders } from '@streamsync/database';
import type { EngineState } from './state.ts';

export type { ExecOptions, OperationCall, OperationHook } from './planner.ts';
export { PERSISTED_QUERY_NOT_SUPPORTED } from './request.ts';

export interface ExecResult extends HookResult {
  /** the error came from executing the statement, not from parsing or planning (WebSocket framing) */
  postExec?: boolean;
}

const errorBody = (e: QErr, includeInternal: boolean): ExecResult => ({
  body: JSON.stringify({ errors: [encodeGqlError(e, includeInternal)] }),
  isError: true,
  errorCodes: [e.code],
});

export async function executeRequest(
  state: EngineState,
  session: Session,
  req: unknown,
  opts: ExecOptions,
): Promise<ExecResult> {
  try {
    return await executeOne(state, session, req, opts);
  } catch (e) {
    const q = toQErr(opts.limits.refused(e));
    const out = errorBody(q, opts.includeInternal && session.isAdmin);
    if ((e as { postExec?: boolean }).postExec) out.postExec = true;
    return out;
  }
}

async function executeOne(
  state: EngineState,
  session: Session,
  req: unknown,
  opts: ExecOptions,
): Promise<ExecResult> {
  const p = prepare(state, session, req, opts.limits);
  if (p.op.type !== 'subscription') {
    for (const hook of opts.operationHooks ?? []) {
      const taken = await hook({
        state,
        session,
        op: p.op,
        variables: p.variables,
        queryText: p.document,
        opts,
        rest: (op) => runUncached({ ...p, op, cached: undefined }, opts),
      });
      if (taken) return taken;
    }
  }
  const ok = (body: string): ExecResult => ({ body, isError: false, errorCodes: [] });
  switch (p.op.type) {
    case 'mutation':
      return ok(`{"data":${await executeMutation(p, opts)}}`);
    case 'subscription':
      throw new QErr(
        'unexpected-payload',
        'subscriptions are not supported over HTTP, use websockets instead',
        200,
      );
    case 'query': {
      const { plan, values } = planQuery(p, opts);
      const run = () => runQuery(plan, values, opts, p.limits.role.time);
      const directive = cacheDirective(p);
      if (!directive || !opts.queryCache) return ok(await run());
      const keys = cacheKeys(p, plan, values);
      const answer = await cachedAnswer(opts.queryCache.store, directive, keys, run, (e) =>
        opts.queryCache?.onError(e),
      );
      opts.queryCache.count(answer.hit);
      return { ...ok(answer.body), headers: cacheHeaders(keys, answer.ttl) };
    }
  }
}

/** An operation run without the plan cache: its `data` object (a hook's other root fields). */
async function runUncached(p: Prepared, opts: ExecOptions): Promise<Record<string, unknown>> {
  if (p.op.type === 'mutation') return JSON.parse(await executeMutation(p, opts)) as never;
  const { plan } = buildQueryPlan(p, opts);
  checkSessionVars(plan.sessionVars, p.session);
  const values = plan.compiled
    ? bindPlaceholders(
        plan.compiled,
        placeholderLookup(paramsByKey(plan.params), p.values, p.session),
      )
    : null;
  const body = await runQuery(plan, values, opts, p.limits.role.time);
  return (JSON.parse(body) as { data: Record<string, unknown> }).data;
}
