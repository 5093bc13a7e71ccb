/**
 * From request headers to a session, as Hasura's `getUserInfoWithExpTime` (Hasura/Server/Auth.hs)
 * and `mkUserInfo` (Hasura/Session.hs) do it:
 *
 * - **no admin secret configured**: every request is admin; an `x-hasura-role` header picks
 *   another role, with the `x-hasura-*` headers as session variables;
 * - **an admin secret header sent** (`x-hasura-admin-secret`, or the old `x-hasura-access-key`):
 *   it must match (401 `access-denied` otherwise), then as above. This is checked before JWT, so
 *   the secret takes precedence over a token;
 * - **no secret sent, admin-secret mode**: the unauthorized role if configured (session variables
 *   from the headers), else 401 `access-denied`;
 * - **no secret sent, webhook mode**: the auth hook decides the role and the session variables
 *   (auth-hook.ts);
 * - **no secret sent, JWT mode**: the token decides the role (within its allowed roles, picked by
 *   `x-hasura-role`) and the session variables; without a token, the unauthorized role or 400
 *   `invalid-headers`.
 *
 * Session variables are the `x-hasura-*` names, lower-cased, never the admin secret, and always
 * include `x-hasura-role` set to the resolved role.
 */
import crypto from 'node:crypto';
import { authMode, digestSecret, type AuthConfig } from './config.ts';
import { err400, err401 } from './errors.ts';
import { processJwt } from './jwt.ts';
import { sessionFromAuthHook } from './auth-hook.ts';
import { ADMIN_ROLE, type Session } from '../session.ts';

export { ADMIN_ROLE, type Session };

const ROLE_HEADER = 'x-hasura-role';
const ADMIN_SECRET_HEADER = 'x-hasura-admin-secret';
const ACCESS_KEY_HEADER = 'x-hasura-access-key';
const BACKEND_ONLY_HEADER = 'x-hasura-use-backend-only-permissions';

/** What a header record may hold (Node's IncomingHttpHeaders, or a plain record). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ResolveOptions {
  /** The clock used for exp/nbf (default: now). */
  now?: Date;
  /**
   * The GraphQL request the headers came with, for an auth hook in POST mode (read only then;
   * undefined: none, as on a WebSocket's connection_init and the other APIs).
   */
  request?: () => unknown;
}

/**
 * Resolve the session of a request. Throws `AuthError` (code, message, status) on failure.
 * Header names may be in any case; repeated headers may be given as arrays.
 */
export async function resolveSession(
  headers: RequestHeaders,
  config: AuthConfig,
  options: ResolveOptions = {},
): Promise<Session> {
  const h = normalizeHeaders(headers);
  const sessionVars = new Map<string, string>();
  for (const [name, value] of h) if (name.startsWith('x-hasura-')) sessionVars.set(name, value);

  const mode = authMode(config);
  if (mode === 'no-auth') return fromHeaders(sessionVars, undefined, 'not-set', 'no-auth');

  const sentSecret = sessionVars.get(ADMIN_SECRET_HEADER) ?? sessionVars.get(ACCESS_KEY_HEADER);
  if (sentSecret !== undefined) {
    if (!secretMatches(sentSecret, config.adminSecretDigests)) {
      throw err401(`invalid ${ADMIN_SECRET_HEADER}/${ACCESS_KEY_HEADER}`);
    }
    return fromHeaders(sessionVars, undefined, 'sent', 'admin-secret');
  }

  if (mode === 'admin-secret-and-hook') {
    return sessionFromAuthHook(config.hook!, h, options.request?.(), options.now ?? new Date());
  }

  if (mode === 'admin-secret') {
    if (config.unauthorizedRole === undefined) {
      throw err401(`${ADMIN_SECRET_HEADER}/${ACCESS_KEY_HEADER} required, but not found`);
    }
    return fromHeaders(sessionVars, config.unauthorizedRole, 'not-sent', 'unauthorized-role');
  }

  const outcome = await processJwt(config.jwt, h, options.now ?? new Date());
  if (outcome === undefined) {
    if (config.unauthorizedRole === undefined) {
      throw err400(
        'invalid-headers',
        "Missing 'Authorization' or 'Cookie' header in JWT authentication mode",
      );
    }
    return fromHeaders(sessionVars, config.unauthorizedRole, 'not-sent', 'unauthorized-role');
  }
  const variables: Record<string, string> = { ...outcome.variables, [ROLE_HEADER]: outcome.role };
  delete variables[ADMIN_SECRET_HEADER];
  delete variables[ACCESS_KEY_HEADER];
  const session: Session = {
    role: outcome.role,
    isAdmin: outcome.role === ADMIN_ROLE,
    variables,
    backendOnlyPermissions: false,
    authenticatedBy: 'jwt',
  };
  if (outcome.expiresAt !== undefined) session.expiresAt = outcome.expiresAt;
  return session;
}

