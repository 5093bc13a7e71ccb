/**
 * Unit conversion for mapped fields (`"unit": {"from": "degF", "to": "degC"}`). Each unit is
 * `(x - zero) * num / den` of its family's base unit, with the scale kept as a ratio of exact
 * integers: dividing 3700 mV by 1000 gives 3.7, multiplying by 0.001 gives 3.7000000000000006.
 */

export type UnitFamily =
  | 'temperature'
  | 'voltage'
  | 'pressure'
  | 'length'
  | 'speed'
  | 'time'
  | 'mass'
  | 'energy'
  | 'ratio';

interface UnitDef {
  family: UnitFamily;
  /** base = (x - zero) * num / den */
  num: number;
  den: number;
  zero: number;
}

const u = (family: UnitFamily, num: number, den = 1, zero = 0): UnitDef => ({
  family,
  num,
  den,
  zero,
});

const UNITS: ReadonlyMap<string, UnitDef> = new Map([
  // base °C: the everyday formulas (x - 32) * 5 / 9 and x - 273.15 fall out directly
  ['degC', u('temperature', 1)],
  ['degF', u('temperature', 5, 9, 32)],
  ['K', u('temperature', 1, 1, 273.15)],
  ['V', u('voltage', 1)],
  ['mV', u('voltage', 1, 1000)],
  ['Pa', u('pressure', 1)],
  ['hPa', u('pressure', 100)],
  ['kPa', u('pressure', 1000)],
  ['bar', u('pressure', 100_000)],
  // 1 lbf / in² = 4.4482216152605 N / 0.00064516 m²
  ['psi', u('pressure', 44_482_216_152_605, 6_451_600_000)],
  ['m', u('length', 1)],
  ['cm', u('length', 1, 100)],
  ['mm', u('length', 1, 1000)],
  ['km', u('length', 1000)],
  ['ft', u('length', 381, 1250)],
  ['in', u('length', 127, 5000)],
  ['m/s', u('speed', 1)],
  ['km/h', u('speed', 5, 18)],
  ['mph', u('speed', 1397, 3125)],
  ['kn', u('speed', 463, 900)],
  ['s', u('time', 1)],
  ['ms', u('time', 1, 1000)],
  ['us', u('time', 1, 1_000_000)],
  ['ns', u('time', 1, 1_000_000_000)],
  ['kg', u('mass', 1)],
  ['g', u('mass', 1, 1000)],
  ['lb', u('mass', 45_359_237, 100_000_000)],
  ['J', u('energy', 1)],
  ['Wh', u('energy', 3600)],
  ['kWh', u('energy', 3_600_000)],
  ['ratio', u('ratio', 1)],
  ['percent', u('ratio', 1, 100)],
]);

const ALIASES: ReadonlyMap<string, string> = new Map([
  ['°C', 'degC'],
  ['°F', 'degF'],
  ['µs', 'us'],
  ['%', 'percent'],
]);

/** Every unit name (without aliases), for messages and docs. */
export const UNIT_NAMES: readonly string[] = [...UNITS.keys()];

export function unitFamily(name: string): UnitFamily | undefined {
  return UNITS.get(ALIASES.get(name) ?? name)?.family;
}

export class UnitError extends Error {
  constructor(
    /** which side is wrong: "from", "to", or "both" when they do not convert into each other */
    readonly side: 'from' | 'to' | 'both',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'UnitError';
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export type UnitConversion = (x: number) => number;

/** The conversion from one unit to another of its family; throws UnitError otherwise. */
export function compileUnitConversion(from: string, to: string): UnitConversion {
  const a = UNITS.get(ALIASES.get(from) ?? from);
  if (a === undefined) throw new UnitError('from', unknownUnit(from));
  const b = UNITS.get(ALIASES.get(to) ?? to);
  if (b === undefined) throw new UnitError('to', unknownUnit(to));
  if (a.family !== b.family) {
    throw new UnitError(
      'both',
      `cannot convert ${from} (${a.family}) to ${to} (${b.family}): different quantities`,
    );
  }
  // y = (x - a.zero) * a.num * b.den / (a.den * b.num) + b.zero
  let num = a.num * b.den;
  let den = a.den * b.num;
  if (Number.isSafeInteger(num) && Number.isSafeInteger(den)) {
    const g = gcd(num, den);
    num /= g;
    den /= g;
  }
  const za = a.zero;
  const zb = b.zero;
  if (za === 0 && zb === 0) {
    if (num === den) return (x) => x;
    if (num === 1) return (x) => x / den;
    if (den === 1) return (x) => x * num;
    return (x) => (x * num) / den;
  }
  if (num === den) {
    const shift = zb - za;
    return (x) => x + shift;
  }
  // scaling before shifting keeps decimal inputs exact more often: 71.6 °F is (358 - 160) / 9 = 22
  const zn = za * num;
  return (x) => (x * num - zn) / den + zb;
}

function unknownUnit(name: string): string {
  return `unknown unit ${JSON.stringify(name)} (known: ${UNIT_NAMES.join(', ')})`;
}
