/**
 * A query's plan and its run. The plan is one SQL statement that returns each root field's JSON
 * (a pg prepared statement when enabled); variables used only as scalar values, and session
 * variables, are placeholders bound per request, so one compiled statement serves every value
 * and every user of a role. A repeated query skips parsing, validation and translation; it only
 * checks and binds its values. One round trip; Postgres builds the response JSON and it is
 * spliced into the body as text.
 */
import { createHash } from 'node:crypto';
import { bindPlaceholders, compile, type Compiled } from '@streamsync/database';
import { pgQueryError, QErr } from '../errors.ts';
import { DEFAULT_SOURCE } from '../sources/source-pools.ts';
import { buildQueryIR, type ParamUse } from '../parse/select.ts';
import { queryWithin } from '../limits/statement-timeout.ts';
import { SelectTranslator } from '../translate/select.ts';
import type { QueryIR, RootField } from '../ir/types.ts';
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

/** One statement of a query plan: the root fields of one source. */
export interface QueryStatement {
  source: string;
  compiled: Compiled;
  /** the prepared statement's name, when prepared statements are used */
  name: string | null;
}

/**
 * Where a response key's value comes from: a column of one of the statements, static JSON text,
 * or (a source's namespace field) an object of its own slots.
 */
export type LayoutSlot =
  | { prefix: string; stmt: number; col: string }
  | { prefix: string; json: string }
  | { prefix: string; nested: LayoutSlot[] };

/** A compiled plan for one shape of a query. */
export interface QueryPlan {
  /** one per source the query reads, in the order of their first root field */
  statements: QueryStatement[];
  /** `"<response key>":` and where its value comes from */
  layout: LayoutSlot[];
  params: ParamUse[];
  /** `v:<param key>` → its use */
  paramsByKey: Map<string, ParamUse>;
  sessionVars: string[];
  ir: QueryIR;
}

/** The source a root field reads (null: answered without the database). */
export function rootFieldSource(f: RootField): string | null {
  switch (f.k) {
    case 'select':
    case 'select_one':
    case 'stream':
      return f.select.table.source;
    case 'agg':
      return f.agg.select.table.source;
    case 'connection':
      return f.conn.select.table.source;
    default:
      return null;
  }
}

export function buildQueryPlan(p: Prepared, opts: ExecOptions): Built<QueryPlan> {
  const root = operationRoot(p, opts);
  const ctx = root.context();
  const ir = buildQueryIR(ctx, root.rootType, root.fields);
  // each source's root fields become one statement of theirs (most queries: one source)
  const groups = new Map<string, QueryIR['root']>();
  const slots = (fields: QueryIR['root']): LayoutSlot[] =>
    fields.map(([alias, f]) => {
      const prefix = `${JSON.stringify(alias)}:`;
      if (f.k === 'static') return { prefix, json: JSON.stringify(f.value) };
      if (f.k === 'typename') return { prefix, json: JSON.stringify(f.name) };
      if (f.k === 'namespace') return { prefix, nested: slots(f.fields) };
      const source = rootFieldSource(f)!;
      let group = groups.get(source);
      if (!group) groups.set(source, (group = []));
      group.push([alias, f]);
      // the translator names the column of a statement's root field i `c<i>`
      return { prefix, stmt: [...groups.keys()].indexOf(source), col: `c${group.length - 1}` };
    });
  const layout = slots(ir.root);
  const statements: QueryStatement[] = [...groups].map(([source, fields]) => {
    const compiled = compile(new SelectTranslator().query({ root: fields }).statement);
    const name = opts.preparedStatements
      ? `ss_${createHash('sha1').update(compiled.text).digest('hex').slice(0, 24)}`
      : null;
    return { source, compiled, name };
  });
  const sessionVars = new Set<string>();
  collectSessionVars(ir, sessionVars);
  return {
    plan: {
      statements,
      layout,
      params: ctx.params,
      paramsByKey: paramsByKey(ctx.params),
      sessionVars: [...sessionVars],
      ir,
    },
    structural: [...root.input.structural],
  };
}

/** The query's plan (cached per variant) and this request's values for each statement. */
export function planQuery(
  p: Prepared,
  opts: ExecOptions,
): { plan: QueryPlan; values: unknown[][] } {
  const plan = planOf(p, () => buildQueryPlan(p, opts), opts.planCacheMetrics);
  checkSessionVars(plan.sessionVars, p.session);
  // a value that fails its check is re-planned uncached, for the exact error
  return withRecheck(
    plan,
    () => buildQueryPlan(p, opts).plan,
    (pl) => ({ plan: pl, values: bindQuery(pl, p) }),
  );
}

/** This request's values for each statement of a plan. */
export function bindQuery(plan: QueryPlan, p: Prepared): unknown[][] {
  const lookup = placeholderLookup(plan.paramsByKey, p.values, p.session);
  return plan.statements.map((s) => bindPlaceholders(s.compiled, lookup));
}

/** Run one statement of a plan on its source: its row of root-field columns. */
async function runStatement(
  s: QueryStatement,
  values: unknown[],
  opts: ExecOptions,
  timeLimit: number | null,
): Promise<Record<string, string | null>> {
  const statement = s.name
    ? { name: s.name, text: s.compiled.text, values }
    : { text: s.compiled.text, values };
  try {
    type Row = Record<string, string | null>;
    let res;
    if (s.source !== DEFAULT_SOURCE) {
      const pool = opts.sourcePool?.(s.source);
      if (!pool)
        throw new QErr('unexpected', `source with name "${s.source}" is not reachable`, 200);
      res = await queryWithin<Row>(pool, statement, timeLimit);
    } else if (opts.reads) {
      // a query of the default source reads from a replica when there is one (read_replicas)
      res = await opts.reads.run((t) => queryWithin<Row>(t.pool, statement, timeLimit));
    } else res = await queryWithin<Row>(opts.pool, statement, timeLimit);
    return res.rows[0] ?? {};
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (!err.code) throw e;
    throw pgQueryError(err, s.compiled.text, values);
  }
}

/** Run a planned query: the response body's text. */
export async function runQuery(
  plan: QueryPlan,
  values: unknown[][],
  opts: ExecOptions,
  timeLimit: number | null,
): Promise<string> {
  // the sources answer at once, each its own statement
  const rows = await Promise.all(
    plan.statements.map((s, i) => runStatement(s, values[i] ?? [], opts, timeLimit)),
  );
  // Postgres built each field's JSON: splice the texts, never parse them
  const splice = (slots: LayoutSlot[]): string =>
    slots
      .map(
        (slot) =>
          slot.prefix +
          ('json' in slot
            ? slot.json
            : 'nested' in slot
              ? `{${splice(slot.nested)}}`
              : (rows[slot.stmt]![slot.col] ?? 'null')),
      )
      .join(',');
  return `{"data":{${splice(plan.layout)}}}`;
}
