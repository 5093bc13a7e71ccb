/**
 * The one way from a GraphQL request to a plan, for queries, mutations, subscriptions and explain
 * alike (Hasura's GraphQL/Execute.hs getResolvedExecPlan, in our words):
 *
 *     request shape → admission (limits/) → plan cache → operation → variables
 *       → root fields (schema of the role, directives, field collection) → IR → plan
 *
 * `prepare` does everything up to the variables; `operationRoot` collects the root fields against
 * the role's schema; the plan builders (query.ts, mutation.ts, subscription/plan.ts) make the IR
 * and their plan from it, and `planOf` keeps a plan in the cache. A new root-field kind (an action,
 * a remote schema) is a new IR root field and a new step in its builder, not a new planner.
 *
 * Plans are cached per (role, scenario, operationName, document) in the state's LRU (a metadata
 * change starts a new state, so no plan outlives the metadata it was made from) and, within that,
 * per variant of the variables (plan-cache.ts). Values are never part of a plan: variables and
 * session variables are bound per request by the one binder below (`placeholderLookup`).
 */
import type pg from 'pg';
import type { DirectiveNode, DocumentNode } from 'graphql';
import type { QueryCacheStore } from '../cache/store.ts';
import type { ReadRouter } from '../replicas/read-replicas.ts';
import { QErr } from '../errors.ts';
import {
  admitDocument,
  admitVariables,
  type EngineLimits,
  type RequestLimits,
} from '../limits/index.ts';
import { sessionVarsOf } from '../parse/bool-exp.ts';
import { parseScalarJson, type InputContext } from '../parse/input.ts';
import {
  checkDirectives,
  collectFields,
  resolveVariables,
  selectOperation,
  type CollectedField,
  type ResolvedOperation,
} from '../parse/operation.ts';
import { selectContext, type ParamUse, type SelectContext } from '../parse/select.ts';
import type { ObjectTypeDef, RoleSchema } from '../schema/types.ts';
import type { Session } from '../session.ts';
import { toPgParam } from '../translate/select.ts';
import type { AggSelect, AnnField, BoolExp, QueryIR } from '../ir/types.ts';
import { checkAllowlist } from './allowlist.ts';
import { checkRequestShape } from './request.ts';
import { PlanVariants, type CachedOperation } from './plan-cache.ts';
import type { EngineState } from './state.ts';

/** How operations are planned and run: from the config, built once at start (server.ts). */
export interface ExecOptions {
  /** the primary: mutations, and reads when there is no `reads` */
  pool: pg.Pool;
  /** where queries read: a read replica when one is up, else the primary (replicas/) */
  reads?: ReadRouter;
  /** the pool of a source other than `default` (sources/) */
  sourcePool?: (source: string) => pg.Pool | undefined;
  includeInternal: boolean;
  preparedStatements: boolean;
  maxDepth: number;
  maxFields: number;
  stringifyNumeric: boolean;
  /** counted once per query: answered from a cached plan, or planned */
  planCacheMetrics?: { hits: { inc(): void }; misses: { inc(): void } };
  /** request limits (limits/) */
  limits: EngineLimits;
  /**
   * The step kinds besides `postgres` (StepKind below): root-field kinds that are not a
   * Postgres statement, such as actions (actions/execute.ts), each planned as a step of its own.
   */
  stepKinds?: ReadonlyArray<StepKind>;
  /** the request's HTTP headers, per request (an action forwards them when configured to) */
  clientHeaders?: Readonly<Record<string, string | string[] | undefined>>;
  /** where `@cached` answers are kept (query-cache.ts); absent: the directive is ignored */
  queryCache?: {
    store: QueryCacheStore;
    /** a store failure (the query then runs uncached) */
    onError: (e: unknown) => void;
    /** counted once per cached query: answered from the store, or run */
    count: (hit: boolean) => void;
  };
}

/** The response of a query or mutation: what the step executor (steps.ts) assembles. */
export interface OperationResult {
  /** JSON text of the response body */
  body: string;
  isError: boolean;
  errorCodes: string[];
  /** response headers to pass on (an action handler's Set-Cookie) */
  headers?: Array<{ name: string; value: string }>;
}

// ------------------------------------------------------------------ steps

/**
 * What a step answers: `body`, a whole response's JSON text whose `data` holds its fields
 * (Postgres builds it; kept as bytes when the step is the plan's only one), or `data`, an object.
 */
export type StepAnswer = ({ body: string } | { data: Record<string, unknown> }) & {
  headers?: Array<{ name: string; value: string }>;
};

export interface Step {
  kind: string;
  /** the response keys this step answers (empty: all of them, as the plan's one step) */
  keys: readonly string[];
  run(): Promise<StepAnswer>;
}

