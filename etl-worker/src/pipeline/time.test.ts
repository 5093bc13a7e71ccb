import { describe, expect, it } from 'vitest';
import {
  compileTimeFormat,
  daysFromCivil,
  END_TIME_US,
  formatTimeUs,
  parseScaledDecimal,
  TimeFormatError,
} from './time.ts';

/** µs since the epoch from UTC fields, via Date (only ever called with valid fields here). */
const us = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, micro = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi, s) * 1000 + micro;

const T = us(2026, 11, 27, 10, 0, 0);

describe('Pipeline > Time > iso8601', () => {
  const parse = compileTimeFormat('iso8601');

  it.each([
    ['2026-11-27T10:00:00Z', T],
    ['2026-11-27T10:00:00.123456Z', T + 123_456],
    ['2026-11-27T10:00:00.1Z', T + 100_000],
    ['2026-11-27T10:00:00.000001Z', T + 1],
    ['2026-11-27T10:00:00.123456789Z', T + 123_456],
    ['2026-11-27T10:00:00.999999999Z', T + 999_999],
    ['2026-11-27T10:00:00,5Z', T + 500_000],
    ['2026-11-27T12:00:00+02:00', T],
    ['2026-11-27T05:30:00-04:30', T],
    ['2026-11-27T05:30:00-0430', T],
    ['2026-11-27T15:00:00+05', T],
    ['2026-11-27T10:00:00+00:00', T],
    ['2026-11-27T10:00:00-00:00', T],
    ['2026-11-27t10:00:00z', T],
    ['2026-11-27 10:00:00Z', T],
    ['2026-11-28T00:30:00+14:30', T],
    ['2024-02-29T00:00:00Z', us(2024, 2, 29)],
    ['2000-02-29T00:00:00Z', us(2000, 2, 29)],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:59:59Z', -1_000_000],
    ['9999-12-31T23:59:59.999999Z', END_TIME_US - 1],
  ])('should read %s', (input, expected) => {
    expect(parse(input)).toBe(expected);
  });

  it('should agree with Date on many instants across the supported years', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(next() * 253402300799999);
      expect(parse(new Date(ms).toISOString())).toBe(ms * 1000);
    }
  });

  it.each([
    ['2025-02-29T00:00:00Z', 'day 29 does not exist in 2025-02'],
    ['2025-02-30T00:00:00Z', 'day 30 does not exist in 2025-02'],
    ['1900-02-29T00:00:00Z', 'day 29 does not exist'],
    ['2025-04-31T00:00:00Z', 'day 31 does not exist'],
    ['2025-00-10T00:00:00Z', 'month 0 does not exist'],
    ['2025-13-01T00:00:00Z', 'month 13 does not exist'],
    ['2025-01-00T00:00:00Z', 'day 0 does not exist'],
    ['0000-01-01T00:00:00Z', 'year 0000'],
    ['2025-01-01T24:00:00Z', 'hour 24'],
    ['2025-01-01T23:60:00Z', 'minute 60'],
    ['2025-01-01T23:59:60Z', 'second 60'],
    ['2025-01-01T00:00:00', 'no UTC offset'],
    ['2025-01-01T00:00:00.123', 'no UTC offset'],
    ['2025-01-01T00:00:00+24:00', 'offset out of range'],
    ['2025-01-01T00:00:00+01:60', 'offset out of range'],
    ['2025-01-01T00:00:00+1', 'expected Z or ±HH:MM'],
    ['2025-01-01T00:00:00.Z', 'fraction digits'],
    ['2025-01-01T00:00:00.1234567890Z', 'fraction digits'],
    ['2025-01-01T00:00:00Zjunk', 'expected an ISO 8601 time'],
    ['2025-01-01', 'expected an ISO 8601 time'],
    ['2025-1-01T00:00:00Z', 'expected an ISO 8601 time'],
    ['2025/01/01T00:00:00Z', 'expected an ISO 8601 time'],
    ['2025-01-01X00:00:00Z', 'expected an ISO 8601 time'],
    ['2025-01-01T00:00Z', 'expected an ISO 8601 time'],
    ['+2025-01-01T00:00:00Z', 'expected an ISO 8601 time'],
    [' 2025-01-01T00:00:00Z', 'expected an ISO 8601 time'],
    ['Mon, 01 Jan 2025 00:00:00 GMT', 'expected an ISO 8601 time'],
    ['', 'expected an ISO 8601 time'],
  ])('should reject %j (%s)', (input, reason) => {
    const r = parse(input);
    expect(typeof r).toBe('string');
    expect(r).toContain(reason);
  });

  it.each([[1764230400], [true], [null], [{}], [['2025-01-01T00:00:00Z']]])(
    'should reject the non-string %j',
    (input) => {
      expect(parse(input)).toMatch(/^expected a string/);
    },
  );
});

