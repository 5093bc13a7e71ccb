/**
 * Insert, update and delete permissions of a role on a table, resolved from metadata the way
 * Hasura's buildInsPermInfo / buildUpdPermInfo / buildDelPermInfo do: `columns` ('*' or a list,
 * absent on insert = every column), the `check` / `filter` boolean expressions, `set` presets
 * (a string starting with `x-hasura-` is a session variable, anything else a literal of the
 * column's type), and `backend_only`. Columns with a preset are not part of the input types.
 * Admin gets every column, no filter, no check and no presets.
 */
import type { BoolExpJson } from '../metadata/types.ts';
import type { TableInfo } from './source.ts';
import { ADMIN_ROLE } from '../session.ts';

export type Preset = { k: 'session'; name: string } | { k: 'lit'; value: unknown };

export interface InsertPermInfo {
  columns: Set<string>;
  check: BoolExpJson;
  presets: Map<string, Preset>;
  backendOnly: boolean;
}

export interface UpdatePermInfo {
  columns: Set<string>;
  filter: BoolExpJson;
  check: BoolExpJson | null;
  presets: Map<string, Preset>;
  backendOnly: boolean;
}

export interface DeletePermInfo {
  filter: BoolExpJson;
  backendOnly: boolean;
}

const SESSION = /^x-hasura-/i;

function presetsOf(t: TableInfo, set: unknown): Map<string, Preset> {
  const out = new Map<string, Preset>();
  if (!set || typeof set !== 'object' || Array.isArray(set)) return out;
  for (const [col, v] of Object.entries(set as Record<string, unknown>)) {
    if (!t.columnsByName.has(col)) continue;
    out.set(
      col,
      typeof v === 'string' && SESSION.test(v)
        ? { k: 'session', name: v.toLowerCase() }
        : { k: 'lit', value: v },
    );
  }
  return out;
}

function columnsOf(t: TableInfo, spec: unknown, absentMeansAll: boolean): string[] {
  if (spec === '*' || (spec === undefined && absentMeansAll)) return t.columns.map((c) => c.name);
  if (Array.isArray(spec)) return spec.map(String).filter((c) => t.columnsByName.has(c));
  return [];
}

const obj = (v: unknown): BoolExpJson =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as BoolExpJson) : {};

export function insertPerm(t: TableInfo, role: string): InsertPermInfo | undefined {
  if (role === ADMIN_ROLE) {
    return {
      columns: new Set(t.columns.map((c) => c.name)),
      check: {},
      presets: new Map(),
      backendOnly: false,
    };
  }
  const p = t.otherPerms.insert.get(role);
  if (!p) return undefined;
  const presets = presetsOf(t, p.set);
  return {
    columns: new Set(columnsOf(t, p.columns, true).filter((c) => !presets.has(c))),
    check: obj(p.check),
    presets,
    backendOnly: p.backend_only === true,
  };
}

export function updatePerm(t: TableInfo, role: string): UpdatePermInfo | undefined {
  if (role === ADMIN_ROLE) {
    return {
      columns: new Set(t.columns.map((c) => c.name)),
      filter: {},
      check: null,
      presets: new Map(),
      backendOnly: false,
    };
  }
  const p = t.otherPerms.update.get(role);
  if (!p) return undefined;
  const presets = presetsOf(t, p.set);
  return {
    columns: new Set(columnsOf(t, p.columns, false).filter((c) => !presets.has(c))),
    filter: obj(p.filter),
    check: p.check === undefined || p.check === null ? null : obj(p.check),
    presets,
    backendOnly: p.backend_only === true,
  };
}

export function deletePerm(t: TableInfo, role: string): DeletePermInfo | undefined {
  if (role === ADMIN_ROLE) return { filter: {}, backendOnly: false };
  const p = t.otherPerms.delete.get(role);
  if (!p) return undefined;
  return { filter: obj(p.filter), backendOnly: p.backend_only === true };
}
