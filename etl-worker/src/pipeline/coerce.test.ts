import { describe, expect, it } from 'vitest';
import type { ColumnType, Scalar } from './coerce.ts';
import { CoerceError, columnTypeOf, compileCoercer, scanDecimal, isCompatible } from './coerce.ts';

const typeOf = (formatType: string): ColumnType => {
  const t = columnTypeOf(formatType);
  if (t === undefined) throw new Error(`no type for ${formatType}`);
  return t;
};

/** The coerced value, or "!reason" when the value is refused. */
const coerce = (formatType: string, value: unknown, declared?: string): Scalar => {
  const r = compileCoercer(
    typeOf(formatType),
    declared === undefined ? undefined : typeOf(declared),
  )(value);
  return r instanceof CoerceError ? `!${r.reason}` : r;
};

describe('Pipeline > Coercion > column types', () => {
  it.each([
    ['double precision', 'float8'],
    ['real', 'float4'],
    ['smallint', 'int2'],
    ['integer', 'int4'],
    ['bigint', 'int8'],
    ['numeric', 'numeric'],
    ['numeric(20,8)', 'numeric'],
    ['numeric(28, 8)', 'numeric'],
    ['text', 'text'],
    ['character varying', 'text'],
    ['character varying(10)', 'text'],
    ['character(3)', 'text'],
    ['boolean', 'bool'],
    ['jsonb', 'jsonb'],
    ['json', 'json'],
    ['timestamp with time zone', 'timestamptz'],
    ['timestamp(3) with time zone', 'timestamptz'],
    ['float8', 'float8'],
    ['int4', 'int4'],
    ['bool', 'bool'],
    ['TEXT', 'text'],
  ])('should load %s as %s', (formatType, element) => {
    expect(columnTypeOf(formatType)?.element).toBe(element);
  });

  it.each([
    'xid8',
    'uuid',
    'bytea',
    'date',
    'timestamp without time zone',
    'double precision[]',
    'interval',
    'point',
    'constructor',
  ])('should not load %s', (formatType) => {
    expect(columnTypeOf(formatType)).toBeUndefined();
  });

  it('should read limits from the type', () => {
    expect(columnTypeOf('numeric(20,8)')?.maxIntegerDigits).toBe(12);
    expect(columnTypeOf('numeric(5)')?.maxIntegerDigits).toBe(5);
    expect(columnTypeOf('numeric')?.maxIntegerDigits).toBeNull();
    expect(columnTypeOf('character varying(10)')?.maxLength).toBe(10);
    expect(columnTypeOf('character varying')?.maxLength).toBeNull();
    expect(columnTypeOf('character')?.maxLength).toBe(1);
  });

  it.each([
    ['int4', 'float8', true],
    ['int8', 'numeric', true],
    ['numeric', 'float8', true],
    ['float8', 'numeric', true],
    ['int2', 'int8', true],
    ['int8', 'int4', false],
    ['float8', 'int8', false],
    ['numeric', 'int4', false],
    ['text', 'float8', false],
    ['float8', 'text', false],
    ['bool', 'text', false],
    ['text', 'jsonb', true],
    ['float8', 'json', true],
    ['timestamptz', 'timestamptz', true],
    ['text', 'timestamptz', false],
  ])('should say whether %s fits %s: %s', (declared, column, ok) => {
    expect(isCompatible(declared as never, column as never)).toBe(ok);
  });
});

