/**
 * `run_sql` as Hasura's schema API answers it: the statements run in one transaction (READ ONLY
 * with `read_only`), and the last statement's result comes back as `TuplesOk` (a header row, then
 * every value as text, NULL as null) or `CommandOk`.
 */
import type pg from 'pg';
import { pgInternal, QErr } from '../errors.ts';

export interface RunSqlArgs {
  sql: string;
  source?: string;
  cascade?: boolean;
  read_only?: boolean;
  check_metadata_consistency?: boolean;
}

export type RunSqlResult =
  | { result_type: 'TuplesOk'; result: Array<Array<string | null>> }
  | { result_type: 'CommandOk'; result: null };

const RAW_TEXT = { getTypeParser: () => (v: string) => v };

/**
 * Run user SQL. This is the one place the engine sends text it did not build: the admin API's
 * purpose is to run an administrator's SQL verbatim, inside a transaction.
 */
export async function runSql(pool: pg.Pool, args: RunSqlArgs): Promise<RunSqlResult> {
  if (typeof args.sql !== 'string')
    throw new QErr('parse-failed', 'expected String for key "sql"', 400, ['args', 'sql']);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(args.read_only ? 'BEGIN READ ONLY' : 'BEGIN');
    let res: pg.QueryResult | pg.QueryResult[];
    try {
      res = (await client.query({
        text: args.sql,
        types: RAW_TEXT,
        rowMode: 'array',
      } as pg.QueryConfig)) as pg.QueryResult | pg.QueryResult[];
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const err = e as { code?: string; message?: string; hint?: string; detail?: string };
      if (!err.code) throw e;
      throw new QErr(
        'postgres-error',
        'query execution failed',
        400,
        [],
        pgInternal(err, args.sql, [], false),
      );
    }
    await client.query('COMMIT');
    const last = Array.isArray(res) ? res[res.length - 1] : res;
    if (
      last &&
      last.fields &&
      last.fields.length > 0 &&
      (last.command === 'SELECT' || last.rows.length > 0 || last.command === null)
    ) {
      const header = last.fields.map((f) => f.name);
      const rows = (last.rows as unknown[][]).map((r) =>
        r.map((v) => (v === null || v === undefined ? null : String(v))),
      );
      return { result_type: 'TuplesOk', result: [header, ...rows] };
    }
    return { result_type: 'CommandOk', result: null };
  } finally {
    client.release(broken);
  }
}
