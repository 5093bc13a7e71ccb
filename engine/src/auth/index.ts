/**
 * Authentication: request headers → session, as Hasura v2 does it.
 *
 *     const auth = parseAuthConfig(process.env);          // at start; throws ConfigError naming the key
 *     const session = await resolveSession(req.headers, auth);   // per request / per connection_init
 *     // session.role, session.isAdmin, session.variables['x-hasura-user-id'], session.expiresAt
 *
 * Failures throw `AuthError` with Hasura's `code`, `message` and HTTP `status` (path `$`):
 * render `err.toGraphQL()` in `{"errors":[…]}` with HTTP 200 on /v1/graphql, and `err.toRest()`
 * with `err.status` on the REST endpoints. A WebSocket connection authenticated with a JWT should
 * be closed when `msUntilExpiry(session)` runs out.
 *
 * | situation | code | status | message |
 * | --- | --- | --- | --- |
 * | admin secret configured, none sent (no JWT, no unauthorized role) | access-denied | 401 | `x-hasura-admin-secret/x-hasura-access-key required, but not found` |
 * | wrong admin secret sent | access-denied | 401 | `invalid x-hasura-admin-secret/x-hasura-access-key` |
 * | JWT mode, no token (no unauthorized role) | invalid-headers | 400 | `Missing 'Authorization' or 'Cookie' header in JWT authentication mode` |
 * | `Authorization` not `Bearer <token>` | invalid-headers | 400 | `Malformed Authorization header` |
 * | bad signature / expired / not yet valid / wrong issuer / wrong audience | invalid-jwt | 400 | `Could not verify JWT: JWSError JWSInvalidSignature` / `JWTExpired` / `JWTNotYetValid` / `JWTNotInIssuer` / `JWTNotInAudience` |
 * | claims namespace missing | jwt-invalid-claims | 400 | `claims key: 'https://hasura.io/jwt/claims' not found` |
 * | role claims missing | jwt-missing-role-claims | 400 | `JWT claim does not contain x-hasura-allowed-roles` |
 * | requested role not allowed | access-denied | 400 | `Your requested role is not in allowed roles` |
 * | bad `x-hasura-use-backend-only-permissions` | bad-request | 400 | `x-hasura-use-backend-only-permissions:  Not a valid boolean text. …` |
 */
export { parseAuthConfig, parseJwtConfig, authMode, DEFAULT_CLAIMS_NAMESPACE } from './config.ts';
export type {
  AuthConfig,
  AuthMode,
  JwtConfig,
  JwtClaimsConfig,
  JwtTokenLocation,
  ClaimsMapValue,
} from './config.ts';
export { resolveSession, msUntilExpiry, normalizeHeaders, ADMIN_ROLE } from './session.ts';
export type { Session, RequestHeaders, ResolveOptions } from './session.ts';
export { AuthError } from './errors.ts';
export type { AuthErrorCode } from './errors.ts';
export { parseJsonPath, encodeJsonPath, executeJsonPath, JsonPathError } from './json-path.ts';
export type { JsonPath, JsonPathElement } from './json-path.ts';
