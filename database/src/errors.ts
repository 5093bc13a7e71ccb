/**
 * Postgres failures classified by SQLSTATE class, so callers decide between retrying (the server is
 * restarting, a deadlock) and giving up on the input (a constraint or data error).
 */

interface PgLikeError {
  code?: string;
  message?: string;
}

// Node socket errors seen while Postgres restarts or is unreachable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

export function sqlState(err: unknown): string | undefined {
  const code = (err as PgLikeError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the same statement may succeed if tried again later. */
export function isTransientPgError(err: unknown): boolean {
  const e = err as PgLikeError | null;
  if (!e) return false;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const state = sqlState(err);
  if (state) {
    return (
      state.startsWith('08') || // connection exception
      state === '40001' || // serialization failure
      state === '40P01' || // deadlock detected
      state === '53300' || // too many connections
      state === '55P03' || // lock not available
      state === '57P01' || // admin shutdown
      state === '57P02' || // crash shutdown
      state === '57P03' // cannot connect now (starting up / recovering)
    );
  }
  const msg = e.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    msg,
  );
}

export const isUniqueViolation = (err: unknown): boolean => sqlState(err) === '23505';
export const isUndefinedTable = (err: unknown): boolean => sqlState(err) === '42P01';
export const isUndefinedColumn = (err: unknown): boolean => sqlState(err) === '42703';
