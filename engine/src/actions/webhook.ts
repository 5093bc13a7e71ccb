/**
 * One action handler call as Hasura makes it (Hasura/GraphQL/Execute/Action.hs callWebhook):
 * the payload `{action: {name}, input, session_variables, request_query}`, the action's headers
 * (and the client's, with `forward_client_headers`), the request and response transforms, the
 * timeout; then the answer: 2xx must be JSON of the output type, 4xx is the handler's own error
 * (`message`, `code`, `extensions`), anything else is an unexpected response. Errors carry
 * Hasura's `internal` detail (request as configured — the handler's `{{VAR}}` template, never its
 * resolved value — and response) for admins.
 */
import { QErr } from '../errors.ts';
import { callWebhook, type CallResult } from '../webhook/call.ts';
import type { WebhookClient } from '../webhook/client.ts';
import type { Env, HeaderConf } from '../webhook/env-template.ts';
import type { Json } from '../webhook/kriti.ts';
import type { TypeRef } from '../schema/types.ts';
import {
  GRAPHQL_SCALARS,
  PG_SCALARS,
  type ActionsInfo,
  type ResolvedAction,
} from './definitions.ts';

export interface ActionCall {
  action: ResolvedAction;
  input: Json;
  sessionVariables: Record<string, string>;
  requestQuery: string;
  clientHeaders: Readonly<Record<string, string | string[] | undefined>>;
  /** abandons the call (engine shutdown) */
  signal?: AbortSignal;
}

export interface ActionAnswer {
  value: Json;
  /** the handler's response headers (Set-Cookie is forwarded to the client, as Hasura does) */
  headers: Array<{ name: string; value: string }>;
}

/** Client headers Hasura never forwards to a handler (commonClientHeadersIgnored). */
const NOT_FORWARDED = new Set([
  'host',
  'content-length',
  'content-md5',
  'user-agent',
  'content-type',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-datetime',
  'cache-control',
  'connection',
  'dnt',
  'x-hasura-admin-secret',
  'x-hasura-access-key',
]);

export function forwardedHeaders(
  client: Readonly<Record<string, string | string[] | undefined>>,
): HeaderConf[] {
  const out: HeaderConf[] = [];
  for (const [name, v] of Object.entries(client)) {
    if (v === undefined || NOT_FORWARDED.has(name.toLowerCase())) continue;
    for (const value of Array.isArray(v) ? v : [v]) out.push({ name, value });
  }
  return out;
}

export async function callAction(
  client: WebhookClient,
  env: Env,
  types: ActionsInfo,
  call: ActionCall,
): Promise<ActionAnswer> {
  const d = call.action.meta.definition;
  const payload: Json = {
    action: { name: call.action.name },
    input: call.input,
    session_variables: call.sessionVariables,
    request_query: call.requestQuery,
  };
  const confHeaders = d.headers ?? [];
  const headers = d.forward_client_headers
    ? [...forwardedHeaders(call.clientHeaders), ...confHeaders]
    : confHeaders;
  const r = await callWebhook(client, env, {
    webhook: { template: d.handler },
    headers,
    body: payload,
    timeoutMs: call.action.timeoutMs,
    ...(d.request_transform ? { requestTransform: d.request_transform } : {}),
    ...(d.response_transform ? { responseTransform: d.response_transform } : {}),
    sessionVariables: call.sessionVariables,
    ...(call.signal ? { signal: call.signal } : {}),
  });
  const request = {
    body: payload,
    url: d.handler,
    headers: confHeaders,
    transformed_request: d.request_transform
      ? { url: r.url, method: 'POST', body: r.requestBody }
      : null,
  };
  if (r.kind === 'failure') throw failure(r, request);
  let value: Json;
  try {
    value = JSON.parse(r.body) as Json;
  } catch {
    throw new QErr('unexpected', 'not a valid json response from webhook', 200, [], {
      error: 'invalid json',
      response: { status: r.status, body: r.body, headers: r.headers },
      request,
    });
  }
  const internal = (error: string) => ({
    error,
    response: { status: r.status, body: value, headers: r.headers },
    request,
  });
  if (r.status >= 200 && r.status < 300) {
    const problem = checkValue(types, value, call.action.output);
    if (problem) throw new QErr('unexpected', problem, 200, [], internal('unexpected response'));
    return { value, headers: r.headers };
  }
  if (r.status >= 400 && r.status < 500) {
    const e = value as { message?: unknown; code?: unknown; extensions?: unknown } | null;
    if (!e || typeof e !== 'object' || Array.isArray(e) || typeof e.message !== 'string')
      throw new QErr(
        'unexpected',
        'the handler answered an error without a "message" string',
        200,
        [],
        internal('unexpected response'),
      );
    const q = new QErr('unexpected', e.message, 200);
    q.webhook = { code: typeof e.code === 'string' ? e.code : 'unexpected' };
    if (e.extensions && typeof e.extensions === 'object' && !Array.isArray(e.extensions))
      q.webhook.extensions = e.extensions as Record<string, unknown>;
    throw q;
  }
  throw new QErr(
    'unexpected',
    'internal error',
    200,
    [],
    internal(`expecting 2xx or 4xx status code, but found ${r.status}`),
  );
}

