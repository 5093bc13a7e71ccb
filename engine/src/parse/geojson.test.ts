import { describe, expect, it } from 'vitest';
import { checkGeoJson } from './geojson.ts';

const message = (json: unknown): string | undefined => {
  try {
    checkGeoJson(json);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

describe('GeoJSON input', () => {
  it('should accept the geometries Hasura accepts', () => {
    expect(message({ type: 'Point', coordinates: [1, 2] })).toBeUndefined();
    expect(
      message({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      }),
    ).toBeUndefined();
  });

  it("should refuse malformed ones with Hasura's messages", () => {
    expect(message({ type: 'Point', coordinates: [1] })).toBe(
      'A Position needs at least 2 elements',
    );
    expect(message({ type: 'LineString', coordinates: [[1, 2]] })).toBe(
      'A LineString needs at least 2 Positions',
    );
    expect(
      message({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [2, 2],
          ],
        ],
      }),
    ).toBe('the first and last locations have to be equal for a LinearRing');
    expect(message({ type: 'Random', coordinates: [1, 2] })).toBe(
      'unexpected geometry type: Random',
    );
  });
});
