/**
 * Server-side settings of the web app, read from the environment at run time (never at build time,
 * so one build serves every deployment). A bad value throws a ConfigError naming the key.
 *
 * | key | default | meaning |
 * | --- | --- | --- |
 * | GRAPHQL_URL | http://127.0.0.1:8080/v1/graphql | GraphQL endpoint the server side uses |
 * | GRAPHQL_PUBLIC_URL | GRAPHQL_URL | HTTP endpoint the browser uses (ws:// or wss:// derived) |
 * | GRAPHQL_PUBLIC_WS_URL | derived from GRAPHQL_PUBLIC_URL | WebSocket endpoint the browser uses |
 * | STREAMSYNC_JWT_KEY | (required) | HS256 key the GraphQL server verifies tokens with, ≥ 32 chars |
 * | STREAMSYNC_TOKEN_TTL_S | 900 | lifetime of a browser token, seconds (10 … 86400) |
 * | STREAMSYNC_WEB_ROLE | viewer | role the tokens carry |
 * | STREAMSYNC_WEB_USER_ID | (none) | x-hasura-user-id in the tokens: the user whose dashboards these are |
 * | STREAMSYNC_WEB_USER_HEADER | (none) | request header naming the user, set by a trusted auth proxy |
 * | STREAMSYNC_JWT_CLAIMS_NAMESPACE | https://hasura.io/jwt/claims | where the Hasura claims go |
 *
 * The admin secret is deliberately not among them: nothing in web/ reads it.
 */
import 'server-only';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface WebConfig {
  graphqlUrl: string;
  publicGraphqlUrl: string;
  publicGraphqlWsUrl: string;
  jwtKey: string;
  tokenTtlSeconds: number;
  role: string;
  userId: string | undefined;
  /** lower-cased header naming the user per request (an auth proxy in front sets it) */
  userHeader: string | undefined;
  claimsNamespace: string;
}

type Env = Record<string, string | undefined>;

/** What a user id may look like (it goes into tokens and is compared in SQL, never spliced). */
export const USER_ID = /^[A-Za-z0-9_.@:-]{1,200}$/;

function readUrl(env: Env, key: string, fallback: string, protocols: string[]): string {
  const raw = env[key]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(key, `not a URL: ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(key, `expected ${protocols.join(' or ')} URL, got ${url.protocol}`);
  }
  return url.toString();
}

/** ws(s):// twin of an http(s):// URL. */
export function toWebSocketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export function readConfig(env: Env = process.env): WebConfig {
  const graphqlUrl = readUrl(env, 'GRAPHQL_URL', 'http://127.0.0.1:8080/v1/graphql', [
    'http:',
    'https:',
  ]);
  const publicGraphqlUrl = readUrl(env, 'GRAPHQL_PUBLIC_URL', graphqlUrl, ['http:', 'https:']);
  const publicGraphqlWsUrl = readUrl(
    env,
    'GRAPHQL_PUBLIC_WS_URL',
    toWebSocketUrl(publicGraphqlUrl),
    ['ws:', 'wss:'],
  );
  const jwtKey = env.STREAMSYNC_JWT_KEY ?? '';
  if (jwtKey.length < 32) {
    throw new ConfigError(
      'STREAMSYNC_JWT_KEY',
      'an HS256 key of at least 32 characters is required',
    );
  }
  const ttlRaw = env.STREAMSYNC_TOKEN_TTL_S?.trim() || '900';
  const tokenTtlSeconds = Number(ttlRaw);
  if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds < 10 || tokenTtlSeconds > 86_400) {
    throw new ConfigError(
      'STREAMSYNC_TOKEN_TTL_S',
      `expected whole seconds 10 … 86400, got ${ttlRaw}`,
    );
  }
  const role = env.STREAMSYNC_WEB_ROLE?.trim() || 'viewer';
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(role) || role === 'admin') {
    throw new ConfigError('STREAMSYNC_WEB_ROLE', `not a usable role: ${JSON.stringify(role)}`);
  }
  const userHeader = env.STREAMSYNC_WEB_USER_HEADER?.trim().toLowerCase() || undefined;
  if (userHeader !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(userHeader)) {
    throw new ConfigError(
      'STREAMSYNC_WEB_USER_HEADER',
      `not a header name: ${JSON.stringify(userHeader)}`,
    );
  }
  const userId = env.STREAMSYNC_WEB_USER_ID?.trim() || undefined;
  if (userId !== undefined && !USER_ID.test(userId)) {
    throw new ConfigError(
      'STREAMSYNC_WEB_USER_ID',
      `not a usable user id: ${JSON.stringify(userId)}`,
    );
  }
  return {
    graphqlUrl,
    publicGraphqlUrl,
    publicGraphqlWsUrl,
    jwtKey,
    tokenTtlSeconds,
    role,
    userId,
    userHeader,
    claimsNamespace: env.STREAMSYNC_JWT_CLAIMS_NAMESPACE?.trim() || 'https://hasura.io/jwt/claims',
  };
}

let cached: { env: string; config: WebConfig } | undefined;

/** The settings of this process (re-read if the environment changed, e.g. in tests). */
export function config(): WebConfig {
  const key = [
    'GRAPHQL_URL',
    'GRAPHQL_PUBLIC_URL',
    'GRAPHQL_PUBLIC_WS_URL',
    'STREAMSYNC_JWT_KEY',
    'STREAMSYNC_TOKEN_TTL_S',
    'STREAMSYNC_WEB_ROLE',
    'STREAMSYNC_WEB_USER_ID',
    'STREAMSYNC_WEB_USER_HEADER',
    'STREAMSYNC_JWT_CLAIMS_NAMESPACE',
  ]
    .map((k) => process.env[k] ?? '')
    .join('\0');
  if (cached?.env !== key) cached = { env: key, config: readConfig(process.env) };
  return cached.config;
}
