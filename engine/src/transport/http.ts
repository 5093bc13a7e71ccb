/**
 * HTTP routes, as Hasura's App.hs serves them: `/v1/graphql` (errors always 200, batching),
 * `/v1alpha1/graphql` (real statuses), `/v1/graphql/explain` (admin), `/v1/metadata`,
 * `/v1/query`, `/v2/query`, `/healthz`, `/v1/version`, `/v1alpha1/config`, `/metrics`; anything
 * else 404 in Hasura's shape. Bodies are size-limited, answers carry a Content-Length, and JSON
 * errors come back as Hasura reports them. The WebSocket upgrade on `/v1/graphql` is handled by
 * transport/ws.ts (wired in server.ts).
 */
import type http from 'node:http';
import type pino from 'pino';
import { AuthError, resolveSession, type AuthConfig } from '../auth/index.ts';
import type { ApiRuntime } from '../api/context.ts';
import { runApiRequest, type Endpoint } from '../api/metadata.ts';
import { consoleReply } from '../console/console.ts';
import { runRestEndpoint } from '../rest/endpoints.ts';
import { openApiDocument } from '../rest/openapi.ts';
import { corsHeaders, preflight, type CorsPolicy } from './cors.ts';
import { encodeGqlError, encodeRestError, QErr, toQErr } from '../errors.ts';
import {
  executeRequest,
  PERSISTED_QUERY_NOT_SUPPORTED,
  type ExecOptions,
} from '../execute/graphql.ts';
import type { Session } from '../session.ts';
import { admitBatch, type EngineLimits } from '../limits/index.ts';
import { explainRequest } from '../api/explain.ts';
import type { SubscriptionOptions } from '../subscription/options.ts';
import type { EngineMetrics } from './metrics.ts';
import { ENGINE_VERSION } from '../version.ts';

export { ENGINE_VERSION };

/** What the HTTP routes use of the running engine (server.ts's Engine provides it). */
export interface HttpRuntime extends ApiRuntime {
  readonly config: ApiRuntime['config'] & {
    cors: CorsPolicy;
    maxBodyBytes: number;
    adminInternalErrors: boolean;
    enableConsole: boolean;
  };
  readonly log: pino.Logger;
  readonly metrics: EngineMetrics;
  readonly auth: AuthConfig;
  readonly limits: EngineLimits;
  /** how GraphQL operations are planned and run, built once at start */
  readonly exec: ExecOptions;
  /** the subscription settings `/v1alpha1/config` reports, once subscriptions run */
  readonly live: { options: SubscriptionOptions } | null;
}

interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(c);
    });
    // a body of one chunk (most are) is used as it came, not copied
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Aeson-style JSON parse error, as Hasura reports a malformed body. */
function parseJsonBody(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new QErr('invalid-json', `Error in $: ${(e as Error).message}`, 400);
  }
}

/** Paths a request can name exactly as they are (no query, no dot segments, no escapes). */
const PLAIN_PATHS = new Set(['/v1/graphql', '/v1alpha1/graphql', '/v1beta1/relay']);
const NO_QUERY = new URLSearchParams();

