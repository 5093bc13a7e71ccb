/**
 * Alert evaluation on the write path: the points of a batch that some rule watches, handed to
 * alerting.evaluate() in the batch's own transaction (one statement), so an alert commits with the
 * point that made it fire, and a redelivered batch cannot fire twice (the function skips points
 * it has already seen per series). A batch no rule looks at costs a map lookup.
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import { arrayParam } from '../load/insert-sql.ts';
import type { DecodedRow } from '../pipeline/types.ts';
import type { AlertRuleSet } from './rule-set.ts';

/** The rows one pipeline loaded in the transaction. */
export interface AlertInput {
  table: string;
  /** value columns of the rows, in DecodedRow.values order */
  columns: ReadonlyArray<{ name: string }>;
  rows: readonly DecodedRow[];
  /** entity ids by natural key (null: the pipeline has no entity, so no rule can match) */
  ids: ReadonlyMap<string, number> | null;
}

/** Evaluate the watched points of a batch; returns how many alerts fired or resolved. */
export async function evaluateAlerts(
  client: pg.PoolClient,
  rules: AlertRuleSet,
  inputs: readonly AlertInput[],
): Promise<number> {
  const streams: string[] = [];
  const entityIds: number[] = [];
  const tsUs: number[] = [];
  const metrics: string[] = [];
  const values: Array<number | null> = [];
  for (const input of inputs) {
    const watched = rules.metricsFor(input.table);
    if (!watched || !input.ids) continue;
    const cols: Array<{ name: string; index: number }> = [];
    input.columns.forEach((c, index) => watched.has(c.name) && cols.push({ name: c.name, index }));
    if (cols.length === 0) continue;
    for (let i = 0; i < input.rows.length; i++) {
      const row = input.rows[i]!;
      const id = input.ids.get(row.entityKey!);
      if (id === undefined) continue;
      for (const c of cols) {
        const raw = row.values[c.index];
        if (raw === null || raw === undefined || raw === '') continue;
        const v = typeof raw === 'number' ? raw : Number(raw);
        if (!Number.isFinite(v)) continue;
        streams.push(input.table);
        entityIds.push(id);
        tsUs.push(row.tsUs);
        metrics.push(c.name);
        values.push(v);
      }
    }
  }
  if (streams.length === 0) return 0;
  const res = await query<{ changed: number }>(
    client,
    sql`SELECT alerting.evaluate(${sql.value(streams, 'text[]')}, ${arrayParam(entityIds, 'int8')},
                                 ${arrayParam(tsUs, 'int8')}, ${sql.value(metrics, 'text[]')},
                                 ${arrayParam(values, 'float8')}) AS changed`,
  );
  return res.rows[0]?.changed ?? 0;
}
