/**
 * Rows as the GraphQL server sends them, and their times: an ISO-8601 string from Hasura and the
 * engine, Postgres' text form where a value passed through SQL as text.
 */

export type Row = Record<string, unknown>;

/** Milliseconds since the epoch of a timestamptz value as Hasura sends it (ISO-8601 string). */
export function parseTime(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const direct = Date.parse(value);
  if (!Number.isNaN(direct)) return direct;
  // Postgres' text form: "2024-05-01 12:00:00.123456+00"
  return Date.parse(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}
