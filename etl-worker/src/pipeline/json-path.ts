/**
 * JSON paths as pipelines declare them: `$`, `$.a.b`, `$.a[0].b`, `$['odd key']`. A path is parsed
 * once, when the pipeline is compiled, into an accessor that only walks the message.
 */

export type PathSegment = string | number;

export interface JsonPath {
  /** the path as declared */
  source: string;
  segments: readonly PathSegment[];
  /** the value at the path, or undefined when any step is missing or of the wrong shape */
  get(doc: unknown): unknown;
}

export class JsonPathError extends Error {
  constructor(
    readonly path: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid JSON path ${JSON.stringify(path)} at position ${position}: ${reason}`);
    this.name = 'JsonPathError';
  }
}

const DOLLAR = 0x24;
const DOT = 0x2e;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const QUOTE = 0x27;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const STAR = 0x2a;
const MAX_INDEX = 2 ** 32 - 2;

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

/**
 * Parses a path that starts at `start` in `src` and stops at the first character that cannot
 * continue it, so the expression tokenizer can embed paths. Returns the segments and where it
 * stopped.
 */
export function parseJsonPathAt(
  src: string,
  start: number,
  whole: string = src,
): { segments: PathSegment[]; end: number } {
  const fail = (pos: number, reason: string): never => {
    throw new JsonPathError(whole, pos, reason);
  };
  if (src.charCodeAt(start) !== DOLLAR) fail(start, 'a path starts with $');
  const segments: PathSegment[] = [];
  let i = start + 1;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === DOT) {
      const next = src.charCodeAt(i + 1);
      if (next === DOT) fail(i, 'recursive descent (..) is not supported');
      if (next === STAR) fail(i + 1, 'wildcards are not supported');
      if (!isNameStart(next)) {
        fail(i + 1, "expected a field name after '.' (use ['...'] for other names)");
      }
      let j = i + 2;
      while (j < src.length && isNameChar(src.charCodeAt(j))) j++;
      segments.push(src.slice(i + 1, j));
      i = j;
    } else if (c === OPEN) {
      const q = src.charCodeAt(i + 1);
      if (q === QUOTE || q === DQUOTE) {
        let j = i + 2;
        let name = '';
        for (;;) {
          if (j >= src.length) fail(i, 'unterminated quoted name');
          const d = src.charCodeAt(j);
          if (d === q) break;
          if (d === BACKSLASH) {
            const e = src[j + 1] ?? '';
            if (e === 'u') {
              const hex = src.slice(j + 2, j + 6);
              if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(j, 'bad \\u escape');
              name += String.fromCharCode(parseInt(hex, 16));
              j += 6;
              continue;
            }
            const r = ESCAPES.get(e);
            if (r === undefined) fail(j, `unknown escape \\${e}`);
            name += r;
            j += 2;
            continue;
          }
          name += src[j];
          j++;
        }
        if (src.charCodeAt(j + 1) !== CLOSE) fail(j + 1, "expected ']' after the quoted name");
        segments.push(name);
        i = j + 2;
      } else if (isDigit(q)) {
        let j = i + 1;
        while (isDigit(src.charCodeAt(j))) j++;
        const digits = src.slice(i + 1, j);
        if (digits.length > 1 && digits.startsWith('0')) fail(i + 1, 'index with leading zeros');
        const index = Number(digits);
        if (index > MAX_INDEX) fail(i + 1, 'index too large');
        if (src.charCodeAt(j) === 0x3a) fail(j, 'slices are not supported');
        if (src.charCodeAt(j) !== CLOSE) fail(j, "expected ']' after the index");
        segments.push(index);
        i = j + 1;
      } else if (q === 0x2d) {
        fail(i + 1, 'negative indices are not supported');
      } else if (q === STAR) {
        fail(i + 1, 'wildcards are not supported');
      } else if (q === 0x3f) {
        fail(i + 1, 'filter expressions are not supported');
      } else if (q === 0x3a) {
        fail(i + 1, 'slices are not supported');
      } else {
        fail(i + 1, "expected an index or a quoted name after '['");
      }
    } else {
      return { segments, end: i };
    }
  }
}

export function compileJsonPath(path: string): JsonPath {
  if (typeof path !== 'string') throw new JsonPathError(String(path), 0, 'a path is a string');
  const { segments, end } = parseJsonPathAt(path, 0);
  if (end !== path.length) {
    const c = path[end];
    const reason =
      c === '[' || c === '.'
        ? 'unsupported path syntax'
        : `unexpected ${JSON.stringify(c)} (use ['...'] for names with other characters)`;
    throw new JsonPathError(path, end, reason);
  }
  return { source: path, segments, get: accessor(segments) };
}

/**
 * Names that objects inherit (`constructor`, `__proto__`, `toString` …) must only resolve to a
 * message's own fields, never to what Object.prototype provides; every other name can use a plain
 * property read, which is what keeps the common case fast.
 */
function inherited(name: string): boolean {
  return name in Object.prototype;
}

type Step = (v: unknown) => unknown;

function step(seg: PathSegment): Step {
  if (typeof seg === 'number') {
    return (v) => (Array.isArray(v) ? v[seg] : undefined);
  }
  if (inherited(seg)) {
    return (v) =>
      typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, seg)
        ? (v as Record<string, unknown>)[seg]
        : undefined;
  }
  return (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)[seg]
      : undefined;
}

function accessor(segments: readonly PathSegment[]): (doc: unknown) => unknown {
  if (segments.length === 0) return (doc) => doc;
  const first = segments[0] as PathSegment;
  if (segments.length === 1) return step(first);
  if (segments.length === 2) {
    const a = step(first);
    const b = step(segments[1] as PathSegment);
    return (doc) => {
      const v = a(doc);
      return v === undefined ? undefined : b(v);
    };
  }
  const steps = segments.map(step);
  const n = steps.length;
  return (doc) => {
    let v: unknown = doc;
    for (let i = 0; i < n && v !== undefined; i++) v = (steps[i] as Step)(v);
    return v;
  };
}
