/**
 * Column types and value coercion: what a JSON value must look like to go into a column, and the
 * form the loader passes it in (the element type of the unnest() parameter array).
 */
import { jsonValueProblem, valueTextProblem } from './strings.ts';
import { formatTimeUs, parseIso8601 } from './time.ts';

/** The unnest() element types a pipeline can load. */
export type ElementType =
  | 'float8'
  | 'float4'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'numeric'
  | 'text'
  | 'bool'
  | 'jsonb'
  | 'json'
  | 'timestamptz';

export interface ColumnType {
  element: ElementType;
  /** varchar(n) / char(n): the most characters a value may have */
  maxLength: number | null;
  /** numeric(p, s): digits before the point are at most p - s */
  maxIntegerDigits: number | null;
}

export type Scalar = number | string | boolean | null;

/** Why a value does not fit; allocated only on failure, so success paths stay allocation-free. */
export class CoerceError {
  constructor(readonly reason: string) {}
}

/** A coercer returns the value in its loader form, or a CoerceError. Never called with null. */
export type Coercer = (value: unknown) => Scalar | CoerceError;

const NUMERIC_TYPES: ReadonlySet<ElementType> = new Set([
  'float8',
  'float4',
  'int2',
  'int4',
  'int8',
  'numeric',
]);

export function isNumericType(t: ElementType): boolean {
  return NUMERIC_TYPES.has(t);
}

const SIMPLE_TYPES: ReadonlyMap<string, ElementType> = new Map([
  ['double precision', 'float8'],
  ['float8', 'float8'],
  ['real', 'float4'],
  ['float4', 'float4'],
  ['smallint', 'int2'],
  ['int2', 'int2'],
  ['integer', 'int4'],
  ['int', 'int4'],
  ['int4', 'int4'],
  ['bigint', 'int8'],
  ['int8', 'int8'],
  ['text', 'text'],
  ['boolean', 'bool'],
  ['bool', 'bool'],
  ['jsonb', 'jsonb'],
  ['json', 'json'],
  ['timestamp with time zone', 'timestamptz'],
  ['timestamptz', 'timestamptz'],
]);

const NUMERIC_TYPE = /^(?:numeric|decimal)(?:\((\d+)(?:,\s*(\d+))?\))?$/;
const CHAR_TYPE = /^(character varying|varchar|character|char|bpchar)(?:\((\d+)\))?$/;
const TIMESTAMPTZ_TYPE = /^timestamp(?:\(\d\))? with time zone$/;

/**
 * The column type for a format_type() text ("numeric(20,8)", "character varying(10)") or one of
 * the element names a declaration may use ("float8"); undefined when pipelines cannot load it.
 */
export function columnTypeOf(formatType: string): ColumnType | undefined {
  const t = formatType.trim().toLowerCase();
  const simple = SIMPLE_TYPES.get(t);
  if (simple !== undefined) return { element: simple, maxLength: null, maxIntegerDigits: null };
  const numeric = NUMERIC_TYPE.exec(t);
  if (numeric !== null) {
    const p = numeric[1] === undefined ? null : Number(numeric[1]);
    const s = numeric[2] === undefined ? 0 : Number(numeric[2]);
    return { element: 'numeric', maxLength: null, maxIntegerDigits: p === null ? null : p - s };
  }
  const chars = CHAR_TYPE.exec(t);
  if (chars !== null) {
    const fixed = chars[1] === 'character' || chars[1] === 'char' || chars[1] === 'bpchar';
    // a bare character is character(1); a bare varchar has no limit
    const n = chars[2] === undefined ? (fixed ? 1 : null) : Number(chars[2]);
    return { element: 'text', maxLength: n, maxIntegerDigits: null };
  }
  if (TIMESTAMPTZ_TYPE.test(t)) {
    return { element: 'timestamptz', maxLength: null, maxIntegerDigits: null };
  }
  return undefined;
}

/**
 * Whether a field declared as `declared` can go into a column of type `column`: numbers widen into
 * wider numbers, anything goes into json(b), otherwise the types must match.
 */
