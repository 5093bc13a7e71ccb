/**
 * One GraphQL request, from JSON body to response text. Plans are cached per (role, scenario,
 * operationName, operation text) in the state's LRU (a metadata change starts a new state, so
 * no plan outlives the metadata it was made from) and, within that, per variant: the values of
 * the variables that shaped a plan, and for every other variable whether it is absent, null or a
 * value. Variables used only as scalar values are placeholders, and session variables too: bound
 * per request, so one compiled statement (a pg prepared statement) serves every value and every
 * user of a role. A repeated operation skips parsing, validation and translation; it only checks
 * and binds its values. One round trip per operation; Postgres builds the response JSON and it is
 * spliced into the body as text.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { bindPlaceholders, compile, type Compiled } from '@streamsync/database';
import { encodeGqlError, pgQueryError, QErr, toQErr } from '../errors.ts';
import { parseScalarJson, type InputContext } from '../parse/input.ts';
import {
  checkDirectives,
  collectFields,
  resolveVariables,
  selectOperation,
  type ResolvedOperation,
} from '../parse/operation.ts';
import { admitDocument, admitVariables, type EngineLimits } from '../limits/index.ts';
import { queryWithin } from '../limits/statement-timeout.ts';
import { buildQueryIR, selectContext, type ParamUse } from '../parse/select.ts';
import { sessionVarsOf } from '../parse/bool-exp.ts';
import type { ObjectTypeDef } from '../schema/types.ts';
import { SelectTranslator, toPgParam } from '../translate/select.ts';
import { PlanVariants, type CachedOperation } from './plan-cache.ts';
import type { EngineState } from './state.ts';
import { executeMutationOperation } from './mutation.ts';
import type { AggSelect, AnnField, BoolExp, QueryIR } from '../ir/types.ts';

export interface Session {
  role: string;
  isAdmin: boolean;
  /** lower-cased x-hasura-* names */
  variables: Record<string, string>;
  /** backend-only insert/update/delete permissions are usable (Hasura's Backend scenario) */
  backendOnlyPermissions?: boolean;
}

export interface GraphQLRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

export interface ExecOptions {
  pool: pg.Pool;
  includeInternal: boolean;
  preparedStatements: boolean;
  maxDepth: number;
  maxFields: number;
  stringifyNumeric: boolean;
  /** counted once per query: answered from a cached plan, or planned */
  planCacheMetrics?: { hits: { inc(): void }; misses: { inc(): void } };
  /** request limits (limits/) */
  limits: EngineLimits;
}

/** A compiled plan for one shape of an operation. */
export interface Plan {
  compiled: Compiled | null;
  name: string | null;
  /** `"<response key>":` and where its value comes from: a result column or static JSON text */
  layout: Array<{ prefix: string; col: string } | { prefix: string; json: string }>;
  params: ParamUse[];
  /** `v:<param key>` → its use */
  paramsByKey: Map<string, ParamUse>;
  sessionVars: string[];
  ir: QueryIR;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

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
    return await executeOne(state, session, req, opts);
  } catch (e) {
    const q = toQErr(opts.limits.refused(e));
    const out = errorBody(q, opts.includeInternal && session.isAdmin);
    if ((e as { postExec?: boolean }).postExec) out.postExec = true;
    return out;
  }
}

/** Hasura's message (and Apollo's signal to stop sending hashes) when APQ is not available. */
export const PERSISTED_QUERY_NOT_SUPPORTED = 'PersistedQueryNotSupported';

