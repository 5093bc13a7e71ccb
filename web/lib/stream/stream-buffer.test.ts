import { describe, expect, it } from 'vitest';
import { parseTime } from './stream-buffer';

describe('Web > Stream > times', () => {
  it('should parse Hasura and Postgres timestamp forms', () => {
    expect(parseTime('2024-05-01T12:00:00.123+00:00')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(parseTime('2024-05-01T12:00:00.123456+00:00')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(parseTime('2024-05-01 12:00:00.5+02')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 500));
    expect(parseTime(null)).toBeNaN();
  });
});
