/**
 * One webhook call as Hasura makes it for events, scheduled events and (later) actions: the
 * target and headers resolved from the environment, Hasura's default headers, the request and
 * response transforms, the call with its deadline, and the records Hasura keeps of it — the
 * request as logged (header values from the environment never written out) and the answer
 * classified as a webhook response or a client error.
 */
import type { WebhookClient, WebhookOutcome } from './client.ts';
import { withDefaultHeaders } from './client.ts';
import {
  envValue,
  renderTemplate,
  resolveHeaders,
  TemplateError,
  type Env,
  type HeaderConf,
} from './env-template.ts';
import type { Json } from './kriti.ts';
import {
  applyRequestTransform,
  applyResponseTransform,
  TransformError,
  type OutgoingRequest,
} from './transform.ts';

export interface WebhookCallSpec {
  /** `{{VAR}}` template, or the name of a variable holding the URL. */
  webhook: { template: string } | { fromEnv: string };
  headers: readonly HeaderConf[];
  body: Json;
  timeoutMs: number;
  requestTransform?: Record<string, unknown>;
  responseTransform?: Record<string, unknown>;
  sessionVariables: Record<string, string> | null;
  signal?: AbortSignal;
}

/** A header as Hasura records it: the value, or the variable it came from. */
export type LoggedHeader =
  { name: string; value: string } | { name: string; value_from_env: string };

export type CallResult =
  | {
      kind: 'response';
      status: number;
      ok: boolean;
      /** The body as recorded (after a response transform). */
      body: string;
      headers: Array<{ name: string; value: string }>;
      retryAfterSeconds: number | null;
      /** Body as sent, for the invocation record (the transformed one when transformed). */
      requestBody: Json;
      requestHeaders: LoggedHeader[];
      url: string;
      requestBytes: number;
      responseBytes: number;
      durationMs: number;
    }
  | {
      /** No answer: the call failed, timed out, or could not be made (bad URL, missing variable). */
      kind: 'failure';
      reason: WebhookOutcome['kind'] | 'template' | 'transform' | 'response_transform';
      message: string;
      requestBody: Json;
      requestHeaders: LoggedHeader[];
      url: string | null;
      requestBytes: number;
      durationMs: number;
    };

function logged(
  confs: readonly HeaderConf[],
  sent: Array<{ name: string; value: string }>,
): LoggedHeader[] {
  return sent.map((h) => {
    const conf = confs.find((c) => c.name.toLowerCase() === h.name.toLowerCase());
    if (conf && 'value_from_env' in conf)
      return { name: h.name, value_from_env: conf.value_from_env };
    return { name: h.name, value: h.value };
  });
}

/** Hasura's Retry-After: a positive whole number of seconds, else none. */
function retryAfter(headers: Array<{ name: string; value: string }>): number | null {
  const h = headers.find((x) => x.name.toLowerCase() === 'retry-after');
  if (!h || !/^\d+$/.test(h.value.trim())) return null;
  const n = Number(h.value.trim());
  return n > 0 ? n : null;
}

export async function callWebhook(
  client: WebhookClient,
  env: Env,
  spec: WebhookCallSpec,
): Promise<CallResult> {
  const started = performance.now();
  const base = {
    requestBody: spec.body,
    requestHeaders: [] as LoggedHeader[],
    url: null as string | null,
    requestBytes: 0,
  };
  let url: string;
  let headers: Array<{ name: string; value: string }>;
  try {
    url =
      'template' in spec.webhook
        ? renderTemplate(spec.webhook.template, env)
        : envValue(env, spec.webhook.fromEnv);
    headers = withDefaultHeaders(resolveHeaders(spec.headers, env));
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { kind: 'failure', reason: 'template', message: e.message, ...base, durationMs: 0 };
  }
  let req: OutgoingRequest = { method: 'POST', url, headers, body: spec.body };
  if (spec.requestTransform) {
    try {
      req = applyRequestTransform(spec.requestTransform, req, spec.sessionVariables);
    } catch (e) {
      if (!(e instanceof TransformError)) throw e;
      return {
        kind: 'failure',
        reason: 'transform',
        message: e.message,
        ...base,
        url,
        requestHeaders: logged(spec.headers, headers),
        durationMs: 0,
      };
    }
  }
  const text = req.rawBody ?? (req.body === undefined ? null : JSON.stringify(req.body));
  const requestBody: Json = req.rawBody !== undefined ? req.rawBody : (req.body ?? null);
  const requestHeaders = logged(spec.headers, req.headers);
  const requestBytes = text === null ? 0 : Buffer.byteLength(text);
  const outcome = await client.send({
    url: req.url,
    method: req.method,
    headers: req.headers,
    body: text,
    timeoutMs: spec.timeoutMs,
    ...(spec.signal ? { signal: spec.signal } : {}),
  });
  const durationMs = Math.round(performance.now() - started);
  if (outcome.kind !== 'response') {
    return {
      kind: 'failure',
      reason: outcome.kind,
      message: outcome.message,
      requestBody,
      requestHeaders,
      url: req.url,
      requestBytes,
      durationMs,
    };
  }
  let body = outcome.body;
  if (spec.responseTransform) {
    try {
      body = applyResponseTransform(
        spec.responseTransform,
        body,
        outcome.status,
        spec.sessionVariables,
      );
    } catch (e) {
      if (!(e instanceof TransformError)) throw e;
      return {
        kind: 'failure',
        reason: 'response_transform',
        message: e.message,
        requestBody,
        requestHeaders,
        url: req.url,
        requestBytes,
        durationMs,
      };
    }
  }
  return {
    kind: 'response',
    status: outcome.status,
    ok: outcome.status >= 200 && outcome.status < 300,
    body,
    headers: outcome.headers,
    retryAfterSeconds: retryAfter(outcome.headers),
    requestBody,
    requestHeaders,
    url: req.url,
    requestBytes,
    responseBytes: outcome.size,
    durationMs,
  };
}

/**
 * The invocation record of a call (hdb_catalog.*invocation_logs): `status`, `request` and
 * `response` as Hasura writes them; `version` is "2" for event triggers, "1" for scheduled events.
 */
export function invocationRecord(r: CallResult, version: '1' | '2') {
  const request = { payload: r.requestBody, headers: r.requestHeaders, version };
  if (r.kind === 'response' && r.ok) {
    return {
      status: r.status as number | null,
      request,
      response: {
        type: 'webhook_response',
        data: { body: r.body, headers: r.headers, status: r.status },
        version,
      },
    };
  }
  const message =
    r.kind === 'response'
      ? r.body
      : JSON.stringify({
          type:
            r.reason === 'template' || r.reason === 'transform'
              ? 'invalid_request'
              : 'http_exception',
          message: r.message,
          request: { url: r.url, method: 'POST' },
        });
  return {
    status:
      r.kind === 'response'
        ? (r.status as number | null)
        : r.reason === 'response_transform'
          ? 500
          : null,
    request,
    response: { type: 'client_error', data: { message }, version },
  };
}

/** A call's outcome for a log line: how long it took and the status, or what went wrong. */
export function outcomeFields(r: CallResult): Record<string, unknown> {
  return {
    ms: r.durationMs,
    ...(r.kind === 'response' ? { status: r.status } : { failure: r.reason, message: r.message }),
  };
}
