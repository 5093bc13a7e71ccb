/**
 * What every metadata object depends on, so that dropping a database object (run_sql) or a
 * metadata object (untrack_table, drop_relationship, …) can find what would break — Hasura's
 * schema dependencies and its "cannot drop due to the following dependent objects" error —
 * and, with `cascade`, remove those dependents too.
 *
 * Objects are named as Hasura reports them: `table author`, `relationship article.author`,
 * `permission author.user.select`, `computed field author.full_name`, `function search_articles`
 * (tables and functions outside `public` schema-qualified).
 */
import type { DbCatalog, QualifiedName } from '../introspection/catalog.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { QErr } from '../errors.ts';
import type { SourceMeta, TableMeta } from './types.ts';
import { normalizeName, sameName } from './types.ts';

export type DbRef =
  | { k: 'table'; table: string }
  | { k: 'column'; table: string; column: string }
  | { k: 'fk'; table: string; name: string }
  | { k: 'function'; fn: string };

export interface MetaObject {
  /** Hasura's report name, e.g. `permission author.user.select` */
  id: string;
  /** the table the object belongs to (it goes with the table) */
  table?: string;
  refs: DbRef[];
  /** other metadata objects it needs (relationships, computed fields a filter goes through) */
  uses: string[];
  remove(src: SourceMeta): void;
}

export const displayQn = (q: QualifiedName): string =>
  q.schema === 'public' ? q.name : `${q.schema}.${q.name}`;

const toArr = (x: unknown): string[] =>
  Array.isArray(x) ? x.map(String) : typeof x === 'string' ? [x] : [];
/** An event trigger's column list: `"*"` names none explicitly. */
const toArrCols = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : []);
const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

const PERM_KINDS = ['select', 'insert', 'update', 'delete'] as const;

interface RelResolved {
  target: string;
  mapping: Array<[string, string]>;
  fk?: { table: string; name: string };
}

/** Resolve a relationship's target, column mapping and foreign key (best effort). */
export function resolveRelationship(
  kind: 'object' | 'array',
  using: Record<string, unknown>,
  tableKey: string,
  catalog: DbCatalog,
): RelResolved | null {
  const table = catalog.tables.get(tableKey);
  if ('manual_configuration' in using) {
    const mc = using.manual_configuration as {
      remote_table?: unknown;
      column_mapping?: Record<string, string>;
    };
    if (!mc?.remote_table) return null;
    return {
      target: qualifiedKey(normalizeName(mc.remote_table)),
      mapping: Object.entries(mc.column_mapping ?? {}),
    };
  }
  const fk = using.foreign_key_constraint_on as unknown;
  if (kind === 'object' && (typeof fk === 'string' || Array.isArray(fk))) {
    const cols = toArr(fk);
    const c = table?.foreignKeys.find((f) => sameSet(Object.keys(f.columns), cols));
    if (!c) return { target: '', mapping: cols.map((x) => [x, '']) };
    return {
      target: qualifiedKey(c.ref),
      mapping: Object.entries(c.columns),
      fk: { table: tableKey, name: c.name },
    };
  }
  if (!fk || typeof fk !== 'object') return null;
  const spec = fk as { table?: unknown; column?: unknown; columns?: unknown };
  const cols = toArr(spec.columns ?? spec.column);
  if (!spec.table) {
    const c = table?.foreignKeys.find((f) => sameSet(Object.keys(f.columns), cols));
    if (!c) return { target: '', mapping: cols.map((x) => [x, '']) };
    return {
      target: qualifiedKey(c.ref),
      mapping: Object.entries(c.columns),
      fk: { table: tableKey, name: c.name },
    };
  }
  const remoteKey = qualifiedKey(normalizeName(spec.table));
  const remote = catalog.tables.get(remoteKey);
  const c = remote?.foreignKeys.find(
    (f) => qualifiedKey(f.ref) === tableKey && sameSet(Object.keys(f.columns), cols),
  );
  if (!c) return { target: remoteKey, mapping: cols.map((x) => ['', x]) };
  return {
    target: remoteKey,
    mapping: Object.entries(c.columns).map(([r, l]) => [l, r]),
    fk: { table: remoteKey, name: c.name },
  };
}

