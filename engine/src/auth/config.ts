/**
 * Authentication settings, read from Hasura's environment variables:
 *
 * | variable | meaning |
 * | --- | --- |
 * | `HASURA_GRAPHQL_ADMIN_SECRET` | the admin secret; unset = no authentication (every request is admin) |
 * | `HASURA_GRAPHQL_ACCESS_KEY` | the pre-v1.0 name of the admin secret (used when the above is unset) |
 * | `HASURA_GRAPHQL_ADMIN_SECRETS` | JSON list of accepted admin secrets (Hasura EE), added to the above |
 * | `HASURA_GRAPHQL_JWT_SECRET` | JSON JWT configuration (needs an admin secret) |
 * | `HASURA_GRAPHQL_JWT_SECRETS` | JSON list of JWT configurations, added to the above |
 * | `HASURA_GRAPHQL_UNAUTHORIZED_ROLE` | role for requests without credentials (needs an admin secret) |
 * | `HASURA_GRAPHQL_AUTH_HOOK` | webhook authentication: the hook's URL (needs an admin secret; not with JWT or an unauthorized role) |
 * | `HASURA_GRAPHQL_AUTH_HOOK_MODE` | `GET` (default) or `POST` |
 * | `HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY` | POST mode: send the GraphQL request to the hook (default `true`) |
 *
 * A bad value throws a `ConfigError` naming the variable, as Hasura refuses to start.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { createRemoteJWKSet } from 'jose';
import { ConfigError } from '@streamsync/database';
import { parseJsonPath, type JsonPath } from './json-path.ts';
import { LruCache } from '../lru-cache.ts';
import { WebhookClient } from '../webhook/client.ts';
import type { AuthHookConfig } from './auth-hook.ts';

export const DEFAULT_CLAIMS_NAMESPACE = 'https://hasura.io/jwt/claims';

/** Where the token travels. */
export type JwtTokenLocation =
  | { type: 'Authorization' }
  | { type: 'Cookie'; name: string }
  | { type: 'CustomHeader'; name: string };

/** One entry of `claims_map`: a JSON path into the token (with an optional default) or a literal. */
export type ClaimsMapValue<T> = { path: JsonPath; default?: T } | { literal: T };

export type JwtClaimsConfig =
  | {
      kind: 'namespace';
      /** A key of the token's top level, or a JSON path (`claims_namespace_path`). */
      namespace: { key: string } | { path: JsonPath; raw: string };
      format: 'json' | 'stringified_json';
    }
  | {
      kind: 'map';
      allowedRoles: ClaimsMapValue<string[]>;
      defaultRole: ClaimsMapValue<string>;
      /** Other session variables, keyed by lower-cased `x-hasura-*` name. */
      others: Record<string, ClaimsMapValue<string>>;
    };

/** A key resolver as `jose.compactVerify` accepts it (a remote JWK set). */
export type JwtKeyResolver = ReturnType<typeof createRemoteJWKSet>;

export interface JwtConfig {
  /** The verification key (from `key`), or a resolver over `jwk_url`. */
  key: KeyObject | JwtKeyResolver;
  /** JWS algorithms the key may verify (the key's family, as hs-jose allows). */
  algorithms: string[];
  audience: string[] | undefined;
  issuer: string | undefined;
  claims: JwtClaimsConfig;
  /** Clock skew tolerated on exp and nbf, in seconds (default 0). */
  allowedSkewSeconds: number;
  location: JwtTokenLocation;
}

export interface AuthConfig {
  /** SHA-512 digests of the accepted admin secrets; empty = no authentication. */
  adminSecretDigests: Buffer[];
  jwt: JwtConfig[];
  unauthorizedRole: string | undefined;
  /** webhook authentication (never with JWT) */
  hook?: AuthHookConfig;
}

export type AuthMode =
  'no-auth' | 'admin-secret' | 'admin-secret-and-jwt' | 'admin-secret-and-hook';

export function authMode(config: AuthConfig): AuthMode {
  if (config.adminSecretDigests.length === 0) return 'no-auth';
  if (config.hook) return 'admin-secret-and-hook';
  return config.jwt.length > 0 ? 'admin-secret-and-jwt' : 'admin-secret';
}

/** Most auth hook answers kept for their Cache-Control / Expires lifetime. */
const HOOK_CACHE_ENTRIES = 4096;

export function digestSecret(secret: string): Buffer {
  return crypto.createHash('sha512').update(secret, 'utf8').digest();
}

