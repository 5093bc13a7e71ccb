/**
 * JWT authentication as Hasura does it (Hasura/Server/Auth/JWT.hs `processJwt`):
 *
 * 1. find the token for each configured location (Authorization `Bearer`, a cookie, a custom
 *    header); a configured issuer that differs from the token's (unverified) `iss` rules that
 *    configuration out; no token → the unauthorized role or an `invalid-headers` error; two
 *    candidates → ambiguity error;
 * 2. verify the signature, then exp / nbf / iss / aud in hs-jose's order and with its error names
 *    (`Could not verify JWT: JWTExpired`, …);
 * 3. locate the Hasura claims (namespace key, namespace path, stringified JSON, or claims_map);
 * 4. read `x-hasura-allowed-roles` / `x-hasura-default-role`, pick the role from the
 *    `x-hasura-role` header (or the default), and turn the other `x-hasura-*` claims into session
 *    variables (they must be strings).
 */
import { compactVerify } from 'jose';
import { encodeJsonPath, executeJsonPath } from './json-path.ts';
import { err400, invalidJwt } from './errors.ts';
import type { ClaimsMapValue, JwtConfig, JwtTokenLocation } from './config.ts';
import { LruCache } from '../lru-cache.ts';
import { jsonKind } from '../errors.ts';

const ALLOWED_ROLES = 'x-hasura-allowed-roles';
const DEFAULT_ROLE = 'x-hasura-default-role';
const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

export interface JwtOutcome {
  role: string;
  /** Session variables from the token (lower-cased keys, without the two role claims); shared by
   * every request with the same token, so never changed */
  variables: Readonly<Record<string, string>>;
  /** The token's `exp`, when it has one. */
  expiresAt: Date | undefined;
}

/**
 * Authenticate with the JWT configurations. Returns `undefined` when no token is present at any
 * configured location (the caller then applies the unauthorized role or fails).
 */
export async function processJwt(
  configs: readonly JwtConfig[],
  headers: ReadonlyMap<string, string>,
  now: Date,
): Promise<JwtOutcome | undefined> {
  const tokens = findTokens(headers, customHeaderNames(configs));

  const matches: Array<{ config: JwtConfig; token: string }> = [];
  let issuerMismatch = false;
  for (const config of configs) {
    const want = locationKey(config.location);
    for (const found of tokens) {
      if (found.key !== want) continue;
      let token = found.value;
      if (config.location.type === 'Authorization') {
        const parts = found.value.split(/[ \t\n\r\f\v]+/).filter((p) => p !== '');
        if (parts.length !== 2 || parts[0] !== 'Bearer') {
          throw err400('invalid-headers', 'Malformed Authorization header');
        }
        token = parts[1] as string;
      }
      // the unverified issuer only matters to a configuration that names one
      const tokenIss = config.issuer !== undefined ? unverifiedIssuer(token) : undefined;
      if (config.issuer !== undefined && tokenIss !== undefined && tokenIss !== config.issuer) {
        issuerMismatch = true;
      } else {
        matches.push({ config, token });
      }
    }
  }

  if (matches.length === 0) {
    if (issuerMismatch) throw invalidJwt('JWTNotInIssuer');
    return undefined;
  }
  if (matches.length > 1)
    throw err400('invalid-headers', 'Could not verify JWT: Multiple JWTs found');
  const { config, token } = matches[0] as { config: JwtConfig; token: string };

  const verified = verifiedToken(config, token) ?? (await verifyToken(config, token));
  checkClaimsAt(config, verified.claims, now);
  verified.session ??= sessionClaims(config, verified.claims);
  const { allowedRoles, defaultRole, variables } = verified.session;

  const requested = headers.get('x-hasura-role');
  const role = requested !== undefined && requested !== '' ? requested : defaultRole;
  if (!allowedRoles.includes(role)) {
    throw err400('access-denied', 'Your requested role is not in allowed roles');
  }
  if (variables instanceof Error) throw variables;
  const exp = verified.claims.exp;
  return {
    role,
    variables,
    expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : undefined,
  };
}

/** What a token's claims give a session, whatever the request: its roles and variables. */
interface SessionClaims {
  allowedRoles: string[];
  defaultRole: string;
  /** the other `x-hasura-*` claims, or the error a claim that is not a string gives */
  variables: Record<string, string> | Error;
}

