/**
 * One GraphQL request, from JSON body to response text: the planner (planner.ts) prepares it, and
 * the operation's type picks the plan and the run — a query's cached statement (query.ts) or a
 * mutation's transaction (mutation.ts). Subscriptions are planned by the same planner over
 * WebSocket (subscription/plan.ts); over HTTP they are Hasura's error.
 */
import { encodeGqlError, QErr, toQErr } from '../errors.ts';
import type { Session } from '../session.ts';
import { executeMutation } from './mutation.ts';
import { prepare, type ExecOptions } from './planner.ts';
import { planQuery, runQuery } from './query.ts';
import type { EngineState } from './state.ts';

export type { ExecOptions } from './planner.ts';
export { PERSISTED_QUERY_NOT_SUPPORTED } from './request.ts';

export interface ExecResult {
  /** JSON text of the response body */
  body: string;
  isError: boolean;
  errorCodes: string[];
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
    return { body: await executeOne(state, session, req, opts), isError: false, errorCodes: [] };
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
): Promise<string> {
  const p = prepare(state, session, req, opts.limits);
  switch (p.op.type) {
    case 'mutation':
      return `{"data":${await executeMutation(p, opts)}}`;
    case 'subscription':
      throw new QErr(
        'unexpected-payload',
        'subscriptions are not supported over HTTP, use websockets instead',
        200,
      );
    case 'query': {
      const { plan, values } = planQuery(p, opts);
      return runQuery(plan, values, opts, p.limits.role.time);
    }
  }
}
