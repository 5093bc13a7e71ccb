import { describe, expect, it } from 'vitest';
import { fileName, toCsv } from './csv';

describe('Web > Export > CSV', () => {
  it('should quote what needs quoting and defuse spreadsheet formulas', () => {
    const csv = toCsv(
      ['time', 'entity', 'value'],
      [
        ['2026-01-01T00:00:00.000Z', 'Sensor "A", roof', 1.5],
        ['2026-01-01T00:01:00.000Z', '=HYPERLINK("x")', null],
        ['2026-01-01T00:02:00.000Z', 'line\nbreak', Number.NaN],
      ],
    );
    expect(csv).toBe(
      'time,entity,value\r\n' +
        '2026-01-01T00:00:00.000Z,"Sensor ""A"", roof",1.5\r\n' +
        `2026-01-01T00:01:00.000Z,"'=HYPERLINK(""x"")",\r\n` +
        '2026-01-01T00:02:00.000Z,"line\nbreak",\r\n',
    );
  });

  it('should make a safe file name of a title', () => {
    expect(fileName('Temperature (°C) / roof', 'csv')).toBe('temperature-c-roof.csv');
    expect(fileName('***', 'png')).toBe('panel.png');
  });
});
