/**
 * Kriti, the JSON templating language of Hasura's request and response transforms: a template is
 * JSON in which `{{ expr }}` stands for a value, and a string may interpolate `{{ expr }}`.
 * Supported: paths on the bound variables (`$body.a.b`, `$body['k']`, `$body[0]`, optional
 * `?.` / `?[`), literals (numbers, strings, true/false/null, arrays, objects), `==` `!=` `>` `<`
 * `>=` `<=` `&&` `||` `??` `in`, `if … elif … else … end`, `range i, x := … end`, and the common
 * functions (not, empty, length, inverse, head, tail, toLower, toUpper, toTitle, toCaseFold,
 * fromPairs, toPairs, removeNulls, concat, escapeUri, getSessionVariable). A template is parsed
 * once and evaluated per call; errors name the position.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Where in the template source an error lies: character offsets, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/**
 * A template that does not parse or evaluate, with Kriti's error code (`Parse Error`,
 * `Attribute Error`, `Name Error`, `Function Error`, …) and the span of the source at fault.
 */
export class KritiError extends Error {
  override name = 'KritiError';
  constructor(
    message: string,
    readonly code = 'Type Error',
    public span?: Span,
    /** the text the span is in */
    public source?: string,
  ) {
    super(message);
  }
}

/**
 * Hasura's rendering of an error's place (Kriti's source_position): lines from 0, columns from 1,
 * the end column just past the span.
 */
export function sourcePosition(
  source: string,
  span: Span,
): { start_line: number; start_column: number; end_line: number; end_column: number } {
  const at = (offset: number) => {
    const before = source.slice(0, offset).split('\n');
    return { line: before.length - 1, column: before[before.length - 1]!.length + 1 };
  };
  const a = at(span.start);
  const b = at(span.end);
  return { start_line: a.line, start_column: a.column, end_line: b.line, end_column: b.column };
}

type Expr =
  | { k: 'lit'; v: Json }
  | { k: 'str'; parts: Array<string | Expr> }
  | { k: 'arr'; items: Expr[] }
  | { k: 'obj'; fields: Array<[Expr, Expr]> }
  | { k: 'var'; name: string; span: Span }
  | { k: 'get'; target: Expr; key: Expr; optional: boolean; span: Span }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'call'; fn: string; arg: Expr; span: Span; argSpan: Span }
  | { k: 'if'; branches: Array<[Expr, Expr]>; otherwise: Expr | null }
  | { k: 'range'; index: string | null; item: string; over: Expr; body: Expr };

class Parser {
  i = 0;
  constructor(readonly src: string) {}