/**
 * The roles and session variables of verified claims (Hasura's order of checks: the roles, then
 * — after the requested role is checked against them — the variables' types). They depend on
 * the configuration and the claims only, so a cached token keeps them (`VerifiedToken.session`).
 */
function sessionClaims(config: JwtConfig, payload: Claims): SessionClaims {
  const claims = extractClaims(config, payload);
  const allowedRoles = parseRoles(claims.get(ALLOWED_ROLES), 'should be a list of roles');
  const defaultRole = parseRole(claims.get(DEFAULT_ROLE), 'should be a single role name');
  const variables: Record<string, string> = {};
  for (const [name, value] of claims) {
    if (name === ALLOWED_ROLES || name === DEFAULT_ROLE) continue;
    if (typeof value !== 'string') {
      return {
        allowedRoles,
        defaultRole,
        variables: err400(
          'jwt-invalid-claims',
          `x-hasura-* claims: ${typeMismatch('Text', 'String', value)}`,
        ),
      };
    }
    variables[name] = value;
  }
  return { allowedRoles, defaultRole, variables };
}

/** The lower-cased custom header names the configurations read a token from (per config list). */
const customNamesOf = new WeakMap<readonly JwtConfig[], Set<string>>();

function customHeaderNames(configs: readonly JwtConfig[]): Set<string> {
  let names = customNamesOf.get(configs);
  if (!names) {
    names = new Set(
      configs.flatMap((c) =>
        c.location.type === 'CustomHeader' ? [c.location.name.toLowerCase()] : [],
      ),
    );
    customNamesOf.set(configs, names);
  }
  return names;
}

// --- finding the token -------------------------------------------------------------------------

interface FoundToken {
  key: string;
  value: string;
}

function locationKey(l: JwtTokenLocation): string {
  switch (l.type) {
    case 'Authorization':
      return 'authorization';
    case 'Cookie':
      return `cookie:${l.name}`;
    case 'CustomHeader':
      return `header:${l.name.toLowerCase()}`;
  }
}

function findTokens(headers: ReadonlyMap<string, string>, customNames: Set<string>): FoundToken[] {
  const out: FoundToken[] = [];
  for (const [name, value] of headers) {
    if (name === 'authorization') out.push({ key: 'authorization', value });
    else if (name === 'cookie') {
      for (const [cookie, v] of parseCookies(value))
        out.push({ key: `cookie:${cookie}`, value: v });
    } else if (customNames.has(name)) out.push({ key: `header:${name}`, value });
  }
  return out;
}

/** `a=1; b=2` → [[a, 1], [b, 2]] (names are case-sensitive, values kept as sent). */
export function parseCookies(header: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (name !== '') out.push([name, value]);
  }
  return out;
}