function failure(r: Extract<CallResult, { kind: 'failure' }>, request: unknown): QErr {
  if (
    r.reason === 'timeout' ||
    r.reason === 'network' ||
    r.reason === 'aborted' ||
    r.reason === 'invalid_url'
  )
    return new QErr('unexpected', 'http exception when calling webhook', 200, [], {
      error: { type: 'http_exception', message: r.message },
      request,
    });
  return new QErr('unexpected', r.message, 200, [], { error: r.reason, request });
}

/**
 * Hasura's validateResponse: the answer against the output type, with its messages. Custom
 * scalars and json take any value; extra fields of an object are ignored.
 */
export function checkValue(types: ActionsInfo, v: Json, t: TypeRef): string | null {
  if (v === null) {
    return t.kind === 'NON_NULL' ? 'got null for the action webhook response' : null;
  }
  const inner = t.kind === 'NON_NULL' ? t.of : t;
  if (inner.kind === 'LIST') {
    if (!Array.isArray(v)) return 'expecting array for the action webhook response';
    for (const x of v) {
      const p = checkValue(types, x, inner.of);
      if (p) return p;
    }
    return null;
  }
  const name = inner.kind === 'NAMED' ? inner.name : '';
  if (types.scalars.has(name) || name === 'json' || name === 'jsonb') return null;
  if (Array.isArray(v)) return `got array for the action webhook response, expecting ${name}`;
  const obj = types.objects.get(name);
  if (typeof v === 'object') {
    if (!obj) return `got object for the action webhook response, expecting ${name}`;
    for (const f of obj.fields) {
      const x = (v as Record<string, Json>)[f.name];
      if (x === undefined) {
        if (f.type.kind === 'NON_NULL')
          return `field "${f.name}" expected in webhook response, but not found`;
        continue;
      }
      if (x === null) {
        if (f.type.kind === 'NON_NULL') return `expecting not null value for field "${f.name}"`;
        continue;
      }
      const p = checkValue(types, x, f.type);
      if (p) return p;
    }
    return null;
  }
  const kind = typeof v === 'string' ? 'String' : typeof v === 'boolean' ? 'Boolean' : 'Number';
  const fits =
    obj === undefined &&
    (types.enums.has(name) ||
      PG_SCALARS.has(name) ||
      (kind === 'String' && (name === 'String' || name === 'ID')) ||
      (kind === 'Boolean' && name === 'Boolean') ||
      (kind === 'Number' && (name === 'Int' || name === 'Float' || name === 'ID')) ||
      !GRAPHQL_SCALARS.has(name));
  return fits ? null : `got scalar ${kind} for the action webhook response, expecting ${name}`;
}
