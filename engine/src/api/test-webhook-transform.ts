/**
 * `test_webhook_transform` (Hasura's metadata API): what a request transform makes of a webhook
 * call — its URL, method, headers and body — without making it, computed by the one transform
 * implementation that actions and event triggers apply (webhook/transform.ts). A response
 * transform is only checked. A template that fails is Hasura's `validation-failed` with Kriti's
 * errors (code, message, source position) as `internal`.
 */
import { QErr } from '../errors.ts';
import { sourcePosition, type Json } from '../webhook/kriti.ts';
import { envValue, renderTemplate, TemplateError } from '../webhook/env-template.ts';
import {
  applyRequestTransform,
  normalizeRequestTransform,
  normalizeResponseTransform,
  TransformError,
} from '../webhook/transform.ts';
import { bad, type Args, type OpContext } from './context.ts';

/** A transform that does not hold, as Hasura reports it. */
function validationFailed(which: 'request' | 'response', e: unknown): never {
  if (!(e instanceof TransformError)) throw e;
  const k = e.kriti;
  const internal = k
    ? [
        {
          error_code: k.code,
          message: k.message,
          ...(k.span && k.source !== undefined
            ? { source_position: sourcePosition(k.source, k.span) }
            : {}),
        },
      ]
    : [{ error_code: 'Transform Error', message: e.message }];
  throw new QErr('validation-failed', `${which} transform validation failed`, 400, [], internal);
}

/** The webhook URL: text (with `{{ENV}}` parts) or `{from_env}`, `env` standing in for the environment. */
function webhookUrl(ctx: OpContext, args: Args): string {
  const env = { ...ctx.engine.config.env, ...(args.env as Record<string, string> | undefined) };
  const raw = args.webhook_url;
  try {
    if (typeof raw === 'string') return renderTemplate(raw, env);
    if (raw && typeof raw === 'object' && typeof (raw as Args).from_env === 'string')
      return envValue(env, (raw as Args).from_env as string);
  } catch (e) {
    if (e instanceof TemplateError) throw bad('parse-failed', e.message, ['webhook_url']);
    throw e;
  }
  throw bad('parse-failed', 'expected a URL or {"from_env": …}', ['webhook_url']);
}

export function testWebhookTransform(ctx: OpContext, args: Args): unknown {
  const url = webhookUrl(ctx, args);
  let base: string;
  try {
    // the URL as Hasura's HTTP client renders a parsed request (`http://host` → `http://host/`)
    base = new URL(url).toString();
  } catch {
    throw bad('parse-failed', `Invalid URL: ${JSON.stringify(url)}`, ['webhook_url']);
  }
  const sessionVariables = (args.session_variables ?? null) as Record<string, string> | null;
  let request;
  try {
    const rt = normalizeRequestTransform(args.request_transform);
    request = applyRequestTransform(
      rt,
      { method: 'GET', url: base, headers: [], body: (args.body ?? null) as Json },
      sessionVariables,
    );
  } catch (e) {
    validationFailed('request', e);
  }
  if (args.response_transform !== undefined && args.response_transform !== null) {
    try {
      normalizeResponseTransform(args.response_transform);
    } catch (e) {
      validationFailed('response', e);
    }
  }
  const headers = request.headers
    .map((h) => [h.name, h.value])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return {
    webhook_url: request.url,
    method: request.method,
    headers,
    body: request.rawBody ?? (request.body === undefined ? '' : request.body),
  };
}
