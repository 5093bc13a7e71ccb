/**
 * Hasura's request and response transforms ("REST connectors"), shared by event triggers,
 * scheduled events and actions: method, URL, query parameters, headers and body of the call
 * rewritten with Kriti templates over `$body`, `$base_url`, `$session_variables` and
 * `$query_params`; the answer's body rewritten over `$body` and `$response`. A definition is
 * checked (and its templates parsed) when metadata is accepted, then applied per call.
 */
import {
  evaluate,
  evaluateString,
  KritiError,
  parseInterpolation,
  parseKriti,
  type Json,
  type Template,
} from './kriti.ts';

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Array<{ name: string; value: string }>;
  /** The body as JSON (`undefined`: none); `rawBody` wins when set (form bodies). */
  body: Json | undefined;
  rawBody?: string;
}

interface CompiledRequestTransform {
  method?: string;
  url?: Template;
  queryParams?: Array<[Template, Template | null]> | Template;
  addHeaders: Array<[string, Template]>;
  removeHeaders: string[];
  body?:
    | { action: 'remove' }
    | { action: 'transform'; template: Template }
    | { action: 'x_www_form_urlencoded'; form: Array<[string, Template]> };
}

export class TransformError extends Error {
  override name = 'TransformError';
  constructor(
    message: string,
    /** the template's own error, when a template is at fault */
    readonly kriti?: KritiError,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function parseTemplateText(text: unknown, what: string, whole: boolean): Template {
  if (typeof text !== 'string') throw new TransformError(`expected a string for ${what}`);
  try {
    return whole ? parseKriti(text) : parseInterpolation(text);
  } catch (e) {
    if (e instanceof KritiError) throw new TransformError(`${what}: ${e.message}`, e);
    throw e;
  }
}

/**
 * Check a request_transform as metadata gives it and return it in Hasura's stored form (version,
 * template_engine, then the parts that are set).
 */
export function normalizeRequestTransform(raw: unknown): Record<string, unknown> {
  if (!isObj(raw)) throw new TransformError('expected an object for request_transform');
  const version = raw.version ?? 1;
  if (version !== 1 && version !== 2) throw new TransformError('version must be 1 or 2');
  const engine = raw.template_engine ?? 'Kriti';
  if (engine !== 'Kriti') throw new TransformError('only the Kriti template engine is supported');
  const out: Record<string, unknown> = { version, template_engine: engine };
  for (const key of ['method', 'url', 'query_params', 'request_headers'] as const)
    if (raw[key] !== undefined && raw[key] !== null) out[key] = raw[key];
  if (raw.body !== undefined && raw.body !== null) out.body = raw.body;
  compileRequestTransform(out);
  return out;
}

export function normalizeResponseTransform(raw: unknown): Record<string, unknown> {
  if (!isObj(raw)) throw new TransformError('expected an object for response_transform');
  const version = raw.version ?? 1;
  if (version !== 1 && version !== 2) throw new TransformError('version must be 1 or 2');
  const out: Record<string, unknown> = {
    template_engine: raw.template_engine ?? 'Kriti',
    version,
  };
  if (raw.body !== undefined && raw.body !== null) out.body = raw.body;
  compileResponseBody(out);
  return out;
}

const compiledRequests = new WeakMap<object, CompiledRequestTransform>();

function compileRequestTransform(rt: Record<string, unknown>): CompiledRequestTransform {
  const cached = compiledRequests.get(rt);
  if (cached) return cached;
  const c: CompiledRequestTransform = { addHeaders: [], removeHeaders: [] };
  if (rt.method !== undefined) {
    if (typeof rt.method !== 'string') throw new TransformError('expected a string for method');
    c.method = rt.method.toUpperCase();
  }
  if (rt.url !== undefined) c.url = parseTemplateText(rt.url, 'url', false);
  if (rt.query_params !== undefined) {
    const q = rt.query_params;
    if (typeof q === 'string') c.queryParams = parseTemplateText(q, 'query_params', false);
    else if (isObj(q))
      c.queryParams = Object.entries(q).map(([k, v]) => [
        parseTemplateText(k, 'a query parameter name', false),
        v === null ? null : parseTemplateText(v, `query parameter ${k}`, false),
      ]);
    else throw new TransformError('Invalid query parameter');
  }
  if (rt.request_headers !== undefined) {
    const h = rt.request_headers;
    if (!isObj(h)) throw new TransformError('expected an object for request_headers');
    const add = h.add_headers ?? {};
    if (!isObj(add)) throw new TransformError('expected an object for add_headers');
    c.addHeaders = Object.entries(add).map(([k, v]) => [
      k,
      parseTemplateText(v, `header ${k}`, false),
    ]);
    const remove = h.remove_headers ?? [];
    if (!Array.isArray(remove)) throw new TransformError('expected an array for remove_headers');
    c.removeHeaders = remove.map((x) => String(x).toLowerCase());
  }
  if (rt.body !== undefined) {
    const b = rt.body;
    if (rt.version === 1) {
      c.body = { action: 'transform', template: parseTemplateText(b, 'body', true) };
    } else {
      if (!isObj(b)) throw new TransformError('expected an object for body');
      if (b.action === 'remove') c.body = { action: 'remove' };
      else if (b.action === 'transform')
        c.body = {
          action: 'transform',
          template: parseTemplateText(b.template, 'body.template', true),
        };
      else if (b.action === 'x_www_form_urlencoded') {
        if (!isObj(b.form_template))
          throw new TransformError('expected an object for form_template');
        c.body = {
          action: 'x_www_form_urlencoded',
          form: Object.entries(b.form_template).map(([k, v]) => [
            k,
            parseTemplateText(v, `form field ${k}`, false),
          ]),
        };
      } else throw new TransformError('invalid transform action');
    }
  }
  compiledRequests.set(rt, c);
  return c;
}

function run<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof KritiError) throw new TransformError(`${what}: ${e.message}`, e);
    throw e;
  }
}

