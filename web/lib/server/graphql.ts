/**
 * Server-side GraphQL: graphql-request against GRAPHQL_URL with a role token of the same kind the
 * browser gets (never the admin secret), so a server-rendered page shows exactly what the browser
 * may see, and no page is empty while the socket connects.
 */
import 'server-only';
import { ClientError, GraphQLClient } from 'graphql-request';
import { config } from '@/lib/config';
import { issueToken, USER_ROLE } from '@/lib/session/token';
import { currentUserId } from './identity';
import type { PipelineDeclaration } from '@/lib/graphql/schema-discovery';
import { PIPELINES_QUERY } from '@/lib/graphql/documents';

/** An error safe to show: what failed, not how. The cause is logged. */
export class DataError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'DataError';
  }
}

/** Tokens of recent users (a few per process: one per user behind an auth proxy). */
const tokens = new Map<string, { value: string; expiresAt: number }>();
const MAX_TOKENS = 1000;

async function serverToken(userId: string | undefined): Promise<string> {
  const cfg = config();
  const key = `${cfg.role}/${userId ?? ''}/${cfg.jwtKey}`;
  const now = Math.floor(Date.now() / 1000);
  const held = tokens.get(key);
  if (held && held.expiresAt - now >= 30) return held.value;
  const issued = await issueToken({
    key: cfg.jwtKey,
    role: cfg.role,
    userId,
    ttlSeconds: Math.max(60, cfg.tokenTtlSeconds),
    claimsNamespace: cfg.claimsNamespace,
  });
  if (tokens.size >= MAX_TOKENS) tokens.clear();
  tokens.set(key, { value: issued.token, expiresAt: issued.expiresAt });
  return issued.token;
}

export interface RequestOptions {
  /** act as the `user` role (dashboards, panels, alert rules), when the request names a user */
  asUser?: boolean;
  /** a failure is expected (e.g. a table the role may not read): not logged */
  quiet?: boolean;
  /** as the role alone, whoever asks (what depends on the role only, e.g. its schema) */
  userless?: boolean;
}

function log(msg: string, extra: Record<string, unknown>): void {
  console.error(
    JSON.stringify({
      level: 'error',
      time: new Date().toISOString(),
      service: 'web',
      msg,
      ...extra,
    }),
  );
}

/** Run one operation; throws a DataError naming `what` on any failure. */
export async function serverRequest<T>(
  what: string,
  document: string,
  variables?: Record<string, unknown>,
  opts: RequestOptions = {},
): Promise<T> {
  const cfg = config();
  const userId = opts.userless ? undefined : await currentUserId();
  const headers: Record<string, string> = {
    Authorization: `Bearer ${await serverToken(userId)}`,
  };
  if (opts.asUser && userId && cfg.role !== USER_ROLE) headers['x-hasura-role'] = USER_ROLE;
  const client = new GraphQLClient(cfg.graphqlUrl, {
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  try {
    return await client.request<T>(document, variables);
  } catch (err) {
    const detail =
      err instanceof ClientError
        ? (err.response.errors ?? []).map((e) => e.message).join('; ') ||
          `HTTP ${err.response.status}`
        : (err as Error).message;
    if (!opts.quiet) log('graphql request failed', { what, error: detail, url: cfg.graphqlUrl });
    throw new DataError(`Could not load ${what}: ${detail}`, err);
  }
}

export async function fetchPipelines(): Promise<PipelineDeclaration[]> {
  const res = await serverRequest<{
    pipelines: Array<PipelineDeclaration & { version?: number; updated_at?: string }>;
  }>('the pipeline declarations', PIPELINES_QUERY);
  return res.pipelines;
}
