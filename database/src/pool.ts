/**
 * Pools and the three ways every package runs SQL: `query` (one statement), `transaction`
 * (BEGIN … COMMIT with rollback on error) and `withClient`. They accept only builder fragments,
 * so no caller can hand `pg` a string.
 */
import pg from 'pg';
import { compile, type SQL } from './sql.ts';

export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export interface PoolOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so an operator can tell the worker from the engine. */
  applicationName: string;
  max?: number;
  statementTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export function createPool(opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    application_name: opts.applicationName,
    max: opts.max ?? 10,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
    connectionTimeoutMillis: 10_000,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  // An idle client that loses its server (Postgres restarted) emits 'error' on the pool; without a
  // listener that would crash the process. The next checkout simply reconnects.
  pool.on('error', () => {});
  // pg-pool listens only on idle clients: a checked-out client whose server goes away (Postgres
  // stopped mid-transaction) emits 'error' with no listener and kills the process. The statement in
  // flight already fails with that error and the broken client is discarded on release, so the
  // event itself can be ignored (found by etl-worker/test/restarts.test.ts).
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  statement: SQL,
): Promise<pg.QueryResult<R>> {
  const { text, values, placeholders } = compile(statement);
  if (placeholders.length > 0) throw new Error('query(): statement has unbound placeholders');
  return db.query<R>(text, values);
}

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

export interface TransactionOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
}

/** BEGIN, run `fn`, COMMIT; ROLLBACK (and rethrow) on any error. A broken client is discarded. */
export async function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const mode = [
      opts.isolation ? `ISOLATION LEVEL ${opts.isolation}` : '',
      opts.readOnly ? 'READ ONLY' : '',
    ]
      .filter(Boolean)
      .join(' ');
    // isolation comes from a closed union type, never from input
    await client.query(mode ? `BEGIN ${mode}` : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

export async function withClient<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}