  fail(msg: string): never {
    this.ws();
    const c = this.src[this.i];
    if (c === undefined)
      throw new KritiError(`${msg}: unexpected end of input`, 'Parse Error', {
        start: this.i,
        end: this.i,
      });
    // a closing `}}` is one token, placed (as Kriti's lexer places it) at its second brace
    const at = this.src.startsWith('}}', this.i) ? this.i + 1 : this.i;
    throw new KritiError(`Unexpected token '${this.src[at]}'.`, 'Parse Error', {
      start: at,
      end: at + 1,
    });
  }
  ws() {
    while (this.i < this.src.length && /\s/.test(this.src[this.i]!)) this.i++;
  }
  peek(s: string) {
    this.ws();
    return this.src.startsWith(s, this.i);
  }
  eat(s: string) {
    if (!this.peek(s)) return false;
    this.i += s.length;
    return true;
  }
  expect(s: string) {
    if (!this.eat(s)) this.fail(`expected ${JSON.stringify(s)}`);
  }
  word(): string | null {
    this.ws();
    const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.src.slice(this.i));
    if (!m) return null;
    this.i += m[0].length;
    return m[0];
  }
  /** `{{ keyword` lookahead without consuming */
  blockKeyword(): string | null {
    const save = this.i;
    if (!this.eat('{{')) return null;
    const w = this.word();
    this.i = save;
    return w;
  }

  /** A template value: JSON, with `{{ }}` blocks. */
  value(): Expr {
    this.ws();
    const c = this.src[this.i];
    if (this.src.startsWith('{{', this.i)) return this.block();
    if (c === '{') {
      this.i++;
      const fields: Array<[Expr, Expr]> = [];
      if (!this.eat('}')) {
        do {
          this.ws();
          const key = this.src[this.i] === '"' ? this.string() : this.value();
          this.expect(':');
          fields.push([key, this.value()]);
        } while (this.eat(','));
        this.expect('}');
      }
      return { k: 'obj', fields };
    }
    if (c === '[') {
      this.i++;
      const items: Expr[] = [];
      if (!this.eat(']')) {
        do items.push(this.value());
        while (this.eat(','));
        this.expect(']');
      }
      return { k: 'arr', items };
    }
    if (c === '"') return this.string();
    // a bare path or call (`$body.a`) is a value too
    if (
      c !== undefined &&
      /[A-Za-z_$]/.test(c) &&
      !/^(true|false|null)\b/.test(this.src.slice(this.i))
    )
      return this.expr();
    return this.literal();
  }

  literal(): Expr {
    this.ws();
    const rest = this.src.slice(this.i);
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (num) {
      this.i += num[0].length;
      return { k: 'lit', v: Number(num[0]) };
    }
    for (const [w, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (rest.startsWith(w)) {
        this.i += w.length;
        return { k: 'lit', v };
      }
    }
    return this.fail('unexpected input');
  }

  /** `"…"` with `{{ expr }}` interpolation and JSON escapes. */
  string(): Expr {
    this.expect('"');
    const parts: Array<string | Expr> = [];
    let text = '';
    while (this.i < this.src.length) {
      const c = this.src[this.i]!;
      if (c === '"') {
        this.i++;
        if (text) parts.push(text);
        return parts.length === 1 && typeof parts[0] === 'string'
          ? { k: 'lit', v: parts[0] }
          : parts.length === 0
            ? { k: 'lit', v: '' }
            : { k: 'str', parts };
      }
      if (c === '\\') {
        const esc = this.src[this.i + 1];
        const map: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          b: '\b',
          f: '\f',
          '"': '"',
          '\\': '\\',
          '/': '/',
        };
        if (esc === 'u') {
          text += String.fromCharCode(parseInt(this.src.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          text += map[esc ?? ''] ?? esc ?? '';
          this.i += 2;
        }
        continue;
      }
      if (this.src.startsWith('{{', this.i)) {
        if (text) parts.push(text);
        text = '';
        this.i += 2;
        parts.push(this.expr());
        this.expect('}}');
        continue;
      }
      text += c;
      this.i++;
    }
    return this.fail('unterminated string');
  }

  /** `{{ expr }}`, `{{ if … }}`, `{{ range … }}` at a value position. */
  block(): Expr {
    const kw = this.blockKeyword();
    if (kw === 'if') {
      this.expect('{{');
      this.word();
      const branches: Array<[Expr, Expr]> = [];
      let cond = this.expr();
      this.expect('}}');
      let otherwise: Expr | null = null;
      for (;;) {
        const body = this.value();
        branches.push([cond, body]);
        const next = this.blockKeyword();
        this.expect('{{');
        this.word();
        if (next === 'elif') {
          cond = this.expr();
          this.expect('}}');
          continue;
        }
        if (next === 'else') {
          this.expect('}}');
          otherwise = this.value();
          this.expect('{{');
          if (this.word() !== 'end') this.fail('expected end');
          this.expect('}}');
          break;
        }
        if (next === 'end') {
          this.expect('}}');
          break;
        }
        this.fail('expected elif, else or end');
      }
      return { k: 'if', branches, otherwise };
    }
    if (kw === 'range') {
      this.expect('{{');
      this.word();
      let index: string | null = this.word();
      let item: string | null = null;
      if (this.eat(',')) item = this.word();
      else {
        item = index;
        index = null;
      }
      if (!item) this.fail('expected a name');
      this.expect(':=');
      const over = this.expr();
      this.expect('}}');
      const body = this.value();
      this.expect('{{');
      if (this.word() !== 'end') this.fail('expected end');
      this.expect('}}');
      return { k: 'range', index: index === '_' ? null : index, item: item!, over, body };
    }
    this.expect('{{');
    const e = this.expr();
    this.expect('}}');
    return e;
  }

  expr(): Expr {
    return this.binary(0);
  }

  static readonly LEVELS = [['??'], ['||'], ['&&'], ['==', '!=', '>=', '<=', '>', '<', 'in']];

  binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    for (;;) {
      const op = Parser.LEVELS[level]!.find((o) =>
        o === 'in' ? this.peekWord('in') : this.peek(o),
      );
      if (!op) return l;
      this.i += op.length;
      l = { k: 'bin', op, l, r: this.binary(level + 1) };
    }
  }

  peekWord(w: string) {
    this.ws();
    return (
      this.src.startsWith(w, this.i) && !/[A-Za-z0-9_]/.test(this.src[this.i + w.length] ?? '')
    );
  }

  unary(): Expr {
    this.ws();
    let e: Expr;
    if (this.eat('(')) {
      e = this.expr();
      this.expect(')');
    } else if (this.src[this.i] === '"') e = this.string();
    else if (this.src[this.i] === "'") {
      // a single-quoted key, as in $body['field']: no interpolation
      const end = this.src.indexOf("'", this.i + 1);
      if (end < 0) this.fail('unterminated string');
      e = { k: 'lit', v: this.src.slice(this.i + 1, end) };
      this.i = end + 1;
    } else if (this.src[this.i] === '[' || this.src[this.i] === '{') e = this.value();
    else {
      const save = this.i;
      const w = this.word();
      if (w === null || w === 'true' || w === 'false' || w === 'null') {
        this.i = save;
        e = this.literal();
      } else if (this.peek('(')) {
        this.expect('(');
        this.ws();
        const argStart = this.i;
        const arg = this.expr();
        const argSpan = { start: argStart, end: this.i };
        this.expect(')');
        e = { k: 'call', fn: w, arg, span: { start: save, end: this.i }, argSpan };
      } else e = { k: 'var', name: w, span: { start: save, end: this.i } };
    }
    const start = e.k === 'var' || e.k === 'call' ? e.span.start : this.i;
    // postfix lookups
    for (;;) {
      const optional = this.src.startsWith('?', this.i) && /[.[]/.test(this.src[this.i + 1] ?? '');
      if (optional) this.i++;
      if (this.src.startsWith('.', this.i)) {
        this.i++;
        const key = this.word();
        if (key === null) this.fail('expected a field name');
        e = {
          k: 'get',
          target: e,
          key: { k: 'lit', v: key },
          optional,
          span: { start, end: this.i },
        };
      } else if (this.src.startsWith('[', this.i)) {
        this.i++;
        const key = this.expr();
        this.expect(']');
        e = { k: 'get', target: e, key, optional, span: { start, end: this.i } };
      } else return e;
    }
  }
}

export interface Template {
  source: string;
  /** the text the parser read (an interpolation is read as a JSON string): errors' spans are in it */
  text: string;
  root: Expr;
}

/** Run a parse, giving its errors the text they are in. */
function parsing(p: Parser, f: () => Expr): Expr {
  try {
    return f();
  } catch (e) {
    if (e instanceof KritiError) e.source ??= p.src;
    throw e;
  }
}

export function parseKriti(source: string): Template {
  const p = new Parser(source);
  const root = parsing(p, () => {
    const v = p.value();
    p.ws();
    if (p.i < source.length) p.fail('unexpected input after the template');
    return v;
  });
  return { source, text: source, root };
}

/** Parse a string that only interpolates (header values, query params, URLs). */
export function parseInterpolation(source: string): Template {
  // read as a JSON string: its text escaped, its `{{ … }}` blocks (which may quote) as written
  const escaped = source
    .split(/(\{\{[\s\S]*?\}\})/)
    .map((part, i) => (i % 2 ? part : part.replace(/\\/g, '\\\\').replace(/"/g, '\\"')))
    .join('');
  const p = new Parser(`"${escaped}"`);
  return { source, text: p.src, root: parsing(p, () => p.string()) };
}

type Scope = Map<string, Json | undefined>;

const isObj = (v: unknown): v is { [k: string]: Json } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function truthy(v: Json | undefined): boolean {
  if (typeof v !== 'boolean') throw new KritiError(`expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function text(v: Json | undefined): string {
  if (typeof v === 'string') return v;
  if (v === undefined) throw new KritiError('cannot interpolate an undefined value');
  return JSON.stringify(v);
}

function equal(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const FUNCTIONS: Record<string, (v: Json | undefined, scope: Scope) => Json | undefined> = {
  not: (v) => !truthy(v),
  empty: (v) =>
    v === null ||
    (typeof v === 'string' && v === '') ||
    (Array.isArray(v) && v.length === 0) ||
    (isObj(v) && Object.keys(v).length === 0),
  length: (v) =>
    typeof v === 'string' || Array.isArray(v)
      ? v.length
      : isObj(v)
        ? Object.keys(v).length
        : fail(`length of ${JSON.stringify(v)}`),
  inverse: (v) =>
    typeof v === 'number'
      ? 1 / v
      : typeof v === 'string'
        ? [...v].reverse().join('')
        : Array.isArray(v)
          ? [...v].reverse()
          : typeof v === 'boolean'
            ? !v
            : (v ?? null),
  head: (v) => (Array.isArray(v) ? (v[0] ?? null) : typeof v === 'string' ? v.slice(0, 1) : null),
  tail: (v) => (Array.isArray(v) ? v.slice(1) : typeof v === 'string' ? v.slice(1) : null),
  toLower: (v) => text(v).toLowerCase(),
  toUpper: (v) => text(v).toUpperCase(),
  toCaseFold: (v) => text(v).toLowerCase(),
  toTitle: (v) => text(v).replace(/\b\w/g, (c) => c.toUpperCase()),
  fromPairs: (v) =>
    Object.fromEntries(
      (Array.isArray(v) ? v : []).map((p) => (Array.isArray(p) ? [text(p[0]), p[1] ?? null] : [])),
    ),
  toPairs: (v) => (isObj(v) ? Object.entries(v).map(([k, x]) => [k, x]) : []),
  removeNulls: (v) => (Array.isArray(v) ? v.filter((x) => x !== null) : (v ?? null)),
  concat: (v) => {
    if (!Array.isArray(v)) return v ?? null;
    if (v.every((x) => typeof x === 'string')) return v.join('');
    if (v.every((x) => Array.isArray(x))) return (v as Json[][]).flat();
    if (v.every(isObj)) return Object.assign({}, ...v);
    return fail('concat needs strings, arrays or objects');
  },
  escapeUri: (v) => encodeURIComponent(text(v)),
  getSessionVariable: (v, scope) => {
    const sv = scope.get('$session_variables');
    const name = text(v);
    const found = isObj(sv) ? sv[name.toLowerCase()] : undefined;
    if (found === undefined)
      throw new KritiError(`Session variable "${name}" not found`, 'Function Error');
    return found;
  },
};

function fail(msg: string): never {
  throw new KritiError(msg);
}

function evalExpr(e: Expr, scope: Scope): Json | undefined {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'str':
      return e.parts.map((p) => (typeof p === 'string' ? p : text(evalExpr(p, scope)))).join('');
    case 'arr':
      return e.items.flatMap((x) => {
        const v = evalExpr(x, scope);
        // a range inside an array literal splices its items
        return x.k === 'range' && Array.isArray(v) ? v : [v ?? null];
      });
    case 'obj': {
      const out: { [k: string]: Json } = {};
      for (const [k, v] of e.fields) out[text(evalExpr(k, scope))] = evalExpr(v, scope) ?? null;
      return out;
    }
    case 'var': {
      if (!scope.has(e.name))
        throw new KritiError(`Variable '${e.name}' not in scope`, 'Name Error', e.span);
      return scope.get(e.name);
    }
    case 'get': {
      const target = evalExpr(e.target, scope);
      const key = evalExpr(e.key, scope);
      if (target === undefined || target === null) {
        if (e.optional || target === undefined) return e.optional ? null : undefined;
        throw new KritiError(`cannot look up ${JSON.stringify(key)} in null`);
      }
      if (Array.isArray(target) && typeof key === 'number') {
        const v = target[key];
        if (v === undefined && !e.optional) throw new KritiError(`index ${key} out of range`);
        return v ?? null;
      }
      if (isObj(target) && typeof key === 'string') {
        if (!(key in target)) {
          if (e.optional) return null;
          throw new KritiError(`'Object' has no attribute '${key}'.`, 'Attribute Error', e.span);
        }
        return target[key];
      }
      if (e.optional) return null;
      throw new KritiError(`cannot look up ${JSON.stringify(key)} in ${JSON.stringify(target)}`);
    }
    case 'bin': {
      if (e.op === '??') {
        let l: Json | undefined;
        try {
          l = evalExpr(e.l, scope);
        } catch (err) {
          if (!(err instanceof KritiError)) throw err;
          l = undefined;
        }
        return l === undefined || l === null ? evalExpr(e.r, scope) : l;
      }
      if (e.op === '&&') return truthy(evalExpr(e.l, scope)) && truthy(evalExpr(e.r, scope));
      if (e.op === '||') return truthy(evalExpr(e.l, scope)) || truthy(evalExpr(e.r, scope));
      const l = evalExpr(e.l, scope);
      const r = evalExpr(e.r, scope);
      switch (e.op) {
        case '==':
          return equal(l, r);
        case '!=':
          return !equal(l, r);
        case 'in':
          return Array.isArray(r)
            ? r.some((x) => equal(x, l))
            : isObj(r)
              ? typeof l === 'string' && l in r
              : typeof r === 'string' && typeof l === 'string' && r.includes(l);
        default: {
          if (typeof l !== typeof r || (typeof l !== 'number' && typeof l !== 'string'))
            throw new KritiError(`cannot compare ${JSON.stringify(l)} and ${JSON.stringify(r)}`);
          const a = l as number | string;
          const b = r as number | string;
          return e.op === '>' ? a > b : e.op === '<' ? a < b : e.op === '>=' ? a >= b : a <= b;
        }
      }
    }
    case 'call': {
      const fn = FUNCTIONS[e.fn];
      if (!fn) throw new KritiError(`Variable '${e.fn}' not in scope`, 'Name Error', e.span);
      try {
        return fn(evalExpr(e.arg, scope), scope);
      } catch (err) {
        // a function's own failure is placed at its argument
        if (err instanceof KritiError && err.code === 'Function Error' && !err.span)
          err.span = e.argSpan;
        throw err;
      }
    }
    case 'if': {
      for (const [cond, body] of e.branches)
        if (truthy(evalExpr(cond, scope))) return evalExpr(body, scope);
      return e.otherwise ? evalExpr(e.otherwise, scope) : null;
    }
    case 'range': {
      const over = evalExpr(e.over, scope);
      const entries: Array<[Json, Json]> = Array.isArray(over)
        ? over.map((x, i) => [i, x])
        : isObj(over)
          ? Object.entries(over)
          : fail(`cannot range over ${JSON.stringify(over)}`);
      return entries.map(([i, x]) => {
        const inner = new Map(scope);
        if (e.index) inner.set(e.index, i);
        inner.set(e.item, x);
        return evalExpr(e.body, inner) ?? null;
      });
    }
  }
}

/** Evaluate a parsed template with its variables (`$body`, `$base_url`, …). */
export function evaluate(t: Template, vars: Record<string, Json | undefined>): Json {
  let v: Json | undefined;
  try {
    v = evalExpr(t.root, new Map(Object.entries(vars)));
  } catch (e) {
    if (e instanceof KritiError && e.span) e.source ??= t.text;
    throw e;
  }
  if (v === undefined) throw new KritiError('the template produced no value');
  return v;
}

/** Evaluate an interpolation (always a string). */
export function evaluateString(t: Template, vars: Record<string, Json | undefined>): string {
  return text(evaluate(t, vars));
}
