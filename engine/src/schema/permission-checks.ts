/**
 * Permission definitions checked against the resolved source, as Hasura's buildPermission does:
 * no permission for the admin role, listed and preset columns exist, and every key of a filter /
 * check names a column, relationship or computed field (through relationships and `_exists`
 * too) with known operators. A permission that fails is an inconsistent object ("Inconsistent
 * object: in table …: in permission for role …: …") and is left out of the schema.
 */
import type { SourceInfo, TableInfo } from './source.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { normalizeName } from '../metadata/types.ts';
import { ADMIN_ROLE } from '../session.ts';
import { COLUMN_COMPARISONS, isPermissionOperator, permissionOperatorName } from './operators.ts';

const KINDS = ['select', 'insert', 'update', 'delete'] as const;
type Kind = (typeof KINDS)[number];

class PermError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function checkBoolExp(info: SourceInfo, t: TableInfo, json: unknown): void {
  if (json === undefined || json === null) return;
  if (!isObj(json)) throw new PermError('expected an object for a boolean expression');
  for (const [key, v] of Object.entries(json)) {
    if (['_and', '$and', '_or', '$or'].includes(key)) {
      if (!Array.isArray(v)) throw new PermError(`expected an array for "${key}"`);
      for (const x of v) checkBoolExp(info, t, x);
      continue;
    }
    if (key === '_not' || key === '$not') {
      checkBoolExp(info, t, v);
      continue;
    }
    if (key === '_exists' || key === '$exists') {
      if (!isObj(v) || v._table === undefined || v._where === undefined)
        throw new PermError('"_exists" needs "_table" and "_where"');
      const target = info.tables.get(qualifiedKey(normalizeName(v._table)));
      if (!target) {
        const q = normalizeName(v._table);
        throw new PermError(`table "${q.schema}.${q.name}" does not exist`);
      }
      checkBoolExp(info, target, v._where);
      continue;
    }
    const col = t.columnsByName.get(key);
    if (col) {
      if (isObj(v) && Object.keys(v).every((k) => k.startsWith('_') || k.startsWith('$'))) {
        for (const op of Object.keys(v)) {
          if (!isPermissionOperator(op) && !(col.pg.type.startsWith('json') && !op.startsWith('_')))
            throw new PermError(`"${op}" is not a valid boolean operator`);
          if (COLUMN_COMPARISONS[permissionOperatorName(op)] !== undefined) {
            const x = v[op];
            const other = Array.isArray(x) ? String(x[x.length - 1]) : String(x);
            if (!(Array.isArray(x) && x[0] === '$') && !t.columnsByName.has(other))
              throw new PermError(`"${other}" does not exist`);
          }
        }
      }
      continue;
    }
    const rel = [...t.objectRels, ...t.arrayRels].find((r) => r.name === key);
    if (rel) {
      checkBoolExp(info, info.tables.get(rel.target)!, v);
      continue;
    }
    const cf = t.computedFields.find((c) => c.name === key);
    if (cf) {
      if (cf.returns.kind === 'table') checkBoolExp(info, info.tables.get(cf.returns.table)!, v);
      continue;
    }
    throw new PermError(`"${key}" does not exist`);
  }
}

function checkColumns(t: TableInfo, spec: unknown): void {
  if (spec === '*' || spec === undefined) return;
  if (!Array.isArray(spec)) throw new PermError('expected "*" or a list of columns');
  for (const c of spec) {
    if (!t.columnsByName.has(String(c)))
      throw new PermError(`column "${String(c)}" does not exist`);
  }
}

function checkPermission(
  info: SourceInfo,
  t: TableInfo,
  kind: Kind,
  role: string,
  p: unknown,
): void {
  if (role === ADMIN_ROLE) throw new PermError('cannot define permission for admin role');
  const perm = isObj(p) ? p : {};
  if (kind !== 'delete') checkColumns(t, perm.columns);
  if (kind === 'insert' || kind === 'update') {
    if (perm.set !== undefined && perm.set !== null) {
      if (!isObj(perm.set)) throw new PermError('expected an object for "set"');
      for (const c of Object.keys(perm.set))
        if (!t.columnsByName.has(c)) throw new PermError(`column "${c}" does not exist`);
    }
  }
  if (kind === 'insert') checkBoolExp(info, t, perm.check);
  if (kind === 'update') {
    checkBoolExp(info, t, perm.filter);
    checkBoolExp(info, t, perm.check);
  }
  if (kind === 'select' || kind === 'delete') checkBoolExp(info, t, perm.filter);
}

/** The inconsistency name Hasura gives a permission. */
export function permissionObjectName(
  t: TableInfo,
  role: string,
  kind: Kind,
  source: string,
): string {
  return `${kind}_permission ${role} in table ${t.qn.schema}.${t.qn.name} in source ${source}`;
}

/** Check every permission of the source; drop the bad ones and record them as inconsistent. */
export function validatePermissions(info: SourceInfo): void {
  for (const t of info.tables.values()) {
    for (const kind of KINDS) {
      for (const entry of t.meta[`${kind}_permissions`] ?? []) {
        const e = entry as { role: string; permission: unknown };
        try {
          checkPermission(info, t, kind, e.role, e.permission);
        } catch (err) {
          if (!(err instanceof PermError)) throw err;
          if (kind === 'select') t.selectPerms.delete(e.role);
          else t.otherPerms[kind].delete(e.role);
          // a select permission may already be recorded (bad column list)
          const name = permissionObjectName(t, e.role, kind, info.name);
          if (info.inconsistencies.some((i) => i.name === name)) continue;
          info.inconsistencies.push({
            type: `${kind}_permission`,
            name,
            reason: `Inconsistent object: in table "${t.qn.schema}.${t.qn.name}": in permission for role "${e.role}": ${err.message}`,
            definition: entry,
          });
        }
      }
    }
  }
}