describe('Pipeline > Time > epoch', () => {
  const S = 1_764_230_400;

  it.each([
    ['epoch_s', S, S * 1e6],
    ['epoch_s', `${S}`, S * 1e6],
    ['epoch_s', 1764230400.123456, 1764230400123456],
    ['epoch_s', '1764230400.123456', 1764230400123456],
    ['epoch_s', '1764230400.1234569', 1764230400123456],
    ['epoch_s', 1764230400.5, 1764230400500000],
    ['epoch_s', 1.7642304e9, S * 1e6],
    ['epoch_s', '1.7642304e9', S * 1e6],
    ['epoch_s', '17642304004E-1', 1764230400400000],
    ['epoch_s', 0, 0],
    ['epoch_s', '-1', -1e6],
    ['epoch_ms', 1764230400123, 1764230400123000],
    ['epoch_ms', '1764230400123', 1764230400123000],
    ['epoch_ms', 1764230400123.456, 1764230400123456],
    ['epoch_ms', '1764230400123.4567', 1764230400123456],
    ['epoch_us', 1764230400123456, 1764230400123456],
    ['epoch_us', '1764230400123456', 1764230400123456],
    ['epoch_ns', '1764230400123456789', 1764230400123456],
    ['epoch_ns', '1764230400123456999', 1764230400123456],
    ['epoch_ns', '9007199254740991999', 9007199254740991],
    // a JSON number this large has already been rounded by the parser
    ['epoch_ns', Number('1764230400123456789'), 1764230400123456],
    ['epoch_ns', 1234567, 1234],
    ['epoch_ns', 999, 0],
  ])('should read %s %j', (format, input, expected) => {
    expect(compileTimeFormat(format)(input)).toBe(expected);
  });

  it('should keep nanosecond strings exact where float arithmetic would not', () => {
    // as a JSON number this would already be 1764230400999999900 or so; the string keeps all digits
    expect(compileTimeFormat('epoch_ns')('1764230400999999999')).toBe(1764230400999999);
  });

  it.each([
    ['epoch_s', '', 'not a number'],
    ['epoch_s', ' 1', 'not a number'],
    ['epoch_s', '1 ', 'not a number'],
    ['epoch_s', '0x10', 'not a number'],
    ['epoch_s', '1e', 'not a number'],
    ['epoch_s', 'NaN', 'not a number'],
    ['epoch_s', 'Infinity', 'not a number'],
    ['epoch_s', '-', 'not a number'],
    ['epoch_s', '1.2.3', 'not a number'],
    ['epoch_s', true, 'expected a number or a numeric string'],
    ['epoch_s', {}, 'expected a number or a numeric string'],
    ['epoch_s', Infinity, 'not a finite number'],
    ['epoch_ms', [1], 'expected a number or a numeric string'],
    ['epoch_us', 1.5, 'expected an integer'],
    ['epoch_us', '1.5', 'expected an integer'],
    ['epoch_us', '1e3', 'expected an integer'],
    ['epoch_ns', 1.5, 'expected an integer'],
    ['epoch_ns', '1764230400123456789.5', 'expected an integer'],
    ['epoch_ns', false, 'expected a number or a numeric string'],
  ])('should reject %s %j', (format, input, reason) => {
    expect(compileTimeFormat(format)(input)).toContain(reason);
  });

  it('should scale decimal strings exactly', () => {
    expect(parseScaledDecimal('0.000001', 6, false)).toBe(1);
    expect(parseScaledDecimal('0.0000009', 6, false)).toBe(0);
    expect(parseScaledDecimal('.5', 6, false)).toBe(500000);
    expect(parseScaledDecimal('5.', 6, false)).toBe(5000000);
    expect(parseScaledDecimal('12e-1', 0, false)).toBe(1);
    expect(parseScaledDecimal('1e400', 0, false)).toBe(Infinity);
    expect(parseScaledDecimal('1e-99999999', 0, false)).toBe(0);
  });
});

