/**
 * Following renames made by SQL (Hasura's processTablesDiff): when run_sql renames a tracked
 * table or one of its columns, the metadata is rewritten to the new name — the table entry,
 * relationships that point at it, `_exists` in permission filters, and for columns the
 * permission column lists, presets, filter keys (also when a filter reaches the table through a
 * relationship), relationship mappings and column configuration.
 */
import type { DbCatalog, QualifiedName } from '../introspection/catalog.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { resolveRelationship } from './dependencies.ts';
import type { SourceMeta, TableMeta } from './types.ts';
import { normalizeName, sameName } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const PERM_KEYS = [
  'select_permissions',
  'insert_permissions',
  'update_permissions',
  'delete_permissions',
];

type Perm = { role: string; permission: Record<string, unknown> };

/** Rewrite a table's name everywhere in a source. */
export function renameTable(src: SourceMeta, from: QualifiedName, to: QualifiedName): void {
  const swap = (x: unknown): unknown => {
    try {
      return sameName(normalizeName(x), from) ? { ...to } : x;
    } catch {
      return x;
    }
  };
  for (const t of src.tables) {
    if (sameName(normalizeName(t.table), from)) t.table = { ...to };
    for (const r of [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])]) {
      const u = r.using as Record<string, unknown>;
      if (isObj(u.manual_configuration)) {
        u.manual_configuration.remote_table = swap(u.manual_configuration.remote_table);
      }
      if (isObj(u.foreign_key_constraint_on) && u.foreign_key_constraint_on.table !== undefined) {
        u.foreign_key_constraint_on.table = swap(u.foreign_key_constraint_on.table);
      }
    }
    for (const key of PERM_KEYS) {
      for (const p of (t[key] ?? []) as Perm[]) {
        for (const k of ['filter', 'check']) rewriteExists(p.permission?.[k], swap);
      }
    }
  }
}

function rewriteExists(json: unknown, swap: (x: unknown) => unknown): void {
  if (Array.isArray(json)) {
    json.forEach((x) => rewriteExists(x, swap));
    return;
  }
  if (!isObj(json)) return;
  for (const [k, v] of Object.entries(json)) {
    if ((k === '_exists' || k === '$exists') && isObj(v)) v._table = swap(v._table);
    rewriteExists(v, swap);
  }
}

/**
 * Rewrite a column's name (table given by its current key) everywhere in a source. `catalog`
 * resolves relationships (the catalog before the change).
 */
export function renameColumn(
  src: SourceMeta,
  catalog: DbCatalog,
  tableKey: string,
  from: string,
  to: string,
): void {
  const tables = new Map(src.tables.map((t) => [qualifiedKey(normalizeName(t.table)), t]));
  const target = tables.get(tableKey);
  const rn = (c: unknown) => (c === from ? to : c);
  if (target) {
    for (const key of PERM_KEYS) {
      for (const p of (target[key] ?? []) as Perm[]) {
        const perm = p.permission ?? {};
        if (Array.isArray(perm.columns)) perm.columns = perm.columns.map(rn);
        if (isObj(perm.set) && from in perm.set) perm.set = renameKey(perm.set, from, to);
      }
    }
    const cfg = target.configuration;
    if (cfg?.column_config && from in cfg.column_config)
      cfg.column_config = renameKey(cfg.column_config, from, to) as typeof cfg.column_config;
    if (cfg?.custom_column_names && from in cfg.custom_column_names)
      cfg.custom_column_names = renameKey(cfg.custom_column_names, from, to) as Record<
        string,
        string
      >;
  }
  for (const [tk, t] of tables) {
    for (const kind of ['object', 'array'] as const) {
      const rels = (kind === 'object' ? t.object_relationships : t.array_relationships) ?? [];
      for (const r of rels) {
        const u = r.using as Record<string, unknown>;
        const res = resolveRelationship(kind, u, tk, catalog);
        if (isObj(u.manual_configuration)) {
          const mc = u.manual_configuration as { column_mapping?: Record<string, string> };
          const m = mc.column_mapping ?? {};
          const out: Record<string, string> = {};
          for (const [l, r2] of Object.entries(m)) {
            out[tk === tableKey && l === from ? to : l] =
              res?.target === tableKey && r2 === from ? to : r2;
          }
          mc.column_mapping = out;
          continue;
        }
        const fk = u.foreign_key_constraint_on;
        if (typeof fk === 'string' || Array.isArray(fk)) {
          if (tk === tableKey)
            u.foreign_key_constraint_on = Array.isArray(fk) ? fk.map(rn) : rn(fk);
        } else if (isObj(fk)) {
          const owner = fk.table !== undefined ? qualifiedKey(normalizeName(fk.table)) : tk;
          if (owner === tableKey) {
            if (fk.column !== undefined) fk.column = rn(fk.column);
            if (Array.isArray(fk.columns)) fk.columns = fk.columns.map(rn);
          }
        }
      }
    }
    for (const key of PERM_KEYS) {
      for (const p of (t[key] ?? []) as Perm[]) {
        for (const k of ['filter', 'check']) {
          const v = p.permission?.[k];
          if (v !== undefined)
            p.permission[k] = renameInFilter(v, tk, tk, tables, catalog, tableKey, from, to);
        }
      }
    }
  }
}

function renameKey<T extends Record<string, unknown>>(o: T, from: string, to: string): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k === from ? to : k] = v;
  return out as T;
}

function renameInFilter(
  json: unknown,
  at: string,
  root: string,
  tables: Map<string, TableMeta>,
  catalog: DbCatalog,
  tableKey: string,
  from: string,
  to: string,
): unknown {
  if (!isObj(json)) return json;
  const out: Record<string, unknown> = {};
  const t = tables.get(at);
  for (const [k, v] of Object.entries(json)) {
    const again = (x: unknown, table: string) =>
      renameInFilter(x, table, root, tables, catalog, tableKey, from, to);
    if (['_and', '$and', '_or', '$or'].includes(k)) {
      out[k] = Array.isArray(v) ? v.map((x) => again(x, at)) : v;
    } else if (k === '_not' || k === '$not') {
      out[k] = again(v, at);
    } else if ((k === '_exists' || k === '$exists') && isObj(v) && v._table !== undefined) {
      out[k] = { ...v, _where: again(v._where, qualifiedKey(normalizeName(v._table))) };
    } else {
      const rel = t
        ? [
            ...(t.object_relationships ?? []).map((r) => ({ r, kind: 'object' as const })),
            ...(t.array_relationships ?? []).map((r) => ({ r, kind: 'array' as const })),
          ].find((x) => x.r.name === k)
        : undefined;
      if (rel) {
        const res = resolveRelationship(
          rel.kind,
          rel.r.using as Record<string, unknown>,
          at,
          catalog,
        );
        out[k] = res?.target ? again(v, res.target) : v;
        continue;
      }
      let value = v;
      if (isObj(v)) {
        // column comparison operators name other columns
        const ops: Record<string, unknown> = {};
        for (const [op, x] of Object.entries(v)) {
          if (/^_c(eq|ne|neq|gt|lt|gte|lte)$/.test(op)) {
            if (Array.isArray(x) && x[0] === '$')
              ops[op] = root === tableKey && x[x.length - 1] === from ? ['$', to] : x;
            else ops[op] = at === tableKey && x === from ? to : x;
          } else ops[op] = x;
        }
        value = ops;
      }
      out[at === tableKey && k === from ? to : k] = value;
    }
  }
  return out;
}
