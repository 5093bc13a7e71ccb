/**
 * The dashboard's queries (web/lib/graphql/documents.ts: a chart's newest points, the hourly
 * rollups of a day, a window aggregate), the variables of each request (the series rotate over
 * every sensor the role may see, the same sequence for the engine and for pg), and the credentials
 * a dashboard sends: a short-lived HS256 role token in Hasura's claims format (as
 * web/lib/session/token.ts issues), or the admin secret.
 */
import { expiringToken } from '../fuzz/tokens.ts';

export interface QueryCase {
  name: string;
  query: string;
  operationName: string;
  /** the variables of the i-th request, for a series */
  variables(entity: number): Record<string, unknown>;
}

export function dashboardCases(now: Date): QueryCase[] {
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000).toISOString();
  return [
    {
      name: 'latest_100_points_of_a_series',
      operationName: 'LatestRows',
      query: `query LatestRows($limit: Int!, $entity: bigint!) {
  rows: sensor_readings(where: { entity_id: { _eq: $entity } }, order_by: { ts: desc }, limit: $limit) { ts entity_id temperature humidity pressure }
}`,
      variables: (entity) => ({ limit: 100, entity }),
    },
    {
      name: 'last_24h_from_hourly_rollup',
      operationName: 'Rollups',
      query: `query Rollups($stream: String!, $entity: bigint!, $metrics: [String!]!, $from: timestamptz!, $limit: Int!) {
  rows: rollups_1h(where: { stream: { _eq: $stream }, entity_id: { _eq: $entity }, metric: { _in: $metrics }, bucket: { _gte: $from } }, order_by: { bucket: asc }, limit: $limit) { bucket metric count min max sum last avg }
}`,
      variables: (entity) => ({
        stream: 'sensor_readings',
        entity,
        metrics: ['temperature', 'humidity', 'pressure'],
        from: hoursAgo(24),
        limit: 1000,
      }),
    },
    {
      name: 'aggregate_over_a_window',
      operationName: 'WindowAggregate',
      query: `query WindowAggregate($from: timestamptz!, $entity: bigint!) {
  agg: sensor_readings_aggregate(where: { ts: { _gte: $from }, entity_id: { _eq: $entity } }) { aggregate { count avg { temperature humidity pressure } min { temperature humidity pressure } max { temperature humidity pressure } } }
}`,
      variables: (entity) => ({ from: hoursAgo(1), entity }),
    },
  ];
}

export type Role = 'viewer' | 'user' | 'admin';

/** An HS256 JWT with Hasura's claims, as the web app signs them (iss streamsync-web, 1 h). */
export function roleToken(key: string, role: string, userId?: string): string {
  return expiringToken(key, role, 3600, userId);
}

/** The headers a client in `role` sends, and the session `user` object for /v1/graphql/explain. */
export function credentials(
  role: Role,
  secrets: { adminSecret: string; jwtKey: string },
  userId: string,
): { headers: Record<string, string>; explainUser: Record<string, string> } {
  if (role === 'admin') {
    return { headers: { 'x-hasura-admin-secret': secrets.adminSecret }, explainUser: {} };
  }
  const uid = role === 'user' ? userId : undefined;
  return {
    headers: { authorization: `Bearer ${roleToken(secrets.jwtKey, role, uid)}` },
    explainUser: { 'x-hasura-role': role, ...(uid ? { 'x-hasura-user-id': uid } : {}) },
  };
}
