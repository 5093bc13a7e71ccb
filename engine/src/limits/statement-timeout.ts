/**
 * `time_limit`: Postgres cancels the statement (statement_timeout), so a refused request costs
 * the database nothing more. A statement outside a transaction runs on a pooled connection whose
 * `statement_timeout` is set to its request's limit first — only when that connection's setting
 * differs, so a role's steady traffic pays no extra round trip. Every statement of the engine's
 * pool that is not in a transaction goes through here, so no statement inherits another's limit.
 * (A mutation's transaction sets it with SET LOCAL: `timeoutSetting`.)
 */
import type pg from 'pg';
import { timeLimitError } from './index.ts';

/** The statement_timeout each pooled connection currently has, in ms (absent: the default, 0). */
const current = new WeakMap<pg.PoolClient, number>();

/** `statement_timeout` text for a limit in seconds (null: none). */
export const timeoutSetting = (seconds: number | null): string =>
  seconds ? `${Math.ceil(seconds * 1000)}ms` : '0';

/** SQLSTATE of a statement cancelled (by statement_timeout here) */
export const QUERY_CANCELED = '57014';

export async function queryWithin<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  config: pg.QueryConfig,
  seconds: number | null,
): Promise<pg.QueryResult<R>> {
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
    return await client.query<R>(config);
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) broken = true;
    if (seconds && err.code === QUERY_CANCELED) throw timeLimitError(seconds);
    throw e;
  } finally {
    client.release(broken);
  }
}
