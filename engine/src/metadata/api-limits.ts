/**
 * Hasura's `api_limits` metadata (Hasura/RQL/Types/ApiLimit.hs; the limits themselves are
 * enforced only by Hasura's paid editions): `depth_limit`, `node_limit`, `time_limit`,
 * `batch_limit` and `rate_limit`, each `{global, per_role}`, and `disabled`. This file reads and
 * checks that JSON as Hasura's FromJSON instances do, and resolves the limits one role is held to.
 *
 * Resolution, per kind: the role's `per_role` entry, else `global`, else the engine's default for
 * non-admin roles (settings, so a fresh install is safe without configuration). `admin` is held
 * only to its own `per_role` entries. `disabled: true` lifts every policy limit (the engine's
 * safety caps in document-cost.ts stay).
 */
import { jsonKind, QErr, type PathElem } from '../errors.ts';

export interface RateLimitConfig {
  max_reqs_per_min: number;
  /** `IP`, or session variables (lower-cased) whose values, with the role, key the count */
  unique_params?: 'IP' | string[];
}

export interface LimitOption<T> {
  global: T;
  per_role?: Record<string, T>;
}

export interface ApiLimitsMeta {
  disabled?: boolean;
  depth_limit?: LimitOption<number>;
  node_limit?: LimitOption<number>;
  time_limit?: LimitOption<number>;
  batch_limit?: LimitOption<number>;
  rate_limit?: LimitOption<RateLimitConfig>;
}

/** The limits one request is held to (null: none of that kind). */
export interface RoleLimits {
  depth: number | null;
  nodes: number | null;
  batch: number | null;
  /** seconds */
  time: number | null;
  rate: RateLimitConfig | null;
}

/** The engine's defaults for non-admin roles where api_limits says nothing. */
export type LimitDefaults = RoleLimits;

const NUMERIC_KINDS = ['depth_limit', 'node_limit', 'time_limit', 'batch_limit'] as const;

const bad = (message: string, path: PathElem[]) => new QErr('parse-failed', message, 400, path);

function expectObject(v: unknown, path: PathElem[]): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw bad(`expected Object, but encountered ${jsonKind(v)}`, path);
  return v as Record<string, unknown>;
}

function parseNumber(v: unknown, path: PathElem[], integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw bad(
      `parsing ${integer ? 'Int' : 'Seconds'} failed, expected Number, but encountered ${jsonKind(v)}`,
      path,
    );
  if (integer && !Number.isInteger(v))
    throw bad(`parsing Int failed, unexpected floating number ${v}`, path);
  if (v <= 0) throw bad('the limit must be a positive number', path);
  return v;
}

const SESSION_VAR = /^x-hasura-/i;
const UNIQUE_PARAMS_ERROR =
  "Not a valid value. Should be either: 'IP' or a list of Hasura session variables";

function parseRate(v: unknown, path: PathElem[]): RateLimitConfig {
  const o = expectObject(v, path);
  if (!('max_reqs_per_min' in o)) throw bad('key "max_reqs_per_min" not found', path);
  const out: RateLimitConfig = {
    max_reqs_per_min: parseNumber(o.max_reqs_per_min, [...path, 'max_reqs_per_min'], true),
  };
  const up = o.unique_params;
  if (up === undefined || up === null) return out;
  if (typeof up === 'string') {
    if (up.toLowerCase() !== 'ip') throw bad(UNIQUE_PARAMS_ERROR, [...path, 'unique_params']);
    out.unique_params = 'IP';
  } else if (Array.isArray(up)) {
    out.unique_params = up.map((s) => {
      if (typeof s !== 'string' || !SESSION_VAR.test(s) || s.toLowerCase() === 'x-hasura-role')
        throw bad(UNIQUE_PARAMS_ERROR, [...path, 'unique_params']);
      return s.toLowerCase();
    });
  } else throw bad(UNIQUE_PARAMS_ERROR, [...path, 'unique_params']);
  return out;
}

function parseOption<T>(
  v: unknown,
  path: PathElem[],
  item: (x: unknown, p: PathElem[]) => T,
): LimitOption<T> {
  const o = expectObject(v, path);
  if (!('global' in o)) throw bad('key "global" not found', path);
  const out: LimitOption<T> = { global: item(o.global, [...path, 'global']) };
  if (o.per_role !== undefined && o.per_role !== null) {
    const pr = expectObject(o.per_role, [...path, 'per_role']);
    out.per_role = {};
    for (const [role, x] of Object.entries(pr))
      out.per_role[role] = item(x, [...path, 'per_role', role]);
  }
  return out;
}

/** `set_api_limits` args, or the `api_limits` of replace_metadata, checked and normalised. */
export function parseApiLimits(v: unknown, path: PathElem[] = []): ApiLimitsMeta {
  const o = expectObject(v, path);
  const out: ApiLimitsMeta = {};
  if (o.disabled !== undefined && o.disabled !== null) {
    if (typeof o.disabled !== 'boolean')
      throw bad(`parsing Bool failed, expected Boolean, but encountered ${jsonKind(o.disabled)}`, [
        ...path,
        'disabled',
      ]);
  }
  out.disabled = o.disabled === true;
  for (const kind of NUMERIC_KINDS) {
    if (o[kind] === undefined || o[kind] === null) continue;
    out[kind] = parseOption(o[kind], [...path, kind], (x, p) =>
      parseNumber(x, p, kind !== 'time_limit'),
    );
  }
  if (o.rate_limit !== undefined && o.rate_limit !== null)
    out.rate_limit = parseOption(o.rate_limit, [...path, 'rate_limit'], parseRate);
  return out;
}

function pick<T>(opt: LimitOption<T> | undefined, role: string, isAdmin: boolean): T | undefined {
  if (!opt) return undefined;
  const own = opt.per_role && Object.prototype.hasOwnProperty.call(opt.per_role, role);
  if (own) return opt.per_role![role];
  return isAdmin ? undefined : opt.global;
}

/** The limits `role` is held to under `meta` (the metadata's api_limits, possibly absent). */
export function limitsForRole(
  meta: ApiLimitsMeta | undefined,
  role: string,
  isAdmin: boolean,
  defaults: LimitDefaults,
): RoleLimits {
  const none: RoleLimits = { depth: null, nodes: null, batch: null, time: null, rate: null };
  if (meta?.disabled) return none;
  const d = isAdmin ? none : defaults;
  return {
    depth: pick(meta?.depth_limit, role, isAdmin) ?? d.depth,
    nodes: pick(meta?.node_limit, role, isAdmin) ?? d.nodes,
    batch: pick(meta?.batch_limit, role, isAdmin) ?? d.batch,
    time: pick(meta?.time_limit, role, isAdmin) ?? d.time,
    rate: pick(meta?.rate_limit, role, isAdmin) ?? d.rate,
  };
}
