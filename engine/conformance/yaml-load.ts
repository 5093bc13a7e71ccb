/**
 * Loading the case files: YAML 1.2 with the core schema (no timestamps become Dates, `yes` stays
 * a string), integer map keys become JSON string keys, and integers beyond 2^53 keep every digit
 * (they stay `bigint` and are written back as plain JSON numbers by `toJson`).
 */
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';

/** A JSON value as read from YAML: numbers beyond the safe range stay bigint. */
export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

export function loadYaml(text: string): Json {
  const read = (t: string): unknown =>
    parse(t, { schema: 'core', intAsBigInt: true, uniqueKeys: false, merge: true });
  try {
    return normalize(read(text));
  } catch (e) {
    // PyYAML (upstream's loader) accepts a double-quoted scalar that continues on lines indented
    // no deeper than its key (after an escaped line break `\` or a plain one); yaml 2 does not.
    // Indenting those continuation lines changes nothing in the value (their leading blanks are
    // dropped when the lines are folded), so retry once with them indented.
    const repaired = text.replace(
      /([:-][ \t]+)"((?:[^"\\]|\\[\s\S])*)"/g,
      (_m, lead: string, body: string) => `${lead}"${body.replace(/\n/g, '\n    ')}"`,
    );
    if (repaired === text) throw e;
    return normalize(read(repaired));
  }
}

function normalize(v: unknown): Json {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  if (v === undefined) return null;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    return v;
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) {
    const out: { [k: string]: Json } = {};
    for (const [k, val] of v) out[String(k)] = normalize(val);
    return out;
  }
  if (typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = normalize(val);
    return out;
  }
  throw new Error(`unexpected YAML value of type ${typeof v}`);
}

/** JSON text of a value, writing bigints as exact JSON numbers. */
export function toJson(v: unknown): string {
  // a marker no string in the value can contain: a fresh random token per call
  const mark = `@@bigint-${randomBytes(8).toString('hex')}@@`;
  let found = false;
  const text = JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x !== 'bigint') return x;
    found = true;
    return `${mark}${x}`;
  });
  if (text === undefined) return 'null';
  return found
    ? text.replace(new RegExp(`"${mark}(-?\\d+)"`, 'g'), (_m, digits: string) => digits)
    : text;
}
