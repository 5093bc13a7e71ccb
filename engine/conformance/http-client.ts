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
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${urlPath.startsWith('/') ? urlPath : `/${urlPath}`}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: toJson(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new HttpError(
      `POST ${urlPath} failed: ${(e as Error).message}${cause ? ` (${cause})` : ''}`,
    );
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