interface Ctx {
  src: SourceMeta;
  catalog: DbCatalog;
  tables: Map<string, TableMeta>;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const COLUMN_OPS = new Set(['_ceq', '_cne', '_cneq', '_cgt', '_clt', '_cgte', '_clte']);

/** The database objects and metadata objects a permission's boolean expression goes through. */
function boolExpRefs(
  ctx: Ctx,
  tableKey: string,
  rootKey: string,
  json: unknown,
  refs: DbRef[],
  uses: string[],
): void {
  if (!isObj(json)) return;
  const tm = ctx.tables.get(tableKey);
  const pg = ctx.catalog.tables.get(tableKey);
  const display = displayQn(normalizeName(tm?.table ?? tableKey));
  for (const [key, v] of Object.entries(json)) {
    if (key === '_and' || key === '$and' || key === '_or' || key === '$or') {
      for (const x of Array.isArray(v) ? v : []) boolExpRefs(ctx, tableKey, rootKey, x, refs, uses);
      continue;
    }
    if (key === '_not' || key === '$not') {
      boolExpRefs(ctx, tableKey, rootKey, v, refs, uses);
      continue;
    }
    if (key === '_exists' || key === '$exists') {
      if (!isObj(v) || !v._table) continue;
      const other = qualifiedKey(normalizeName(v._table));
      refs.push({ k: 'table', table: other });
      boolExpRefs(ctx, other, other, v._where, refs, uses);
      continue;
    }
    if (pg?.columns.some((c) => c.name === key)) {
      refs.push({ k: 'column', table: tableKey, column: key });
      if (isObj(v)) {
        for (const [op, x] of Object.entries(v)) {
          if (!COLUMN_OPS.has(op)) continue;
          const root = Array.isArray(x) && x[0] === '$';
          const col = Array.isArray(x) ? String(x[x.length - 1]) : String(x);
          refs.push({ k: 'column', table: root ? rootKey : tableKey, column: col });
        }
      }
      continue;
    }
    const rel = [
      ...(tm?.object_relationships ?? []).map((r) => ({ r, kind: 'object' as const })),
      ...(tm?.array_relationships ?? []).map((r) => ({ r, kind: 'array' as const })),
    ].find((x) => x.r.name === key);
    if (rel) {
      uses.push(`relationship ${display}.${key}`);
      const res = resolveRelationship(
        rel.kind,
        rel.r.using as Record<string, unknown>,
        tableKey,
        ctx.catalog,
      );
      if (res?.target) boolExpRefs(ctx, res.target, rootKey, v, refs, uses);
      continue;
    }
    const cf = (tm?.computed_fields ?? []).find((c) => c.name === key);
    if (cf) {
      uses.push(`computed field ${display}.${key}`);
      const fnKey = qualifiedKey(normalizeName(cf.definition.function, 'function'));
      const fn = ctx.catalog.functions.get(fnKey)?.[0];
      const ret = fn ? qualifiedKey(fn.returnType) : '';
      if (fn && ctx.tables.has(ret)) boolExpRefs(ctx, ret, rootKey, v, refs, uses);
    }
  }
}

/** Every metadata object of a source with what it depends on. */
export function collectObjects(src: SourceMeta, catalog: DbCatalog): MetaObject[] {
  const tables = new Map(src.tables.map((t) => [qualifiedKey(normalizeName(t.table)), t]));
  const ctx: Ctx = { src, catalog, tables };
  const out: MetaObject[] = [];
  for (const [tk, tm] of tables) {
    const qn = normalizeName(tm.table);
    const display = displayQn(qn);
    out.push({
      id: `table ${display}`,
      table: tk,
      refs: [{ k: 'table', table: tk }],
      uses: [],
      remove: (s) => {
        s.tables = s.tables.filter((t) => !sameName(normalizeName(t.table), qn));
      },
    });
    for (const kind of ['object', 'array'] as const) {
      const key = kind === 'object' ? 'object_relationships' : 'array_relationships';
      for (const r of tm[key] ?? []) {
        const refs: DbRef[] = [{ k: 'table', table: tk }];
        const res = resolveRelationship(kind, r.using as Record<string, unknown>, tk, catalog);
        if (res) {
          if (res.target) refs.push({ k: 'table', table: res.target });
          for (const [l, rc] of res.mapping) {
            if (l) refs.push({ k: 'column', table: tk, column: l });
            if (rc && res.target) refs.push({ k: 'column', table: res.target, column: rc });
          }
          if (res.fk) refs.push({ k: 'fk', table: res.fk.table, name: res.fk.name });
        }
        out.push({
          id: `relationship ${display}.${r.name}`,
          table: tk,
          refs,
          uses: [],
          remove: (s) => {
            const t = findTable(s, qn);
            if (t?.[key])
              t[key] = (t[key] as Array<{ name: string }>).filter(
                (x) => x.name !== r.name,
              ) as never;
          },
        });
      }
    }
    for (const cf of tm.computed_fields ?? []) {
      const fnKey = qualifiedKey(normalizeName(cf.definition.function, 'function'));
      out.push({
        id: `computed field ${display}.${cf.name}`,
        table: tk,
        refs: [
          { k: 'table', table: tk },
          { k: 'function', fn: fnKey },
        ],
        uses: [],
        remove: (s) => {
          const t = findTable(s, qn);
          if (t?.computed_fields)
            t.computed_fields = t.computed_fields.filter((x) => x.name !== cf.name);
        },
      });
    }
    for (const kind of PERM_KINDS) {
      const key = `${kind}_permissions` as const;
      for (const p of (tm[key] ?? []) as Array<{
        role: string;
        permission: Record<string, unknown>;
      }>) {
        const refs: DbRef[] = [{ k: 'table', table: tk }];
        const uses: string[] = [];
        const perm = p.permission ?? {};
        if (Array.isArray(perm.columns))
          for (const c of perm.columns) refs.push({ k: 'column', table: tk, column: String(c) });
        if (isObj(perm.set))
          for (const c of Object.keys(perm.set)) refs.push({ k: 'column', table: tk, column: c });
        for (const cfName of toArr(perm.computed_fields))
          uses.push(`computed field ${display}.${cfName}`);
        boolExpRefs(ctx, tk, tk, perm.filter, refs, uses);
        boolExpRefs(ctx, tk, tk, perm.check, refs, uses);
        out.push({
          id: `permission ${display}.${p.role}.${kind}`,
          table: tk,
          refs,
          uses,
          remove: (s) => {
            const t = findTable(s, qn);
            if (t?.[key])
              t[key] = (t[key] as Array<{ role: string }>).filter(
                (x) => x.role !== p.role,
              ) as never;
          },
        });
      }
    }
  }
  for (const [tk, tm] of tables) {
    const qn = normalizeName(tm.table);
    for (const raw of (tm.event_triggers as unknown[] | undefined) ?? []) {
      const et = raw as { name?: string; definition?: Record<string, unknown> };
      if (typeof et.name !== 'string') continue;
      const refs: DbRef[] = [{ k: 'table', table: tk }];
      // the columns it listens to and those its payload names (Hasura: DRColumn, DRPayload)
      for (const op of ['insert', 'update', 'delete']) {
        const spec = (et.definition?.[op] ?? {}) as { columns?: unknown; payload?: unknown };
        for (const c of [...toArrCols(spec.columns), ...toArrCols(spec.payload)])
          refs.push({ k: 'column', table: tk, column: c });
      }
      out.push({
        id: `event-trigger ${qn.schema}.${qn.name}.${et.name}`,
        table: tk,
        refs,
        uses: [],
        remove: (s) => {
          const t = findTable(s, qn);
          if (!t?.event_triggers) return;
          t.event_triggers = (t.event_triggers as Array<{ name?: string }>).filter(
            (x) => x.name !== et.name,
          );
          if (!t.event_triggers.length) delete t.event_triggers;
        },
      });
    }
  }
  for (const f of src.functions ?? []) {
    const fq = normalizeName(f.function, 'function');
    const fk = qualifiedKey(fq);
    const fn = catalog.functions.get(fk)?.[0];
    const refs: DbRef[] = [{ k: 'function', fn: fk }];
    if (fn) refs.push({ k: 'table', table: qualifiedKey(fn.returnType) });
    out.push({
      id: `function ${displayQn(fq)}`,
      refs,
      uses: [],
      remove: (s) => {
        if (s.functions)
          s.functions = s.functions.filter(
            (x) => !sameName(normalizeName(x.function, 'function'), fq),
          );
      },
    });
  }
  return out;
}

function findTable(s: SourceMeta, qn: QualifiedName): TableMeta | undefined {
  return s.tables.find((t) => sameName(normalizeName(t.table), qn));
}

function refHit(r: DbRef, dropped: DbRef[]): boolean {
  return dropped.some((d) => {
    switch (d.k) {
      case 'table':
        return 'table' in r && r.table === d.table;
      case 'column':
        return r.k === 'column' && r.table === d.table && r.column === d.column;
      case 'fk':
        return r.k === 'fk' && r.table === d.table && r.name === d.name;
      case 'function':
        return r.k === 'function' && r.fn === d.fn;
    }
  });
}

/**
 * The objects that break when `dropped` database objects disappear or the objects named in
 * `removed` are taken out, transitively. Objects owned by a table in `goingTables` (they go with
 * it) and the removed objects themselves are not reported.
 */
export function dependents(
  objects: MetaObject[],
  dropped: DbRef[],
  removed: Set<string>,
  goingTables: Set<string> = new Set(),
): MetaObject[] {
  const hit = new Set<string>(removed);
  const result: MetaObject[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const o of objects) {
      if (hit.has(o.id)) continue;
      if (refHitAny(o, dropped) || o.uses.some((u) => hit.has(u))) {
        hit.add(o.id);
        result.push(o);
        grew = true;
      }
    }
  }
  return result.filter((o) => !(o.table && goingTables.has(o.table)) && !removed.has(o.id));
}

function refHitAny(o: MetaObject, dropped: DbRef[]): boolean {
  return o.refs.some((r) => refHit(r, dropped));
}

/** Hasura's dependency error. */
export function dependencyError(objs: MetaObject[], source: string): QErr {
  const names = [...new Set(objs.map((o) => `${o.id} in source "${source}"`))].sort();
  return new QErr(
    'dependency-error',
    `cannot drop due to the following dependent objects: ${names.join(', ')}`,
    400,
  );
}

/** Remove objects (dependents) from a source's metadata. */
export function removeObjects(src: SourceMeta, objs: MetaObject[]): void {
  for (const o of objs) o.remove(src);
}