export function createHttpHandler(engine: HttpRuntime): http.RequestListener {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const raw = req.url ?? '/';
    let path: string;
    let params: URLSearchParams;
    if (PLAIN_PATHS.has(raw)) {
      path = raw;
      params = NO_QUERY;
    } else {
      const url = new URL(raw, 'http://x');
      path = url.pathname.replace(/\/+$/, '') || '/';
      params = url.searchParams;
    }
    const pre = preflight(engine.config.cors, req);
    if (pre) {
      res.writeHead(pre.status, pre.headers);
      res.end();
      return;
    }
    route(engine, req, path, params)
      .catch((e) => {
        const q = toQErr(e);
        if (q.status >= 500) engine.log.error({ err: e }, 'request failed');
        return json(q.status, encodeRestError(q, false));
      })
      .then((reply) => {
        const endpoint = ENDPOINTS.has(path) ? path : 'other';
        engine.metrics.requests.inc({ endpoint, status: String(reply.status) });
        engine.metrics.latency.observe(
          { endpoint },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
        // a text body is encoded once, by the socket write (Node's default is UTF-8)
        const body = reply.body;
        const headers: http.OutgoingHttpHeaders = {
          'content-type': reply.contentType ?? 'application/json; charset=utf-8',
          'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        };
        if (reply.headers) Object.assign(headers, reply.headers);
        if (req.headers.origin) Object.assign(headers, corsHeaders(engine.config.cors, req));
        res.writeHead(reply.status, headers);
        res.end(body);
      })
      .catch(() => res.destroy());
  };
}

const ENDPOINTS = new Set([
  '/v1/graphql',
  '/v1beta1/relay',
  '/v1alpha1/graphql',
  '/v1/graphql/explain',
  '/v1alpha1/graphql/explain',
  '/v1/metadata',
  '/v1/query',
  '/v2/query',
  '/healthz',
  '/v1/version',
  '/v1alpha1/config',
  '/metrics',
]);

async function route(
  engine: HttpRuntime,
  req: http.IncomingMessage,
  path: string,
  params: URLSearchParams,
): Promise<Reply> {
  const method = req.method ?? 'GET';
  if (path.startsWith('/api/rest/'))
    return restEndpoint(engine, req, path.slice('/api/rest/'.length), params);
  switch (path) {
    case '/healthz':
    case '/hasura/healthz': {
      const inconsistent = engine.state.source.inconsistencies.length > 0;
      if (inconsistent && params.get('strict') === 'true') {
        return {
          status: 500,
          body: 'ERROR: inconsistent objects in schema',
          contentType: 'text/plain',
        };
      }
      return {
        status: 200,
        body: inconsistent ? 'WARN: inconsistent objects in schema' : 'OK',
        contentType: 'text/plain',
      };
    }
    case '/api/swagger/json': {
      // the document names the admin schema's types: admin only, as Hasura serves it
      const session = await adminSession(engine, req);
      if ('status' in session) return session;
      return json(200, openApiDocument(engine.state.metadata, engine.state.schemaFor('admin')));
    }
    case '/v1/version':
      return json(200, { version: ENGINE_VERSION, server_type: 'ce' });
    case '/metrics': {
      const body = await engine.metrics.registry.metrics();
      return { status: 200, body, contentType: engine.metrics.registry.contentType };
    }
    case '/v1/graphql':
      // Hasura routes GET /v1/graphql to its persisted-query handler, which CE answers thus
      if (method === 'GET') return persistedQueryGet(engine, req);
      if (method !== 'POST') return methodNotAllowed();
      return graphql(engine, req, true);
    case '/v1alpha1/graphql':
      if (method !== 'POST') return methodNotAllowed();
      return graphql(engine, req, false);
    case '/v1beta1/relay':
      // the same operation pipeline over the role's Relay schema; errors 200 as on /v1/graphql
      if (method !== 'POST') return methodNotAllowed();
      return graphql(engine, req, true, true);
    case '/v1/graphql/explain':
    case '/v1alpha1/graphql/explain':
      if (method !== 'POST') return methodNotAllowed();
      return explain(engine, req, path);
    case '/v1/metadata':
    case '/v1/query':
    case '/v2/query':
      if (method !== 'POST') return methodNotAllowed();
      return restApi(engine, req, path.slice(1) as Endpoint);
    case '/v1alpha1/config': {
      const session = await adminSession(engine, req);
      if ('status' in session) return session;
      return json(200, {
        version: ENGINE_VERSION,
        is_function_permissions_inferred: true,
        is_remote_schema_permissions_enabled: false,
        is_admin_secret_set: engine.auth.adminSecretDigests.length > 0,
        is_auth_hook_set: false,
        is_jwt_set: engine.auth.jwt.length > 0,
        jwt: engine.auth.jwt.map(() => ({})),
        is_allow_list_enabled: engine.state.opts.allowlist === true,
        live_queries: {
          batch_size: engine.live?.options.live.batchSize ?? 100,
          refetch_delay: (engine.live?.options.live.refetchIntervalMs ?? 1000) / 1000,
        },
        streaming_queries: {
          batch_size: engine.live?.options.stream.batchSize ?? 100,
          refetch_delay: (engine.live?.options.stream.refetchIntervalMs ?? 1000) / 1000,
        },
        console_assets_dir: null,
        experimental_features: [],
        is_prometheus_metrics_enabled: true,
        default_naming_convention: 'hasura-default',
      });
    }
    default: {
      // /console and / (redirect), when HASURA_GRAPHQL_ENABLE_CONSOLE=true
      const c = await consoleReply(engine.config.enableConsole, path);
      if (c) return c;
      return json(404, { error: 'resource does not exist', path: '$', code: 'not-found' });
    }
  }
}

const methodNotAllowed = (): Reply =>
  json(405, { error: 'method not allowed', path: '$', code: 'method-not-allowed' });

async function restSession(
  engine: HttpRuntime,
  req: http.IncomingMessage,
): Promise<Session | Reply> {
  try {
    return await resolveSession(req.headers, engine.auth);
  } catch (e) {
    if (e instanceof AuthError) return json(e.status, e.toRest());
    throw e;
  }
}

/** The body of an admin-only REST request, or the reply that refuses it (too large, not admin). */
async function adminBody(engine: HttpRuntime, req: http.IncomingMessage): Promise<Buffer | Reply> {
  const r = await adminRequest(engine, req);
  return 'status' in r ? r : r.buf;
}

/** The body and the caller's session of a REST request, or the reply that refuses it. */
async function restRequest(
  engine: HttpRuntime,
  req: http.IncomingMessage,
): Promise<{ buf: Buffer; session: Session } | Reply> {
  let buf: Buffer;
  try {
    buf = await readBody(req, engine.config.maxBodyBytes);
  } catch (e) {
    if (e instanceof BodyTooLarge)
      return json(413, { error: 'request body too large', path: '$', code: 'bad-request' });
    throw e;
  }
  const session = await restSession(engine, req);
  if ('status' in session) return session;
  return { buf, session };
}

/**
 * The body and session of an admin-only request, or the refusal. `path`: where Hasura reports the
 * refusal — `$.args` on the query and metadata APIs, which check the role per operation.
 */
async function adminRequest(
  engine: HttpRuntime,
  req: http.IncomingMessage,
  path = '$',
): Promise<{ buf: Buffer; session: Session } | Reply> {
  const r = await restRequest(engine, req);
  if ('status' in r) return r;
  return r.session.isAdmin ? r : adminOnly(path);
}

/** The session of an admin-only request without a body, or the refusal. */
async function adminSession(
  engine: HttpRuntime,
  req: http.IncomingMessage,
): Promise<Session | Reply> {
  const session = await restSession(engine, req);
  if ('status' in session) return session;
  return session.isAdmin ? session : adminOnly('$');
}

/** Hasura's refusal of a non-admin caller on an admin-only API. */
function adminOnly(path: string): Reply {
  return json(400, { error: 'restricted access : admin only', path, code: 'access-denied' });
}

async function restApi(
  engine: HttpRuntime,
  req: http.IncomingMessage,
  endpoint: Endpoint,
): Promise<Reply> {
  // the metadata API is admin-only; the query APIs check the role per operation (v1 DML)
  const admin =
    endpoint === 'v1/metadata'
      ? await adminRequest(engine, req, '$.args')
      : await restRequest(engine, req);
  if ('status' in admin) return admin;
  let body: unknown;
  try {
    body = parseJsonBody(admin.buf);
    const result = await runApiRequest(engine, endpoint, body, {
      variables: admin.session.variables,
      role: admin.session.role,
      isAdmin: admin.session.isAdmin,
    });
    return json(200, result);
  } catch (e) {
    const q = toQErr(e);
    engine.metrics.errors.inc({ endpoint: `/${endpoint}`, code: q.code });
    if (q.status >= 500) engine.log.error({ err: e }, 'api request failed');
    return json(q.status, encodeRestError(q, engine.config.adminInternalErrors));
  }
}

/** `/api/rest/<url>`: a REST endpoint of the metadata, run as the caller's session. */
async function restEndpoint(
  engine: HttpRuntime,
  req: http.IncomingMessage,
  path: string,
  params: URLSearchParams,
): Promise<Reply> {
  const request = await restRequest(engine, req);
  if ('status' in request) return request;
  const { buf: body, session } = request;
  const r = await runRestEndpoint(
    engine.state,
    session,
    { method: req.method ?? 'GET', path, params, body, contentType: req.headers['content-type'] },
    engine.exec,
  );
  if (r.status !== 200) {
    const code = (JSON.parse(r.body) as { code: string }).code;
    engine.metrics.errors.inc({ endpoint: '/api/rest', code });
  }
  return { status: r.status, body: r.body, ...(r.headers ? { headers: r.headers } : {}) };
}

/** `GET /v1/graphql`: authenticated as any request, then Hasura CE's persisted-query answer. */
async function persistedQueryGet(engine: HttpRuntime, req: http.IncomingMessage): Promise<Reply> {
  const endpoint = '/v1/graphql';
  try {
    await resolveSession(req.headers, engine.auth);
  } catch (e) {
    if (e instanceof AuthError) {
      engine.metrics.errors.inc({ endpoint, code: e.code });
      return json(200, { errors: [e.toGraphQL()] });
    }
    throw e;
  }
  engine.metrics.errors.inc({ endpoint, code: 'not-supported' });
  return json(200, {
    errors: [encodeGqlError(new QErr('not-supported', PERSISTED_QUERY_NOT_SUPPORTED, 400), false)],
  });
}

/** `/v1/graphql/explain`: admin only; errors in the REST shape, as Hasura's explain API. */
async function explain(
  engine: HttpRuntime,
  req: http.IncomingMessage,
  endpoint: string,
): Promise<Reply> {
  const buf = await adminBody(engine, req);
  if (!Buffer.isBuffer(buf)) return buf;
  try {
    const body = parseJsonBody(buf);
    const live = engine.live ? { commitColumn: engine.live.options.commitColumn } : undefined;
    return json(200, await explainRequest(engine.state, body, engine.exec, live));
  } catch (e) {
    const q = toQErr(e);
    engine.metrics.errors.inc({ endpoint, code: q.code });
    if (q.status >= 500) engine.log.error({ err: e }, 'explain failed');
    // planning errors carry GraphQL's status 200; the explain API answers them with 400
    const status = q.status === 200 ? 400 : q.status;
    return json(status, encodeRestError(q, engine.config.adminInternalErrors));
  }
}

async function graphql(
  engine: HttpRuntime,
  req: http.IncomingMessage,
  always200: boolean,
  relay = false,
): Promise<Reply> {
  const endpoint = relay ? '/v1beta1/relay' : always200 ? '/v1/graphql' : '/v1alpha1/graphql';
  const gqlError = (q: QErr): Reply => {
    engine.metrics.errors.inc({ endpoint, code: q.code });
    return json(always200 ? 200 : q.status, { errors: [encodeGqlError(q, false)] });
  };
  let buf: Buffer;
  try {
    buf = await readBody(req, engine.config.maxBodyBytes);
  } catch (e) {
    if (e instanceof BodyTooLarge)
      return gqlError(new QErr('bad-request', 'request body too large', 413));
    throw e;
  }
  let session: Session;
  try {
    session = await resolveSession(req.headers, engine.auth);
    if (relay) session = { ...session, relay };
  } catch (e) {
    if (e instanceof AuthError) {
      engine.metrics.errors.inc({ endpoint, code: e.code });
      return json(always200 ? 200 : e.status, { errors: [e.toGraphQL()] });
    }
    throw e;
  }
  let body: unknown;
  try {
    body = parseJsonBody(buf);
  } catch (e) {
    return gqlError(e as QErr);
  }
  const state = engine.state;
  const opts = { ...engine.exec, clientHeaders: req.headers };
  const limits = engine.limits.forClient(state.metadata, session);
  try {
    if (Array.isArray(body)) admitBatch(body.length, limits);
    engine.limits.admitRate(
      limits,
      session,
      req.socket.remoteAddress,
      Array.isArray(body) ? body.length : 1,
    );
  } catch (e) {
    return gqlError(engine.limits.refused(e as QErr));
  }
  if (Array.isArray(body)) {
    const results = [];
    for (const item of body) results.push(await executeRequest(state, session, item, opts));
    for (const r of results)
      r.errorCodes.forEach((code) => engine.metrics.errors.inc({ endpoint, code }));
    return { status: 200, body: `[${results.map((r) => r.body).join(',')}]` };
  }
  const r = await executeRequest(state, session, body, opts);
  r.errorCodes.forEach((code) => engine.metrics.errors.inc({ endpoint, code }));
  // v1alpha1 keeps the real status of a request error
  const status = !always200 && r.isError ? 400 : 200;
  const headers = r.headers?.length
    ? Object.fromEntries(r.headers.map((h) => [h.name.toLowerCase(), h.value]))
    : undefined;
  return { status, body: r.body, ...(headers ? { headers } : {}) };
}