function b64urlJson(segment: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The `iss` of a token, read without verifying it (Hasura's `tokenIssuer`). */
function unverifiedIssuer(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length < 3) return undefined;
  try {
    const claims = b64urlJson(parts[1] as string);
    if (
      claims &&
      typeof claims === 'object' &&
      typeof (claims as { iss?: unknown }).iss === 'string'
    ) {
      return (claims as { iss: string }).iss;
    }
  } catch {
    // an undecodable token is left for verification to reject
  }
  return undefined;
}

// --- verification ------------------------------------------------------------------------------

type Claims = Record<string, unknown>;

/** A token's verified claims, and what they give a session once that was worked out. */
interface VerifiedToken {
  claims: Claims;
  session?: SessionClaims;
}

/**
 * Tokens whose signature, encoding and claim types a static key (`key`, not `jwk_url`) has
 * verified, with their decoded claims and the roles and session variables read from them. That
 * work depends on nothing but the configuration and the token's text, so a client sending the
 * same token again (a dashboard does, every request until it renews it) skips the HMAC / RSA
 * work and the claims' parsing; exp, nbf, iss and aud are still checked on every request, and
 * the requested role against the allowed ones. Only verified tokens are kept; a JWK set is never
 * cached here, since its keys rotate.
 */
const VERIFIED_TOKENS_PER_KEY = 4096;
const verifiedTokens = new WeakMap<JwtConfig, LruCache<string, VerifiedToken>>();

/** A token this configuration verified before (then no promise is made: the common case). */
function verifiedToken(config: JwtConfig, token: string): VerifiedToken | undefined {
  return typeof config.key === 'function' ? undefined : verifiedTokens.get(config)?.get(token);
}

/** Verify a token's signature and claim types, and remember it when the key is static. */
async function verifyToken(config: JwtConfig, token: string): Promise<VerifiedToken> {
  const verified: VerifiedToken = { claims: await verifySignature(config, token) };
  if (typeof config.key !== 'function') {
    let cache = verifiedTokens.get(config);
    if (!cache) {
      cache = new LruCache(VERIFIED_TOKENS_PER_KEY);
      verifiedTokens.set(config, cache);
    }
    cache.set(token, verified);
  }
  return verified;
}

/** Signature, then the payload's JSON and registered claim types: what depends on the token only. */
async function verifySignature(config: JwtConfig, token: string): Promise<Claims> {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw invalidJwt(
      `JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got ${parts.length})`,
    );
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (![headerPart, payloadPart, signaturePart].every((p) => /^[A-Za-z0-9_-]*$/.test(p))) {
    throw invalidJwt('JWSError (JSONDecodeError "Not valid base64url")');
  }
  let header: unknown;
  try {
    header = b64urlJson(headerPart);
  } catch {
    header = undefined;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw invalidJwt('JWSError (JSONDecodeError "protected header contains invalid JSON")');
  }

  let payloadBytes: Uint8Array;
  try {
    const options = { algorithms: config.algorithms };
    const verified =
      typeof config.key === 'function'
        ? await compactVerify(token, config.key, options)
        : await compactVerify(token, config.key, options);
    payloadBytes = verified.payload;
  } catch {
    // wrong key, wrong algorithm for the key, alg "none", tampered content: hs-jose reports all
    // of them as an invalid signature
    throw invalidJwt('JWSError JWSInvalidSignature');
  }

  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    throw invalidJwt('JWTClaimsSetDecodeError "Error in $: not a valid JSON value"');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw invalidJwt(
      `JWTClaimsSetDecodeError "Error in $: ${typeMismatch('ClaimsSet', 'Object', payload)}"`,
    );
  }
  const claims = payload as Claims;
  checkRegisteredClaimTypes(claims);
  return claims;
}

/** hs-jose validateClaimsSet: exp, (iat unchecked by default), nbf, iss, aud. */
function checkClaimsAt(config: JwtConfig, claims: Claims, now: Date): void {
  const t = now.getTime() / 1000;
  const skew = config.allowedSkewSeconds;
  if (typeof claims.exp === 'number' && !(t < claims.exp + skew)) throw invalidJwt('JWTExpired');
  if (typeof claims.nbf === 'number' && !(t >= claims.nbf - skew))
    throw invalidJwt('JWTNotYetValid');
  if (
    config.issuer !== undefined &&
    typeof claims.iss === 'string' &&
    claims.iss !== config.issuer
  ) {
    throw invalidJwt('JWTNotInIssuer');
  }
  if (claims.aud !== undefined) {
    const auds = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud as string[]);
    const ok = auds.some((a) => config.audience === undefined || config.audience.includes(a));
    if (!ok) throw invalidJwt('JWTNotInAudience');
  }
}

function checkRegisteredClaimTypes(claims: Claims): void {
  const bad = (name: string, expected: string): never => {
    throw invalidJwt(
      `JWTClaimsSetDecodeError "Error in $['${name}']: ${typeMismatch(expected, expected === 'NumericDate' ? 'Number' : 'String', claims[name])}"`,
    );
  };
  for (const name of ['exp', 'nbf', 'iat']) {
    if (claims[name] !== undefined && typeof claims[name] !== 'number') bad(name, 'NumericDate');
  }
  for (const name of ['iss', 'sub', 'jti']) {
    if (claims[name] !== undefined && typeof claims[name] !== 'string') bad(name, 'StringOrURI');
  }
  const aud = claims.aud;
  if (aud !== undefined && typeof aud !== 'string') {
    if (!Array.isArray(aud) || !aud.every((a) => typeof a === 'string')) bad('aud', 'Audience');
  }
}

// --- claims ------------------------------------------------------------------------------------

