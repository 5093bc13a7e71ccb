/**
 * `time_limit`: Postgres cancels the statement (statement_timeout), so a refused request costs
 * the database nothing more. A statement outside a transaction runs on a pooled connection whose
 * `statement_timeout` is set to its request's limit first — only when that connection's setting
 * differs, so a role's steady traffic pays no extra round trip. Every statement of the engine's
 * pool that is not in a transaction goes through here, so no statement inherits another's limit.
 * (A mutation's transaction sets it with SET LOCAL: `timeoutSetting`.)
 */
import type pg from 'pg';
import { queryTextRow, type Compiled, type TextRow } from '@streamsync/database';
import { timeLimitError } from './index.ts';

/** The statement_timeout each pooled connection currently has, in ms (absent: the default, 0). */
const current = new WeakMap<pg.PoolClient, number>();

/** `statement_timeout` text for a limit in seconds (null: none). */
export const timeoutSetting = (seconds: number | null): string =>
  seconds ? `${Math.ceil(seconds * 1000)}ms` : '0';

/** SQLSTATE of a statement cancelled (by statement_timeout here) */
export const QUERY_CANCELED = '57014';

export function queryWithin<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  config: pg.QueryConfig,
  seconds: number | null,
): Promise<pg.QueryResult<R>> {
  return runWithin(pool, seconds, (client) => client.query<R>(config));
}

/** `queryWithin` for a statement answering one row of text columns, kept as text (a query's JSON). */
export function queryTextRowWithin(
  pool: pg.Pool,
  statement: { compiled: Compiled; name: string | null; values: unknown[] },
  seconds: number | null,
): Promise<TextRow> {
  return runWithin(pool, seconds, (client) =>
    queryTextRow(client, statement.compiled, statement.name, statement.values),
  );
}

async function runWithin<T>(
  pool: pg.Pool,
  seconds: number | null,
  run: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    const want = seconds ? Math.ceil(seconds * 1000) : 0;
    if ((current.get(client) ?? 0) !== want) {
      await client.query({
        text: 'SELECT set_config($1, $2, false)',
        values: ['statement_timeout', `${want}ms`],
      });
      current.set(client, want);
    }
    return await run(client);
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) broken = true;
    if (seconds && err.code === QUERY_CANCELED) throw timeLimitError(seconds);
    throw e;
  } finally {
    client.release(broken);
  }
}