describe('Pipeline > Time > pattern', () => {
  it.each([
    ['pattern:YYYY-MM-DD HH:mm:ss', '2026-11-27 10:00:00', T],
    ['pattern:YYYY-MM-DD', '2026-11-27', us(2026, 11, 27)],
    ['pattern:DD/MM/YYYY HH:mm', '27/11/2026 10:00', T],
    ['pattern:YYYYMMDDTHHmmss', '20261127T100000', T],
    ['pattern:DD.MM.YYYY HH:mm:ss.SSS Z', '27.11.2026 11:00:00.123 +01:00', T + 123_000],
    ['pattern:YYYY-MM-DD HH:mm:ss.SSSSSSZ', '2026-11-27 10:00:00.000042Z', T + 42],
    ['pattern:YYYY-MM-DD HH:mm:ss.SSSSSSSSS Z', '2026-11-27 05:00:00.123456789 -0500', T + 123_456],
    ['pattern:YYYY-MM-DD HH:mm:ss.S', '2026-11-27 10:00:00.7', T + 700_000],
    ['pattern:[YYYY-MM-DD] HH:mm:ss', '[2026-11-27] 10:00:00', T],
  ])('should read %s %j', (format, input, expected) => {
    expect(compileTimeFormat(format)(input)).toBe(expected);
  });

  it.each([
    ['pattern:YYYY-MM-DD HH:mm:ss', '2026-11-27T10:00:00', 'expected a time like'],
    ['pattern:YYYY-MM-DD HH:mm:ss', '2026-11-27 10:00:00Z', 'expected a time like'],
    ['pattern:YYYY-MM-DD HH:mm:ss', '2026-11-27 10:00', 'expected a time like'],
    ['pattern:YYYY-MM-DD HH:mm:ss.SSS', '2026-11-27 10:00:00.12', 'expected a time like'],
    ['pattern:YYYY-MM-DD HH:mm:ss.SSS', '2026-11-27 10:00:00.1234', 'expected a time like'],
    ['pattern:YYYY-MM-DD', '2026-02-30', 'day 30 does not exist'],
    ['pattern:YYYY-MM-DD HH:mm', '2026-02-03 25:00', 'hour 25'],
    ['pattern:YYYY-MM-DD HH:mm Z', '2026-02-03 10:00 CET', 'expected Z or ±HH:MM'],
    ['pattern:YYYY-MM-DD', 20261127, 'expected a string'],
  ])('should reject %s %j', (format, input, reason) => {
    expect(compileTimeFormat(format)(input)).toContain(reason);
  });

  it.each([
    ['pattern:', 'empty'],
    ['pattern:YY-MM-DD', '"YY"'],
    ['pattern:YYYY-MMM-DD', '"MMM"'],
    ['pattern:YYYY-MM-D', '"D"'],
    ['pattern:YYYY-MM', 'no DD'],
    ['pattern:MM-DD HH:mm', 'no YYYY'],
    ['pattern:YYYY-MM-DD YYYY', 'YYYY appears twice'],
    ['pattern:YYYY-MM-DD mm', 'mm without HH'],
    ['pattern:YYYY-MM-DD HH:ss', 'ss without mm'],
    ['pattern:YYYY-MM-DD.SSS', 'S without ss'],
    ['pattern:YYYY-MM-DD HH:mm:ss.SSSSSSSSSS', 'at most 9'],
    ['pattern:YYYY-MM-DD ZZ', 'Z appears twice'],
    ['iso', 'unknown time format'],
    ['epoch', 'unknown time format'],
    ['ISO8601', 'unknown time format'],
  ])('should refuse the format %j (%s)', (format, reason) => {
    expect(() => compileTimeFormat(format)).toThrow(TimeFormatError);
    expect(() => compileTimeFormat(format)).toThrow(reason);
  });
});

describe('Pipeline > Time > helpers', () => {
  it('should count days like the proleptic Gregorian calendar', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(Date.UTC(2000, 2, 1) / 86_400_000);
    expect(daysFromCivil(1, 1, 1)).toBe(-719_162);
    expect(daysFromCivil(9999, 12, 31)).toBe(Date.UTC(9999, 11, 31) / 86_400_000);
  });

  it('should format µs with all six fraction digits', () => {
    expect(formatTimeUs(T + 123_456)).toBe('2026-11-27T10:00:00.123456Z');
    expect(formatTimeUs(T + 7)).toBe('2026-11-27T10:00:00.000007Z');
    expect(formatTimeUs(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(formatTimeUs(Number.NaN)).toContain('µs since the epoch');
  });
});
