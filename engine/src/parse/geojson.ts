/**
 * GeoJSON input of `geometry` and `geography` columns, checked as Hasura's parser (the `geojson`
 * package behind Hasura's GeometryWithCRS) checks it before any SQL runs: the geometry types it
 * knows, positions of at least two numbers, line strings of at least two positions, closed linear
 * rings of at least four. Its messages are Hasura's; the error is `parse-failed` at the value.
 */
import { QErr } from '../errors.ts';

const parseFailed = (message: string): never => {
  throw new QErr('parse-failed', message, 200);
};

type Check = (coordinates: unknown) => void;

function list(v: unknown): unknown[] {
  if (!Array.isArray(v))
    return parseFailed(`expected Array, but encountered ${v === null ? 'Null' : typeof v}`);
  return v;
}

function position(v: unknown): number[] {
  const p = list(v);
  if (p.length < 2) parseFailed('A Position needs at least 2 elements');
  if (!p.every((x) => typeof x === 'number')) parseFailed('a Position holds numbers only');
  return p as number[];
}

function lineString(v: unknown): void {
  const ps = list(v).map(position);
  if (ps.length < 2) parseFailed('A LineString needs at least 2 Positions');
}

function linearRing(v: unknown): void {
  const ps = list(v).map(position);
  if (ps.length < 4) parseFailed('A LinearRing needs at least 4 Positions');
  const first = ps[0]!;
  const last = ps[ps.length - 1]!;
  if (first.length !== last.length || first.some((x, i) => x !== last[i]))
    parseFailed('the first and last locations have to be equal for a LinearRing');
}

const polygon: Check = (v) => list(v).forEach(linearRing);

const GEOMETRIES: Record<string, Check> = {
  Point: position,
  MultiPoint: (v) => list(v).forEach(position),
  LineString: lineString,
  MultiLineString: (v) => list(v).forEach(lineString),
  Polygon: polygon,
  MultiPolygon: (v) => list(v).forEach(polygon),
};

/** Throw Hasura's parse error when `json` is not GeoJSON a geometry column accepts. */
export function checkGeoJson(json: unknown): void {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return parseFailed('expected Object, but encountered a non-object');
  const g = json as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  if (typeof g.type !== 'string') return parseFailed('key "type" not found');
  if (g.type === 'GeometryCollection') {
    list(g.geometries).forEach(checkGeoJson);
    return;
  }
  const check = GEOMETRIES[g.type];
  if (!check) return parseFailed(`unexpected geometry type: ${g.type}`);
  check(g.coordinates);
}
