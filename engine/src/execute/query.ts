/**
 * A query's plan and its run. The plan is one SQL statement that returns each root field's JSON
 * (a pg prepared statement when enabled); variables used only as scalar values, and session
 * variables, are placeholders bound per request, so one compiled statement serves every value
 * and every user of a role. A repeated query skips parsing, validation and translation; it only
 * checks and binds its values. One round trip; Postgres builds the response JSON and it is
 * spliced into the body as text.
 */
import { createHash } from 'node:crypto';
import { bindPlaceholders, compile, type Compiled, type TextRow } from '@streamsync/database';
import { pgQueryError } from '../errors.ts';
import { buildQueryIR, type ParamUse } from '../parse/select.ts';
import { queryTextRowWithin } from '../limits/statement-timeout.ts';
import { SelectTranslator } from '../translate/select.ts';
import type { QueryIR } from '../ir/types.ts';
import {
  checkSessionVars,
  collectSessionVars,
  operationRoot,
  paramsByKey,
  placeholderLookup,
  planOf,
  withRecheck,
  type Built,
  type ExecOptions,
  type Prepared,
} from './planner.ts';

/** A compiled plan for one shape of a query. */
export interface QueryPlan {
  compiled: Compiled | null;
  name: string | null;
  /**
   * `"<response key>":` and where its value comes from: the statement's column at that position
   * (the row is read by position: no row description is asked for) or static JSON text
   */
  layout: Array<{ prefix: string; col: number } | { prefix: string; json: string }>;
  params: ParamUse[];
  /** `v:<param key>` → its use */
  paramsByKey: Map<string, ParamUse>;
  sessionVars: string[];
  ir: QueryIR;
}

export function buildQueryPlan(p: Prepared, opts: ExecOptions): Built<QueryPlan> {
  const root = operationRoot(p, opts);
  const ctx = root.context();
  const ir = buildQueryIR(ctx, root.rootType, root.fields);
  const { statement, columns } = new SelectTranslator().query(ir);
  // the translator names the column of root field i `c<i>`, in the order of `columns`
  const layout: QueryPlan['layout'] = ir.root.map(([alias, f], i) => {
    const prefix = `${JSON.stringify(alias)}:`;
    if (f.k === 'static') return { prefix, json: JSON.stringify(f.value) };
    if (f.k === 'typename') return { prefix, json: JSON.stringify(f.name) };
    return { prefix, col: columns.indexOf(`c${i}`) };
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
      paramsByKey: paramsByKey(ctx.params),
      sessionVars: [...sessionVars],
      ir,
    },
    structural: [...root.input.structural],
  };
}

/** The query's plan (cached per variant) and this request's values for its placeholders. */
export function planQuery(
  p: Prepared,
  opts: ExecOptions,
): { plan: QueryPlan; values: unknown[] | null } {
  const plan = planOf(p, () => buildQueryPlan(p, opts), opts.planCacheMetrics);
  checkSessionVars(plan.sessionVars, p.session);
  // a value that fails its check is re-planned uncached, for the exact error
  return withRecheck(
    plan,
    () => buildQueryPlan(p, opts).plan,
    (pl) => ({
      plan: pl,
      values: pl.compiled
        ? bindPlaceholders(pl.compiled, placeholderLookup(pl.paramsByKey, p.values, p.session))
        : null,
    }),
  );
}

/** Run a planned query: the response body's text. */
export async function runQuery(
  plan: QueryPlan,
  values: unknown[] | null,
  opts: ExecOptions,
  timeLimit: number | null,
): Promise<string> {
  let row: TextRow = null;
  if (plan.compiled) {
    try {
      const statement = { compiled: plan.compiled, name: plan.name, values: values ?? [] };
      // a query reads from a replica when there is one (Hasura's read_replicas)
      row = opts.reads
        ? await opts.reads.run((t) => queryTextRowWithin(t.pool, statement, timeLimit))
        : await queryTextRowWithin(opts.pool, statement, timeLimit);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (!err.code) throw e;
      throw pgQueryError(err, plan.compiled.text, values ?? []);
    }
  }
  // Postgres built each field's JSON: splice the texts, never parse them
  let body = '{"data":{';
  for (let i = 0; i < plan.layout.length; i++) {
    const slot = plan.layout[i]!;
    if (i > 0) body += ',';
    body += slot.prefix + ('json' in slot ? slot.json : (row?.[slot.col] ?? 'null'));
  }
  return `${body}}}`;
}
