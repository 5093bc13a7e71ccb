/**
 * The permissions of inherited roles, worked out once per resolved source (Hasura's
 * buildTablePermissions over orderRoles): afterwards an inherited role has ordinary entries in
 * `selectPerms`, `otherPerms` and function grants, so the schema generator and the SQL translator
 * treat it as any other role. A permission defined for the inherited role itself always wins.
 *
 * - select: the parents' permissions combined: columns and scalar computed fields the union, rows
 *   the OR of the filters, limit the largest, aggregations if any parent allows them. A column
 *   that not every parent grants on every row is read only where a parent granting it allows the
 *   row (its cell filter), and is null elsewhere; cell filters carry through nested inheritance.
 * - insert / update / delete: inherited only when every parent that has one has the same one;
 *   parents that disagree leave the role without it, recorded as an inconsistency as Hasura does.
 * - functions (and actions, actions/definitions.ts): granted when any parent is granted.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  inheritBooleanPermission,
  inheritedRolesOf,
  orderInheritedRoles,
  type InheritedRole,
} from '../metadata/inherited-roles.ts';
import type { BoolExpJson, Metadata } from '../metadata/types.ts';
import type { SelectPermInfo, SourceInfo, TableInfo } from './source.ts';

const MUTATION_KINDS = ['insert', 'update', 'delete'] as const;

/** Every role the metadata names: those with a permission anywhere, and the inherited ones. */
function knownRoles(md: Metadata, info: SourceInfo): Set<string> {
  const roles = new Set(info.roles);
  for (const f of info.functions.values()) for (const r of f.permissions) roles.add(r);
  for (const a of Array.isArray(md.actions) ? md.actions : [])
    for (const p of (a as { permissions?: Array<{ role?: unknown }> }).permissions ?? [])
      if (typeof p.role === 'string') roles.add(p.role);
  for (const s of Array.isArray(md.remote_schemas) ? md.remote_schemas : [])
    for (const p of (s as { permissions?: Array<{ role?: unknown }> }).permissions ?? [])
      if (typeof p.role === 'string') roles.add(p.role);
  for (const r of inheritedRolesOf(md)) roles.add(r.role_name);
  return roles;
}

export function applyInheritedRoles(info: SourceInfo, md: Metadata): void {
  const { ordered } = orderInheritedRoles(inheritedRolesOf(md));
  const known = knownRoles(md, info);
  const usable: InheritedRole[] = [];
  for (const r of ordered) {
    const missing = r.role_set.filter((p) => !known.has(p));
    if (missing.length) {
      // Hasura's resolveInheritedRole
      info.inconsistencies.push({
        type: 'inherited_role',
        name: `inherited_role ${r.role_name}`,
        reason: `Inconsistent object: the following parent role(s) are not found: ${missing.join(', ')} which are required to construct the inherited role: "${r.role_name}"`,
        definition: r,
      });
      known.delete(r.role_name);
      continue;
    }
    usable.push(r);
    info.roles.add(r.role_name);
  }
  for (const t of info.tables.values()) {
    for (const r of usable) {
      const role = r.role_name;
      if (!t.selectPerms.has(role)) {
        const parents = r.role_set
          .map((p) => t.selectPerms.get(p))
          .filter((p): p is SelectPermInfo => p !== undefined);
        if (parents.length) t.selectPerms.set(role, combineSelect(parents));
      }
      for (const kind of MUTATION_KINDS) {
        if (t.otherPerms[kind].has(role)) continue;
        const given = r.role_set
          .map((p) => t.otherPerms[kind].get(p))
          .filter((p): p is Record<string, unknown> => p !== undefined);
        if (!given.length) continue;
        const first = canonical(t, given[0]!);
        if (given.every((p) => isDeepStrictEqual(canonical(t, p), first))) {
          t.otherPerms[kind].set(role, given[0]!);
          continue;
        }
        info.inconsistencies.push(conflict(info, t, role, kind));
      }
    }
  }
  for (const f of info.functions.values()) {
    // no grant at all means the function follows its table's select permission (inferred)
    if (f.permissions.size) inheritBooleanPermission(f.permissions, usable);
  }
}

/** Hasura's ConflictingInheritedPermission, informational: the role simply lacks the permission. */
function conflict(info: SourceInfo, t: TableInfo, role: string, kind: string) {
  const table = t.qn.schema === 'public' ? t.qn.name : `${t.qn.schema}.${t.qn.name}`;
  return {
    type: 'inherited role permission inconsistency',
    name: role,
    reason: `Could not inherit permission for the role '${role}' for the entity: '${kind} permission, table: ${table}, source: '${info.name}''`,
    definition: { table, source: info.name, permission_type: kind },
    informational: true,
  };
}

/**
 * A mutation permission with what does not change its meaning taken out: column order, `*`, and
 * the defaults written out (an empty filter, check or preset, `backend_only: false`).
 */
function canonical(t: TableInfo, p: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined || v === null || v === false || k === 'comment') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    if (k === 'columns')
      out[k] = v === '*' ? t.columns.map((c) => c.name).sort() : [...(v as string[])].sort();
    else out[k] = v;
  }
  return out;
}

const isTrue = (e: BoolExpJson): boolean => Object.keys(e).length === 0;

/** Where a parent shows a field: its own cell filter for it, else every row it may read. */
function cellOf(p: SelectPermInfo, field: string): BoolExpJson {
  return p.cellFilters?.get(field) ?? p.filter;
}

function combineSelect(parents: SelectPermInfo[]): SelectPermInfo {
  if (parents.length === 1) return parents[0]!;
  const cellFilters = new Map<string, BoolExpJson>();
  const combineFields = (fieldsOf: (p: SelectPermInfo) => Set<string>): Set<string> => {
    const all = new Set(parents.flatMap((p) => [...fieldsOf(p)]));
    for (const field of all) {
      const grants = parents.filter((p) => fieldsOf(p).has(field));
      const conds = grants.map((p) => cellOf(p, field));
      // every parent shows it wherever it shows a row: the combined row filter is enough
      const everywhere =
        (grants.length === parents.length && grants.every((p) => !p.cellFilters?.has(field))) ||
        conds.some(isTrue);
      if (!everywhere) cellFilters.set(field, conds.length === 1 ? conds[0]! : { _or: conds });
    }
    return all;
  };
  const columns = combineFields((p) => p.columns);
  const computedFields = combineFields((p) => p.computedFields);
  const filters = parents.map((p) => p.filter);
  const limits = parents.map((p) => p.limit).filter((l): l is number => l !== null);
  const rootFields = (of: (p: SelectPermInfo) => Set<string> | null): Set<string> | null => {
    const given = parents.map(of).filter((s): s is Set<string> => s !== null);
    return given.length ? new Set(given.flatMap((s) => [...s])) : null;
  };
  return {
    columns,
    computedFields,
    filter: filters.some(isTrue) ? {} : { _or: filters },
    limit: limits.length ? Math.max(...limits) : null,
    allowAggregations: parents.some((p) => p.allowAggregations),
    queryRootFields: rootFields((p) => p.queryRootFields),
    subscriptionRootFields: rootFields((p) => p.subscriptionRootFields),
    ...(cellFilters.size ? { cellFilters } : {}),
  };
}
