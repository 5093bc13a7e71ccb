import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, SignJWT } from 'jose';
import { ConfigError } from '@streamsync/database';
import {
  AuthError,
  msUntilExpiry,
  parseAuthConfig,
  resolveSession,
  type AuthConfig,
  type RequestHeaders,
  type Session,
} from './index.ts';

const NS = 'https://hasura.io/jwt/claims';
const SECRET = 'admin-secret-for-tests';
const HS_KEY = 'a-shared-hmac-key-of-at-least-32-chars!!';

const now = () => Math.floor(Date.now() / 1000);

function hasuraClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'x-hasura-allowed-roles': ['user', 'editor'],
    'x-hasura-default-role': 'user',
    'x-hasura-user-id': '42',
    ...extra,
  };
}

interface SignOptions {
  alg?: string;
  key?: crypto.KeyObject | Uint8Array;
  exp?: number | null;
  nbf?: number;
  iss?: string;
  aud?: string | string[];
}

async function sign(payload: Record<string, unknown>, o: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: o.alg ?? 'HS256' }).setIssuedAt();
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? now() + 3600);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  if (o.iss !== undefined) jwt.setIssuer(o.iss);
  if (o.aud !== undefined) jwt.setAudience(o.aud);
  return jwt.sign(o.key ?? new TextEncoder().encode(HS_KEY));
}

function jwtConfig(jwt: Record<string, unknown>, extra: Record<string, string> = {}): AuthConfig {
  return parseAuthConfig({
    HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: HS_KEY, ...jwt }),
    ...extra,
  });
}

const bearer = (token: string): RequestHeaders => ({ Authorization: `Bearer ${token}` });

/** Resolve and return the AuthError it fails with. */
async function failure(headers: RequestHeaders, config: AuthConfig): Promise<AuthError> {
  try {
    await resolveSession(headers, config);
  } catch (e) {
    if (e instanceof AuthError) return e;
    throw e;
  }
  throw new Error('expected the request to be refused');
}

function expectError(e: AuthError, code: string, message: string, status = 400): void {
  expect({ code: e.code, message: e.message, status: e.status }).toEqual({ code, message, status });
}

describe('Auth > no admin secret', () => {
  const config = parseAuthConfig({});

  it('should make every request admin', async () => {
    const s = await resolveSession({}, config);
    expect(s).toMatchObject({ role: 'admin', isAdmin: true, authenticatedBy: 'no-auth' });
    expect(s.variables).toEqual({ 'x-hasura-role': 'admin' });
    expect(s.expiresAt).toBeUndefined();
  });

  it('should let the request pick a role and pass x-hasura-* headers as lower-cased variables', async () => {
    const s = await resolveSession(
      { 'X-Hasura-Role': 'user', 'X-HASURA-USER-ID': '7', 'content-type': 'application/json' },
      config,
    );
    expect(s).toMatchObject({ role: 'user', isAdmin: false });
    expect(s.variables).toEqual({ 'x-hasura-role': 'user', 'x-hasura-user-id': '7' });
  });

  it('should fall back to admin for an empty role header', async () => {
    expect((await resolveSession({ 'x-hasura-role': '' }, config)).role).toBe('admin');
  });

  it('should allow backend-only permissions when asked', async () => {
    const yes = await resolveSession({ 'x-hasura-use-backend-only-permissions': 'YES' }, config);
    expect(yes.backendOnlyPermissions).toBe(true);
    const no = await resolveSession({ 'x-hasura-use-backend-only-permissions': 'f' }, config);
    expect(no.backendOnlyPermissions).toBe(false);
    const e = await failure({ 'X-Hasura-Use-Backend-Only-Permissions': 'random' }, config);
    expectError(
      e,
      'bad-request',
      'x-hasura-use-backend-only-permissions:  Not a valid boolean text. True values are ["true","t","yes","y"] and  False values are ["false","f","no","n"]. All values are case insensitive',
    );
  });
});

