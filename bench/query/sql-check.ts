/**
 * What the direct-pg side runs, and the proof that it is what the engine runs: the statement and
 * its arguments come from the engine's own `/v1/graphql/explain` (same planner, same session),
 * one capture per series; then, per case,
 *
 * - `same_result`: the engine's response body is exactly `{"data":{"<field>":<the text pg returns
 *   for the captured statement>}}`;
 * - `executed_by_engine`: the text Postgres shows as the engine connections' last statement
 *   (pg_stat_activity, at most track_activity_query_size bytes of it) is the captured text;
 * - `same_plan`: EXPLAIN of the captured statement run directly gives the plan the engine's
 *   explain reported (costs aside).
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import type { QueryCase } from './cases.ts';
import type { HttpClient } from './load.ts';

export interface Captured {
  field: string;
  text: string;
  /** statement arguments per series (entity id) */
  args: Map<number, unknown[]>;
  enginePlan: string[];
}

interface ExplainEntry {
  field: string;
  sql: string | null;
  plan: string[] | null;
  prepared_arguments?: unknown[];
}

export async function captureStatement(
  client: HttpClient,
  adminSecret: string,
  c: QueryCase,
  entities: number[],
  user: Record<string, string>,
): Promise<Captured> {
  let captured: Captured | undefined;
  for (const entity of entities) {
    const body = Buffer.from(
      JSON.stringify({
        query: { query: c.query, operationName: c.operationName, variables: c.variables(entity) },
        user,
      }),
    );
    const text = await client.post('/v1/graphql/explain', body, {
      'x-hasura-admin-secret': adminSecret,
    });
    const entries = JSON.parse(text) as ExplainEntry[];
    const e = entries[0];
    if (entries.length !== 1 || !e?.sql || !e.plan || !e.prepared_arguments) {
      throw new Error(`${c.name}: the engine's explain gave no statement: ${text.slice(0, 300)}`);
    }
    captured ??= { field: e.field, text: e.sql, args: new Map(), enginePlan: e.plan };
    if (e.sql !== captured.text) throw new Error(`${c.name}: the statement differs by series`);
    captured.args.set(entity, e.prepared_arguments);
  }
  return captured!;
}

export interface SqlCheck {
  same_result: boolean;
  executed_by_engine: boolean;
  compared_chars: number;
  same_plan: boolean;
  plan: string[];
}

const stripCosts = (lines: string[]) =>
  lines.map((l) => l.replace(/\s*\(cost=[^)]*\)/g, '').trimEnd());

export async function checkStatement(
  captured: Captured,
  entity: number,
  engineRequest: (entity: number) => Promise<string>,
  direct: pg.Pool,
  observer: pg.Pool,
): Promise<SqlCheck> {
  const args = captured.args.get(entity)!;
  const body = await engineRequest(entity);
  const { rows } = await direct.query<Record<string, string | null>>({
    text: captured.text,
    values: args,
  });
  const expected = `{"data":{${JSON.stringify(captured.field)}:${rows[0]?.c0 ?? 'null'}}}`;
  // the engine's connections are idle now, their last statement still shown
  const activity = await query<{ query: string }>(
    observer,
    sql`SELECT query FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'streamsync-engine'`,
  );
  const shown = activity.rows.map((r) => r.query).filter((q) => q.length > 0);
  const match = shown.find((q) => captured.text.startsWith(q) && q.length >= 200);
  // the engine's statement text, replayed as it is: EXPLAIN in front of it
  const explainText = ['EXPLAIN', captured.text].join(' ');
  const plan = await direct.query<{ 'QUERY PLAN': string }>({ text: explainText, values: args });
  const directPlan = plan.rows.map((r) => r['QUERY PLAN']);
  return {
    same_result: body === expected,
    executed_by_engine: match !== undefined,
    compared_chars: match?.length ?? 0,
    same_plan:
      JSON.stringify(stripCosts(directPlan)) === JSON.stringify(stripCosts(captured.enginePlan)),
    plan: stripCosts(directPlan),
  };
}
