/**
 * CORS as Hasura does it (Hasura.Server.Cors and its middleware): HASURA_GRAPHQL_CORS_DOMAIN is `*`
 * (the default) or a comma-separated list of origins, each `http(s)://host[:port]` or a wildcard
 * subdomain `http(s)://*.host[:port]`. A request whose Origin is allowed gets the origin echoed
 * back with credentials allowed; a preflight (OPTIONS) is answered 204 by the middleware itself,
 * allowing whatever headers were asked for. HASURA_GRAPHQL_DISABLE_CORS turns all of it off.
 */
import type http from 'node:http';
import { ConfigError } from '@streamsync/database';

export type CorsPolicy =
  | { kind: 'disabled' }
  | { kind: 'any' }
  | {
      kind: 'domains';
      exact: Set<string>;
      wildcards: Array<{ scheme: string; host: string; port?: string }>;
    };

const METHODS = 'GET,POST,PUT,PATCH,DELETE,OPTIONS';
const MAX_AGE = '1728000';
const DOMAIN = /^https?:\/\/(\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(:[0-9]+)?$/;

export function parseCorsPolicy(domain: string | undefined, disabled: boolean): CorsPolicy {
  if (disabled) return { kind: 'disabled' };
  if (domain === undefined || domain.trim() === '*') return { kind: 'any' };
  const list = domain.split(',').map((d) => d.trim());
  const exact = new Set<string>();
  const wildcards: Array<{ scheme: string; host: string; port?: string }> = [];
  for (const d of list) {
    if (!DOMAIN.test(d))
      throw new ConfigError('HASURA_GRAPHQL_CORS_DOMAIN', `invalid domain: '${d}'`);
    const m = /^(https?):\/\/(\*\.)?([^:]+)(?::(\d+))?$/.exec(d)!;
    if (m[2]) wildcards.push({ scheme: m[1]!, host: m[3]!, ...(m[4] ? { port: m[4] } : {}) });
    else exact.add(d);
  }
  return { kind: 'domains', exact, wildcards };
}

function allowed(policy: CorsPolicy, origin: string): boolean {
  if (policy.kind === 'any') return true;
  if (policy.kind === 'disabled') return false;
  if (policy.exact.has(origin)) return true;
  const m = /^(https?):\/\/[^.]+\.([^:]+)(?::(\d+))?$/.exec(origin);
  if (!m) return false;
  return policy.wildcards.some((w) => w.scheme === m[1] && w.host === m[2] && w.port === m[3]);
}

/** Headers to add to a response for this request (empty when CORS does not apply). */
export function corsHeaders(policy: CorsPolicy, req: http.IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin || !allowed(policy, origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': METHODS,
  };
}

/** The preflight answer, or undefined when this request is not one CORS answers by itself. */
export function preflight(
  policy: CorsPolicy,
  req: http.IncomingMessage,
): { status: number; headers: Record<string, string> } | undefined {
  if (req.method !== 'OPTIONS') return undefined;
  const headers = corsHeaders(policy, req);
  if (!headers['access-control-allow-origin']) return undefined;
  return {
    status: 204,
    headers: {
      ...headers,
      'access-control-max-age': MAX_AGE,
      'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? ''),
      'content-type': 'text/plain; charset=utf-8',
    },
  };
}