describe('Auth > admin secret', () => {
  const config = parseAuthConfig({ HASURA_GRAPHQL_ADMIN_SECRET: SECRET });

  it('should accept the secret as admin and drop it from the session', async () => {
    const s = await resolveSession({ 'X-Hasura-Admin-Secret': SECRET }, config);
    expect(s).toMatchObject({ role: 'admin', isAdmin: true, authenticatedBy: 'admin-secret' });
    expect(s.variables).toEqual({ 'x-hasura-role': 'admin' });
  });

  it('should let the admin act as a role with session variables', async () => {
    const s = await resolveSession(
      { 'x-hasura-admin-secret': SECRET, 'x-hasura-role': 'user', 'x-hasura-user-id': '1' },
      config,
    );
    expect(s).toMatchObject({ role: 'user', isAdmin: false });
    expect(s.variables).toEqual({ 'x-hasura-role': 'user', 'x-hasura-user-id': '1' });
  });

  it('should accept the old x-hasura-access-key header', async () => {
    const s = await resolveSession({ 'X-Hasura-Access-Key': SECRET }, config);
    expect(s.role).toBe('admin');
    expect(s.variables).toEqual({ 'x-hasura-role': 'admin' });
  });

  it('should refuse a wrong secret with 401', async () => {
    const e = await failure({ 'x-hasura-admin-secret': 'nope' }, config);
    expectError(e, 'access-denied', 'invalid x-hasura-admin-secret/x-hasura-access-key', 401);
    expect(e.toGraphQL()).toEqual({
      message: 'invalid x-hasura-admin-secret/x-hasura-access-key',
      extensions: { path: '$', code: 'access-denied' },
    });
    expect(e.toRest()).toEqual({
      error: 'invalid x-hasura-admin-secret/x-hasura-access-key',
      path: '$',
      code: 'access-denied',
    });
  });

  it('should refuse a request without the secret with 401', async () => {
    const e = await failure({ 'x-hasura-role': 'user' }, config);
    expectError(
      e,
      'access-denied',
      'x-hasura-admin-secret/x-hasura-access-key required, but not found',
      401,
    );
  });

  it('should run a request without the secret as the unauthorized role', async () => {
    const c = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous',
    });
    const s = await resolveSession({ 'x-hasura-role': 'admin', 'x-hasura-user-id': '3' }, c);
    expect(s).toMatchObject({
      role: 'anonymous',
      isAdmin: false,
      authenticatedBy: 'unauthorized-role',
    });
    expect(s.variables).toEqual({ 'x-hasura-role': 'anonymous', 'x-hasura-user-id': '3' });
  });

  it('should not let an untrusted request use backend-only permissions', async () => {
    const c = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous',
    });
    const s = await resolveSession({ 'x-hasura-use-backend-only-permissions': 'true' }, c);
    expect(s.backendOnlyPermissions).toBe(false);
    const admin = await resolveSession(
      { 'x-hasura-admin-secret': SECRET, 'x-hasura-use-backend-only-permissions': 'true' },
      c,
    );
    expect(admin.backendOnlyPermissions).toBe(true);
  });

  it('should read HASURA_GRAPHQL_ACCESS_KEY and HASURA_GRAPHQL_ADMIN_SECRETS', async () => {
    const c = parseAuthConfig({
      HASURA_GRAPHQL_ACCESS_KEY: 'old',
      HASURA_GRAPHQL_ADMIN_SECRETS: '["a1","a2"]',
    });
    for (const s of ['old', 'a1', 'a2']) {
      expect((await resolveSession({ 'x-hasura-admin-secret': s }, c)).role).toBe('admin');
    }
    await expect(resolveSession({ 'x-hasura-admin-secret': 'a3' }, c)).rejects.toThrow(AuthError);
  });
});

