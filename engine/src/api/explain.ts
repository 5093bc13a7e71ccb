/**
 * `POST /v1/graphql/explain` (Hasura's Explain.hs): for a query and a session, each root field's
 * SQL and the Postgres plan for it. Admin only (checked by the transport). The request is
 * `{"query": <GraphQL request>, "user": {"x-hasura-role": …, …}}`; the session is built from
 * `user` as Hasura's `mkUserInfo` does (the role falls back to admin).
 *
 * The SQL is the statement the engine runs for that field, built by the same planner as
 * `/v1/graphql`. Hasura inlines the values into the text it shows; here values never become text,
 * so `sql` keeps its `$n` parameters and `prepared_arguments` (the name Hasura's query log uses)
 * carries the values bound for this request. `plan` is `EXPLAIN` run with those values.
 *
 * A subscription (when the engine serves them) is explained as Hasura's multiplexed explain: the
 * poller's statement, its plan, and the cohort variables (`explainSubscription`).
 */
import type pg from 'pg';
import { bindPlaceholders, compile, sql } from '@streamsync/database';
import { jsonKind, pgQueryError, QErr } from '../errors.ts';
import { queryWithin } from '../limits/statement-timeout.ts';
import { ADMIN_ROLE, type Session } from '../session.ts';
import { SelectTranslator } from '../translate/select.ts';
import { placeholderLookup, prepare, type ExecOptions } from '../execute/planner.ts';
import { planQuery, rootFieldSource } from '../execute/query.ts';
import { DEFAULT_SOURCE } from '../sources/source-pools.ts';
import type { EngineState } from '../execute/state.ts';
import { planSubscription } from '../subscription/plan.ts';

export interface ExplainPlan {
  field: string;
  sql: string | null;
  plan: string[] | null;
  prepared_arguments?: unknown[];
}

/** Hasura's session from the `user` object: x-hasura-* names, lower-cased; role or admin. */
function sessionOf(user: unknown): Session {
  if (user !== undefined && user !== null && (typeof user !== 'object' || Array.isArray(user))) {
    throw new QErr(
      'parse-failed',
      `parsing HashMap ~Text Text failed, expected Object, but encountered ${jsonKind(user)}`,
      400,
      ['user'],
    );
  }
  const variables: Record<string, string> = {};
  for (const [k, v] of Object.entries((user ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw new QErr(
        'parse-failed',
        `parsing Text failed, expected String, but encountered ${jsonKind(v)}`,
        400,
        ['user', k],
      );
    }
    const name = k.toLowerCase();
    if (name.startsWith('x-hasura-')) variables[name] = v;
  }
  const role = variables['x-hasura-role'] || ADMIN_ROLE;
  variables['x-hasura-role'] = role;
  return { role, isAdmin: role === ADMIN_ROLE, variables, backendOnlyPermissions: false };
}

/** A subscription's explanation: its multiplexed statement, plan and one cohort's variables. */
export interface SubscriptionExplain {
  sql: string;
  plan: string[] | null;
  /** Hasura's CohortVariables: query variables are parameterised into `synthetic` */
  variables: {
    query: Record<string, never>;
    session: Record<string, string>;
    synthetic: Array<string | null>;
    cursor: Record<string, never>;
  };
}

/**
 * `live`: subscriptions are served (the commit-order column of streams); without it only queries
 * can be explained.
 */
export async function explainRequest(
  state: EngineState,
  body: unknown,
  opts: ExecOptions,
  live?: { commitColumn: string },
): Promise<ExplainPlan[] | SubscriptionExplain> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new QErr(
      'parse-failed',
      `parsing GQLExplain failed, expected Object, but encountered ${jsonKind(body)}`,
      400,
    );
  }
  const b = body as { query?: unknown; user?: unknown };
  if (!('query' in b)) throw new QErr('parse-failed', "the key 'query' was not present", 400);
  const session = sessionOf(b.user);
  const p = prepare(state, session, b.query, opts.limits);
  if (p.op.type === 'subscription' && live)
    return explainSubscription(state, session, b.query, opts, live.commitColumn);
  if (p.op.type !== 'query') throw new QErr('invalid-params', 'only queries can be explained', 400);
  // the plan /v1/graphql runs for this request (not counted as a query), and the values it binds
  const { plan } = planQuery(p, { ...opts, planCacheMetrics: undefined });
  const lookup = placeholderLookup(plan.paramsByKey, p.values, session);
  const out: ExplainPlan[] = [];
  for (const [alias, f] of plan.ir.root) {
    if (f.k !== 'select' && f.k !== 'select_one' && f.k !== 'agg') {
      out.push({ field: alias, sql: null, plan: null });
      continue;
    }
    // the field alone, through the translator the operation's statement comes from
    const { statement } = new SelectTranslator().query({ root: [[alias, f]] });
    const compiled = compile(statement);
    const args = bindPlaceholders(compiled, lookup);
    const explain = compile(sql`EXPLAIN ${statement}`);
    const explainArgs = bindPlaceholders(explain, lookup);
    let res;
    try {
      res = await queryWithin<{ 'QUERY PLAN': string }>(
        sourcePool(opts, rootFieldSource(f)),
        { text: explain.text, values: explainArgs },
        null,
      );
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (!err.code) throw e;
      throw pgQueryError(err, explain.text, explainArgs);
    }
    out.push({
      field: alias,
      sql: compiled.text,
      plan: res.rows.map((r) => r['QUERY PLAN']),
      prepared_arguments: args,
    });
  }
  return out;
}

