/**
 * Authentication failures, each with the code, message and HTTP status Hasura gives it
 * (Hasura/Server/Auth.hs, Hasura/Server/Auth/JWT.hs, Hasura/Session.hs).
 *
 * The status is the one the REST-style endpoints (/v1/metadata, /v1/query, /v2/query,
 * /v1alpha1/graphql) answer with; /v1/graphql answers every error with HTTP 200 and
 * `{"errors":[{"message", "extensions":{"path":"$","code"}}]}`. The JSON path of every
 * authentication error is `$`.
 */

/** The Hasura error codes authentication can produce. */
export type AuthErrorCode =
  | 'access-denied'
  | 'invalid-jwt'
  | 'jwt-invalid-claims'
  | 'jwt-missing-role-claims'
  | 'invalid-headers'
  | 'bad-request'
  | 'invalid-params'
  | 'unexpected';

export class AuthError extends Error {
  /** Always `$`: Hasura raises these before looking at the request body. */
  readonly path = '$';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /**
     * 400 for everything but the admin-secret checks and an auth hook's refusal, which are 401
     * (Hasura's `throw401`), and an auth hook that fails, 500.
     */
    readonly status: 400 | 401 | 500,
  ) {
    super(message);
    this.name = 'AuthError';
  }

  /** The GraphQL error object (`/v1/graphql`, WebSocket payloads). */
  toGraphQL(): { message: string; extensions: { path: string; code: string } } {
    return { message: this.message, extensions: { path: this.path, code: this.code } };
  }

  /** The REST error object (`/v1/metadata`, `/v1/query`, `/v2/query`). */
  toRest(): { error: string; path: string; code: string } {
    return { error: this.message, path: this.path, code: this.code };
  }
}

/** `throw400 code msg` */
export const err400 = (code: AuthErrorCode, message: string): AuthError =>
  new AuthError(code, message, 400);

/** `throw401 msg`: always access-denied. */
export const err401 = (message: string): AuthError => new AuthError('access-denied', message, 401);

/** Prefix of every "the token did not verify" message; the rest names hs-jose's error value. */
export const invalidJwt = (jwtError: string): AuthError =>
  err400('invalid-jwt', `Could not verify JWT: ${jwtError}`);
