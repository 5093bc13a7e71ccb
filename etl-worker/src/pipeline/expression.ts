/**
 * The expression language of transforms and filters: `price * size`, `temperature - (100 -
 * humidity) / 5`, `if($.side = 'buy', size, -size)`. Source is tokenized, parsed by recursive
 * descent into an AST, and the AST compiled into closures once per pipeline. Nothing is evaluated
 * as JavaScript, and names resolve only through the scope the pipeline gives (its columns) and the
 * fixed function table, so nothing else (`constructor`, `process` …) can be reached.
 *
 * Semantics are SQL's where it has an opinion: null propagates through arithmetic, comparisons
 * and functions, and/or/not use three-valued logic, min/max skip nulls like least/greatest.
 * Runtime problems (division by zero, a non-finite result, a type mismatch in data from `$.path`)
 * are values of type ExpressionFault rather than exceptions, so a bad message costs no unwinding.
 */
import { codePoints } from './coerce.ts';
import { compileJsonPath, JsonPathError, parseJsonPathAt } from './json-path.ts';

export type Value = number | string | boolean | null;

/** What a value can be known to be before the data arrives. */
export type StaticType = 'number' | 'string' | 'boolean' | 'null' | 'any';

export class ExpressionFault {
  constructor(readonly reason: string) {}
}

export type Evaluator = (
  values: readonly Value[],
  doc: Record<string, unknown>,
) => Value | ExpressionFault;

/** A syntax or name error in the source; `position` is 1-based. */
export class ExpressionError extends Error {
  constructor(
    readonly source: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`at position ${position}: ${reason}`);
    this.name = 'ExpressionError';
  }
}

export interface ScopeEntry {
  /** where the value is in the row's values array */
  index: number;
  type: Exclude<StaticType, 'null' | 'any'>;
  /** numeric / int8 columns hold decimal strings; expressions see them as numbers */
  numericString: boolean;
}

export interface ExpressionScope {
  resolve(name: string): ScopeEntry | undefined;
}

export interface CompiledExpression {
  source: string;
  type: StaticType;
  evaluate: Evaluator;
}

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'number' | 'string' | 'name' | 'path' | 'op' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** the literal number, or the string's contents */
  value?: number | string;
  /** 0-based offset */
  pos: number;
}

