import { describe, expect, it } from 'vitest';
import { deadLettersVariables, filterQuery, parseFilter } from './dead-letter-query';

describe('Web > Pipelines > dead-letter filters', () => {
  it('should read the filters from the URL, refusing what is not a name or a time', () => {
    const f = parseFilter({
      pipeline: 'sensor_readings',
      code: 'bad code!',
      from: '2026-01-01T00:00',
      page: '3',
    });
    expect(f).toEqual({
      pipeline: 'sensor_readings',
      code: null,
      from: '2026-01-01T00:00:00.000Z',
      to: null,
      page: 3,
    });
    expect(parseFilter({ page: '-1' }).page).toBe(1);
  });

  it('should turn them into a where clause of variables and a page offset, and back into a URL', () => {
    const f = parseFilter({
      pipeline: 'p',
      code: 'invalid_json',
      to: '2026-01-02T00:00:00Z',
      page: '2',
    });
    expect(deadLettersVariables(f)).toEqual({
      where: {
        pipeline: { _eq: 'p' },
        error_code: { _eq: 'invalid_json' },
        created_at: { _lte: '2026-01-02T00:00:00.000Z' },
      },
      limit: 25,
      offset: 25,
    });
    expect(filterQuery(f, 3)).toBe(
      'pipeline=p&code=invalid_json&to=2026-01-02T00%3A00%3A00.000Z&page=3',
    );
  });
});
