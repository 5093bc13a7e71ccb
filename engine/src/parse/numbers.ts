/**
 * Numbers as Hasura sees them: integer literals beyond 2^53 keep every digit (as a BigInt), integer
 * columns refuse out-of-range or fractional JSON numbers with Hasura's message, and numbers in
 * messages are rendered the way Haskell's Scientific `show` renders them (`2.147483648e9`,
 * `32768.0`).
 */
import { QErr } from '../errors.ts';

/** A GraphQL Int literal: a number when exact, else a BigInt (so no digit is lost). */
export function intLiteral(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** Haskell's `show` of a Scientific. */
export function showScientific(v: number | bigint): string {
  const neg = typeof v === 'bigint' ? v < 0n : v < 0;
  const abs = typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(v);
  let digits: string;
  let e: number; // value = 0.<digits> × 10^e
  if (typeof abs === 'bigint') {
    const s = abs.toString();
    digits = s.replace(/0+$/, '') || '0';
    e = s.length;
  } else {
    if (abs === 0) return '0.0';
    const [mant, exp] = abs.toExponential().split('e') as [string, string];
    digits = mant.replace('.', '').replace(/0+$/, '') || '0';
    e = Number(exp) + 1;
  }
  let out: string;
  if (e < 0 || e > 7) {
    const [d, ...rest] = digits;
    out = `${d}.${rest.length ? rest.join('') : '0'}e${e - 1}`;
  } else if (e <= 0) {
    out = `0.${'0'.repeat(-e)}${digits}`;
  } else {
    const intPart = digits.slice(0, e).padEnd(e, '0');
    const frac = digits.slice(e);
    out = `${intPart}.${frac || '0'}`;
  }
  return neg ? `-${out}` : out;
}

const INT_BOUNDS: Record<string, [bigint, bigint]> = {
  smallint: [-32768n, 32767n],
  int2: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  int4: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

export function outOfBounds(v: number | bigint): QErr {
  return new QErr(
    'parse-failed',
    `The value ${showScientific(v)} lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?`,
    200,
  );
}

/**
 * A JSON number given for an integer column must be an integer within the column's range
 * (Hasura parses it as Int16/Int32/Int64); strings are left for Postgres to read.
 */
export function checkIntegerColumn(json: unknown, pgType: string | undefined): void {
  const bounds = pgType ? INT_BOUNDS[pgType] : undefined;
  if (!bounds) return;
  if (typeof json === 'number') {
    if (!Number.isInteger(json)) throw outOfBounds(json);
    const b = BigInt(json);
    if (b < bounds[0] || b > bounds[1]) throw outOfBounds(json);
  } else if (typeof json === 'bigint') {
    if (json < bounds[0] || json > bounds[1]) throw outOfBounds(json);
  }
}

/** JSON text of a value that may hold BigInts (written as plain digits). */
export function jsonText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v))
    return `[${v.map((x) => (x === undefined ? 'null' : jsonText(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${jsonText(x)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A JS number as plain decimal text (no exponent). */
function plainDecimal(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', expText] = m;
  const digits = `${lead}${rest}`;
  const point = 1 + Number(expText); // position of the decimal point in `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A JSON number for a `numeric` value, as Hasura sends it: in Postgres' binary numeric format
 * (postgresql-binary), whose scale is rounded up to whole base-10000 digits — 1.1 arrives as
 * 1.1000 and keeps that scale in an unconstrained numeric column.
 */
export function numericText(n: number): string {
  const s = plainDecimal(n);
  const dot = s.indexOf('.');
  if (dot < 0) return s;
  const frac = s.slice(dot + 1);
  return `${s.slice(0, dot)}.${frac.padEnd(Math.ceil(frac.length / 4) * 4, '0')}`;
}