const OPERATORS = ['<=', '>=', '!=', '<>', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ','];
const MISTAKES: ReadonlyMap<string, string> = new Map([
  ['==', 'use = for equality'],
  ['&&', 'use and'],
  ['||', 'use or'],
  ['!', 'use not, or != for inequality'],
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isNameStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isNameChar = (c: string | undefined): boolean => isNameStart(c) || isDigit(c);

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const fail = (pos: number, reason: string): never => {
    throw new ExpressionError(src, pos + 1, reason);
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) {
      while (isDigit(src[i])) i++;
      if (src[i] === '.') {
        i++;
        if (!isDigit(src[i])) fail(i, 'expected digits after the decimal point');
        while (isDigit(src[i])) i++;
      }
      if (src[i] === 'e' || src[i] === 'E') {
        i++;
        if (src[i] === '+' || src[i] === '-') i++;
        if (!isDigit(src[i])) fail(i, 'expected digits in the exponent');
        while (isDigit(src[i])) i++;
      }
      if (isNameChar(src[i])) fail(i, 'a name cannot start with a digit');
      const text = src.slice(start, i);
      const value = Number(text);
      if (!Number.isFinite(value)) fail(start, `number ${text} is out of range`);
      tokens.push({ kind: 'number', text, value, pos: start });
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) fail(start, 'unterminated string');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      tokens.push({ kind: 'string', text: src.slice(start, i), value, pos: start });
    } else if (c === '"') {
      fail(i, "strings are in single quotes: 'text'");
    } else if (isNameStart(c)) {
      while (isNameChar(src[i])) i++;
      tokens.push({ kind: 'name', text: src.slice(start, i), pos: start });
    } else if (c === '$') {
      let end: number;
      try {
        end = parseJsonPathAt(src, i).end;
      } catch (e) {
        if (e instanceof JsonPathError) fail(e.position, e.reason);
        throw e;
      }
      i = end;
      tokens.push({ kind: 'path', text: src.slice(start, i), pos: start });
    } else {
      const two = src.slice(i, i + 2);
      const mistake = MISTAKES.get(two) ?? (two === '!=' ? undefined : MISTAKES.get(c));
      if (mistake !== undefined) fail(i, `unexpected ${JSON.stringify(two)}: ${mistake}`);
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (op === undefined) fail(i, `unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: 'op', text: op as string, pos: start });
      i += (op as string).length;
    }
  }
  tokens.push({ kind: 'end', text: '', pos: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// AST

export type BinaryOp =
  '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export type ExprNode =
  | { type: 'literal'; value: Value; pos: number }
  | { type: 'name'; name: string; pos: number }
  | { type: 'path'; path: string; pos: number }
  | { type: 'unary'; op: '-' | 'not'; operand: ExprNode; pos: number }
  | { type: 'binary'; op: BinaryOp; left: ExprNode; right: ExprNode; pos: number }
  | { type: 'call'; name: string; args: ExprNode[]; pos: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null']);
const COMPARISONS = new Set(['=', '!=', '<>', '<', '<=', '>', '>=']);

/** Parses source into an AST; positions in the nodes are 0-based offsets. */
export function parseExpression(src: string): ExprNode {
  if (typeof src !== 'string' || src.trim() === '') {
    throw new ExpressionError(String(src), 1, 'the expression is empty');
  }
  const tokens = tokenize(src);
  let at = 0;
  const peek = (): Token => tokens[at] as Token;
  const next = (): Token => tokens[at++] as Token;
  const fail = (t: Token, reason: string): never => {
    throw new ExpressionError(src, t.pos + 1, reason);
  };
  const describe = (t: Token): string => (t.kind === 'end' ? 'the end' : JSON.stringify(t.text));
  const keyword = (t: Token, word: string): boolean =>
    t.kind === 'name' && t.text.toLowerCase() === word;
  const isOp = (t: Token, op: string): boolean => t.kind === 'op' && t.text === op;
  const expect = (op: string): Token => {
    const t = next();
    if (!isOp(t, op)) fail(t, `expected ${JSON.stringify(op)}, found ${describe(t)}`);
    return t;
  };

  const or = (): ExprNode => {
    let left = and();
    while (keyword(peek(), 'or')) {
      const t = next();
      left = { type: 'binary', op: 'or', left, right: and(), pos: t.pos };
    }
    return left;
  };
  const and = (): ExprNode => {
    let left = not();
    while (keyword(peek(), 'and')) {
      const t = next();
      left = { type: 'binary', op: 'and', left, right: not(), pos: t.pos };
    }
    return left;
  };
  const not = (): ExprNode => {
    if (keyword(peek(), 'not')) {
      const t = next();
      return { type: 'unary', op: 'not', operand: not(), pos: t.pos };
    }
    return comparison();
  };
  const comparison = (): ExprNode => {
    const left = additive();
    const t = peek();
    if (t.kind !== 'op' || !COMPARISONS.has(t.text)) return left;
    next();
    const op = (t.text === '<>' ? '!=' : t.text) as BinaryOp;
    const node: ExprNode = { type: 'binary', op, left, right: additive(), pos: t.pos };
    const after = peek();
    if (after.kind === 'op' && COMPARISONS.has(after.text)) {
      fail(after, 'comparisons do not chain; combine them with and');
    }
    return node;
  };
  const additive = (): ExprNode => {
    let left = multiplicative();
    for (;;) {
      const t = peek();
      if (!isOp(t, '+') && !isOp(t, '-')) return left;
      next();
      left = { type: 'binary', op: t.text as BinaryOp, left, right: multiplicative(), pos: t.pos };
    }
  };
  const multiplicative = (): ExprNode => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (!isOp(t, '*') && !isOp(t, '/') && !isOp(t, '%')) return left;
      next();
      left = { type: 'binary', op: t.text as BinaryOp, left, right: unary(), pos: t.pos };
    }
  };
  const unary = (): ExprNode => {
    const t = peek();
    if (isOp(t, '-')) {
      next();
      return { type: 'unary', op: '-', operand: unary(), pos: t.pos };
    }
    if (isOp(t, '+')) {
      next();
      return unary();
    }
    return primary();
  };
  const primary = (): ExprNode => {
    const t = next();
    switch (t.kind) {
      case 'number':
      case 'string':
        return { type: 'literal', value: t.value as number | string, pos: t.pos };
      case 'path':
        return { type: 'path', path: t.text, pos: t.pos };
      case 'name': {
        const lower = t.text.toLowerCase();
        if (lower === 'true') return { type: 'literal', value: true, pos: t.pos };
        if (lower === 'false') return { type: 'literal', value: false, pos: t.pos };
        if (lower === 'null') return { type: 'literal', value: null, pos: t.pos };
        if (KEYWORDS.has(lower)) fail(t, `unexpected ${lower}`);
        if (isOp(peek(), '(')) {
          next();
          const args: ExprNode[] = [];
          if (!isOp(peek(), ')')) {
            for (;;) {
              args.push(or());
              if (!isOp(peek(), ',')) break;
              next();
            }
          }
          expect(')');
          return { type: 'call', name: t.text, args, pos: t.pos };
        }
        return { type: 'name', name: t.text, pos: t.pos };
      }
      case 'op':
        if (t.text === '(') {
          const inner = or();
          expect(')');
          return inner;
        }
        return fail(t, `unexpected ${describe(t)}`);
      case 'end':
        return fail(t, 'unexpected end of expression');
    }
  };

  const root = or();
  const rest = peek();
  if (rest.kind !== 'end') fail(rest, `unexpected ${describe(rest)} after the expression`);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Compilation

interface Compiled {
  type: StaticType;
  evaluate: Evaluator;
}

const isFault = (v: Value | ExpressionFault): v is ExpressionFault =>
  typeof v === 'object' && v !== null;

/** A value in a reason: short, and quoted when it is a string. */
function show(v: Value): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

function typeName(v: Value): string {
  return v === null ? 'null' : typeof v;
}

const NOT_FINITE = (what: string): ExpressionFault =>
  new ExpressionFault(`${what} is not a finite number`);

type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
const ARITHMETIC_OPS: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%']);

/** Operands that are not two numbers: a fault wins, then null, then it is a type error. */
function arithmeticSlow(op: string, a: Value | ExpressionFault, b: Value | ExpressionFault) {
  if (isFault(a)) return a;
  if (isFault(b)) return b;
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') {
    return b === 0 ? new ExpressionFault('division by zero') : NOT_FINITE(`${a} ${op} ${b}`);
  }
  return new ExpressionFault(
    `${op} needs numbers, not ${typeName(a)} ${show(a)} and ${typeName(b)} ${show(b)}`,
  );
}

/**
 * One function literal per operator, so the operator is inlined at each call site; the fast path is
 * two numbers and a finite result (x - x is 0 exactly for finite x), everything else goes slow.
 */
function arithmetic(op: ArithmeticOp, fl: Evaluator, fr: Evaluator): Evaluator {
  switch (op) {
    case '+':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        if (typeof a === 'number' && typeof b === 'number') {
          const x = a + b;
          if (x - x === 0) return x;
        }
        return arithmeticSlow(op, a, b);
      };
    case '-':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        if (typeof a === 'number' && typeof b === 'number') {
          const x = a - b;
          if (x - x === 0) return x;
        }
        return arithmeticSlow(op, a, b);
      };
    case '*':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        if (typeof a === 'number' && typeof b === 'number') {
          const x = a * b;
          if (x - x === 0) return x;
        }
        return arithmeticSlow(op, a, b);
      };
    case '/':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        if (typeof a === 'number' && typeof b === 'number' && b !== 0) {
          const x = a / b;
          if (x - x === 0) return x;
        }
        return arithmeticSlow(op, a, b);
      };
    case '%':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        if (typeof a === 'number' && typeof b === 'number' && b !== 0) {
          const x = a % b;
          if (x - x === 0) return x;
        }
        return arithmeticSlow(op, a, b);
      };
  }
}

function compareSlow(op: ComparisonOp, a: Value | ExpressionFault, b: Value | ExpressionFault) {
  if (isFault(a)) return a;
  if (isFault(b)) return b;
  if (a === null || b === null) return null;
  const ordered = op !== '=' && op !== '!=';
  if (typeof a !== typeof b || (ordered && typeof a === 'boolean')) {
    return new ExpressionFault(
      `cannot compare ${typeName(a)} ${show(a)} ${op} ${typeName(b)} ${show(b)}`,
    );
  }
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** Like arithmetic(): numbers compare inline, strings, booleans, nulls and faults go slow. */
function comparison(op: ComparisonOp, fl: Evaluator, fr: Evaluator): Evaluator {
  switch (op) {
    case '=':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        return typeof a === 'number' && typeof b === 'number' ? a === b : compareSlow(op, a, b);
      };
    case '!=':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        return typeof a === 'number' && typeof b === 'number' ? a !== b : compareSlow(op, a, b);
      };
    case '<':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        return typeof a === 'number' && typeof b === 'number' ? a < b : compareSlow(op, a, b);
      };
    case '<=':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        return typeof a === 'number' && typeof b === 'number' ? a <= b : compareSlow(op, a, b);
      };
    case '>':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        return typeof a === 'number' && typeof b === 'number' ? a > b : compareSlow(op, a, b);
      };
    case '>=':
      return (v, d) => {
        const a = fl(v, d);
        const b = fr(v, d);
        return typeof a === 'number' && typeof b === 'number' ? a >= b : compareSlow(op, a, b);
      };
  }
}

interface FunctionDef {
  min: number;
  max: number;
  /** the static type each argument must have ('any' accepts all) */
  arg: StaticType;
  result: (args: Compiled[]) => StaticType;
  build: (args: Evaluator[], name: string) => Evaluator;
}

/** A numeric function of one argument, null in null out, non-finite results a fault. */
function math1(fn: (x: number) => number): FunctionDef {
  return {
    min: 1,
    max: 1,
    arg: 'number',
    result: () => 'number',
    build: ([a], name) => {
      const fa = a as Evaluator;
      return (v, d) => {
        const x = fa(v, d);
        if (x === null || isFault(x)) return x;
        if (typeof x !== 'number') return argFault(name, x);
        const r = fn(x);
        return Number.isFinite(r) ? r : NOT_FINITE(`${name}(${x})`);
      };
    },
  };
}

function argFault(name: string, x: Value): ExpressionFault {
  return new ExpressionFault(`${name}() cannot take ${typeName(x)} ${show(x)}`);
}

/** Half away from zero, as SQL's round(numeric); decimal digits via 15 significant digits so
 * that round(1.005, 2) is 1.01 and not the 1.00 that 100.49999999999999 would give. */
function roundTo(x: number, digits: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (digits === 0) return sign * Math.round(ax);
  if (digits > 0) {
    const p = 10 ** digits;
    const m = ax * p;
    if (m >= 2 ** 52) return x;
    return (sign * Math.round(Number(m.toPrecision(15)))) / p;
  }
  const p = 10 ** -digits;
  return sign * Math.round(ax / p) * p;
}

function stringFn(fn: (s: string) => Value, result: StaticType): FunctionDef {
  return {
    min: 1,
    max: 1,
    arg: 'string',
    result: () => result,
    build: ([a], name) => {
      const fa = a as Evaluator;
      return (v, d) => {
        const x = fa(v, d);
        if (x === null || isFault(x)) return x;
        return typeof x === 'string' ? fn(x) : argFault(name, x);
      };
    },
  };
}

function extremum(pickFirst: (a: number, b: number) => boolean): FunctionDef {
  return {
    min: 1,
    max: Infinity,
    arg: 'number',
    result: () => 'number',
    build: (args, name) => (v, d) => {
      let best: number | null = null;
      for (let i = 0; i < args.length; i++) {
        const x = (args[i] as Evaluator)(v, d);
        if (isFault(x)) return x;
        if (x === null) continue;
        if (typeof x !== 'number') return argFault(name, x);
        if (best === null || pickFirst(x, best)) best = x;
      }
      return best;
    },
  };
}

const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  ['abs', math1(Math.abs)],
  ['floor', math1(Math.floor)],
  ['ceil', math1(Math.ceil)],
  ['sqrt', math1(Math.sqrt)],
  ['ln', math1(Math.log)],
  ['log10', math1(Math.log10)],
  ['exp', math1(Math.exp)],
  [
    'round',
    {
      min: 1,
      max: 2,
      arg: 'number',
      result: () => 'number',
      build: ([a, b], name) => {
        const fa = a as Evaluator;
        if (b === undefined) {
          return (v, d) => {
            const x = fa(v, d);
            if (x === null || isFault(x)) return x;
            return typeof x === 'number' ? roundTo(x, 0) : argFault(name, x);
          };
        }
        return (v, d) => {
          const x = fa(v, d);
          if (x === null || isFault(x)) return x;
          const n = b(v, d);
          if (n === null || isFault(n)) return n;
          if (typeof x !== 'number') return argFault(name, x);
          if (typeof n !== 'number' || !Number.isInteger(n) || n < -15 || n > 15) {
            return new ExpressionFault(
              `round() digits must be an integer from -15 to 15, not ${show(n)}`,
            );
          }
          return roundTo(x, n);
        };
      },
    },
  ],
  [
    'pow',
    {
      min: 2,
      max: 2,
      arg: 'number',
      result: () => 'number',
      build: ([a, b], name) => {
        const fa = a as Evaluator;
        const fb = b as Evaluator;
        return (v, d) => {
          const x = fa(v, d);
          if (x === null || isFault(x)) return x;
          const y = fb(v, d);
          if (y === null || isFault(y)) return y;
          if (typeof x !== 'number') return argFault(name, x);
          if (typeof y !== 'number') return argFault(name, y);
          const r = x ** y;
          return Number.isFinite(r) ? r : NOT_FINITE(`pow(${x}, ${y})`);
        };
      },
    },
  ],
  ['min', extremum((a, b) => a < b)],
  ['max', extremum((a, b) => a > b)],
  [
    'coalesce',
    {
      min: 1,
      max: Infinity,
      arg: 'any',
      result: (args) => {
        const types = new Set(args.map((a) => a.type).filter((t) => t !== 'null'));
        return types.size === 1 ? ([...types][0] as StaticType) : types.size === 0 ? 'null' : 'any';
      },
      build: (args) => (v, d) => {
        for (let i = 0; i < args.length; i++) {
          const x = (args[i] as Evaluator)(v, d);
          if (x !== null) return x;
        }
        return null;
      },
    },
  ],
  [
    'if',
    {
      min: 3,
      max: 3,
      arg: 'any',
      result: ([, a, b]) => {
        const ta = (a as Compiled).type;
        const tb = (b as Compiled).type;
        return ta === tb ? ta : ta === 'null' ? tb : tb === 'null' ? ta : 'any';
      },
      build: ([c, a, b]) => {
        const fc = c as Evaluator;
        const fa = a as Evaluator;
        const fb = b as Evaluator;
        return (v, d) => {
          const x = fc(v, d);
          if (x === true) return fa(v, d);
          if (x === false || x === null) return fb(v, d);
          if (isFault(x)) return x;
          return new ExpressionFault(
            `if() needs a boolean condition, not ${typeName(x)} ${show(x)}`,
          );
        };
      },
    },
  ],
  ['lower', stringFn((s) => s.toLowerCase(), 'string')],
  ['upper', stringFn((s) => s.toUpperCase(), 'string')],
  ['length', stringFn(codePoints, 'number')],
]);

/** The functions expressions can call. */
export const FUNCTION_NAMES: readonly string[] = [...FUNCTIONS.keys()];

const known = (t: StaticType): boolean => t !== 'any' && t !== 'null';

const numberReaders = new WeakMap<ScopeEntry, Evaluator>();

/**
 * Reads a numeric-string column as a number. One reader per column, shared by every expression
 * that names it and remembering the last text it parsed: a size used by a transform and a filter
 * is parsed once per message, and a price that repeats from one trade to the next not at all.
 */
function numberReader(entry: ScopeEntry): Evaluator {
  let reader = numberReaders.get(entry);
  if (reader === undefined) {
    const i = entry.index;
    let lastText: string | null = null;
    let lastValue = 0;
    reader = (v) => {
      const x = v[i] as Value;
      if (typeof x !== 'string') return x;
      if (x !== lastText) {
        lastText = x;
        lastValue = Number(x);
      }
      return lastValue;
    };
    numberReaders.set(entry, reader);
  }
  return reader;
}

export function compileExpression(src: string, scope: ExpressionScope): CompiledExpression {
  const ast = parseExpression(src);
  const fail = (node: ExprNode, reason: string): never => {
    throw new ExpressionError(src, node.pos + 1, reason);
  };

  const compile = (node: ExprNode): Compiled => {
    switch (node.type) {
      case 'literal': {
        const value = node.value;
        const type: StaticType = value === null ? 'null' : (typeof value as StaticType);
        return { type, evaluate: () => value };
      }
      case 'name': {
        const entry = scope.resolve(node.name);
        if (entry === undefined) {
          if (FUNCTIONS.has(node.name)) fail(node, `${node.name} is a function: ${node.name}(…)`);
          return fail(
            node,
            `unknown name ${JSON.stringify(node.name)} (names are the columns mapped or derived before this expression, or $.paths into the message)`,
          );
        }
        if (entry.numericString) return { type: 'number', evaluate: numberReader(entry) };
        const i = entry.index;
        return { type: entry.type, evaluate: (v) => v[i] as Value };
      }
      case 'path': {
        const compiled = compileJsonPath(node.path);
        if (compiled.segments.length === 0)
          fail(node, '$ alone is the whole message; name a field');
        const get = compiled.get;
        const path = node.path;
        return {
          type: 'any',
          evaluate: (_v, d) => {
            const x = get(d);
            if (x === undefined || x === null) return null;
            if (typeof x === 'object') {
              return new ExpressionFault(
                `${path} is ${Array.isArray(x) ? 'an array' : 'an object'}, not a value`,
              );
            }
            return x as Value;
          },
        };
      }
      case 'unary': {
        const operand = compile(node.operand);
        const f = operand.evaluate;
        if (node.op === '-') {
          if (known(operand.type) && operand.type !== 'number') {
            fail(node, `cannot negate a ${operand.type}`);
          }
          return {
            type: 'number',
            evaluate: (v, d) => {
              const x = f(v, d);
              if (x === null || isFault(x)) return x;
              return typeof x === 'number'
                ? -x
                : new ExpressionFault(`cannot negate ${typeName(x)} ${show(x)}`);
            },
          };
        }
        if (known(operand.type) && operand.type !== 'boolean') {
          fail(node, `not needs a boolean, not a ${operand.type}`);
        }
        return {
          type: 'boolean',
          evaluate: (v, d) => {
            const x = f(v, d);
            if (x === null || isFault(x)) return x;
            return typeof x === 'boolean'
              ? !x
              : new ExpressionFault(`not needs a boolean, not ${typeName(x)} ${show(x)}`);
          },
        };
      }
      case 'binary':
        return binary(node.op, compile(node.left), compile(node.right), node);
      case 'call': {
        const def = FUNCTIONS.get(node.name.toLowerCase());
        if (def === undefined) {
          return fail(
            node,
            `unknown function ${JSON.stringify(node.name)} (known: ${FUNCTION_NAMES.join(', ')})`,
          );
        }
        const name = node.name.toLowerCase();
        if (node.args.length < def.min || node.args.length > def.max) {
          const arity =
            def.max === Infinity
              ? `at least ${def.min}`
              : def.min === def.max
                ? `${def.min}`
                : `${def.min} or ${def.max}`;
          const plural = def.max === 1 || (def.max === Infinity && def.min === 1) ? '' : 's';
          fail(node, `${name}() takes ${arity} argument${plural}`);
        }
        const args = node.args.map(compile);
        args.forEach((a, k) => {
          const want = name === 'if' && k === 0 ? 'boolean' : def.arg;
          if (want !== 'any' && known(a.type) && a.type !== want) {
            fail(node.args[k] as ExprNode, `${name}() needs a ${want} here, not a ${a.type}`);
          }
        });
        return {
          type: def.result(args),
          evaluate: def.build(
            args.map((a) => a.evaluate),
            name,
          ),
        };
      }
    }
  };

  const binary = (op: BinaryOp, l: Compiled, r: Compiled, node: ExprNode): Compiled => {
    const fl = l.evaluate;
    const fr = r.evaluate;
    if (op === 'and' || op === 'or') {
      for (const side of [l, r]) {
        if (known(side.type) && side.type !== 'boolean') {
          fail(node, `${op} needs booleans, not a ${side.type}`);
        }
      }
      const stop = op === 'or';
      const bad = (x: Value): ExpressionFault =>
        new ExpressionFault(`${op} needs booleans, not ${typeName(x)} ${show(x)}`);
      // three-valued: the deciding value wins over null (true or null = true, false and null = false)
      return {
        type: 'boolean',
        evaluate: (v, d) => {
          const a = fl(v, d);
          if (a === stop) return stop;
          if (isFault(a)) return a;
          if (a !== null && a !== !stop) return bad(a);
          const b = fr(v, d);
          if (b === stop) return stop;
          if (isFault(b)) return b;
          if (b !== null && b !== !stop) return bad(b);
          return a === null || b === null ? null : !stop;
        },
      };
    }
    if (ARITHMETIC_OPS.has(op)) {
      for (const side of [l, r]) {
        if (known(side.type) && side.type !== 'number') {
          fail(node, `${op} needs numbers, not a ${side.type}`);
        }
      }
      return { type: 'number', evaluate: arithmetic(op as ArithmeticOp, fl, fr) };
    }
    const ordered = op !== '=' && op !== '!=';
    if (l.type === 'null' || r.type === 'null') {
      // SQL's trap: x = null is null for every x, so a filter using it drops everything
      fail(node, `${op} null is always null; use coalesce() to handle missing values`);
    }
    if (known(l.type) && known(r.type) && l.type !== r.type) {
      fail(node, `cannot compare a ${l.type} with a ${r.type}`);
    }
    for (const side of [l, r]) {
      if (ordered && side.type === 'boolean') fail(node, `${op} does not order booleans`);
    }
    return { type: 'boolean', evaluate: comparison(op as ComparisonOp, fl, fr) };
  };

  const root = compile(ast);
  return { source: src, type: root.type, evaluate: root.evaluate };
}
