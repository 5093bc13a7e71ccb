/** What the connection indicator shows. */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'error';

export interface ConnectionState {
  status: ConnectionStatus;
  /** When the status last changed (ms since the epoch). */
  since: number;
  /** Reconnection attempts since the last successful connection. */
  attempt: number;
  /** Last error, for the indicator's title. */
  error?: string;
  /** Expiry of the token in use (ms since the epoch). */
  tokenExpiresAt?: number;
  /** How many times the token was renewed and the subscriptions handed over. */
  renewals: number;
  role?: string;
}

export const INITIAL_CONNECTION_STATE: ConnectionState = {
  status: 'idle',
  since: 0,
  attempt: 0,
  renewals: 0,
};

/** The close event or error a graphql-ws client reported, as one line. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    if ('code' in err && 'reason' in err) {
      const e = err as { code: number; reason: string };
      return `closed ${e.code}${e.reason ? `: ${e.reason}` : ''}`;
    }
    if (Array.isArray(err))
      return err.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
    if ('message' in err) return String((err as { message: unknown }).message);
    if ('type' in err) return `socket ${(err as { type: string }).type}`;
  }
  return String(err);
}

/** True for an error that is the server's answer to the operation (GraphQL errors), not the socket. */
export function isGraphQLErrorList(err: unknown): boolean {
  return Array.isArray(err);
}