describe('Auth > JWT (HS256)', () => {
  const config = jwtConfig({});

  it('should take the default role and the x-hasura-* claims from a valid token', async () => {
    const exp = now() + 600;
    const token = await sign(
      { [NS]: hasuraClaims({ 'X-Hasura-Org': 'acme', other: 'ignored' }), name: 'x' },
      { exp },
    );
    const s = await resolveSession(bearer(token), config);
    expect(s).toMatchObject({ role: 'user', isAdmin: false, authenticatedBy: 'jwt' });
    expect(s.variables).toEqual({
      'x-hasura-role': 'user',
      'x-hasura-user-id': '42',
      'x-hasura-org': 'acme',
    });
    expect(s.expiresAt).toEqual(new Date(exp * 1000));
    const left = msUntilExpiry(s) as number;
    expect(left).toBeGreaterThan(590_000);
    expect(left).toBeLessThanOrEqual(600_000);
  });

  it('should ignore x-hasura-* request headers other than the role', async () => {
    const token = await sign({ [NS]: hasuraClaims() });
    const s = await resolveSession({ ...bearer(token), 'x-hasura-user-id': '999' }, config);
    expect(s.variables['x-hasura-user-id']).toBe('42');
  });

  it('should let x-hasura-role pick another allowed role', async () => {
    const token = await sign({ [NS]: hasuraClaims() });
    const s = await resolveSession({ ...bearer(token), 'X-Hasura-Role': 'editor' }, config);
    expect(s.role).toBe('editor');
    expect(s.variables['x-hasura-role']).toBe('editor');
  });

  it('should refuse a role outside the allowed roles', async () => {
    const token = await sign({ [NS]: hasuraClaims() });
    const e = await failure({ ...bearer(token), 'x-hasura-role': 'admin' }, config);
    expectError(e, 'access-denied', 'Your requested role is not in allowed roles');
    const t2 = await sign({ [NS]: hasuraClaims({ 'x-hasura-default-role': 'boss' }) });
    expectError(
      await failure(bearer(t2), config),
      'access-denied',
      'Your requested role is not in allowed roles',
    );
  });

  it('should answer a token read from its cache as when it was first read: roles, then claim types', async () => {
    const token = await sign({ [NS]: hasuraClaims({ 'x-hasura-org': 7 }) });
    for (let i = 0; i < 2; i++) {
      // the requested role is checked before the claims' types, as on the first reading
      expectError(
        await failure({ ...bearer(token), 'x-hasura-role': 'admin' }, config),
        'access-denied',
        'Your requested role is not in allowed roles',
      );
      expectError(
        await failure(bearer(token), config),
        'jwt-invalid-claims',
        'x-hasura-* claims: parsing Text failed, expected String, but encountered Number',
      );
    }
    const good = await sign({ [NS]: hasuraClaims() });
    const first = await resolveSession({ ...bearer(good), 'x-hasura-role': 'editor' }, config);
    // a session's variables are its own: changing them changes no later session of the token
    first.variables['x-hasura-user-id'] = 'changed';
    const again = await resolveSession(bearer(good), config);
    expect(again).toMatchObject({ role: 'user', authenticatedBy: 'jwt' });
    expect(again.variables).toEqual({ 'x-hasura-user-id': '42', 'x-hasura-role': 'user' });
  });

  it('should check a token it verified before again at every use: expiry, tampering, roles', async () => {
    const exp = now() + 60;
    const token = await sign({ [NS]: hasuraClaims() }, { exp });
    expect((await resolveSession(bearer(token), config)).role).toBe('user');
    // the same text again (verified once): still checked against the clock of this request
    const later = { now: new Date((exp + 1) * 1000) };
    await expect(resolveSession(bearer(token), config, later)).rejects.toMatchObject({
      code: 'invalid-jwt',
      message: 'Could not verify JWT: JWTExpired',
    });
    expect((await resolveSession(bearer(token), config)).variables['x-hasura-user-id']).toBe('42');
    // and for the role it asks for
    expectError(
      await failure({ ...bearer(token), 'x-hasura-role': 'admin' }, config),
      'access-denied',
      'Your requested role is not in allowed roles',
    );
    // a token that differs in its payload or signature is verified on its own
    const [h, p, sig] = token.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ [NS]: hasuraClaims({ 'x-hasura-user-id': '1' }), exp }),
    ).toString('base64url');
    expectError(
      await failure(bearer(`${h}.${forged}.${sig}`), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
    const flipped = (sig.startsWith('A') ? 'B' : 'A') + sig.slice(1); // the first byte's top bits
    expectError(
      await failure(bearer(`${h}.${p}.${flipped}`), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
    // another key (another configuration) never sees what this one verified
    const other = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: 'x'.repeat(40) }),
    });
    expectError(
      await failure(bearer(token), other),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
  });

  it('should refuse an expired token', async () => {
    const token = await sign({ [NS]: hasuraClaims() }, { exp: now() - 60 });
    expectError(
      await failure(bearer(token), config),
      'invalid-jwt',
      'Could not verify JWT: JWTExpired',
    );
  });

  it('should accept an expired token within allowed_skew', async () => {
    const token = await sign({ [NS]: hasuraClaims() }, { exp: now() - 30 });
    const s = await resolveSession(bearer(token), jwtConfig({ allowed_skew: 120 }));
    expect(s.role).toBe('user');
    expect(msUntilExpiry(s)).toBeLessThan(0);
  });

  it('should refuse a token that is not yet valid', async () => {
    const token = await sign({ [NS]: hasuraClaims() }, { nbf: now() + 300 });
    expectError(
      await failure(bearer(token), config),
      'invalid-jwt',
      'Could not verify JWT: JWTNotYetValid',
    );
    const skewed = await resolveSession(bearer(token), jwtConfig({ allowed_skew: 600 }));
    expect(skewed.role).toBe('user');
  });

  it('should check the audience', async () => {
    const c = jwtConfig({ audience: ['dashboard', 'worker'] });
    const ok = await sign({ [NS]: hasuraClaims() }, { aud: 'worker' });
    expect((await resolveSession(bearer(ok), c)).role).toBe('user');
    const some = await sign({ [NS]: hasuraClaims() }, { aud: ['other', 'dashboard'] });
    expect((await resolveSession(bearer(some), c)).role).toBe('user');
    const bad = await sign({ [NS]: hasuraClaims() }, { aud: 'rubbish_audience' });
    expectError(
      await failure(bearer(bad), c),
      'invalid-jwt',
      'Could not verify JWT: JWTNotInAudience',
    );
    // as hs-jose: a token without aud is not checked against the configured audience
    const none = await sign({ [NS]: hasuraClaims() });
    expect((await resolveSession(bearer(none), c)).role).toBe('user');
  });

  it('should check the issuer', async () => {
    const c = jwtConfig({ issuer: 'https://auth.example' });
    const ok = await sign({ [NS]: hasuraClaims() }, { iss: 'https://auth.example' });
    expect((await resolveSession(bearer(ok), c)).role).toBe('user');
    const bad = await sign({ [NS]: hasuraClaims() }, { iss: 'rubbish_issuer' });
    expectError(
      await failure(bearer(bad), c),
      'invalid-jwt',
      'Could not verify JWT: JWTNotInIssuer',
    );
    // a wrong issuer is reported even before the signature is looked at
    const forged = await sign(
      { [NS]: hasuraClaims() },
      { iss: 'rubbish_issuer', key: new TextEncoder().encode('x'.repeat(40)) },
    );
    expectError(
      await failure(bearer(forged), c),
      'invalid-jwt',
      'Could not verify JWT: JWTNotInIssuer',
    );
  });

  it('should refuse a token signed with another key', async () => {
    const token = await sign(
      { [NS]: hasuraClaims() },
      { key: new TextEncoder().encode('another-key-of-more-than-32-characters') },
    );
    expectError(
      await failure(bearer(token), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
  });

  it('should refuse a tampered token', async () => {
    const token = await sign({ [NS]: hasuraClaims() });
    const [h, , s] = token.split('.');
    const payload = Buffer.from(
      JSON.stringify({
        [NS]: hasuraClaims({
          'x-hasura-allowed-roles': ['admin'],
          'x-hasura-default-role': 'admin',
        }),
      }),
    ).toString('base64url');
    expectError(
      await failure(bearer(`${h}.${payload}.${s}`), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
  });

  it('should refuse an unsigned token', async () => {
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    const payload = Buffer.from(JSON.stringify({ [NS]: hasuraClaims() })).toString('base64url');
    expectError(
      await failure(bearer(`${header}.${payload}.`), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
  });

  it('should refuse malformed tokens and headers', async () => {
    expectError(
      await failure(bearer('abc'), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)',
    );
    expectError(
      await failure(bearer('a$.b.c'), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError (JSONDecodeError "Not valid base64url")',
    );
    expectError(
      await failure(bearer('aGVsbG8.e30.c2ln'), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError (JSONDecodeError "protected header contains invalid JSON")',
    );
    const token = await sign({ [NS]: hasuraClaims() });
    for (const value of [
      token,
      `Basic ${token}`,
      `bearer ${token}`,
      `Bearer ${token} x`,
      'Bearer',
    ]) {
      expectError(
        await failure({ authorization: value }, config),
        'invalid-headers',
        'Malformed Authorization header',
      );
    }
  });

  it('should require a token when no unauthorized role is configured', async () => {
    expectError(
      await failure({ 'x-hasura-role': 'user' }, config),
      'invalid-headers',
      "Missing 'Authorization' or 'Cookie' header in JWT authentication mode",
    );
  });

  it('should run requests without a token as the unauthorized role', async () => {
    const c = jwtConfig({}, { HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous' });
    const s = await resolveSession({ 'x-hasura-user-id': '5' }, c);
    expect(s).toMatchObject({ role: 'anonymous', authenticatedBy: 'unauthorized-role' });
    expect(s.variables).toEqual({ 'x-hasura-role': 'anonymous', 'x-hasura-user-id': '5' });
    // a token that is present is still verified
    const expired = await sign({ [NS]: hasuraClaims() }, { exp: now() - 60 });
    expectError(
      await failure(bearer(expired), c),
      'invalid-jwt',
      'Could not verify JWT: JWTExpired',
    );
  });

  it('should let the admin secret take precedence over the token', async () => {
    const expired = await sign({ [NS]: hasuraClaims() }, { exp: now() - 60 });
    const s = await resolveSession({ ...bearer(expired), 'x-hasura-admin-secret': SECRET }, config);
    expect(s).toMatchObject({ role: 'admin', authenticatedBy: 'admin-secret' });
    const valid = await sign({ [NS]: hasuraClaims() });
    const e = await failure({ ...bearer(valid), 'x-hasura-admin-secret': 'wrong' }, config);
    expectError(e, 'access-denied', 'invalid x-hasura-admin-secret/x-hasura-access-key', 401);
  });

  it('should report missing and invalid claims', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ other: hasuraClaims() }, 'jwt-invalid-claims', `claims key: '${NS}' not found`],
      [
        { [NS]: 'text' },
        'jwt-invalid-claims',
        'expecting a json object when claims_format is json',
      ],
      [
        { [NS]: { 'x-hasura-default-role': 'user' } },
        'jwt-missing-role-claims',
        'JWT claim does not contain x-hasura-allowed-roles',
      ],
      [
        { [NS]: { 'x-hasura-allowed-roles': ['user'] } },
        'jwt-missing-role-claims',
        'JWT claim does not contain x-hasura-default-role',
      ],
      [
        { [NS]: hasuraClaims({ 'x-hasura-allowed-roles': 'user' }) },
        'jwt-invalid-claims',
        'invalid x-hasura-allowed-roles; should be a list of roles: parsing [] failed, expected Array, but encountered String',
      ],
      [
        { [NS]: hasuraClaims({ 'x-hasura-default-role': ['user'] }) },
        'jwt-invalid-claims',
        'invalid x-hasura-default-role; should be a single role name: parsing String failed, expected String, but encountered Array',
      ],
      [
        { [NS]: hasuraClaims({ 'x-hasura-allowed-roles': ['user', ''] }) },
        'jwt-invalid-claims',
        'invalid x-hasura-allowed-roles; should be a list of roles: empty string not allowed',
      ],
      [
        { [NS]: hasuraClaims({ 'x-hasura-user-id': 42 }) },
        'jwt-invalid-claims',
        'x-hasura-* claims: parsing Text failed, expected String, but encountered Number',
      ],
    ];
    for (const [payload, code, message] of cases) {
      expectError(await failure(bearer(await sign(payload)), config), code, message);
    }
  });

  it('should read claims from a custom namespace', async () => {
    const c = jwtConfig({ claims_namespace: 'hasura' });
    const s = await resolveSession(bearer(await sign({ hasura: hasuraClaims() })), c);
    expect(s.role).toBe('user');
    expectError(
      await failure(bearer(await sign({ [NS]: hasuraClaims() })), c),
      'jwt-invalid-claims',
      "claims key: 'hasura' not found",
    );
  });

  it('should read claims at claims_namespace_path', async () => {
    const c = jwtConfig({ claims_namespace_path: '$.app.hasura' });
    const s = await resolveSession(bearer(await sign({ app: { hasura: hasuraClaims() } })), c);
    expect(s.variables).toEqual({ 'x-hasura-role': 'user', 'x-hasura-user-id': '42' });
    expectError(
      await failure(bearer(await sign({ app: {} })), c),
      'jwt-invalid-claims',
      "claims not found at claims_namespace_path: '$.app.hasura'",
    );
    // the root path means the whole (unregistered) claim set
    const root = jwtConfig({ claims_namespace_path: '$' });
    expect((await resolveSession(bearer(await sign(hasuraClaims())), root)).role).toBe('user');
  });

  it('should read stringified claims', async () => {
    const c = jwtConfig({ claims_format: 'stringified_json' });
    const token = await sign({ [NS]: JSON.stringify(hasuraClaims()) });
    expect((await resolveSession(bearer(token), c)).variables['x-hasura-user-id']).toBe('42');
    expectError(
      await failure(bearer(await sign({ [NS]: hasuraClaims() })), c),
      'jwt-invalid-claims',
      'expecting a string when claims_format is stringified_json',
    );
    expectError(
      await failure(bearer(await sign({ [NS]: '{not json' })), c),
      'jwt-invalid-claims',
      `expecting stringified json at: 'claims_namespace ${NS}', but found: {not json`,
    );
    const byPath = jwtConfig({ claims_format: 'stringified_json', claims_namespace_path: '$.h' });
    expectError(
      await failure(bearer(await sign({ h: '[]' })), byPath),
      'jwt-invalid-claims',
      "expecting stringified json at: 'claims_namespace_path $.h', but found: []",
    );
  });

  it('should map claims with claims_map', async () => {
    const c = jwtConfig({
      claims_map: {
        'x-hasura-allowed-roles': { path: '$.roles' },
        'x-hasura-default-role': { path: '$.roles[0]' },
        'X-Hasura-User-Id': { path: '$.sub' },
        'x-hasura-org': { path: '$.org', default: 'none' },
        'x-hasura-tier': 'free',
      },
    });
    const token = await new SignJWT({ roles: ['viewer', 'user'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-9')
      .sign(new TextEncoder().encode(HS_KEY));
    const s = await resolveSession(bearer(token), c);
    expect(s.role).toBe('viewer');
    expect(s.variables).toEqual({
      'x-hasura-role': 'viewer',
      'x-hasura-user-id': 'u-9',
      'x-hasura-org': 'none',
      'x-hasura-tier': 'free',
    });
    expect(s.expiresAt).toBeUndefined();
    expectError(
      await failure(bearer(await sign({ roles: ['user'] }, { exp: null })), c),
      'jwt-invalid-claims',
      'JWT claim from claims_map, x-hasura-user-id not found',
    );
    expectError(
      await failure(bearer(await sign({ other: 1 })), c),
      'jwt-missing-role-claims',
      'JWT claim does not contain x-hasura-allowed-roles',
    );
    expectError(
      await failure(bearer(await sign({ roles: [7] })), c),
      'jwt-invalid-claims',
      'invalid x-hasura-allowed-roles; should be a list of roles: parsing String failed, expected String, but encountered Number',
    );
  });

  it('should read the token from a cookie', async () => {
    const c = jwtConfig({ header: { type: 'Cookie', name: 'session' } });
    const token = await sign({ [NS]: hasuraClaims() });
    const s = await resolveSession({ Cookie: `theme=dark; session=${token}; x=1` }, c);
    expect(s.role).toBe('user');
    // an Authorization header is not looked at, and a missing cookie means no token
    expectError(
      await failure({ ...bearer(token), cookie: 'theme=dark' }, c),
      'invalid-headers',
      "Missing 'Authorization' or 'Cookie' header in JWT authentication mode",
    );
    const expired = await sign({ [NS]: hasuraClaims() }, { exp: now() - 60 });
    expectError(
      await failure({ cookie: `session=${expired}` }, c),
      'invalid-jwt',
      'Could not verify JWT: JWTExpired',
    );
  });

  it('should read the token from a custom header', async () => {
    const c = jwtConfig({ header: { type: 'CustomHeader', name: 'X-Auth-Token' } });
    const token = await sign({ [NS]: hasuraClaims() });
    expect((await resolveSession({ 'x-auth-token': token }, c)).role).toBe('user');
  });

  it('should refuse ambiguous tokens when several JWT secrets match', async () => {
    const c = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_JWT_SECRETS: JSON.stringify([
        { type: 'HS256', key: HS_KEY, issuer: 'one' },
        { type: 'HS256', key: 'second-key-second-key-second-key!', issuer: 'two' },
      ]),
    });
    const one = await sign({ [NS]: hasuraClaims() }, { iss: 'one' });
    expect((await resolveSession(bearer(one), c)).role).toBe('user');
    const two = await sign(
      { [NS]: hasuraClaims() },
      { iss: 'two', key: new TextEncoder().encode('second-key-second-key-second-key!') },
    );
    expect((await resolveSession(bearer(two), c)).role).toBe('user');
    const noIss = await sign({ [NS]: hasuraClaims() });
    expectError(
      await failure(bearer(noIss), c),
      'invalid-headers',
      'Could not verify JWT: Multiple JWTs found',
    );
    const three = await sign({ [NS]: hasuraClaims() }, { iss: 'three' });
    expectError(
      await failure(bearer(three), c),
      'invalid-jwt',
      'Could not verify JWT: JWTNotInIssuer',
    );
  });
});

describe('Auth > JWT with asymmetric keys', () => {
  async function roundTrip(
    type: string,
    alg: string,
    pair: crypto.KeyPairKeyObjectResult,
    pem?: string,
  ): Promise<Session> {
    const config = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({
        type,
        key: pem ?? pair.publicKey.export({ type: 'spki', format: 'pem' }),
      }),
    });
    const token = await sign({ [NS]: hasuraClaims() }, { alg, key: pair.privateKey });
    return resolveSession(bearer(token), config);
  }

  it('should verify RS256 and RS512 tokens against an RSA public key (SPKI or PKCS#1 PEM)', async () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await roundTrip('RS256', 'RS256', rsa)).role).toBe('user');
    // as hs-jose: the key, not the configured type, decides which RSA algorithms verify
    expect((await roundTrip('RS256', 'RS512', rsa)).role).toBe('user');
    const pkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect((await roundTrip('RS384', 'RS384', rsa, pkcs1)).role).toBe('user');

    // a token signed by another RSA key, or with HS256 using the public key bytes
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const config = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({
        type: 'RS256',
        key: rsa.publicKey.export({ type: 'spki', format: 'pem' }),
      }),
    });
    const forged = await sign({ [NS]: hasuraClaims() }, { alg: 'RS256', key: other.privateKey });
    expectError(
      await failure(bearer(forged), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
    const confused = await sign(
      { [NS]: hasuraClaims() },
      {
        alg: 'HS256',
        key: Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string),
      },
    );
    expectError(
      await failure(bearer(confused), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
  });

  it('should verify ES256 and Ed25519 tokens', async () => {
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect((await roundTrip('ES256', 'ES256', ec)).role).toBe('user');
    const ed = crypto.generateKeyPairSync('ed25519');
    expect((await roundTrip('Ed25519', 'EdDSA', ed)).role).toBe('user');
  });
});

describe('Auth > JWT with jwk_url', () => {
  let server: http.Server;
  let url: string;
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('should verify tokens with the keys served at jwk_url', async () => {
    const config = parseAuthConfig({
      HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
      HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ jwk_url: url }),
    });
    const token = await new SignJWT({ [NS]: hasuraClaims() })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(rsa.privateKey);
    expect((await resolveSession(bearer(token), config)).role).toBe('user');
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT({ [NS]: hasuraClaims() })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(other.privateKey);
    expectError(
      await failure(bearer(forged), config),
      'invalid-jwt',
      'Could not verify JWT: JWSError JWSInvalidSignature',
    );
  });
});

