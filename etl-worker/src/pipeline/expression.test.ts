import { describe, expect, it } from 'vitest';
import type { ExpressionScope, ScopeEntry, Value } from './expression.ts';
import {
  compileExpression,
  ExpressionError,
  ExpressionFault,
  parseExpression,
  tokenize,
} from './expression.ts';

// the columns a test row has: name → [index, type, numericString]
const COLUMNS: Record<string, [number, ScopeEntry['type'], boolean]> = {
  temperature: [0, 'number', false],
  humidity: [1, 'number', false],
  price: [2, 'number', true],
  size: [3, 'number', true],
  side: [4, 'string', false],
  ok: [5, 'boolean', false],
  missing: [6, 'number', false],
  label: [7, 'string', false],
};
const VALUES: Value[] = [22, 40, '64000.5', '0.25', 'buy', true, null, null];
const DOC = { px: '64000.5', qty: 2, side: 'sell', nested: { a: [1, 2] }, flag: false, nil: null };

const scope: ExpressionScope = {
  resolve: (name) => {
    const c = Object.hasOwn(COLUMNS, name) ? COLUMNS[name] : undefined;
    return c === undefined ? undefined : { index: c[0], type: c[1], numericString: c[2] };
  },
};

const run = (src: string, values: Value[] = VALUES, doc: Record<string, unknown> = DOC) =>
  compileExpression(src, scope).evaluate(values, doc);

/** the fault's reason, or fails the test */
const fault = (src: string, values?: Value[], doc?: Record<string, unknown>): string => {
  const r = run(src, values, doc);
  expect(r).toBeInstanceOf(ExpressionFault);
  return (r as ExpressionFault).reason;
};

const compileError = (src: string): ExpressionError => {
  try {
    compileExpression(src, scope);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    return e as ExpressionError;
  }
  throw new Error(`${src} compiled`);
};

describe('Pipeline > Expressions > parsing', () => {
  it('should tokenize numbers, strings, names, paths and operators', () => {
    expect(tokenize("a1 <= 1.5e2 and $.x['y z'] <> 'it''s'").map((t) => t.text)).toEqual([
      'a1',
      '<=',
      '1.5e2',
      'and',
      "$.x['y z']",
      '<>',
      "'it''s'",
      '',
    ]);
    expect(tokenize("'it''s'")[0]?.value).toBe("it's");
  });

  it('should give * precedence over + and - over comparisons over not over and over or', () => {
    expect(parseExpression('1 + 2 * 3')).toMatchObject({
      op: '+',
      left: { value: 1 },
      right: { op: '*', left: { value: 2 }, right: { value: 3 } },
    });
    expect(parseExpression('a or b and not c = d')).toMatchObject({
      op: 'or',
      left: { name: 'a' },
      right: {
        op: 'and',
        left: { name: 'b' },
        right: { op: 'not', operand: { op: '=', left: { name: 'c' }, right: { name: 'd' } } },
      },
    });
  });

  it('should associate to the left', () => {
    expect(parseExpression('10 - 4 - 3')).toMatchObject({
      op: '-',
      left: { op: '-', left: { value: 10 }, right: { value: 4 } },
      right: { value: 3 },
    });
  });

  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['2 * 3 % 4', 2],
    ['-2 * 3', -6],
    ['- -2', 2],
    ['+2', 2],
    ['-(1 + 2)', -3],
    ['7 / 2', 3.5],
    ['7 % 3', 1],
    ['.5 + 1', 1.5],
  ])('should evaluate %s to %j', (src, expected) => {
    expect(run(src)).toBe(expected);
  });

  it.each([
    ['', 1, 'empty'],
    ['1 +', 4, 'unexpected end'],
    ['(1 + 2', 7, 'expected ")"'],
    ['1 + 2)', 6, 'unexpected ")"'],
    ['1 2', 3, 'unexpected "2"'],
    ["'open", 1, 'unterminated string'],
    ['"text"', 1, 'single quotes'],
    ['a == 1', 3, 'use = for equality'],
    ['ok && ok', 4, 'use and'],
    ['ok || ok', 4, 'use or'],
    ['!ok', 1, 'use not'],
    ['1 < 2 < 3', 7, 'comparisons do not chain'],
    ['2x', 2, 'cannot start with a digit'],
    ['1.', 3, 'digits after the decimal point'],
    ['1e', 3, 'exponent'],
    ['1e999', 1, 'out of range'],
    ['a ; b', 3, 'unexpected character ";"'],
    ['$..a', 2, 'recursive descent'],
    ['$.a[*]', 5, 'wildcards'],
    ['f(1,)', 5, 'unexpected ")"'],
    ['and', 1, 'unexpected and'],
  ])('should report %j at position %d', (src, position, reason) => {
    const e = compileError(src);
    expect(e.reason).toContain(reason);
    expect(e.position).toBe(position);
    expect(e.message).toContain(`at position ${position}`);
  });
});