/** Milliseconds until the session's JWT expires (≤ 0 once expired); undefined if it never does. */
export function msUntilExpiry(session: Session, now: Date = new Date()): number | undefined {
  return session.expiresAt === undefined ? undefined : session.expiresAt.getTime() - now.getTime();
}

/** Lower-case header names; join repeated values as HTTP does (`; ` for cookies). */
export function normalizeHeaders(headers: RequestHeaders): Map<string, string> {
  const out = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    const value =
      typeof rawValue === 'string' ? rawValue : rawValue.join(name === 'cookie' ? '; ' : ', ');
    const prev = out.get(name);
    out.set(name, prev === undefined ? value : `${prev}${name === 'cookie' ? '; ' : ', '}${value}`);
  }
  return out;
}

function secretMatches(sent: string, digests: readonly Buffer[]): boolean {
  const d = digestSecret(sent);
  let ok = false;
  for (const want of digests) ok = crypto.timingSafeEqual(d, want) || ok;
  return ok;
}

/**
 * Hasura's mkUserInfo over header session variables: the role is `fixedRole` when given
 * (unauthorized role), else `x-hasura-role` falling back to admin.
 */
function fromHeaders(
  sessionVars: Map<string, string>,
  fixedRole: string | undefined,
  adminSecret: 'sent' | 'not-sent' | 'not-set',
  authenticatedBy: Session['authenticatedBy'],
): Session {
  const requested = sessionVars.get(ROLE_HEADER);
  const role = fixedRole ?? (requested !== undefined && requested !== '' ? requested : ADMIN_ROLE);

  let backendOnlyPermissions = false;
  const backendOnly = sessionVars.get(BACKEND_ONLY_HEADER);
  if (adminSecret !== 'not-sent' && backendOnly !== undefined) {
    backendOnlyPermissions = parseBoolText(backendOnly);
  }

  const variables: Record<string, string> = {};
  for (const [k, v] of sessionVars) {
    if (k !== ADMIN_SECRET_HEADER && k !== ACCESS_KEY_HEADER) variables[k] = v;
  }
  variables[ROLE_HEADER] = role;
  return { role, isAdmin: role === ADMIN_ROLE, variables, backendOnlyPermissions, authenticatedBy };
}

const TRUE_TEXT = ['true', 't', 'yes', 'y'];
const FALSE_TEXT = ['false', 'f', 'no', 'n'];

/** Hasura's parseStringAsBool, with its error for the backend-only header. */
function parseBoolText(value: string): boolean {
  const v = value.toLowerCase();
  if (TRUE_TEXT.includes(v)) return true;
  if (FALSE_TEXT.includes(v)) return false;
  throw err400(
    'bad-request',
    `${BACKEND_ONLY_HEADER}:  Not a valid boolean text. True values are ${JSON.stringify(TRUE_TEXT)} and ` +
      ` False values are ${JSON.stringify(FALSE_TEXT)}. All values are case insensitive`,
  );
}
