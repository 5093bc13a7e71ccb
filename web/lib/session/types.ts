/** What GET /api/session answers: everything the browser needs to talk to the GraphQL server. */
export interface SessionInfo {
  token: string;
  role: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  graphqlUrl: string;
  graphqlWsUrl: string;
}
