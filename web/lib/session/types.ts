/** What GET /api/session answers: everything the browser needs to talk to the GraphQL server. */
export interface SessionInfo {
  token: string;
  role: string;
  /** The user the session acts for (x-hasura-user-id), or null: dashboards are then read-only. */
  userId: string | null;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  graphqlUrl: string;
  graphqlWsUrl: string;
}
