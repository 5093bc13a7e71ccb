/** POSTing a case's JSON body and reading back status, headers and body. */
import { toJson } from './yaml-load.ts';
import type { ActualResponse } from './compare.ts';

export interface PostResult extends ActualResponse {
  /** The raw body text. */
  text: string;
  durationMs: number;
}

export class HttpError extends Error {
  override name = 'HttpError';
}

export async function postJson(
  baseUrl: string,
  urlPath: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs = 60_000,
): Promise<PostResult> {
  const started = performance.now();
  return send(
    `${baseUrl}${urlPath.startsWith('/') ? urlPath : `/${urlPath}`}`,
    `POST ${urlPath}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: toJson(body),
      signal: AbortSignal.timeout(timeoutMs),
    },
    started,
  );
}

/**
 * Fetch `url` and read back status, headers (lower-case names) and body (parsed when it is JSON);
 * a request that gets no response throws an HttpError naming `what` and the cause.
 */
async function send(
  url: string,
  what: string,
  init: RequestInit,
  started: number,
): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new HttpError(`${what} failed: ${(e as Error).message}${cause ? ` (${cause})` : ''}`);
  }
  const text = await res.text();
  const responseHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    responseHeaders[k.toLowerCase()] = v;
  });
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return {
    status: res.status,
    headers: responseHeaders,
    body: parsed,
    text,
    durationMs: performance.now() - started,
  };
}

/**
 * Header values as upstream sends them: Python's `str()` of the YAML value (so a YAML boolean
 * becomes `True`/`False`).
 */
export function headerValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  return v === null || v === undefined ? 'None' : JSON.stringify(v);
}

/**
 * A REST endpoint case (ENDPOINTS.md): `GET` / `DELETE` without a body, `POST` with `body`
 * form-encoded (Python requests' `data=`), `POSTJSON` with `body` as JSON, `PUT` / `PATCH` raw.
 */
export async function sendCase(
  baseUrl: string,
  urlPath: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs = 60_000,
): Promise<PostResult> {
  const started = performance.now();
  const init: RequestInit = { headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  const h = init.headers as Record<string, string>;
  if (method === 'POSTJSON') {
    init.method = 'POST';
    init.body = toJson(body ?? {});
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
      h['content-type'] = 'application/json';
  } else if (method === 'POST' && body && typeof body === 'object') {
    init.method = 'POST';
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(body as Record<string, unknown>))
      form.append(k, typeof v === 'string' ? v : toJson(v));
    init.body = form.toString();
    h['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    init.method = method;
    if (body !== undefined && body !== null && method !== 'GET' && method !== 'DELETE')
      init.body = typeof body === 'string' ? body : toJson(body);
  }
  return send(
    `${baseUrl}${requoteUri(urlPath.startsWith('/') ? urlPath : `/${urlPath}`)}`,
    `${method} ${urlPath}`,
    init,
    started,
  );
}

/**
 * A URL as Python requests sends it (`requote_uri`): characters that may not appear raw are
 * percent-encoded, existing `%XX` escapes are left alone.
 */
export function requoteUri(url: string): string {
  return url.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!#$%&'()*+,/:;=?@[\]]/gu, (c) =>
    encodeURIComponent(c),
  );
}