export function isCompatible(declared: ElementType, column: ElementType): boolean {
  if (declared === column) return true;
  if (column === 'jsonb' || column === 'json') return true;
  if (column === 'float8' || column === 'float4' || column === 'numeric') {
    return NUMERIC_TYPES.has(declared);
  }
  if (column === 'int8') return declared === 'int4' || declared === 'int2';
  if (column === 'int4') return declared === 'int2';
  return false;
}

const INTEGER = /^[+-]?\d+$/;

const FLOAT4_MAX = 3.4028234663852886e38;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

const EXPECTED_NUMBER = 'expected a number';
const EXPECTED_INTEGER = 'expected an integer';

function floatCoercer(max: number, name: string): Coercer {
  return (v) => {
    let x: number;
    if (typeof v === 'number') x = v;
    else if (typeof v === 'string' && scanDecimal(v) >= 0) x = Number(v);
    else return new CoerceError(EXPECTED_NUMBER);
    if (!(x >= -max && x <= max)) return new CoerceError(`out of range for ${name}`);
    return x;
  };
}

function smallIntCoercer(min: number, max: number, name: string): Coercer {
  return (v) => {
    let x: number;
    if (typeof v === 'number') x = v;
    else if (typeof v === 'string' && INTEGER.test(v)) x = Number(v);
    else return new CoerceError(EXPECTED_INTEGER);
    if (!Number.isInteger(x)) return new CoerceError(EXPECTED_INTEGER);
    if (x < min || x > max) return new CoerceError(`out of range for ${name}`);
    return x;
  };
}

/** int8 values past 2^53 travel as their exact digits; a JS number there would round. */
const int8Coercer: Coercer = (v) => {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return new CoerceError(EXPECTED_INTEGER);
    if (Number.isSafeInteger(v)) return v;
    const big = BigInt(v);
    if (big < INT8_MIN || big > INT8_MAX) return new CoerceError('out of range for int8');
    return big.toString();
  }
  if (typeof v === 'string' && INTEGER.test(v)) {
    if (v.length <= 15) return Number(v);
    const big = BigInt(v);
    if (big < INT8_MIN || big > INT8_MAX) return new CoerceError('out of range for int8');
    const x = Number(big);
    return Number.isSafeInteger(x) ? x : big.toString();
  }
  return new CoerceError(EXPECTED_INTEGER);
};

/**
 * Checks decimal syntax (what PostgreSQL accepts for numbers, minus NaN and Infinity, which we
 * refuse) and counts the digits before the point, leading zeros and exponent taken into account:
 * what numeric(p, s) limits to p - s. -1 when `s` is not a decimal. One pass, no regex.
 */
export function scanDecimal(s: string): number {
  const n = s.length;
  let i = 0;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x2b || c0 === 0x2d) i++;
  let sawDigit = false;
  let significant = false;
  // exponent of the leading significant digit: 12.5 → 1, 0.05 → -2
  let lead = 0;
  let intDigits = 0;
  let c = s.charCodeAt(i);
  while (c >= 48 && c <= 57) {
    sawDigit = true;
    if (significant || c !== 48) {
      significant = true;
      intDigits++;
    }
    c = s.charCodeAt(++i);
  }
  if (intDigits > 0) lead = intDigits - 1;
  if (c === 0x2e) {
    c = s.charCodeAt(++i);
    let k = 0;
    while (c >= 48 && c <= 57) {
      sawDigit = true;
      if (!significant && c !== 48) {
        significant = true;
        lead = -(k + 1);
      }
      k++;
      c = s.charCodeAt(++i);
    }
  }
  if (!sawDigit) return -1;
  let exp = 0;
  if (c === 0x65 || c === 0x45) {
    c = s.charCodeAt(++i);
    let negative = false;
    if (c === 0x2b || c === 0x2d) {
      negative = c === 0x2d;
      c = s.charCodeAt(++i);
    }
    const start = i;
    while (c >= 48 && c <= 57) {
      if (exp < 100_000) exp = exp * 10 + (c - 48);
      c = s.charCodeAt(++i);
    }
    if (i === start) return -1;
    if (negative) exp = -exp;
  }
  if (i !== n) return -1;
  if (!significant) return 0;
  const digits = lead + exp + 1;
  return digits > 0 ? digits : 0;
}

