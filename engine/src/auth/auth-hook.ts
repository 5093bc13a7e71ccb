/**
 * Webhook authentication (`HASURA_GRAPHQL_AUTH_HOOK`), as Hasura's userInfoFromAuthHook
 * (Hasura/Server/Auth/WebHook.hs) does it:
 *
 * - **GET** (the default mode): the client's headers, minus the ones Hasura never forwards
 *   (`Content-Length`, `Host`, `User-Agent`, `Accept*`, `Origin`, `Referer`, `Cache-Control`,
 *   `Connection`, `DNT`, `Content-Type`, `Content-MD5`), are sent as the headers of a GET;
 * - **POST**: `{"headers": {<every client header>}, "request": <the GraphQL request>}` is posted
 *   (`request` only when `HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY` is true, the default; null
 *   where there is none: a body that is not a GraphQL request, a WebSocket's connection_init, the
 *   other APIs).
 *
 * The hook answers 200 with a JSON object of session variables (`x-hasura-role` required; keys
 * without the `x-hasura-` prefix are not session variables), 401 to refuse the request
 * (`access-denied`), anything else is a 500. `Cache-Control: max-age=N` or `Expires` in the
 * answer's object give the session an end: a WebSocket connection is closed then, and the answer
 * is reused until then for exactly the same hook request (same headers, same body), never longer.
 */
import type { LruCache } from '../lru-cache.ts';
import { withDefaultHeaders, type WebhookClient } from '../webhook/client.ts';
import { ADMIN_ROLE, type Session } from '../session.ts';
import { AuthError, err401 } from './errors.ts';

export interface AuthHookConfig {
  url: string;
  mode: 'GET' | 'POST';
  /** POST mode: send the GraphQL request as `request` */
  sendRequestBody: boolean;
  client: WebhookClient;
  /** answers with an end, by the exact hook request they answered */
  cache: LruCache<string, { session: Session; until: number }>;
}

/** Hasura's commonClientHeadersIgnored (lower-cased). */
const NOT_FORWARDED = new Set([
  'content-length',
  'content-md5',
  'user-agent',
  'host',
  'origin',
  'referer',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-datetime',
  'cache-control',
  'connection',
  'dnt',
  'content-type',
]);

const HOOK_TIMEOUT_MS = 60_000;

const err500 = (message: string) => new AuthError('unexpected', message, 500);

/** The session the hook gives a request, or its refusal (AuthError). */
export async function sessionFromAuthHook(
  hook: AuthHookConfig,
  headers: ReadonlyMap<string, string>,
  request: unknown,
  now: Date,
): Promise<Session> {
  const post = hook.mode === 'POST';
  const sent = post
    ? [{ name: 'Content-Type', value: 'application/json' }]
    : [...headers].filter(([n]) => !NOT_FORWARDED.has(n)).map(([name, value]) => ({ name, value }));
  const body = post
    ? JSON.stringify({
        headers: Object.fromEntries(headers),
        ...(hook.sendRequestBody ? { request: request ?? null } : {}),
      })
    : null;
  const key = JSON.stringify([sent, body]);
  const cached = hook.cache.get(key);
  if (cached && cached.until > now.getTime()) return cached.session;

  const r = await hook.client.send({
    url: hook.url,
    method: hook.mode,
    headers: withDefaultHeaders(sent),
    body,
    timeoutMs: HOOK_TIMEOUT_MS,
  });
  if (r.kind !== 'response') throw err500('webhook authentication request failed');
  if (r.status === 401) throw err401('Authentication hook unauthorized this request');
  if (r.status !== 200) throw err500('Invalid response from authorization hook');
  let answer: unknown;
  try {
    answer = JSON.parse(r.body);
  } catch (e) {
    throw err500(`Invalid response from authorization hook: ${(e as Error).message}`);
  }
  if (!answer || typeof answer !== 'object' || Array.isArray(answer))
    throw err500('Invalid response from authorization hook: expected an object');
  const variables: Record<string, string> = {};
  for (const [k, v] of Object.entries(answer as Record<string, unknown>)) {
    if (typeof v !== 'string')
      throw err500(`Invalid response from authorization hook: Error in $['${k}']: expected String`);
    if (k.toLowerCase().startsWith('x-hasura-')) variables[k.toLowerCase()] = v;
  }
  const role = variables['x-hasura-role'];
  if (role === undefined || role === '')
    throw new AuthError('invalid-params', 'x-hasura-role not found in session variables', 400);
  const session: Session = {
    role,
    isAdmin: role === ADMIN_ROLE,
    variables,
    backendOnlyPermissions: false,
    authenticatedBy: 'auth-hook',
  };
  const until = expiry(answer as Record<string, string>, now);
  if (until !== undefined) {
    session.expiresAt = new Date(until);
    if (until > now.getTime()) hook.cache.set(key, { session, until });
  }
  return session;
}

/** When the answer stops holding: `Cache-Control` max-age first, then `Expires` (Hasura's order). */
function expiry(answer: Record<string, string>, now: Date): number | undefined {
  const field = (name: string) =>
    Object.entries(answer).find(([k]) => k.toLowerCase() === name)?.[1];
  const cc = field('cache-control');
  if (cc !== undefined) {
    const directives = cc.split(',').map((d) => d.trim().toLowerCase());
    // an answer not to be kept has no end of its own
    if (directives.some((d) => d === 'no-cache' || d === 'no-store')) return undefined;
    for (const d of directives) {
      const m = /^(?:max-age|s-maxage)=(\d+)$/.exec(d);
      if (m) return now.getTime() + Number(m[1]) * 1000;
    }
  }
  const expires = field('expires');
  if (expires !== undefined) {
    const t = Date.parse(expires);
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}