/** The `x-hasura-*` claims of the token, by lower-cased name (Hasura's ClaimsMap). */
function extractClaims(config: JwtConfig, payload: Claims): Map<string, unknown> {
  const spec = config.claims;
  if (spec.kind === 'map') {
    // in Hasura's order, with claims_map's own hint for the default role
    const out = new Map<string, unknown>();
    const allowed = mapValue(spec.allowedRoles, payload, () => missingRoleClaim(ALLOWED_ROLES));
    out.set(ALLOWED_ROLES, parseRoles(allowed, 'should be a list of roles'));
    const dflt = mapValue(spec.defaultRole, payload, () => missingRoleClaim(DEFAULT_ROLE));
    out.set(DEFAULT_ROLE, parseRole(dflt, 'should be a role'));
    for (const [name, v] of Object.entries(spec.others)) {
      out.set(
        name,
        mapValue(v, payload, () => {
          throw err400('jwt-invalid-claims', `JWT claim from claims_map, ${name} not found`);
        }),
      );
    }
    return out;
  }

  const unregistered: Claims = {};
  for (const [k, v] of Object.entries(payload)) if (!REGISTERED_CLAIMS.has(k)) unregistered[k] = v;
  const ns = spec.namespace;
  const raw =
    'key' in ns
      ? Object.prototype.hasOwnProperty.call(unregistered, ns.key)
        ? unregistered[ns.key]
        : undefined
      : executeJsonPath(ns.path, unregistered);
  if (raw === undefined) {
    throw err400(
      'jwt-invalid-claims',
      'key' in ns
        ? `claims key: '${ns.key}' not found`
        : `claims not found at claims_namespace_path: '${encodeJsonPath(ns.path)}'`,
    );
  }
  let obj: unknown = raw;
  if (spec.format === 'stringified_json') {
    if (typeof raw !== 'string') {
      throw err400(
        'jwt-invalid-claims',
        'expecting a string when claims_format is stringified_json',
      );
    }
    const location =
      'key' in ns
        ? `claims_namespace ${ns.key}`
        : `claims_namespace_path ${encodeJsonPath(ns.path)}`;
    try {
      obj = JSON.parse(raw);
    } catch {
      obj = undefined;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw err400(
        'jwt-invalid-claims',
        `expecting stringified json at: '${location}', but found: ${raw}`,
      );
    }
  } else if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw err400('jwt-invalid-claims', 'expecting a json object when claims_format is json');
  }
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj as Claims)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('x-hasura-')) out.set(lower, v);
  }
  return out;
}

function mapValue<T>(spec: ClaimsMapValue<T>, payload: Claims, missing: () => never): unknown {
  if ('literal' in spec) return spec.literal;
  const v = executeJsonPath(spec.path, payload);
  if (v !== undefined) return v;
  if (spec.default !== undefined) return spec.default;
  return missing();
}

function missingRoleClaim(name: string): never {
  throw err400('jwt-missing-role-claims', `JWT claim does not contain ${name}`);
}

function parseRoles(v: unknown, hint: string): string[] {
  if (v === undefined) missingRoleClaim(ALLOWED_ROLES);
  const fail = (why: string): never => {
    throw err400('jwt-invalid-claims', `invalid ${ALLOWED_ROLES}; ${hint}: ${why}`);
  };
  if (!Array.isArray(v)) return fail(typeMismatch('[]', 'Array', v));
  return v.map((r) => roleName(r, fail));
}

function parseRole(v: unknown, hint: string): string {
  if (v === undefined) missingRoleClaim(DEFAULT_ROLE);
  return roleName(v, (why) => {
    throw err400('jwt-invalid-claims', `invalid ${DEFAULT_ROLE}; ${hint}: ${why}`);
  });
}

function roleName(v: unknown, fail: (why: string) => never): string {
  if (typeof v !== 'string') return fail(typeMismatch('String', 'String', v));
  if (v === '') return fail('empty string not allowed');
  return v;
}

/** aeson's `typeMismatch` wording: `parsing Text failed, expected String, but encountered Number`. */
function typeMismatch(what: string, expected: string, actual: unknown): string {
  return `parsing ${what} failed, expected ${expected}, but encountered ${jsonKind(actual)}`;
}
