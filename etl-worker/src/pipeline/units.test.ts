import { describe, expect, it } from 'vitest';
import { compileUnitConversion, UNIT_NAMES, unitFamily, UnitError } from './units.ts';

const convert = (x: number, from: string, to: string): number => compileUnitConversion(from, to)(x);

describe('Pipeline > Units', () => {
  it.each([
    // temperature
    [71.6, 'degF', 'degC', 22],
    [32, 'degF', 'degC', 0],
    [212, 'degF', 'degC', 100],
    [-40, 'degF', 'degC', -40],
    [100, 'degC', 'degF', 212],
    [0, 'degC', 'K', 273.15],
    [273.15, 'K', 'degC', 0],
    [0, 'K', 'degF', -459.67],
    [-459.67, 'degF', 'K', 0],
    [20, '°C', '°F', 68],
    // voltage
    [3700, 'mV', 'V', 3.7],
    [3.3, 'V', 'mV', 3300],
    // pressure
    [1013, 'hPa', 'Pa', 101300],
    [101325, 'Pa', 'hPa', 1013.25],
    [1, 'bar', 'kPa', 100],
    [1, 'psi', 'Pa', 6894.757293168361],
    [1, 'bar', 'psi', 14.503773773020923],
    // length
    [1, 'km', 'm', 1000],
    [1, 'ft', 'in', 12],
    [1, 'in', 'cm', 2.54],
    [1, 'ft', 'm', 0.3048],
    [250, 'mm', 'cm', 25],
    // speed
    [36, 'km/h', 'm/s', 10],
    [1, 'mph', 'km/h', 1.609344],
    [1, 'kn', 'km/h', 1.852],
    // time
    [1500, 'ms', 's', 1.5],
    [1, 's', 'ns', 1e9],
    [2500, 'ns', 'us', 2.5],
    [1, 'µs', 'ns', 1000],
    // mass
    [1, 'lb', 'kg', 0.45359237],
    [1500, 'g', 'kg', 1.5],
    // energy
    [1, 'kWh', 'J', 3.6e6],
    [1500, 'Wh', 'kWh', 1.5],
    // ratio
    [0.42, 'ratio', 'percent', 42],
    [42, 'percent', 'ratio', 0.42],
    [5, '%', 'ratio', 0.05],
    // the same unit
    [17.5, 'degC', 'degC', 17.5],
  ])('should convert %d %s to %s', (x, from, to, expected) => {
    expect(convert(x, from, to)).toBeCloseTo(expected, 9);
  });

  it('should keep decimal inputs exact where the ratio allows it', () => {
    expect(convert(3700, 'mV', 'V')).toBe(3.7);
    expect(convert(71.6, 'degF', 'degC')).toBe(22);
    expect(convert(1013, 'hPa', 'Pa')).toBe(101300);
    expect(convert(0.42, 'ratio', 'percent')).toBe(42);
  });

  it('should round-trip through every pair of a family', () => {
    for (const a of UNIT_NAMES) {
      for (const b of UNIT_NAMES) {
        if (unitFamily(a) !== unitFamily(b)) continue;
        const there = convert(12.345, a, b);
        expect(convert(there, b, a)).toBeCloseTo(12.345, 6);
      }
    }
  });

  it('should refuse units of different quantities', () => {
    const attempt = (): unknown => compileUnitConversion('degC', 'V');
    expect(attempt).toThrow(UnitError);
    expect(attempt).toThrow('cannot convert degC (temperature) to V (voltage)');
    try {
      attempt();
    } catch (e) {
      expect((e as UnitError).side).toBe('both');
    }
  });

  it.each([
    ['degX', 'degC', 'from'],
    ['degC', 'celsius', 'to'],
    ['KM', 'm', 'from'],
    ['constructor', 'm', 'from'],
    ['m', '__proto__', 'to'],
  ])('should refuse the unknown unit in %s → %s', (from, to, side) => {
    try {
      compileUnitConversion(from, to);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnitError);
      expect((e as UnitError).side).toBe(side);
      expect((e as UnitError).reason).toContain('unknown unit');
    }
  });

  it('should know each unit family', () => {
    expect(unitFamily('kn')).toBe('speed');
    expect(unitFamily('percent')).toBe('ratio');
    expect(unitFamily('nope')).toBeUndefined();
  });
});