/** Apply a stored request transform to an outgoing request. */
export function applyRequestTransform(
  rt: Record<string, unknown>,
  req: OutgoingRequest,
  sessionVariables: Record<string, string> | null,
): OutgoingRequest {
  const c = compileRequestTransform(rt);
  const base = new URL(req.url);
  const queryParams: Record<string, Json> = {};
  for (const [k, v] of base.searchParams) queryParams[k] = v;
  const vars = {
    $body: req.body ?? null,
    $base_url: req.url,
    $session_variables: sessionVariables,
    $query_params: queryParams,
  };
  const out: OutgoingRequest = { ...req, headers: [...req.headers] };
  if (c.method) out.method = c.method;
  if (c.url) out.url = run('url', () => evaluateString(c.url!, vars));
  if (c.queryParams) {
    // the URL stays as the template wrote it (Hasura keeps it as text): only its query changes
    const cut = out.url.indexOf('?');
    const path = cut < 0 ? out.url : out.url.slice(0, cut);
    let qs: string;
    if (Array.isArray(c.queryParams)) {
      const params = new URLSearchParams(cut < 0 ? '' : out.url.slice(cut + 1));
      for (const [k, v] of c.queryParams) {
        const key = run('query_params', () => evaluateString(k, vars));
        if (v === null) params.delete(key);
        else
          params.set(
            key,
            run('query_params', () => evaluateString(v, vars)),
          );
      }
      qs = params.toString();
    } else {
      qs = run('query_params', () => evaluateString(c.queryParams as Template, vars)).replace(
        /^\?/,
        '',
      );
    }
    out.url = qs ? `${path}?${qs}` : path;
  }
  if (c.body) {
    if (c.body.action === 'remove') {
      out.body = undefined;
    } else if (c.body.action === 'transform') {
      const template = c.body.template;
      out.body = run('body', () => evaluate(template, vars));
    } else {
      const form = new URLSearchParams();
      // fields in key order, as Hasura's map of them renders
      const fields = [...c.body.form].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [k, v] of fields)
        form.set(
          k,
          run(`form field ${k}`, () => evaluateString(v, vars)),
        );
      out.rawBody = form.toString();
      out.headers = out.headers.filter((h) => h.name.toLowerCase() !== 'content-type');
      out.headers.push({ name: 'Content-Type', value: 'application/x-www-form-urlencoded' });
    }
  }
  if (c.removeHeaders.length || c.addHeaders.length) {
    const adding = new Set(c.addHeaders.map(([k]) => k.toLowerCase()));
    out.headers = out.headers.filter(
      (h) => !c.removeHeaders.includes(h.name.toLowerCase()) && !adding.has(h.name.toLowerCase()),
    );
    for (const [k, v] of c.addHeaders)
      out.headers.push({ name: k, value: run(`header ${k}`, () => evaluateString(v, vars)) });
  }
  return out;
}

const compiledResponses = new WeakMap<object, Template | 'remove' | null>();

function compileResponseBody(rt: Record<string, unknown>): Template | 'remove' | null {
  const cached = compiledResponses.get(rt);
  if (cached !== undefined) return cached;
  let c: Template | 'remove' | null = null;
  const b = rt.body;
  if (b !== undefined) {
    if (rt.version === 1) c = parseTemplateText(b, 'body', true);
    else if (isObj(b) && b.action === 'remove') c = 'remove';
    else if (isObj(b) && b.action === 'transform')
      c = parseTemplateText(b.template, 'body.template', true);
    else throw new TransformError('invalid transform action');
  }
  compiledResponses.set(rt, c);
  return c;
}

/** Apply a stored response transform to a webhook's answer (its body text). */
export function applyResponseTransform(
  rt: Record<string, unknown>,
  body: string,
  status: number,
  sessionVariables: Record<string, string> | null,
): string {
  const c = compileResponseBody(rt);
  if (c === null) return body;
  if (c === 'remove') return '';
  let parsed: Json | null = null;
  try {
    parsed = JSON.parse(body) as Json;
  } catch {
    parsed = null;
  }
  const out = run('response body', () =>
    evaluate(c, { $body: parsed, $response: { status }, $session_variables: sessionVariables }),
  );
  return JSON.stringify(out);
}