export function checkRequestShape(req: unknown): GraphQLRequest {
  if (!req || typeof req !== 'object' || Array.isArray(req)) {
    throw new QErr(
      'parse-failed',
      'parsing GQLReq failed, expected Object, but encountered ' + jsonKind(req),
      200,
    );
  }
  const r = req as GraphQLRequest;
  if (!('query' in r)) {
    // Apollo's persisted-query link sends the hash alone first, and turns itself off on this
    // answer (Hasura's runPersistedQueriesPostHandler for an APQ request)
    const e = r.extensions as { persistedQuery?: unknown } | null | undefined;
    if (e && typeof e === 'object' && e.persistedQuery !== undefined)
      throw new QErr('not-supported', PERSISTED_QUERY_NOT_SUPPORTED, 200);
    throw new QErr('parse-failed', "the key 'query' was not present", 200);
  }
  const ext = r.extensions as { persistedQuery?: unknown } | null | undefined;
  if (ext && typeof ext === 'object' && ext.persistedQuery !== undefined) {
    throw new QErr('not-supported', 'Automatic Persisted Queries is not enabled', 200);
  }
  if (
    r.variables !== undefined &&
    r.variables !== null &&
    (typeof r.variables !== 'object' || Array.isArray(r.variables))
  ) {
    throw new QErr(
      'parse-failed',
      'parsing HashMap failed, expected Object, but encountered ' + jsonKind(r.variables),
      200,
      ['variables'],
    );
  }
  if (
    r.operationName !== undefined &&
    r.operationName !== null &&
    typeof r.operationName !== 'string'
  ) {
    throw new QErr(
      'parse-failed',
      'parsing Text failed, expected String, but encountered ' + jsonKind(r.operationName),
      200,
      ['operationName'],
    );
  }
  return r;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'Null';
  if (Array.isArray(v)) return 'Array';
  return (
    (
      { string: 'String', number: 'Number', boolean: 'Boolean', object: 'Object' } as Record<
        string,
        string
      >
    )[typeof v] ?? 'Null'
  );
}

async function executeOne(
  state: EngineState,
  session: Session,
  reqIn: unknown,
  opts: ExecOptions,
): Promise<ExecResult> {
  const req = checkRequestShape(reqIn);
  const opName = typeof req.operationName === 'string' ? req.operationName : undefined;
  const limits = opts.limits.forClient(state.metadata, session);
  admitVariables(req.variables, limits);
  const scenario = session.backendOnlyPermissions ? 'backend' : '';
  const key = `${session.role}\u0000${scenario}\u0000${opName ?? ''}\u0000${String(req.query)}`;
  let cached = state.plans.get(key) as CachedOperation<Plan> | undefined;
  let op: ResolvedOperation;
  if (cached) op = cached.op;
  else op = selectOperation(admitDocument(req.query, opName, limits), opName);
  const variables = resolveVariables(op, req.variables);
  if (op.type === 'mutation') {
    const data = await executeMutationOperation(state, session, op, variables, {
      ...opts,
      timeLimit: limits.role.time,
    });
    return { body: `{"data":${data}}`, isError: false, errorCodes: [] };
  }
  const values = (
    req.variables && typeof req.variables === 'object' ? req.variables : {}
  ) as Record<string, unknown>;

  let plan: Plan | undefined = cached?.variants.get(values);
  if (plan) opts.planCacheMetrics?.hits.inc();
  else {
    const built = buildPlan(state, session, op, variables, opts);
    opts.planCacheMetrics?.misses.inc();
    plan = built.plan;
    if (!cached) {
      const names = (op.variableDefs ?? []).map((d) => d.variable.name.value);
      cached = { op, variants: new PlanVariants(names) };
      state.plans.set(key, cached);
    }
    cached.variants.add(values, built.structural, plan);
  }
  // bind this request's values; a value that fails its check is re-parsed uncached for the exact error
  let bound: unknown[] | null = null;
  try {
    bound = bind(plan, values, session);
  } catch (e) {
    if (e instanceof RecheckFailed) {
      plan = buildPlan(state, session, op, variables, opts).plan;
      bound = bind(plan, values, session);
    } else throw e;
  }
  return run(plan, bound, opts, limits.role.time);
}

class RecheckFailed extends Error {}

function bind(plan: Plan, values: Record<string, unknown>, session: Session): unknown[] | null {
  for (const name of plan.sessionVars) {
    if (!(name in session.variables))
      throw new QErr('not-found', `missing session variable: "${name}"`, 200);
  }
  if (!plan.compiled) return null;
  return bindPlaceholders(plan.compiled, placeholderLookup(plan, values, session));
}