describe('Pipeline > Expressions > names', () => {
  it('should read columns, numeric strings as numbers', () => {
    expect(run('temperature - (100 - humidity) / 5')).toBe(10);
    expect(run('price * size')).toBe(16000.125);
    expect(run('price > 64000')).toBe(true);
  });

  it('should read the raw message through $.paths', () => {
    expect(run("$.side = 'sell'")).toBe(true);
    expect(run('$.qty * 2')).toBe(4);
    expect(run('$.nested.a[1]')).toBe(2);
    expect(run("$['flag']")).toBe(false);
    expect(run('$.absent')).toBeNull();
    expect(run('$.nil')).toBeNull();
  });

  it('should refuse a path that is an object or an array, and arithmetic on strings from paths', () => {
    expect(fault('$.nested')).toContain('$.nested is an object');
    expect(fault('$.nested.a')).toContain('$.nested.a is an array');
    expect(fault('$.px * 2')).toContain('* needs numbers, not string "64000.5"');
  });

  it.each([
    'constructor',
    '__proto__',
    'process',
    'globalThis',
    'require',
    'this',
    'toString',
    'hasOwnProperty',
    'eval',
    'Function',
  ])('should not reach %s', (name) => {
    expect(compileError(name).reason).toContain('unknown name');
    expect(compileError(`${name}(1)`).reason).toContain('unknown function');
    expect(compileError(`abs(${name})`).reason).toContain('unknown name');
  });

  it('should keep $.paths to the message own fields', () => {
    expect(run('$.constructor')).toBeNull();
    expect(run('$.__proto__')).toBeNull();
    expect(run('$.toString')).toBeNull();
  });

  it('should name unknown columns and functions at compile time', () => {
    expect(compileError('temperature + nope').message).toBe(
      'at position 15: unknown name "nope" (names are the columns mapped or derived before this expression, or $.paths into the message)',
    );
    expect(compileError('abs').reason).toContain('abs is a function');
    expect(compileError('nope(1)').reason).toContain('unknown function "nope"');
    expect(compileError('$').reason).toContain('$ alone is the whole message');
  });
});

describe('Pipeline > Expressions > nulls and logic', () => {
  it.each([
    ['missing + 1', null],
    ['-missing', null],
    ['missing * 0', null],
    ['missing > 1', null],
    ['abs(missing)', null],
    ['round(missing, 2)', null],
    ['upper(label)', null],
    ['not (missing > 1)', null],
    ['coalesce(missing, 5)', 5],
    ['coalesce(missing, label, 7)', 7],
    ['coalesce(missing, $.absent)', null],
    ['if(missing > 1, 1, 2)', 2],
    ['min(missing, 3, 1)', 1],
    ['max(missing, missing)', null],
    // three-valued and/or
    ['missing > 1 and false', false],
    ['false and missing > 1', false],
    ['missing > 1 and true', null],
    ['missing > 1 or true', true],
    ['true or missing > 1', true],
    ['missing > 1 or false', null],
    ['true and true', true],
    ['false or false', false],
    ['not ok', false],
    ['NOT ok AND TRUE OR ok', true],
  ])('should evaluate %s to %j', (src, expected) => {
    expect(run(src)).toBe(expected);
  });

  it('should refuse = null, which is never true', () => {
    expect(compileError('missing = null').reason).toContain('always null; use coalesce()');
  });

  it('should not evaluate the branch it does not take', () => {
    expect(run('if(ok, 1, 1 / 0)')).toBe(1);
    expect(run('coalesce(1, 1 / 0)')).toBe(1);
    expect(run('ok or 1 / 0 > 1')).toBe(true);
  });
});