/** What a step kind plans from: the prepared operation and its root fields. */
export interface StepCall {
  state: EngineState;
  session: Session;
  op: ResolvedOperation;
  /** the document as sent */
  queryText: string;
  opts: ExecOptions;
  schema: RoleSchema;
  rootType: ObjectTypeDef;
  input: InputContext;
  /** every root field of the operation, in document order */
  fields: readonly CollectedField[];
}

/** A kind of step other than `postgres`: the root fields it answers, and its step for them. */
export interface StepKind {
  /** the root-field kind of the role's schema (`FieldInfo.k`) this step kind answers */
  field: string;
  /**
   * The step for `fields` (this kind's root fields, in document order). Everything the request
   * could get wrong is checked here, before any step runs.
   */
  plan(call: StepCall, fields: readonly CollectedField[]): Step;
}

/** A request checked, admitted and resolved to its operation and variables. */
export interface Prepared {
  state: EngineState;
  session: Session;
  op: ResolvedOperation;
  variables: ReturnType<typeof resolveVariables>;
  /** the request's variable values as sent */
  values: Record<string, unknown>;
  /** the limits this client is held to */
  limits: RequestLimits;
  /** the document as sent */
  document: string;
  key: string;
  cached: CachedOperation | undefined;
}

/**
 * Request shape, admission (variables always; the document when it is not cached — a cached
 * document was admitted for this role already) and the operation with its variables.
 */
export function prepare(
  state: EngineState,
  session: Session,
  reqIn: unknown,
  limits: EngineLimits,
): Prepared {
  const req = checkRequestShape(reqIn);
  const opName = typeof req.operationName === 'string' ? req.operationName : undefined;
  const clientLimits = limits.forClient(state.metadata, session);
  admitVariables(req.variables, clientLimits);
  const scenario = `${session.backendOnlyPermissions ? 'backend' : ''}${session.relay ? 'relay' : ''}`;
  const document = String(req.query);
  const key = `${session.role}\u0000${scenario}\u0000${opName ?? ''}\u0000${document}`;
  const cached = state.plans.get(key);
  let doc: DocumentNode | undefined;
  // a cached plan of this role was allowed when it was made, under the same metadata
  if (!cached) doc = admitDocument(req.query, opName, clientLimits);
  if (state.opts.allowlist && !session.isAdmin && !cached)
    checkAllowlist(state.metadata, session.role, document, () => doc!);
  const op = cached ? cached.op : selectOperation(doc!, opName);
  const variables = resolveVariables(op, req.variables);
  const values = (
    req.variables && typeof req.variables === 'object' ? req.variables : {}
  ) as Record<string, unknown>;
  return { state, session, op, variables, values, limits: clientLimits, document, key, cached };
}

/** A plan as its builder made it, with the variables it read by value (plan-cache.ts). */
export interface Built<P> {
  plan: P;
  structural: string[];
}

/**
 * This request's plan: the cached one for its variant, or `build()`'s, kept. An operation has
 * one type and each type one builder, so the cached plans of an operation are all of type `P`.
 */
export function planOf<P>(
  p: Prepared,
  build: () => Built<P>,
  metrics?: ExecOptions['planCacheMetrics'],
): P {
  const hit = p.cached?.variants.get(p.values) as P | undefined;
  if (hit) {
    metrics?.hits.inc();
    return hit;
  }
  const built = build();
  metrics?.misses.inc();
  if (!p.cached) {
    const names = (p.op.variableDefs ?? []).map((d) => d.variable.name.value);
    p.cached = { op: p.op, variants: new PlanVariants<unknown>(names) };
    p.state.plans.set(p.key, p.cached);
  }
  p.cached.variants.add(p.values, built.structural, built.plan);
  return built.plan;
}

const ROOTS = {
  query: { type: 'queryType', location: 'QUERY', none: 'no queries exist' },
  mutation: { type: 'mutationType', location: 'MUTATION', none: 'no mutations exist' },
  subscription: {
    type: 'subscriptionType',
    location: 'SUBSCRIPTION',
    none: 'no subscriptions exist',
  },
} as const;

/** The root fields of an operation, collected against the role's schema. */
export interface OperationRoot {
  schema: RoleSchema;
  input: InputContext;
  rootType: ObjectTypeDef;
  fields: CollectedField[];
  /** a fresh context for building the IR of the root fields */
  context(): SelectContext;
}

