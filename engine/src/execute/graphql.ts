/**
 * One GraphQL request, from JSON body to response text: the planner (planner.ts) prepares it and
 * it becomes a plan of steps (planner.ts Step), run by the one executor (steps.ts): a `postgres`
 * step — a query's cached statement (query.ts), wrapped as a `cached` step under `@cached`
 * (query-cache.ts), or a mutation's transaction (mutation.ts) — and, when the operation selects
 * root fields of a registered step kind (ExecOptions.stepKinds: actions), that kind's step after
 * the database's.
 * Subscriptions are planned by the same planner over WebSocket (subscription/plan.ts); over HTTP
 * they are Hasura's error.
 */
import { encodeGqlError, QErr, toQErr } from '../errors.ts';
import type { Session } from '../session.ts';
import { executeMutation } from './mutation.ts';
import { bindQuery, buildQueryPlan, planQuery, runQuery } from './query.ts';
import { cacheDirective, cachedStep, cacheKeys } from './query-cache.ts';
import { runSteps } from './steps.ts';
import type { InputContext } from '../parse/input.ts';
import {
  collectFields,
  type CollectedField,
  type RawField,
  type RawSelection,
  type ResolvedOperation,
} from '../parse/operation.ts';
import type { ObjectTypeDef, RoleSchema } from '../schema/types.ts';
import {
  checkSessionVars,
  prepare,
  type ExecOptions,
  type OperationResult,
  type Prepared,
  type Step,
  type StepCall,
} from './planner.ts';
import type { EngineState } from './state.ts';

export type { ExecOptions } from './planner.ts';
export { PERSISTED_QUERY_NOT_SUPPORTED } from './request.ts';

export interface ExecResult extends OperationResult {
  /** the error came from executing the statement, not from parsing or planning (WebSocket framing) */
  postExec?: boolean;
}

const errorBody = (e: QErr, includeInternal: boolean): ExecResult => ({
  body: JSON.stringify({ errors: [encodeGqlError(e, includeInternal)] }),
  isError: true,
  errorCodes: [e.webhook?.code ?? e.code],
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
  if (p.op.type === 'subscription')
    throw new QErr(
      'unexpected-payload',
      'subscriptions are not supported over HTTP, use websockets instead',
      200,
    );
  const split = planSteps(p, opts);
  if (split) {
    try {
      return await runSteps(split.steps, split.order);
    } catch (e) {
      // a step failed while the operation ran (a WebSocket frames it so)
      if (e && typeof e === 'object') (e as { postExec?: boolean }).postExec = true;
      throw e;
    }
  }
  // the operation is all database root fields: one `postgres` step, the plan cache's
  return runSteps([postgresStep(p, opts)], []);
}

/** The step of an operation whose root fields are all the database's, with its cached plan. */
function postgresStep(p: Prepared, opts: ExecOptions): Step {
  if (p.op.type === 'mutation')
    return {
      kind: 'postgres',
      keys: [],
      run: async () => ({ body: `{"data":${await executeMutation(p, opts)}}` }),
    };
  const { plan, values } = planQuery(p, opts);
  const step: Step = {
    kind: 'postgres',
    keys: [],
    run: async () => ({ body: await runQuery(plan, values, opts, p.limits.role.time) }),
  };
  const directive = cacheDirective(p);
  return directive && opts.queryCache
    ? cachedStep(step, opts.queryCache, directive, cacheKeys(p, plan, values))
    : step;
}

/**
 * The steps of an operation that selects root fields of a registered step kind (an action):
 * a `postgres` step for its database root fields (run uncached), then one step per kind. Null
 * when it selects none (the common case, known after one lookup per cached operation).
 */
function planSteps(p: Prepared, opts: ExecOptions): { steps: Step[]; order: string[] } | null {
  const kinds = opts.stepKinds;
  if (!kinds?.length) return null;
  const { state, session, op } = p;
  const schema = state.schemaFor(
    session.role,
    session.backendOnlyPermissions === true,
    session.relay,
  );
  const rootName = op.type === 'query' ? schema.queryType : schema.mutationType;
  if (!rootName) return null;
  const rootType = schema.types.get(rootName) as ObjectTypeDef;
  const kindOf = (name: string) => {
    const k = rootType.fields.get(name)?.info.k;
    return kinds.find((x) => x.field === k);
  };
  if (!namesKind(schema, rootType, op, (name) => kindOf(name) !== undefined)) return null;
  const input: InputContext = { schema, variables: p.variables, structural: new Set() };
  let fields: CollectedField[];
  try {
    fields = collectFields(rootName, op.selections, schema, input);
  } catch {
    return null; // the ordinary path reports it
  }
  if (!fields.some((f) => kindOf(f.name))) return null;
  const call: StepCall = {
    state,
    session,
    op,
    queryText: p.document,
    opts,
    schema,
    rootType,
    input,
    fields,
  };
  // every step is planned (the request checked) before any runs
  const kindSteps = kinds.flatMap((k) => {
    const mine = fields.filter((f) => kindOf(f.name) === k);
    return mine.length ? [k.plan(call, mine)] : [];
  });
  const others = fields.filter((f) => !kindOf(f.name));
  const steps: Step[] = [];
  if (others.length) {
    const dbOp = { ...op, selections: others.map(asRaw) };
    steps.push({
      kind: 'postgres',
      keys: others.map((f) => f.responseKey),
      run: async () => ({ data: await runUncached({ ...p, op: dbOp, cached: undefined }, opts) }),
    });
  }
  steps.push(...kindSteps);
  return { steps, order: fields.map((f) => f.responseKey) };
}

/**
 * Whether an operation names a root field `of` a step kind, through fragments and whatever its
 * directives say — remembered per (schema, operation), both of which the plan cache keeps, so an
 * operation without such fields costs a map lookup once it is known.
 */
const seen = new WeakMap<RoleSchema, WeakMap<ResolvedOperation, boolean>>();

function namesKind(
  schema: RoleSchema,
  root: ObjectTypeDef,
  op: ResolvedOperation,
  of: (name: string) => boolean,
): boolean {
  let ops = seen.get(schema);
  if (!ops) seen.set(schema, (ops = new WeakMap()));
  let known = ops.get(op);
  if (known === undefined) {
    const names = (sels: RawSelection[]): boolean =>
      sels.some((s) => (s.kind === 'field' ? of(s.name) : names(s.selections)));
    known = names(op.selections);
    ops.set(op, known);
  }
  return known;
}

function asRaw(f: CollectedField): RawField {
  return {
    kind: 'field',
    name: f.name,
    alias: f.responseKey,
    args: f.args,
    argsKey: f.argsKey,
    directives: [],
    selections: f.selections,
  };
}

/** An operation run without the plan cache: its `data` object (a hook's other root fields). */
async function runUncached(p: Prepared, opts: ExecOptions): Promise<Record<string, unknown>> {
  if (p.op.type === 'mutation') return JSON.parse(await executeMutation(p, opts)) as never;
  const { plan } = buildQueryPlan(p, opts);
  checkSessionVars(plan.sessionVars, p.session);
  const values = bindQuery(plan, p);
  const body = await runQuery(plan, values, opts, p.limits.role.time);
  return (JSON.parse(body) as { data: Record<string, unknown> }).data;
}