describe('Pipeline > Coercion > values', () => {
  it.each([
    // float8: numbers and numeric strings
    ['double precision', 21.5, 21.5],
    ['double precision', -0.001, -0.001],
    ['double precision', '21.5', 21.5],
    ['double precision', '-1e3', -1000],
    ['double precision', '.5', 0.5],
    ['double precision', '+7', 7],
    ['double precision', 'NaN', '!expected a number'],
    ['double precision', 'Infinity', '!expected a number'],
    ['double precision', '1e999', '!out of range for float8'],
    ['double precision', Infinity, '!out of range for float8'],
    ['double precision', '', '!expected a number'],
    ['double precision', ' 1', '!expected a number'],
    ['double precision', '0x10', '!expected a number'],
    ['double precision', true, '!expected a number'],
    ['double precision', {}, '!expected a number'],
    ['double precision', [1], '!expected a number'],
    // float4
    ['real', 1.5, 1.5],
    ['real', 1e39, '!out of range for float4'],
    // integers
    ['smallint', 32767, 32767],
    ['smallint', 32768, '!out of range for int2'],
    ['smallint', -32769, '!out of range for int2'],
    ['integer', 2147483647, 2147483647],
    ['integer', 2147483648, '!out of range for int4'],
    ['integer', '42', 42],
    ['integer', '-42', -42],
    ['integer', 42.0, 42],
    ['integer', 42.5, '!expected an integer'],
    ['integer', '42.5', '!expected an integer'],
    ['integer', '4e2', '!expected an integer'],
    ['integer', false, '!expected an integer'],
    ['bigint', 9007199254740991, 9007199254740991],
    ['bigint', '9007199254740993', '9007199254740993'],
    ['bigint', '9223372036854775807', '9223372036854775807'],
    ['bigint', '-9223372036854775808', '-9223372036854775808'],
    ['bigint', '9223372036854775808', '!out of range for int8'],
    ['bigint', '0000000000000000042', 42],
    ['bigint', 2 ** 60, '1152921504606846976'],
    ['bigint', 1e19, '!out of range for int8'],
    ['bigint', 1.5, '!expected an integer'],
    // numeric: decimal strings kept exactly
    ['numeric', '64000.5', '64000.5'],
    ['numeric', '0.00000001', '0.00000001'],
    [
      'numeric',
      '123456789012345678901234567890.123456789',
      '123456789012345678901234567890.123456789',
    ],
    ['numeric', 64000.5, '64000.5'],
    ['numeric', 1e21, '1e+21'],
    ['numeric', '1.5e3', '1.5e3'],
    ['numeric', 'NaN', '!expected a decimal number'],
    ['numeric', 'Infinity', '!expected a decimal number'],
    ['numeric', '1,5', '!expected a decimal number'],
    ['numeric', '', '!expected a decimal number'],
    ['numeric', true, '!expected a decimal number'],
    ['numeric(20,8)', '999999999999.99999999', '999999999999.99999999'],
    [
      'numeric(20,8)',
      '1000000000000',
      '!out of range for the column (at most 12 digits before the point)',
    ],
    ['numeric(20,8)', '0000000000001.5', '0000000000001.5'],
    ['numeric(20,8)', '1e12', '!out of range for the column (at most 12 digits before the point)'],
    ['numeric(20,8)', '1e11', '1e11'],
    ['numeric(20,8)', 1e12, '!out of range for the column (at most 12 digits before the point)'],
    // text
    ['text', 'buy', 'buy'],
    ['text', '', ''],
    ['text', 42, '42'],
    ['text', true, 'true'],
    ['text', {}, '!expected a string'],
    ['text', ['a'], '!expected a string'],
    ['text', 'a\u0000b', '!text contains NUL (\\u0000) at character 1'],
    ['character varying(3)', 'abc', 'abc'],
    ['character varying(3)', 'abcd', '!longer than 3 characters'],
    ['character varying(3)', '😀😀😀', '😀😀😀'],
    // bool
    ['boolean', true, true],
    ['boolean', false, false],
    ['boolean', 'true', true],
    ['boolean', 'false', false],
    ['boolean', 1, true],
    ['boolean', 0, false],
    ['boolean', 'yes', '!expected true or false'],
    ['boolean', 'TRUE', '!expected true or false'],
    ['boolean', 2, '!expected true or false'],
    ['boolean', '1', '!expected true or false'],
    // json(b)
    ['jsonb', { a: [1, 'x'] }, '{"a":[1,"x"]}'],
    ['jsonb', 'text', '"text"'],
    ['jsonb', 42, '42'],
    ['jsonb', false, 'false'],
    ['jsonb', { bad: '\u0000' }, '!jsonb: a string contains NUL (\\u0000) at character 0'],
    ['json', { bad: '\u0000' }, '{"bad":"\\u0000"}'],
    [
      'jsonb',
      { bad: 'x\ud800' },
      '!jsonb: a string contains a lone UTF-16 surrogate (\\ud800) at character 1',
    ],
    [
      'json',
      { ['\udfff']: 1 },
      '!json: a key contains a lone UTF-16 surrogate (\\udfff) at character 0',
    ],
    ['jsonb', { ok: '😀' }, '{"ok":"😀"}'],
    ['text', 'x\udbff', '!text contains a lone UTF-16 surrogate (\\udbff) at character 1'],
    // timestamptz
    ['timestamp with time zone', '2026-11-27T11:00:00.5+01:00', '2026-11-27T10:00:00.500000Z'],
    ['timestamp with time zone', '2026-11-27T10:00:00', '!has no UTC offset (add Z or ±HH:MM)'],
    ['timestamp with time zone', '2026-02-30T10:00:00Z', '!day 30 does not exist in 2026-02'],
    ['timestamp with time zone', 1764230400, '!expected an ISO 8601 time string'],
  ])('should coerce into %s: %j → %j', (formatType, value, expected) => {
    expect(coerce(formatType, value)).toEqual(expected);
  });

  it.each([
    // declared first, column after
    ['double precision', 42, 'int4', 42],
    ['double precision', 42.5, 'int4', '!expected an integer'],
    ['double precision', '64000.5', 'numeric', 64000.5],
    ['double precision', 'abc', 'numeric', '!expected a decimal number'],
    ['numeric(20,8)', 0.25, 'float8', '0.25'],
    [
      'numeric(20,8)',
      1e13,
      'float8',
      '!out of range for the column (at most 12 digits before the point)',
    ],
    ['bigint', 40000, 'int2', '!out of range for int2'],
    ['jsonb', '3.5', 'float8', '3.5'],
    ['jsonb', 'x', 'float8', '!expected a number'],
  ])('should coerce into %s: %j declared %s → %j', (formatType, value, declared, expected) => {
    expect(coerce(formatType, value, declared)).toEqual(expected);
  });

  it('should count digits before the point as numeric(p, s) does', () => {
    expect(scanDecimal('0')).toBe(0);
    expect(scanDecimal('0.5')).toBe(0);
    expect(scanDecimal('-123.45')).toBe(3);
    expect(scanDecimal('000123')).toBe(3);
    expect(scanDecimal('1.5e3')).toBe(4);
    expect(scanDecimal('0.05e2')).toBe(1);
    expect(scanDecimal('0.05e1')).toBe(0);
    expect(scanDecimal('12e-5')).toBe(0);
    expect(scanDecimal('.5E+1')).toBe(1);
    expect(scanDecimal('-0.000')).toBe(0);
  });

  it.each([
    '',
    '.',
    '+',
    '-',
    'e5',
    '1e',
    '1e+',
    '1.2.3',
    '1,5',
    ' 1',
    '1 ',
    'NaN',
    'Infinity',
    '0x1f',
    '１',
  ])('should not take %j for a decimal', (s) => {
    expect(scanDecimal(s)).toBe(-1);
  });

  it.each(['0', '+1', '-1', '1.', '.1', '1e5', '1E-5', '1.5e+3', '007'])(
    'should take %j for a decimal',
    (s) => {
      expect(scanDecimal(s)).toBeGreaterThanOrEqual(0);
    },
  );
});
