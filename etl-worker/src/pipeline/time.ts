/**
 * Point times: the declared `time_format` turns the message's time field into integer microseconds
 * since the epoch. Everything is parsed by hand from character codes: `Date` parsing accepts too
 * much (it rolls 2025-02-30 over into March and guesses a zone for times without one), and a
 * hand-written scanner allocates nothing per message.
 */

/** Microseconds since the epoch, or why the value is not a time. */
export type TimeParseResult = number | string;

export type TimeParser = (value: unknown) => TimeParseResult;

export class TimeFormatError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TimeFormatError';
  }
}

const US_PER_S = 1_000_000;
const S_PER_DAY = 86_400;

/** 1970-01-01T00:00:00Z, the first instant a point may have */
export const MIN_TIME_US = 0;
/** 10000-01-01T00:00:00Z, the first instant past the supported years */
export const END_TIME_US = daysFromCivil(10000, 1, 1) * S_PER_DAY * US_PER_S;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Checks the calendar fields; null when they name a real instant. */
function checkFields(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): string | null {
  if (year < 1) return 'year 0000 does not exist';
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) {
    return `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`;
  }
  if (hour > 23) return `hour ${hour} is out of range`;
  if (minute > 59) return `minute ${minute} is out of range`;
  if (second > 59) return `second ${second} is out of range`;
  return null;
}

function toUs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fracUs: number,
  offsetS: number,
): number {
  const s =
    daysFromCivil(year, month, day) * S_PER_DAY + hour * 3600 + minute * 60 + second - offsetS;
  return s * US_PER_S + fracUs;
}

/** Two digits at i as a number, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  // written so that NaN (past the end of the string) fails too
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

function d4(s: string, i: number): number {
  const a = d2(s, i);
  const b = d2(s, i + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

// Scanner results go through module state instead of a returned object: no allocation per message.
let fracEnd = 0;
let fracValue = 0;

/** Scans up to 9 fraction digits from i; returns false when there are none or more than 9. */
function scanFraction(s: string, i: number, exact: number): boolean {
  let j = i;
  let us = 0;
  while (isDigitAt(s, j)) {
    if (j - i < 6) us = us * 10 + (s.charCodeAt(j) - 48);
    j++;
  }
  const n = j - i;
  if (n === 0 || n > 9 || (exact > 0 && n !== exact)) return false;
  for (let k = n; k < 6; k++) us *= 10;
  fracEnd = j;
  fracValue = us;
  return true;
}

let offsetEnd = 0;
let offsetValue = 0;

/** Scans `Z`, `±HH:MM`, `±HHMM` or `±HH` at i; returns a reason when it is not one. */
function scanOffset(s: string, i: number): string | null {
  const c = s.charCodeAt(i);
  if (c === 0x5a || c === 0x7a) {
    offsetEnd = i + 1;
    offsetValue = 0;
    return null;
  }
  if (c !== 0x2b && c !== 0x2d) {
    return i >= s.length ? 'has no UTC offset (add Z or ±HH:MM)' : 'expected Z or ±HH:MM';
  }
  const hh = d2(s, i + 1);
  if (hh < 0) return 'expected Z or ±HH:MM';
  let j = i + 3;
  let mm = 0;
  if (s.charCodeAt(j) === 0x3a) {
    mm = d2(s, j + 1);
    if (mm < 0) return 'expected Z or ±HH:MM';
    j += 3;
  } else if (isDigitAt(s, j)) {
    mm = d2(s, j);
    if (mm < 0) return 'expected Z or ±HH:MM';
    j += 2;
  }
  if (hh > 23 || mm > 59) return 'UTC offset out of range';
  offsetEnd = j;
  offsetValue = (c === 0x2d ? -1 : 1) * (hh * 3600 + mm * 60);
  return null;
}

const ISO_SHAPE = 'expected an ISO 8601 time YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)';

/** `YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}](Z|±HH:MM|±HHMM|±HH)`, fraction truncated to µs. */
export function parseIso8601(s: string): TimeParseResult {
  if (s.length < 19) return ISO_SHAPE;
  const year = d4(s, 0);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const second = d2(s, 17);
  const t = s.charCodeAt(10);
  if (
    year < 0 ||
    month < 0 ||
    day < 0 ||
    hour < 0 ||
    minute < 0 ||
    second < 0 ||
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    (t !== 0x54 && t !== 0x74 && t !== 0x20) ||
    s.charCodeAt(13) !== 0x3a ||
    s.charCodeAt(16) !== 0x3a
  ) {
    return ISO_SHAPE;
  }
  let i = 19;
  let frac = 0;
  const c = s.charCodeAt(i);
  if (c === 0x2e || c === 0x2c) {
    if (!scanFraction(s, i + 1, 0)) return 'expected 1 to 9 fraction digits';
    i = fracEnd;
    frac = fracValue;
  }
  const offsetError = scanOffset(s, i);
  if (offsetError !== null) return offsetError;
  if (offsetEnd !== s.length) return ISO_SHAPE;
  const bad = checkFields(year, month, day, hour, minute, second);
  if (bad !== null) return bad;
  return toUs(year, month, day, hour, minute, second, frac, offsetValue);
}