/** Where a source's statements are explained: its primary (explain never reads a replica). */
function sourcePool(opts: ExecOptions, source: string | null): pg.Pool {
  if (source === null || source === DEFAULT_SOURCE) return opts.pool;
  const pool = opts.sourcePool?.(source);
  if (!pool) throw new QErr('unexpected', `source with name "${source}" is not reachable`, 400);
  return pool;
}

/**
 * The statement a subscription's poller runs for a batch holding just this cohort, its plan
 * (live queries; a stream's statement also needs its commit window), and the cohort's variables:
 * the session variables the statement reads and, in slot order, the values of the query.
 */
async function explainSubscription(
  state: EngineState,
  session: Session,
  req: unknown,
  opts: ExecOptions,
  commitColumn: string,
): Promise<SubscriptionExplain> {
  const outcome = planSubscription(state, session, req, { ...opts, commitColumn });
  if (outcome.k !== 'subscription')
    throw new QErr('invalid-params', 'only queries can be explained', 400);
  const { plan, values } = outcome;
  const sessionVars: Record<string, string> = {};
  const synthetic: Array<string | null> = [];
  for (const slot of plan.slots) {
    const v = values[slot.key];
    if (slot.k === 'session' && typeof v === 'string') sessionVars[slot.name] = v;
    else if (slot.k === 'session_json') Object.assign(sessionVars, session.variables);
    else if (slot.k === 'param' || slot.k === 'synthetic')
      synthetic.push(typeof v === 'string' ? v : null);
  }
  let lines: string[] | null = null;
  if (plan.kind === 'live') {
    const cohort = { ids: [0], vars: [JSON.stringify(values)] };
    const text = `EXPLAIN ${plan.compiled.text}`;
    const args = bindPlaceholders(plan.compiled, (k) =>
      k === 'ids' ? cohort.ids : k === 'vars' ? cohort.vars : undefined,
    );
    try {
      const res = await queryWithin<{ 'QUERY PLAN': string }>(
        sourcePool(opts, plan.source),
        { text, values: args },
        null,
      );
      lines = res.rows.map((r) => r['QUERY PLAN']);
    } catch (e) {
      const err = e as { code?: string };
      if (!err.code) throw e;
      throw pgQueryError(err, text, args);
    }
  }
  return {
    sql: plan.compiled.text,
    plan: lines,
    variables: { query: {}, session: sessionVars, synthetic, cursor: {} },
  };
}
