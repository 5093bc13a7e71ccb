/**
 * Server-side GraphQL: graphql-request against GRAPHQL_URL with a role token of the same kind the
 * browser gets (never the admin secret), so a server-rendered page shows exactly what the browser
 * may see, and no page is empty while the socket connects.
 */
import 'server-only';
import { ClientError, GraphQLClient } from 'graphql-request';
import { config } from '@/lib/config';
import { issueToken } from '@/lib/session/token';
import { SCHEMA_QUERY, type SchemaIntrospection } from '@/lib/graphql/introspection';
import {
  discoverSchema,
  type DiscoveredSchema,
  type PipelineDeclaration,
} from '@/lib/graphql/schema-discovery';
import { PIPELINES_QUERY } from '@/lib/graphql/documents';

/** An error safe to show: what failed, not how. The cause is logged. */
export class DataError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'DataError';
  }
}

let token: { value: string; expiresAt: number; key: string } | undefined;

async function serverToken(): Promise<string> {
  const cfg = config();
  const key = `${cfg.role}/${cfg.userId ?? ''}/${cfg.jwtKey}`;
  const now = Math.floor(Date.now() / 1000);
  if (!token || token.key !== key || token.expiresAt - now < 30) {
    const issued = await issueToken({
      key: cfg.jwtKey,
      role: cfg.role,
      userId: cfg.userId,
      ttlSeconds: Math.max(60, cfg.tokenTtlSeconds),
      claimsNamespace: cfg.claimsNamespace,
    });
    token = { value: issued.token, expiresAt: issued.expiresAt, key };
  }
  return token.value;
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
): Promise<T> {
  const cfg = config();
  const client = new GraphQLClient(cfg.graphqlUrl, {
    headers: { Authorization: `Bearer ${await serverToken()}` },
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
    log('graphql request failed', { what, error: detail, url: cfg.graphqlUrl });
    throw new DataError(`Could not load ${what}: ${detail}`, err);
  }
}

const DISCOVERY_TTL_MS = 3_000;
let discovery: { at: number; key: string; value: Promise<DiscoveredSchema> } | undefined;

/** The streams and sources the configured role can read (cached for a few seconds). */
export function fetchDiscovery(): Promise<DiscoveredSchema> {
  const cfg = config();
  const key = `${cfg.graphqlUrl}/${cfg.role}/${cfg.userId ?? ''}`;
  const now = Date.now();
  if (!discovery || discovery.key !== key || now - discovery.at > DISCOVERY_TTL_MS) {
    const value = (async () => {
      const schema = await serverRequest<SchemaIntrospection>('the GraphQL schema', SCHEMA_QUERY);
      const first = discoverSchema(schema);
      let pipelines: PipelineDeclaration[] | undefined;
      if (first.health.pipelines) {
        // the declarations only enrich what the schema shows: without them, streams still appear
        pipelines = await serverRequest<{ pipelines: PipelineDeclaration[] }>(
          'the pipeline declarations',
          PIPELINES_QUERY,
        )
          .then((res) => res.pipelines)
          .catch(() => undefined);
      }
      return pipelines ? discoverSchema(schema, pipelines) : first;
    })();
    discovery = { at: now, key, value };
    value.catch(() => {
      if (discovery?.value === value) discovery = undefined;
    });
  }
  return discovery.value;
}

export async function fetchPipelines(): Promise<PipelineDeclaration[]> {
  const res = await serverRequest<{
    pipelines: Array<PipelineDeclaration & { version?: number; updated_at?: string }>;
  }>('the pipeline declarations', PIPELINES_QUERY);
  return res.pipelines;
}