/**
 * A decimal string times 10^shift, truncated toward zero: exact while the result is below 2^53,
 * which plain float arithmetic is not (1764230400.123456 * 1e6 is 1764230400123455.8).
 */
export function parseScaledDecimal(
  s: string,
  shift: number,
  integerOnly: boolean,
): TimeParseResult {
  const n = s.length;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 0x2d) {
    negative = true;
    i = 1;
  }
  const intStart = i;
  while (isDigitAt(s, i)) i++;
  const intEnd = i;
  let fracStart = i;
  let fracStop = i;
  const hasPoint = s.charCodeAt(i) === 0x2e;
  if (hasPoint) {
    fracStart = ++i;
    while (isDigitAt(s, i)) i++;
    fracStop = i;
  }
  if (intEnd === intStart && fracStop === fracStart) return 'not a number';
  let exp = 0;
  const e = s.charCodeAt(i);
  const hasExp = e === 0x65 || e === 0x45;
  if (hasExp) {
    i++;
    let expNegative = false;
    const sign = s.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) {
      expNegative = sign === 0x2d;
      i++;
    }
    const expStart = i;
    // beyond a few hundred the value is 0 or Infinity either way; the cap bounds the work
    while (isDigitAt(s, i)) {
      if (exp < 10_000) exp = exp * 10 + (s.charCodeAt(i) - 48);
      i++;
    }
    if (i === expStart) return 'not a number';
    if (expNegative) exp = -exp;
  }
  if (i !== n) return 'not a number';
  if (integerOnly && (hasPoint || hasExp)) {
    return 'expected an integer';
  }
  const intLen = intEnd - intStart;
  const total = intLen + (fracStop - fracStart);
  const point = intLen + shift + exp;
  let result = 0;
  const stop = point < total ? point : total;
  for (let k = 0; k < stop; k++) {
    const at = k < intLen ? intStart + k : fracStart + (k - intLen);
    result = result * 10 + (s.charCodeAt(at) - 48);
  }
  if (point > total) result *= 10 ** (point - total);
  return negative && result !== 0 ? -result : result;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const NUMERIC_EXPECTED = 'expected a number or a numeric string';

/** epoch_s / epoch_ms: integers take the float fast path, fractions the exact decimal one. */
function fractionalEpoch(shift: number): TimeParser {
  const factor = 10 ** shift;
  return (value) => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return 'not a finite number';
      return Number.isInteger(value)
        ? value * factor
        : parseScaledDecimal(String(value), shift, false);
    }
    if (typeof value === 'string') return parseScaledDecimal(value, shift, false);
    return `${NUMERIC_EXPECTED}, not ${describe(value)}`;
  };
}

const epochUs: TimeParser = (value) => {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? value : 'expected an integer';
  }
  if (typeof value === 'string') return parseScaledDecimal(value, 0, true);
  return `${NUMERIC_EXPECTED}, not ${describe(value)}`;
};

/**
 * Nanoseconds are past 2^53 for any current date, so a JSON number has already been rounded by the
 * parser; strings are exact, and numbers go through their shortest decimal form, which is the best
 * reading of what the producer wrote.
 */
const epochNs: TimeParser = (value) => {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'expected an integer';
    if (Number.isSafeInteger(value)) return (value - (value % 1000)) / 1000;
    return parseScaledDecimal(String(value), -3, false);
  }
  if (typeof value === 'string') return parseScaledDecimal(value, -3, true);
  return `${NUMERIC_EXPECTED}, not ${describe(value)}`;
};

const iso8601: TimeParser = (value) =>
  typeof value === 'string' ? parseIso8601(value) : `expected a string, not ${describe(value)}`;

// pattern steps, as small integers so a compiled pattern is two typed arrays
const Op = {
  Literal: 0,
  Year: 1,
  Month: 2,
  Day: 3,
  Hour: 4,
  Minute: 5,
  Second: 6,
  Fraction: 7,
  Offset: 8,
} as const;
type Op = (typeof Op)[keyof typeof Op];

const TOKENS: ReadonlyArray<[letter: string, width: number, op: Op, name: string]> = [
  ['Y', 4, Op.Year, 'YYYY'],
  ['M', 2, Op.Month, 'MM'],
  ['D', 2, Op.Day, 'DD'],
  ['H', 2, Op.Hour, 'HH'],
  ['m', 2, Op.Minute, 'mm'],
  ['s', 2, Op.Second, 'ss'],
];

/**
 * `pattern:<p>`: YYYY MM DD HH mm ss, a run of n S for exactly n fraction digits (1–9), Z for
 * `Z`/`±HH:MM`/`±HHMM`; every other character stands for itself. Without Z the time is UTC.
 */