function readString(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === '' ? undefined : v;
}

/** Read the authentication settings; throws ConfigError naming the variable at fault. */
export function parseAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const secrets: string[] = [];
  const single =
    readString(env, 'HASURA_GRAPHQL_ADMIN_SECRET') ?? readString(env, 'HASURA_GRAPHQL_ACCESS_KEY');
  if (single !== undefined) secrets.push(single);
  const many = readString(env, 'HASURA_GRAPHQL_ADMIN_SECRETS');
  if (many !== undefined) {
    const list = parseJsonEnv('HASURA_GRAPHQL_ADMIN_SECRETS', many);
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) {
      throw new ConfigError(
        'HASURA_GRAPHQL_ADMIN_SECRETS',
        'expected a JSON list of non-empty strings',
      );
    }
    secrets.push(...(list as string[]));
  }

  const jwt: JwtConfig[] = [];
  const jwtSecret = readString(env, 'HASURA_GRAPHQL_JWT_SECRET');
  if (jwtSecret !== undefined) {
    jwt.push(
      parseJwtConfig(
        'HASURA_GRAPHQL_JWT_SECRET',
        parseJsonEnv('HASURA_GRAPHQL_JWT_SECRET', jwtSecret),
      ),
    );
  }
  const jwtSecrets = readString(env, 'HASURA_GRAPHQL_JWT_SECRETS');
  if (jwtSecrets !== undefined) {
    const list = parseJsonEnv('HASURA_GRAPHQL_JWT_SECRETS', jwtSecrets);
    if (!Array.isArray(list)) {
      throw new ConfigError(
        'HASURA_GRAPHQL_JWT_SECRETS',
        'expected a JSON list of JWT configurations',
      );
    }
    list.forEach((c, i) => jwt.push(parseJwtConfig(`HASURA_GRAPHQL_JWT_SECRETS`, c, i)));
  }

  const unauthorizedRole = readString(env, 'HASURA_GRAPHQL_UNAUTHORIZED_ROLE');

  if (secrets.length === 0) {
    const requires =
      'requires HASURA_GRAPHQL_ADMIN_SECRET (or HASURA_GRAPHQL_ACCESS_KEY) to be set';
    if (jwt.length > 0) {
      throw new ConfigError(
        jwtSecret !== undefined ? 'HASURA_GRAPHQL_JWT_SECRET' : 'HASURA_GRAPHQL_JWT_SECRETS',
        requires,
      );
    }
    if (unauthorizedRole !== undefined) {
      throw new ConfigError('HASURA_GRAPHQL_UNAUTHORIZED_ROLE', requires);
    }
  }

  const hook = parseAuthHook(env, secrets.length > 0, jwt.length > 0, unauthorizedRole);
  return {
    adminSecretDigests: secrets.map(digestSecret),
    jwt,
    unauthorizedRole,
    ...(hook ? { hook } : {}),
  };
}

/** The auth hook settings, refused where Hasura's mkAuthMode refuses them. */
function parseAuthHook(
  env: NodeJS.ProcessEnv,
  hasSecret: boolean,
  hasJwt: boolean,
  unauthorizedRole: string | undefined,
): AuthHookConfig | undefined {
  const url = readString(env, 'HASURA_GRAPHQL_AUTH_HOOK');
  if (url === undefined) return undefined;
  const key = 'HASURA_GRAPHQL_AUTH_HOOK';
  if (!hasSecret)
    throw new ConfigError(
      key,
      'requires HASURA_GRAPHQL_ADMIN_SECRET (or HASURA_GRAPHQL_ACCESS_KEY) to be set',
    );
  if (hasJwt) throw new ConfigError(key, 'webhook and JWT mode cannot be enabled at the same time');
  if (unauthorizedRole !== undefined)
    throw new ConfigError(
      'HASURA_GRAPHQL_UNAUTHORIZED_ROLE',
      'is not allowed when HASURA_GRAPHQL_AUTH_HOOK is set',
    );
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(u.protocol);
  } catch {
    throw new ConfigError(key, `not an http(s) URL: ${JSON.stringify(url)}`);
  }
  const mode = (readString(env, 'HASURA_GRAPHQL_AUTH_HOOK_MODE') ?? 'GET').toUpperCase();
  if (mode !== 'GET' && mode !== 'POST')
    throw new ConfigError('HASURA_GRAPHQL_AUTH_HOOK_MODE', 'Only expecting GET / POST');
  const send = (
    readString(env, 'HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY') ?? 'true'
  ).toLowerCase();
  if (!['true', 'false'].includes(send))
    throw new ConfigError('HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY', 'expected true or false');
  return {
    url,
    mode,
    sendRequestBody: send === 'true',
    client: new WebhookClient(),
    cache: new LruCache(HOOK_CACHE_ENTRIES),
  };
}

