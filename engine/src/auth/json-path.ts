/**
 * The small JSON path dialect Hasura accepts in `claims_namespace_path` and `claims_map`
 * (Data.Parser.JSONPath): `$`, `$.a.b`, `a.b`, `$.a[0]`, `$["a.b"]`, `$['a']`, with names made
 * of letters, digits, `_` and `-` (not starting with a digit or `-`). Also its rendering, used in
 * error messages, and its evaluation against a JSON value.
 */

export type JsonPathElement = { key: string } | { index: number };
export type JsonPath = JsonPathElement[];

export class JsonPathError extends Error {
  constructor(input: string) {
    super(
      `${input}. Accept letters, digits, underscore (_) or hyphen (-) only. ` +
        'Use quotes enclosed in bracket (["..."]) if there is any special character',
    );
    this.name = 'JsonPathError';
  }
}

const NAME_START = /[\p{L}_]/u;
const NAME_REST = /[\p{L}0-9_-]/u;

/** Parse a path; throws JsonPathError with Hasura's message. */
export function parseJsonPath(input: string): JsonPath {
  if (input === '$') return [];
  const chars = Array.from(input);
  let i = 0;
  const fail = (): never => {
    throw new JsonPathError(input);
  };
  if (chars[i] === '$') i++;
  const out: JsonPath = [];
  while (i < chars.length) {
    // optional leading dot, then a name or a bracket element
    if (chars[i] === '.') i++;
    const c = chars[i];
    if (c === undefined) fail();
    if (c === '[') {
      i++;
      const d = chars[i];
      if (d !== undefined && /[0-9]/.test(d)) {
        let digits = '';
        while (chars[i] !== undefined && /[0-9]/.test(chars[i] as string)) digits += chars[i++];
        out.push({ index: Number(digits) });
      } else if (d === '"' || d === "'") {
        i++;
        let body = '';
        for (;;) {
          const ch = chars[i];
          if (ch === undefined) fail();
          if (ch === d) {
            i++;
            break;
          }
          if (ch === '\\') {
            const next = chars[i + 1];
            if (next === undefined) fail();
            // in single quotes, \' is a plain quote; every other escape is a JSON escape
            body += d === "'" && next === "'" ? "'" : `\\${next}`;
            i += 2;
            continue;
          }
          body += d === "'" && ch === '"' ? '\\"' : ch;
          i++;
        }
        let key: unknown;
        try {
          key = JSON.parse(`"${body}"`);
        } catch {
          fail();
        }
        out.push({ key: key as string });
      } else {
        fail();
      }
      if (chars[i] !== ']') fail();
      i++;
    } else if (NAME_START.test(c as string)) {
      let name = '';
      while (chars[i] !== undefined && NAME_REST.test(chars[i] as string)) name += chars[i++];
      out.push({ key: name });
    } else {
      fail();
    }
  }
  if (out.length === 0) fail();
  return out;
}

const ASCII_START = /^[A-Za-z_]/;
const ASCII_REST = /^[A-Za-z0-9_-]*$/;

/** Render a path as Hasura does (`$.a.b`, `$["a.b"]`, `$[0]`). */
export function encodeJsonPath(path: JsonPath): string {
  let out = '$';
  for (const el of path) {
    if ('index' in el) out += `[${el.index}]`;
    else if (ASCII_START.test(el.key) && ASCII_REST.test(el.key.slice(1))) out += `.${el.key}`;
    else out += `[${JSON.stringify(el.key)}]`;
  }
  return out;
}

/** Follow a path; `undefined` when any step is missing or of the wrong kind. */
export function executeJsonPath(path: JsonPath, value: unknown): unknown {
  let cur: unknown = value;
  for (const el of path) {
    if ('index' in el) {
      if (!Array.isArray(cur) || el.index >= cur.length) return undefined;
      cur = cur[el.index];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(cur, el.key)) return undefined;
      cur = (cur as Record<string, unknown>)[el.key];
    }
  }
  return cur;
}