/** numeric values stay decimal strings: a price of "64000.50000001" must arrive exactly. */
function numericCoercer(maxIntegerDigits: number | null): Coercer {
  const tooBig =
    maxIntegerDigits === null
      ? null
      : `out of range for the column (at most ${maxIntegerDigits} digits before the point)`;
  return (v) => {
    let s: string;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return new CoerceError('out of range for numeric');
      s = String(v);
    } else if (typeof v === 'string') {
      s = v;
    } else {
      return new CoerceError('expected a decimal number');
    }
    const digits = scanDecimal(s);
    if (digits < 0) return new CoerceError('expected a decimal number');
    if (tooBig !== null && digits > (maxIntegerDigits as number)) return new CoerceError(tooBig);
    return s;
  };
}

/** Characters as PostgreSQL counts them (code points), not UTF-16 units. */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function textCoercer(maxLength: number | null): Coercer {
  return (v) => {
    let s: string;
    if (typeof v === 'string') s = v;
    else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
    else return new CoerceError('expected a string');
    // PostgreSQL text cannot hold NUL, nor UTF-8 a lone surrogate; one such value would fail
    // (or silently alter) the whole batch
    const problem = valueTextProblem(s);
    if (problem !== null) return new CoerceError(`text ${problem}`);
    if (maxLength !== null && s.length > maxLength && codePoints(s) > maxLength) {
      return new CoerceError(`longer than ${maxLength} characters`);
    }
    return s;
  };
}

const boolCoercer: Coercer = (v) => {
  if (v === true || v === 'true' || v === 1) return true;
  if (v === false || v === 'false' || v === 0) return false;
  return new CoerceError('expected true or false');
};

/** Deeper JSON is refused before it reaches JSON.stringify (recursive) or Postgres' parser. */
export const MAX_JSON_DEPTH = 64;

function jsonCoercer(binary: boolean): Coercer {
  const opts = { allowNul: !binary };
  const type = binary ? 'jsonb' : 'json';
  return (v) => {
    // json and jsonb alike refuse a lone surrogate escape; jsonb also \u0000
    const problem = jsonValueProblem(v, MAX_JSON_DEPTH, opts);
    if (problem !== null) return new CoerceError(`${type}: ${problem}`);
    return JSON.stringify(v);
  };
}

const timestamptzCoercer: Coercer = (v) => {
  if (typeof v !== 'string') return new CoerceError('expected an ISO 8601 time string');
  const us = parseIso8601(v);
  return typeof us === 'string' ? new CoerceError(us) : formatTimeUs(us);
};

function columnCoercer(t: ColumnType): Coercer {
  switch (t.element) {
    case 'float8':
      return floatCoercer(Number.MAX_VALUE, 'float8');
    case 'float4':
      return floatCoercer(FLOAT4_MAX, 'float4');
    case 'int2':
      return smallIntCoercer(-32768, 32767, 'int2');
    case 'int4':
      return smallIntCoercer(-2147483648, 2147483647, 'int4');
    case 'int8':
      return int8Coercer;
    case 'numeric':
      return numericCoercer(t.maxIntegerDigits);
    case 'text':
      return textCoercer(t.maxLength);
    case 'bool':
      return boolCoercer;
    case 'jsonb':
      return jsonCoercer(true);
    case 'json':
      return jsonCoercer(false);
    case 'timestamptz':
      return timestamptzCoercer;
  }
}

const isError = (r: Scalar | CoerceError): r is CoerceError => typeof r === 'object' && r !== null;

/**
 * The coercer for a column, checking values against the declared type first when the declaration
 * names one (which must be compatible: see isCompatible).
 */
export function compileCoercer(column: ColumnType, declared?: ColumnType): Coercer {
  const target = columnCoercer(column);
  if (declared === undefined || declared.element === column.element) return target;
  const first = columnCoercer(declared);
  return (v) => {
    const r = first(v);
    return isError(r) ? r : target(r);
  };
}
