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
 */
import { bindPlaceholders, compile, sql } from '@streamsync/database';
import { jsonKind, pgQueryError, QErr } from '../errors.ts';
import { queryWithin } from '../limits/statement-timeout.ts';
import { ADMIN_ROLE, type Session } from '../session.ts';
import { SelectTranslator } from '../translate/select.ts';
import { placeholderLookup, prepare, type ExecOptions } from './planner.ts';
import { planQuery } from './query.ts';
import type { EngineState } from './state.ts';

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

export async function explainRequest(
  state: EngineState,
  body: unknown,
  opts: ExecOptions,
): Promise<ExplainPlan[]> {
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
        opts.pool,
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