export function operationRoot(
  p: Prepared,
  opts: Pick<ExecOptions, 'maxDepth' | 'maxFields' | 'stringifyNumeric'>,
  how: {
    /** use the Backend scenario's schema when the session asks (default: true) */
    backendOnly?: boolean;
    /** the operation's directives to check (default: all of them) */
    directives?: readonly DirectiveNode[];
  } = {},
): OperationRoot {
  const { state, session, op } = p;
  const backendOnly = (how.backendOnly ?? true) && session.backendOnlyPermissions === true;
  const schema = state.schemaFor(session.role, backendOnly, session.relay);
  const input: InputContext = { schema, variables: p.variables, structural: new Set() };
  const root = ROOTS[op.type];
  const rootName = schema[root.type];
  if (!rootName) throw new QErr('validation-failed', root.none, 200);
  const rootType = schema.types.get(rootName) as ObjectTypeDef;
  checkDirectives(how.directives ?? op.directives, root.location, schema, input);
  const fields = collectFields(rootName, op.selections, schema, input);
  return {
    schema,
    input,
    rootType,
    fields,
    context: () =>
      selectContext(
        {
          schema,
          source: state.source,
          sources: state.sources,
          role: session.role,
          input,
          stringifyNumeric: opts.stringifyNumeric,
          maxDepth: opts.maxDepth,
          maxFields: opts.maxFields,
        },
        fields.length,
      ),
  };
}

// ------------------------------------------------------------------ binding

/** A cached plan cannot take this request's value: plan afresh for Hasura's exact error. */
export class RecheckFailed extends Error {}

/** Use `plan`; when a value does not fit it (RecheckFailed), use a fresh plan instead. */
export function withRecheck<P, R>(plan: P, fresh: () => P, use: (plan: P) => R): R {
  try {
    return use(plan);
  } catch (e) {
    if (!(e instanceof RecheckFailed)) throw e;
    return use(fresh());
  }
}

/** Hasura's error for a session variable a plan reads and the session lacks. */
export function checkSessionVars(names: readonly string[], session: Session): void {
  for (const name of names) {
    if (!(name in session.variables))
      throw new QErr('not-found', `missing session variable: "${name}"`, 200);
  }
}

/**
 * The Postgres parameter of a variable's use for this request's values: the value sent (or, when
 * absent, the one the plan was made with: its default), checked as its GraphQL type. A value the
 * check refuses throws RecheckFailed.
 */
export function paramValue(p: ParamUse, values: Record<string, unknown>): unknown {
  const raw = Object.prototype.hasOwnProperty.call(values, p.variable)
    ? values[p.variable]
    : p.leaf.json;
  let v: unknown;
  try {
    v = raw === null && p.leaf.use.acceptsNull ? null : parseScalarJson(raw, p.leaf.use);
  } catch {
    throw new RecheckFailed();
  }
  return toPgParam(v, p.pgType);
}

/**
 * The value of each placeholder key of a plan's statements for this request: `session` (the
 * session object as JSON), `s:<name>` (a session variable) and `v:<param key>` (a variable's use).
 * `values: null` binds the values the plan was made with (a mutation's plan is made per request).
 */
export function placeholderLookup(
  params: ReadonlyMap<string, ParamUse>,
  values: Record<string, unknown> | null,
  session: Session,
): (key: string) => unknown {
  return (k) => {
    if (k === 'session') return JSON.stringify(session.variables);
    if (k.startsWith('s:')) {
      const name = k.slice(2);
      const v = session.variables[name];
      // plans check their session variables up front (checkSessionVars); a mutation's when bound
      if (v === undefined && values === null)
        throw new QErr('not-found', `missing session variable: "${name}"`, 200);
      return v ?? null;
    }
    const p = params.get(k);
    if (!p) return undefined;
    return values === null ? toPgParam(p.leaf.json, p.pgType) : paramValue(p, values);
  };
}

/** `v:<key>` → use, the placeholder keys of a context's parameters. */
export const paramsByKey = (params: readonly ParamUse[]): Map<string, ParamUse> =>
  new Map(params.map((p) => [`v:${p.key}`, p]));

/** The session variables a query's IR reads (from permission filters and `where`s). */
export function collectSessionVars(ir: QueryIR, out: Set<string>): void {
  const visitSelect = (s: {
    permFilter: BoolExp;
    args: { where: BoolExp | null };
    fields: Array<[string, unknown]>;
  }) => {
    sessionVarsOf(s.permFilter, out);
    if (s.args.where) sessionVarsOf(s.args.where, out);
    for (const [, f] of s.fields) visitField(f as never);
  };
  const visitAgg = (a: AggSelect) => {
    visitSelect(a.select);
    for (const [, f] of a.fields) if (f.k === 'nodes') f.fields.forEach(([, x]) => visitField(x));
  };
  const visitField = (f: AnnField) => {
    if (f.k === 'objrel' || f.k === 'arrrel' || f.k === 'cf_table') visitSelect(f.select);
    else if (f.k === 'arrrel_agg' || f.k === 'cf_table_agg') visitAgg(f.agg);
  };
  for (const [, f] of ir.root) {
    if (f.k === 'select' || f.k === 'select_one') visitSelect(f.select);
    else if (f.k === 'agg') visitAgg(f.agg);
    else if (f.k === 'stream') visitSelect(f.select);
  }
}
