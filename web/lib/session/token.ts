/**
 * Role tokens for the browser: short-lived HS256 JWTs in Hasura's claims format, signed with the
 * key the GraphQL server verifies (STREAMSYNC_JWT_KEY). Never an admin token: the role comes from
 * configuration and `admin` is refused there.
 */
import { SignJWT } from 'jose';

export interface TokenRequest {
  key: string;
  role: string;
  userId?: string;
  ttlSeconds: number;
  claimsNamespace?: string;
  /** Seconds since the epoch; defaults to now. */
  now?: number;
}

export interface IssuedToken {
  token: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export const HASURA_CLAIMS_NAMESPACE = 'https://hasura.io/jwt/claims';

/** The role that owns dashboards and alert rules (hasura/metadata). */
export const USER_ROLE = 'user';

/**
 * Hasura's claims: the configured role is the default (it reads the data); a token that names a
 * user may also act as `user` (with `x-hasura-role: user`), the role that owns dashboards.
 */
export function hasuraClaims(role: string, userId?: string): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    'x-hasura-allowed-roles': userId && role !== USER_ROLE ? [role, USER_ROLE] : [role],
    'x-hasura-default-role': role,
  };
  if (userId) claims['x-hasura-user-id'] = userId;
  return claims;
}

export async function issueToken(req: TokenRequest): Promise<IssuedToken> {
  const issuedAt = req.now ?? Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + req.ttlSeconds;
  const jwt = new SignJWT({
    [req.claimsNamespace ?? HASURA_CLAIMS_NAMESPACE]: hasuraClaims(req.role, req.userId),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setIssuer('streamsync-web');
  if (req.userId) jwt.setSubject(req.userId);
  const token = await jwt.sign(new TextEncoder().encode(req.key));
  return { token, issuedAt, expiresAt };
}