/** The value of each placeholder key of a plan's statements, for this request. */
export function placeholderLookup(
  plan: Plan,
  values: Record<string, unknown>,
  session: Session,
): (key: string) => unknown {
  return (k) => {
    if (k === 'session') return JSON.stringify(session.variables);
    if (k.startsWith('s:')) return session.variables[k.slice(2)] ?? null;
    const p = plan.paramsByKey.get(k);
    if (!p) return undefined;
    // absent: the variant was planned with the variable absent too, so this is its default
    const raw = hasOwn(values, p.variable) ? values[p.variable] : p.leaf.json;
    let v: unknown;
    try {
      v = raw === null && p.leaf.use.acceptsNull ? null : parseScalarJson(raw, p.leaf.use);
    } catch {
      throw new RecheckFailed();
    }
    return toPgParam(v, p.pgType);
  };
}

export function buildPlan(
  state: EngineState,
  session: Session,
  op: ResolvedOperation,
  variables: ReturnType<typeof resolveVariables>,
  opts: ExecOptions,
): { plan: Plan; structural: string[] } {
  const schema = state.schemaFor(session.role, session.backendOnlyPermissions === true);
  const input: InputContext = { schema, variables, structural: new Set() };
  if (op.type === 'subscription') {
    throw new QErr(
      'unexpected-payload',
      'subscriptions are not supported over HTTP, use websockets instead',
      200,
    );
  }
  const rootName = op.type === 'query' ? schema.queryType : schema.mutationType;
  if (!rootName) throw new QErr('validation-failed', 'no mutations exist', 200);
  const rootType = schema.types.get(rootName) as ObjectTypeDef;
  checkDirectives(op.directives, op.type === 'query' ? 'QUERY' : 'MUTATION', schema, input);
  if (op.type === 'mutation') {
    throw new QErr('not-supported', 'mutations are not supported by this engine yet', 200);
  }
  const fields = collectFields(rootName, op.selections, schema, input);
  const ctx = selectContext(
    {
      schema,
      source: state.source,
      role: session.role,
      input,
      stringifyNumeric: opts.stringifyNumeric,
      maxDepth: opts.maxDepth,
      maxFields: opts.maxFields,
    },
    fields.length,
  );
  const ir = buildQueryIR(ctx, rootType, fields);
  const tr = new SelectTranslator();
  const { statement, columns } = tr.query(ir);
  // the translator names the column of root field i `c<i>`
  const layout: Plan['layout'] = ir.root.map(([alias, f], i) => {
    const prefix = `${JSON.stringify(alias)}:`;
    if (f.k === 'static') return { prefix, json: JSON.stringify(f.value) };
    if (f.k === 'typename') return { prefix, json: JSON.stringify(f.name) };
    return { prefix, col: `c${i}` };
  });
  const compiled = columns.length ? compile(statement) : null;
  const sessionVars = new Set<string>();
  collectSessionVars(ir, sessionVars);
  const name =
    compiled && opts.preparedStatements
      ? `ss_${createHash('sha1').update(compiled.text).digest('hex').slice(0, 24)}`
      : null;
  return {
    plan: {
      compiled,
      name,
      layout,
      params: ctx.params,
      paramsByKey: new Map(ctx.params.map((p) => [`v:${p.key}`, p])),
      sessionVars: [...sessionVars],
      ir,
    },
    structural: [...input.structural],
  };
}

export function collectSessionVars(ir: QueryIR, out: Set<string>): void {
  // permission filters are where session variables come from; walk every select
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
  }
}

async function run(
  plan: Plan,
  values: unknown[] | null,
  opts: ExecOptions,
  timeLimit: number | null,
): Promise<ExecResult> {
  let row: Record<string, string | null> = {};
  if (plan.compiled) {
    try {
      const res = await queryWithin<Record<string, string | null>>(
        opts.pool,
        plan.name
          ? { name: plan.name, text: plan.compiled.text, values: values ?? [] }
          : { text: plan.compiled.text, values: values ?? [] },
        timeLimit,
      );
      row = res.rows[0] ?? {};
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (!err.code) throw e;
      throw pgQueryError(err, plan.compiled.text, values ?? []);
    }
  }
  // Postgres built each field's JSON: splice the texts, never parse them
  let body = '{"data":{';
  plan.layout.forEach((slot, i) => {
    if (i > 0) body += ',';
    body += slot.prefix + ('json' in slot ? slot.json : (row[slot.col] ?? 'null'));
  });
  return { body: `${body}}}`, isError: false, errorCodes: [] };
}