function parseJsonEnv(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(key, `not valid JSON (${(e as Error).message})`);
  }
}

const HMAC_BITS: Record<string, number> = { HS256: 256, HS384: 384, HS512: 512 };
const EC_CURVES: Record<string, string> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** Parse one JWT configuration object (Hasura's `instance FromJSON JWTConfig`). */
export function parseJwtConfig(envKey: string, raw: unknown, index?: number): JwtConfig {
  const where = index === undefined ? '' : `[${index}] `;
  const fail = (msg: string): never => {
    throw new ConfigError(envKey, `${where}${msg}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('expected a JSON object such as {"type":"HS256","key":"<at least 32 characters>"}');
  }
  const o = raw as Record<string, unknown>;
  const optString = (name: string): string | undefined => {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') fail(`"${name}" must be a string`);
    return v as string;
  };

  // claims: namespace, namespace path or claims map
  const claimsNs = optString('claims_namespace');
  const claimsNsPath = optString('claims_namespace_path');
  const formatRaw = optString('claims_format') ?? 'json';
  if (formatRaw !== 'json' && formatRaw !== 'stringified_json') {
    fail(`"claims_format" must be "json" or "stringified_json", got ${JSON.stringify(formatRaw)}`);
  }
  const format = formatRaw as 'json' | 'stringified_json';
  if (claimsNs !== undefined && claimsNsPath !== undefined) {
    fail('claims_namespace and claims_namespace_path both cannot be set');
  }
  let claims: JwtClaimsConfig;
  if (o.claims_map !== undefined && o.claims_map !== null) {
    claims = parseClaimsMap(o.claims_map, fail);
  } else if (claimsNsPath !== undefined) {
    let path: JsonPath = [];
    try {
      path = parseJsonPath(claimsNsPath);
    } catch (e) {
      fail(`invalid JSON path claims_namespace_path error: ${(e as Error).message}`);
    }
    claims = { kind: 'namespace', namespace: { path, raw: claimsNsPath }, format };
  } else {
    claims = {
      kind: 'namespace',
      namespace: { key: claimsNs ?? DEFAULT_CLAIMS_NAMESPACE },
      format,
    };
  }

  // audience: a string or a list of strings
  let audience: string[] | undefined;
  if (o.audience !== undefined && o.audience !== null) {
    if (typeof o.audience === 'string') audience = [o.audience];
    else if (Array.isArray(o.audience) && o.audience.every((a) => typeof a === 'string')) {
      audience = o.audience as string[];
    } else fail('"audience" must be a string or a list of strings');
  }
  const issuer = optString('issuer');

  let allowedSkewSeconds = 0;
  if (o.allowed_skew !== undefined && o.allowed_skew !== null) {
    if (typeof o.allowed_skew !== 'number' || !Number.isFinite(o.allowed_skew)) {
      fail('"allowed_skew" must be a number of seconds');
    }
    allowedSkewSeconds = Math.abs(o.allowed_skew as number);
  }

  let location: JwtTokenLocation = { type: 'Authorization' };
  if (o.header !== undefined && o.header !== null) {
    const h = o.header as Record<string, unknown>;
    const t = typeof h === 'object' && typeof h.type === 'string' ? h.type.toLowerCase() : '';
    const name = typeof h === 'object' ? h.name : undefined;
    if (t === 'authorization') location = { type: 'Authorization' };
    else if ((t === 'cookie' || t === 'customheader') && typeof name === 'string' && name !== '') {
      location = t === 'cookie' ? { type: 'Cookie', name } : { type: 'CustomHeader', name };
    } else if (t === 'cookie' || t === 'customheader') {
      fail(`"header.name" is required for header type ${JSON.stringify(h.type)}`);
    } else {
      fail("header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'");
    }
  }

  // the key: inline PEM / secret, or a JWK set URL
  const rawKey = optString('key');
  const jwkUrl = optString('jwk_url');
  let key: KeyObject | JwtKeyResolver;
  let algorithms: string[];
  if (rawKey === undefined && jwkUrl === undefined) fail('key and jwk_url both cannot be empty');
  if (rawKey !== undefined && jwkUrl !== undefined) fail('key, jwk_url both cannot be present');
  if (rawKey !== undefined) {
    const type = optString('type');
    if (type === undefined) fail('key "type" not found');
    ({ key, algorithms } = importKey(type as string, rawKey, (m) => fail(`Invalid JWK: ${m}`)));
  } else {
    let url: URL | undefined;
    try {
      url = new URL(jwkUrl as string);
    } catch {
      fail(`"jwk_url" is not a valid URL: ${JSON.stringify(jwkUrl)}`);
    }
    key = createRemoteJWKSet(url as URL);
    algorithms = [...RSA_ALGS, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
  }

  return { key, algorithms, audience, issuer, claims, allowedSkewSeconds, location };
}

function importKey(
  type: string,
  raw: string,
  fail: (msg: string) => never,
): { key: KeyObject; algorithms: string[] } {
  const bits = HMAC_BITS[type];
  if (bits !== undefined) {
    const bytes = Buffer.from(raw, 'utf8');
    if (bytes.length < bits / 8) {
      fail(`Key size too small; should be atleast ${bits / 8} characters`);
    }
    return { key: crypto.createSecretKey(bytes), algorithms: Object.keys(HMAC_BITS) };
  }
  const isRsa = /^RS(256|384|512)$/.test(type);
  const curve = EC_CURVES[type];
  if (!isRsa && curve === undefined && type !== 'Ed25519') {
    fail(`Key type: ${type} is not supported`);
  }
  let key: KeyObject;
  try {
    key = /-----BEGIN CERTIFICATE-----/.test(raw)
      ? new crypto.X509Certificate(raw).publicKey
      : crypto.createPublicKey(raw);
  } catch (e) {
    return fail(`Could not decode PEM: ${(e as Error).message}`);
  }
  if (isRsa) {
    if (key.asymmetricKeyType !== 'rsa') fail('Could not decode PEM: not an RSA public key');
    return { key, algorithms: RSA_ALGS };
  }
  if (curve !== undefined) {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== curve) {
      fail(`Could not decode PEM: not an EC public key on curve ${curve}`);
    }
    return { key, algorithms: [type] };
  }
  if (key.asymmetricKeyType !== 'ed25519') fail('Could not decode PEM: not an Ed25519 public key');
  return { key, algorithms: ['EdDSA', 'Ed25519'] };
}

function parseClaimsMap(raw: unknown, fail: (msg: string) => never): JwtClaimsConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('"claims_map" must be a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  const entry = <T>(
    name: string,
    v: unknown,
    literal: (x: unknown) => x is T,
    what: string,
  ): ClaimsMapValue<T> => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const e = v as Record<string, unknown>;
      if (typeof e.path !== 'string') fail(`claims_map.${name}: key "path" not found`);
      let path: JsonPath = [];
      try {
        path = parseJsonPath(e.path as string);
      } catch (err) {
        fail(`claims_map.${name}: ${(err as Error).message}`);
      }
      if (e.default === undefined || e.default === null) return { path };
      if (!literal(e.default)) fail(`claims_map.${name}: "default" must be ${what}`);
      return { path, default: e.default as T };
    }
    if (!literal(v)) fail(`claims_map.${name} must be ${what} or {"path": …}`);
    return { literal: v as T };
  };
  const isRole = (x: unknown): x is string => typeof x === 'string' && x !== '';
  const isRoles = (x: unknown): x is string[] => Array.isArray(x) && x.every(isRole);
  const isString = (x: unknown): x is string => typeof x === 'string';

  for (const required of ['x-hasura-allowed-roles', 'x-hasura-default-role']) {
    if (!(required in obj)) fail(`claims_map: ${required} is expected but not found`);
  }
  const allowedRoles = entry(
    'x-hasura-allowed-roles',
    obj['x-hasura-allowed-roles'],
    isRoles,
    'a list of roles',
  );
  const defaultRole = entry(
    'x-hasura-default-role',
    obj['x-hasura-default-role'],
    isRole,
    'a role name',
  );
  const others: Record<string, ClaimsMapValue<string>> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'x-hasura-allowed-roles' || k === 'x-hasura-default-role') continue;
    others[k.toLowerCase()] = entry(k, v, isString, 'a string');
  }
  return { kind: 'map', allowedRoles, defaultRole, others };
}
