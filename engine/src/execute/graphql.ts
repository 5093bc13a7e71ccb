/**
 * One GraphQL request, from JSON body to response text. Plans are cached per (role, operation
 * text, operationName) and, within that, per value of the variables that shape the plan; the
 * variables used only as scalar values are placeholders bound per request, so one compiled
 * statement (a pg prepared statement) serves every value. One round trip per operation.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { bindPlaceholders, compile, type Compiled } from '@streamsync/database';
import { encodeGqlError, pgQueryError, QErr, toQErr } from '../errors.ts';
import { parseScalarJson, type InputContext } from '../parse/input.ts';
import {
  checkDirectives,
  collectFields,
  parseDocument,
  resolveVariables,
  selectOperation,
  type ResolvedOperation,
} from '../parse/operation.ts';
import { buildQueryIR, type ParamUse } from '../parse/select.ts';
import { sessionVarsOf } from '../parse/bool-exp.ts';
import type { ObjectTypeDef } from '../schema/types.ts';
import { SelectTranslator, toPgParam } from '../translate/select.ts';
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
}

/** A compiled plan for one shape of an operation. */
export interface Plan {
  compiled: Compiled | null;
  name: string | null;
  /** response key → { column index } or { static JSON text } */
  layout: Array<[string, { col: number } | { json: string }]>;
  params: ParamUse[];
  sessionVars: string[];
  ir: QueryIR;
}

export interface CachedOperation {
  op: ResolvedOperation;
  /** variables whose values shape the plan, known after the first compile */
  structural: string[];
  variants: Map<string, Plan>;
}

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
    const q = toQErr(e);
    const out = errorBody(q, opts.includeInternal && session.isAdmin);
    if ((e as { postExec?: boolean }).postExec) out.postExec = true;
    return out;
  }
}

function checkRequestShape(req: unknown): GraphQLRequest {
  if (!req || typeof req !== 'object' || Array.isArray(req)) {
    throw new QErr(
      'parse-failed',
      'parsing GQLReq failed, expected Object, but encountered ' + jsonKind(req),
      200,
    );
  }
  const r = req as GraphQLRequest;
  if (!('query' in r)) throw new QErr('parse-failed', "the key 'query' was not present", 200);
  const ext = r.extensions as { persistedQuery?: unknown } | null | undefined;
  if (ext && typeof ext === 'object' && ext.persistedQuery !== undefined) {
    throw new QErr('not-supported', 'Automatic Persisted Queries is not enabled', 200);
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
  const scenario = session.backendOnlyPermissions ? 'backend' : '';
  const key = `${session.role}\u0000${scenario}\u0000${opName ?? ''}\u0000${String(req.query)}`;
  let cached = state.plans.get(key);
  let op: ResolvedOperation;
  if (cached) op = cached.op;
  else op = selectOperation(parseDocument(req.query), opName);
  const variables = resolveVariables(op, req.variables);
  if (op.type === 'mutation') {
    const data = await executeMutationOperation(state, session, op, variables, opts);
    return { body: `{"data":${data}}`, isError: false, errorCodes: [] };
  }
  const values = (
    req.variables && typeof req.variables === 'object' ? req.variables : {}
  ) as Record<string, unknown>;

  let plan: Plan | undefined;
  if (cached) {
    const variantKey = JSON.stringify(cached.structural.map((v) => values[v] ?? null));
    plan = cached.variants.get(variantKey);
  }
  if (!plan) {
    const built = buildPlan(state, session, op, variables, opts);
    plan = built.plan;
    if (!cached) {
      cached = { op, structural: built.structural, variants: new Map() };
      state.plans.set(key, cached);
    }
    const variantKey = JSON.stringify(cached.structural.map((v) => values[v] ?? null));
    if (cached.variants.size < 64) cached.variants.set(variantKey, plan);
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
  return run(plan, bound, opts);
}

class RecheckFailed extends Error {}

function bind(plan: Plan, values: Record<string, unknown>, session: Session): unknown[] | null {
  for (const name of plan.sessionVars) {
    if (!(name in session.variables))
      throw new QErr('not-found', `missing session variable: "${name}"`, 200);
  }
  if (!plan.compiled) return null;
  const byKey = new Map(plan.params.map((p) => [`v:${p.key}`, p]));
  return bindPlaceholders(plan.compiled, (k) => {
    if (k === 'session') return JSON.stringify(session.variables);
    if (k.startsWith('s:')) return session.variables[k.slice(2)] ?? null;
    const p = byKey.get(k);
    if (!p) return undefined;
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
  });
}

function buildPlan(
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
  const ctx = {
    schema,
    source: state.source,
    role: session.role,
    isAdmin: session.role === 'admin',
    input,
    stringifyNumeric: opts.stringifyNumeric,
    params: [] as ParamUse[],
    path: [] as Array<string | number>,
    depth: 0,
    maxDepth: opts.maxDepth,
    fieldCount: fields.length,
    maxFields: opts.maxFields,
  };
  const ir = buildQueryIR(ctx, rootType, fields);
  const tr = new SelectTranslator();
  const { statement, columns } = tr.query(ir);
  const layout: Plan['layout'] = [];
  let col = 0;
  for (const [alias, f] of ir.root) {
    if (f.k === 'static') layout.push([alias, { json: JSON.stringify(f.value) }]);
    else if (f.k === 'typename') layout.push([alias, { json: JSON.stringify(f.name) }]);
    else layout.push([alias, { col: col++ }]);
  }
  const compiled = columns.length ? compile(statement) : null;
  const sessionVars = new Set<string>();
  collectSessionVars(ir, sessionVars);
  const name =
    compiled && opts.preparedStatements
      ? `ss_${createHash('sha1').update(compiled.text).digest('hex').slice(0, 24)}`
      : null;
  return {
    plan: { compiled, name, layout, params: ctx.params, sessionVars: [...sessionVars], ir },
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

async function run(plan: Plan, values: unknown[] | null, opts: ExecOptions): Promise<ExecResult> {
  let row: Record<string, string | null> = {};
  if (plan.compiled) {
    try {
      const res = await opts.pool.query<Record<string, string | null>>(
        plan.name
          ? { name: plan.name, text: plan.compiled.text, values: values ?? [] }
          : { text: plan.compiled.text, values: values ?? [] },
      );
      row = res.rows[0] ?? {};
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (!err.code) throw e;
      throw pgQueryError(err, plan.compiled.text, values ?? []);
    }
  }
  const parts: string[] = [];
  for (const [alias, slot] of plan.layout) {
    const text = 'json' in slot ? slot.json : (row[`c${slot.col}`] ?? 'null');
    parts.push(`${JSON.stringify(alias)}:${text}`);
  }
  return { body: `{"data":{${parts.join(',')}}}`, isError: false, errorCodes: [] };
}