describe('Pipeline > Expressions > functions', () => {
  it.each([
    ['abs(-2.5)', 2.5],
    ['round(2.5)', 3],
    ['round(-2.5)', -3],
    ['round(2.4)', 2],
    ['round(1.005, 2)', 1.01],
    ['round(3.14159, 3)', 3.142],
    ['round(-1.005, 2)', -1.01],
    ['round(1234.5, -2)', 1200],
    ['floor(-1.5)', -2],
    ['ceil(1.2)', 2],
    ['sqrt(16)', 4],
    ['ln(exp(2))', 2],
    ['log10(1000)', 3],
    ['pow(2, 10)', 1024],
    ['min(3, 1, 2)', 1],
    ['max(3, 1, 2)', 3],
    ["length('añ😀')", 3],
    ["if(side = 'buy', size, -size)", 0.25],
    ["if($.side = 'buy', 1, -1)", -1],
    ['ABS(-1)', 1],
  ])('should evaluate %s to %j', (src, expected) => {
    expect(run(src)).toBeCloseTo(expected, 12);
  });

  it('should evaluate string functions exactly', () => {
    expect(run("lower('ABC')")).toBe('abc');
    expect(run('upper(side)')).toBe('BUY');
  });

  it.each([
    ['abs()', 'abs() takes 1 argument'],
    ['abs(1, 2)', 'abs() takes 1 argument'],
    ['round(1, 2, 3)', 'round() takes 1 or 2 arguments'],
    ['if(ok, 1)', 'if() takes 3 arguments'],
    ['coalesce()', 'coalesce() takes at least 1 argument'],
    ["abs('x')", 'abs() needs a number here, not a string'],
    ['lower(temperature)', 'lower() needs a string here, not a number'],
    ['if(1, 2, 3)', 'if() needs a boolean here, not a number'],
  ])('should refuse %s at compile time', (src, reason) => {
    expect(compileError(src).reason).toContain(reason);
  });
});

describe('Pipeline > Expressions > errors per message', () => {
  it.each([
    ['1 / 0', 'division by zero'],
    ['temperature / (humidity - 40)', 'division by zero'],
    ['temperature % 0', 'division by zero'],
    ['sqrt(-1)', 'sqrt(-1) is not a finite number'],
    ['ln(0)', 'ln(0) is not a finite number'],
    ['log10(-5)', 'log10(-5) is not a finite number'],
    ['exp(1000)', 'exp(1000) is not a finite number'],
    ['pow(10, 400)', 'pow(10, 400) is not a finite number'],
    ['1e308 * 10', '1e+308 * 10 is not a finite number'],
    ['round(1.5, 1.5)', 'round() digits must be an integer'],
    ['$.qty + $.side', '+ needs numbers'],
    ['-$.side', 'cannot negate string "sell"'],
    ['not $.qty', 'not needs a boolean, not number 2'],
    ['$.qty and true', 'and needs booleans, not number 2'],
    ['$.qty = $.side', 'cannot compare number 2 = string "sell"'],
    ['$.flag < $.flag', 'cannot compare boolean false < boolean false'],
    ['upper($.qty)', 'upper() cannot take number 2'],
    ['if($.qty, 1, 2)', 'if() needs a boolean condition, not number 2'],
    ['min($.side)', 'min() cannot take string "sell"'],
  ])('should give a fault for %s', (src, reason) => {
    expect(fault(src)).toContain(reason);
  });

  it('should pass a fault through the operators around it', () => {
    expect(fault('abs(1 / 0) + 1')).toBe('division by zero');
    expect(fault('coalesce(1 / 0, 1)')).toBe('division by zero');
    expect(fault('1 / 0 > 1 and true')).toBe('division by zero');
    expect(fault('not (1 / 0 > 1)')).toBe('division by zero');
  });

  it('should catch type mismatches it can see at compile time', () => {
    expect(compileError("temperature + 'x'").reason).toContain('+ needs numbers, not a string');
    expect(compileError('side > 1').reason).toContain('cannot compare a string with a number');
    expect(compileError('ok < ok').reason).toContain('does not order booleans');
    expect(compileError('temperature and ok').reason).toContain('and needs booleans');
    expect(compileError("-'x'").reason).toContain('cannot negate a string');
    expect(compileError('not 1').reason).toContain('not needs a boolean');
  });

  it('should compare strings and booleans', () => {
    expect(run("side = 'buy'")).toBe(true);
    expect(run("side != 'buy'")).toBe(false);
    expect(run("'a' < 'b'")).toBe(true);
    expect(run('ok = true')).toBe(true);
    expect(run('ok <> false')).toBe(true);
  });

  it('should report the static type of the result', () => {
    expect(compileExpression('price * size', scope).type).toBe('number');
    expect(compileExpression('size > 0', scope).type).toBe('boolean');
    expect(compileExpression('upper(side)', scope).type).toBe('string');
    expect(compileExpression('$.x', scope).type).toBe('any');
    expect(compileExpression('coalesce(missing, 1)', scope).type).toBe('number');
  });
});