export function compilePattern(pattern: string): TimeParser {
  if (pattern.length === 0) throw new TimeFormatError('the pattern is empty');
  const ops: Op[] = [];
  const args: number[] = [];
  const seen = new Set<Op>();
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    let run = 1;
    while (pattern[i + run] === ch) run++;
    const token = TOKENS.find((t) => t[0] === ch);
    if (token !== undefined) {
      const [, width, op, name] = token;
      if (run !== width) {
        throw new TimeFormatError(
          `unsupported token ${JSON.stringify(ch.repeat(run))} at ${i} (did you mean ${name}?)`,
        );
      }
      if (seen.has(op)) throw new TimeFormatError(`${name} appears twice`);
      seen.add(op);
      ops.push(op);
      args.push(width);
      i += run;
    } else if (ch === 'S') {
      if (run > 9) throw new TimeFormatError('at most 9 fraction digits (S) are supported');
      if (seen.has(Op.Fraction)) throw new TimeFormatError('S appears twice');
      seen.add(Op.Fraction);
      ops.push(Op.Fraction);
      args.push(run);
      i += run;
    } else if (ch === 'Z') {
      if (run > 1 || seen.has(Op.Offset)) throw new TimeFormatError('Z appears twice');
      seen.add(Op.Offset);
      ops.push(Op.Offset);
      args.push(0);
      i += 1;
    } else {
      ops.push(Op.Literal);
      args.push(ch.charCodeAt(0));
      i += 1;
    }
  }
  for (const [op, name] of [
    [Op.Year, 'YYYY'],
    [Op.Month, 'MM'],
    [Op.Day, 'DD'],
  ] as const) {
    if (!seen.has(op)) throw new TimeFormatError(`the pattern has no ${name}`);
  }
  if (seen.has(Op.Minute) && !seen.has(Op.Hour)) throw new TimeFormatError('mm without HH');
  if (seen.has(Op.Second) && !seen.has(Op.Minute)) throw new TimeFormatError('ss without mm');
  if (seen.has(Op.Fraction) && !seen.has(Op.Second)) throw new TimeFormatError('S without ss');

  const opCodes = Int32Array.from(ops);
  const opArgs = Int32Array.from(args);
  const n = opCodes.length;
  const shape = `expected a time like ${JSON.stringify(pattern)}`;

  return (value) => {
    if (typeof value !== 'string') return `expected a string, not ${describe(value)}`;
    const s = value;
    let pos = 0;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let frac = 0;
    let offset = 0;
    for (let k = 0; k < n; k++) {
      const op = opCodes[k] as Op;
      const arg = opArgs[k] as number;
      switch (op) {
        case Op.Literal:
          if (s.charCodeAt(pos) !== arg) return shape;
          pos++;
          break;
        case Op.Year:
          year = d4(s, pos);
          if (year < 0) return shape;
          pos += 4;
          break;
        case Op.Fraction:
          if (!scanFraction(s, pos, arg)) return shape;
          frac = fracValue;
          pos = fracEnd;
          break;
        case Op.Offset: {
          const bad = scanOffset(s, pos);
          if (bad !== null) return bad;
          offset = offsetValue;
          pos = offsetEnd;
          break;
        }
        default: {
          const v = d2(s, pos);
          if (v < 0) return shape;
          pos += 2;
          if (op === Op.Month) month = v;
          else if (op === Op.Day) day = v;
          else if (op === Op.Hour) hour = v;
          else if (op === Op.Minute) minute = v;
          else second = v;
        }
      }
    }
    if (pos !== s.length) return shape;
    const bad = checkFields(year, month, day, hour, minute, second);
    if (bad !== null) return bad;
    return toUs(year, month, day, hour, minute, second, frac, offset);
  };
}

/** The parser for a declared `time_format`; throws TimeFormatError when it is not one. */
export function compileTimeFormat(format: string): TimeParser {
  switch (format) {
    case 'iso8601':
      return iso8601;
    case 'epoch_s':
      return fractionalEpoch(6);
    case 'epoch_ms':
      return fractionalEpoch(3);
    case 'epoch_us':
      return epochUs;
    case 'epoch_ns':
      return epochNs;
  }
  if (typeof format === 'string' && format.startsWith('pattern:')) {
    return compilePattern(format.slice('pattern:'.length));
  }
  throw new TimeFormatError(
    `unknown time format ${JSON.stringify(format)} (iso8601, epoch_s, epoch_ms, epoch_us, epoch_ns or pattern:<pattern>)`,
  );
}

/** `2026-11-27T10:00:00.123456Z` for µs since the epoch (for reasons and timestamptz values). */
export function formatTimeUs(us: number): string {
  const ms = Math.floor(us / 1000);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${us} µs since the epoch`;
  const rest = us - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}