describe('Auth > configuration', () => {
  const refused = (env: Record<string, string>, key: string, message: RegExp) => {
    let err: unknown;
    try {
      parseAuthConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
    expect((err as ConfigError).message).toMatch(message);
  };
  const jwt = (c: unknown) => ({
    HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify(c),
  });

  it('should refuse JWT or an unauthorized role without an admin secret', () => {
    refused(
      { HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: HS_KEY }) },
      'HASURA_GRAPHQL_JWT_SECRET',
      /requires HASURA_GRAPHQL_ADMIN_SECRET/,
    );
    refused(
      { HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous' },
      'HASURA_GRAPHQL_UNAUTHORIZED_ROLE',
      /requires HASURA_GRAPHQL_ADMIN_SECRET/,
    );
    refused(
      { HASURA_GRAPHQL_AUTH_HOOK: 'http://127.0.0.1:1/hook' },
      'HASURA_GRAPHQL_AUTH_HOOK',
      /not supported/,
    );
  });

  it('should refuse malformed JWT configurations with Hasura messages', () => {
    const k = 'HASURA_GRAPHQL_JWT_SECRET';
    refused({ HASURA_GRAPHQL_ADMIN_SECRET: SECRET, [k]: '{oops' }, k, /not valid JSON/);
    refused(
      jwt({ type: 'HS256', key: 'short' }),
      k,
      /Invalid JWK: Key size too small; should be atleast 32 characters/,
    );
    refused(jwt({ type: 'HS512', key: HS_KEY }), k, /should be atleast 64 characters/);
    refused(jwt({ type: 'PS256', key: 'x' }), k, /Invalid JWK: Key type: PS256 is not supported/);
    refused(jwt({ type: 'RS256', key: 'not a pem' }), k, /Invalid JWK: Could not decode PEM/);
    refused(jwt({ type: 'HS256' }), k, /key and jwk_url both cannot be empty/);
    refused(
      jwt({ type: 'HS256', key: HS_KEY, jwk_url: 'http://127.0.0.1/' }),
      k,
      /key, jwk_url both cannot be present/,
    );
    refused(jwt({ key: HS_KEY }), k, /key "type" not found/);
    refused(jwt({ type: 'HS256', key: HS_KEY, claims_format: 'xml' }), k, /claims_format/);
    refused(
      jwt({ type: 'HS256', key: HS_KEY, claims_namespace: 'a', claims_namespace_path: '$.a' }),
      k,
      /claims_namespace and claims_namespace_path both cannot be set/,
    );
    refused(
      jwt({ type: 'HS256', key: HS_KEY, claims_namespace_path: '$.a b' }),
      k,
      /invalid JSON path claims_namespace_path error/,
    );
    refused(
      jwt({ type: 'HS256', key: HS_KEY, header: { type: 'Query' } }),
      k,
      /expected 'type' is 'Authorization' or 'Cookie'/,
    );
    refused(jwt({ type: 'HS256', key: HS_KEY, header: { type: 'Cookie' } }), k, /header.name/);
    refused(
      jwt({ type: 'HS256', key: HS_KEY, claims_map: { 'x-hasura-default-role': 'user' } }),
      k,
      /x-hasura-allowed-roles is expected but not found/,
    );
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    refused(
      jwt({ type: 'ES256', key: ec.publicKey.export({ type: 'spki', format: 'pem' }) }),
      k,
      /curve prime256v1/,
    );
    refused({ HASURA_GRAPHQL_ADMIN_SECRETS: '"one"' }, 'HASURA_GRAPHQL_ADMIN_SECRETS', /JSON list/);
  });
});
