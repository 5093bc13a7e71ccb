/**
 * A resolved mutation operation → IR (Hasura/GraphQL/Schema/Mutation.hs, Update.hs, the Postgres
 * OnConflict parser, and the insert validation of Execute/Insert.hs): arguments are coerced
 * against the role's mutation_root, permissions (check, filter, presets) folded in, nested
 * inserts validated with Hasura's messages and paths, and the selection sets (affected_rows,
 * returning, the `_one` / `_by_pk` row) parsed with the query parser.
 */
import { QErr, withPath, type PathElem } from '../errors.ts';
import type {
  AnnInsert,
  InsertRow,
  MutationField,
  MutationIR,
  MutationOutput,
  MutFld,
  OnConflict,
  UpdateBatch,
  UpdateOp,
} from '../ir/mutation.ts';
import type { AnnField, BoolExp, Val } from '../ir/types.ts';
import { MUTATION_FIELDS, UPDATE_OPERATORS } from '../schema/mutation.ts';
import { deletePerm, insertPerm, updatePerm, type Preset } from '../schema/mutation-perms.ts';
import type { RelInfo, TableInfo } from '../schema/source.ts';
import { namedOf, type FieldDef, type ObjectTypeDef } from '../schema/types.ts';
import { permFilterToIR, whereToIR } from './bool-exp.ts';
import { isEnum, isLeaf, isList, isObj, q, type Coerced, type Leaf, type ObjVal } from './input.ts';
import type { CollectedField } from './operation.ts';
import {
  buildQueryIR,
  fieldArgs,
  lookupField,
  makeValueMaker,
  sourceOf,
  subFields,
  tableFields,
  tableTypeName,
  type SelectContext,
} from './select.ts';

const fail = (message: string, path: PathElem[] = []): never => {
  throw new QErr('validation-failed', message, 200, path);
};

const and = (items: BoolExp[]): BoolExp => {
  const xs = items.filter((x) => x.k !== 'true');
  if (xs.length === 0) return { k: 'true' };
  return xs.length === 1 ? xs[0]! : { k: 'and', items: xs };
};

export function buildMutationIR(
  ctx: SelectContext,
  rootType: ObjectTypeDef,
  fields: CollectedField[],
): MutationIR {
  const root: MutationIR['root'] = [];
  for (const f of fields) {
    if (f.name === '__typename') {
      root.push([f.responseKey, { k: 'typename', name: rootType.name }]);
      continue;
    }
    const def = withPath(['selectionSet', f.name], () => lookupField(rootType, f));
    if (def.info.k === 'namespace') {
      const nsType = ctx.schema.types.get(namedOf(def.type)) as ObjectTypeDef;
      const inner = withPath(['selectionSet', f.name], () => subFields(ctx, nsType.name, f));
      ctx.depth--;
      root.push([
        f.responseKey,
        { k: 'namespace', fields: buildMutationIR(ctx, nsType, inner).root },
      ]);
      continue;
    }
    if (def.info.k === 'fn') {
      root.push([f.responseKey, { k: 'query', ir: buildQueryIR(ctx, rootType, [f]) }]);
      continue;
    }
    root.push([
      f.responseKey,
      withPath(['selectionSet', f.name], () => {
        ctx.path = ['selectionSet', f.name];
        return mutationField(ctx, def, f);
      }),
    ]);
  }
  return { root };
}

function mutationField(ctx: SelectContext, def: FieldDef, f: CollectedField): MutationField {
  const kind = MUTATION_FIELDS.get(def);
  if (!kind) return fail(`field ${q(f.name)} not found in type: ${q('mutation_root')}`);
  const args = fieldArgs(ctx, def, f);
  const t = kind.table;
  switch (kind.k) {
    case 'insert': {
      const key = kind.one ? 'object' : 'objects';
      const given = args.get(key) ?? null;
      const rows: Coerced[] = kind.one ? [given] : isList(given) ? given.list : [];
      const ins = withPath(['args'], () =>
        buildInsert(
          ctx,
          t,
          rows.filter(isObj),
          args.get('on_conflict') ?? null,
          ['selectionSet', f.name, 'args', key],
          [key],
          [],
        ),
      );
      return {
        k: 'insert',
        fieldName: f.name,
        one: kind.one,
        ins,
        output: output(ctx, t, def, f, kind.one),
      };
    }
    case 'update': {
      const perm = updatePerm(t, ctx.role)!;
      const batches: UpdateBatch[] = [];
      if (kind.variant === 'many') {
        const updates = args.get('updates');
        const list = updates && isList(updates) ? updates.list : [];
        list.forEach((u, i) => {
          if (!u || !isObj(u)) return;
          batches.push(
            withPath(['args', 'updates', i], () =>
              updateBatch(ctx, t, u.obj, perm.presets, whereOf(ctx, t, u.obj.get('where'))),
            ),
          );
        });
      } else {
        const where =
          kind.variant === 'by_pk'
            ? pkWhere(ctx, t, (args.get('pk_columns') as ObjVal | undefined)?.obj ?? new Map())
            : whereOf(ctx, t, args.get('where'));
        batches.push(withPath(['args'], () => updateBatch(ctx, t, args, perm.presets, where)));
      }
      return {
        k: 'update',
        table: t,
        permFilter: ctx.isAdmin ? { k: 'true' } : permFilterToIR(perm.filter, t, sourceOf(ctx, t)),
        check:
          ctx.isAdmin || perm.check === null
            ? null
            : permFilterToIR(perm.check, t, sourceOf(ctx, t)),
        batches,
        many: kind.variant === 'many',
        output: output(ctx, t, def, f, kind.variant === 'by_pk'),
      };
    }
    case 'delete': {
      const perm = deletePerm(t, ctx.role)!;
      return {
        k: 'delete',
        table: t,
        permFilter: ctx.isAdmin ? { k: 'true' } : permFilterToIR(perm.filter, t, sourceOf(ctx, t)),
        where: kind.byPk ? pkWhere(ctx, t, args) : whereOf(ctx, t, args.get('where')),
        output: output(ctx, t, def, f, kind.byPk),
      };
    }
  }
}

function whereOf(ctx: SelectContext, t: TableInfo, w: Coerced | undefined): BoolExp {
  if (!w || !isObj(w)) return { k: 'true' };
  return whereToIR(w, t, sourceOf(ctx, t), makeValueMaker(ctx));
}

function pkWhere(ctx: SelectContext, t: TableInfo, given: Map<string, Coerced>): BoolExp {
  const vm = makeValueMaker(ctx);
  return and(
    t.pg.primaryKey!.columns.map((cn) => {
      const c = t.columnsByName.get(cn)!;
      const leaf = given.get(c.gqlName) as Leaf;
      return {
        k: 'col',
        column: cn,
        pgType: c.pg.formatted,
        ops: [{ op: '_eq', value: vm.val(leaf, c.pg.formatted) }],
      } as BoolExp;
    }),
  );
}

/** A permission's column presets as values to write (a session variable's, or a literal). */
export function presetVals(t: TableInfo, presets: Map<string, Preset>): Array<[string, Val]> {
  return [...presets].map(([col, p]) => {
    const pgType = t.columnsByName.get(col)!.pg.formatted;
    return [
      col,
      p.k === 'session'
        ? { k: 'session', name: p.name, pgType }
        : { k: 'lit', value: p.value, pgType },
    ];
  });
}

// ------------------------------------------------------------------ output

function output(
  ctx: SelectContext,
  t: TableInfo,
  def: FieldDef,
  f: CollectedField,
  single: boolean,
): MutationOutput {
  if (single) {
    const fields = withPath(['selectionSet'], () =>
      tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), f)),
    );
    ctx.depth--;
    return { k: 'single', fields };
  }
  const typeName = namedOf(def.type);
  const type = ctx.schema.types.get(typeName) as ObjectTypeDef;
  const out: Array<[string, MutFld]> = [];
  withPath(['selectionSet'], () => {
    for (const sf of subFields(ctx, typeName, f)) {
      out.push([
        sf.responseKey,
        withPath([sf.name], (): MutFld => {
          if (sf.name === '__typename') {
            if (sf.selections.length) fail('unexpected subselection set for non-object field');
            return { k: 'typename', name: typeName };
          }
          const fd = lookupField(type, sf);
          fieldArgs(ctx, fd, sf);
          if (sf.name === t.naming.field('affected_rows')) {
            if (sf.selections.length) fail('unexpected subselection set for non-object field');
            return { k: 'affected_rows' };
          }
          const saved = ctx.path;
          ctx.path = [...ctx.path, 'selectionSet', sf.name];
          try {
            const fields = withPath(['selectionSet'], () =>
              tableFields(ctx, t, subFields(ctx, tableTypeName(ctx, t), sf)),
            );
            ctx.depth--;
            return { k: 'returning', fields };
          } finally {
            ctx.path = saved;
          }
        }),
      ]);
    }
  });
  ctx.depth--;
  return { k: 'multi', fields: out };
}

/** Whether answering needs the mutated rows to be visible to other reads (relationships…). */
export function outputReadsTables(o: MutationOutput): boolean {
  const nested = (fields: Array<[string, AnnField]>) =>
    fields.some(([, x]) => x.k !== 'col' && x.k !== 'typename');
  if (o.k === 'single') return nested(o.fields);
  return o.fields.some(([, x]) => x.k === 'returning' && nested(x.fields));
}

// ------------------------------------------------------------------ insert

type InsertOrder = 'before' | 'after';

/** Whether an object relationship's row goes in before its parent (it owns the key) or after. */
function insertOrder(t: TableInfo, rel: RelInfo): InsertOrder {
  if (rel.kind === 'array') return 'after';
  const meta = (t.meta.object_relationships ?? []).find((r) => r.name === rel.name);
  const using = meta?.using as Record<string, unknown> | undefined;
  if (!using) return 'before';
  if ('manual_configuration' in using) {
    const mc = using.manual_configuration as { insertion_order?: string | null };
    return mc.insertion_order === 'after_parent' ? 'after' : 'before';
  }
  const fk = using.foreign_key_constraint_on;
  // the key lives in the other table and refers to this one
  if (fk && typeof fk === 'object' && !Array.isArray(fk) && 'table' in fk) return 'after';
  return 'before';
}

const showCols = (cols: string[]) => cols.map((c) => `"${c}"`).join(', ');

/**
 * Rows of one insert. `path` is where a statement inserting all of them reports errors; `argPath`
 * is the argument path (below `args`) of the rows for validation errors; `parentCols` are the
 * columns a parent insert determines (array relationships, after-parent object relationships).
 */
function buildInsert(
  ctx: SelectContext,
  t: TableInfo,
  rows: ObjVal[],
  onConflict: Coerced,
  path: PathElem[],
  argPath: PathElem[],
  parentCols: string[],
): AnnInsert {
  const vm = makeValueMaker(ctx);
  const perm = insertPerm(t, ctx.role)!;
  const parsedRows: InsertRow[] = rows.map((r, i) => {
    const rowArgPath = [...argPath, i];
    const rowPath = [...path, i];
    const row: InsertRow = { columns: [], objRels: [], arrRels: [], path: rowPath };
    const objRelsBefore: RelInfo[] = [];
    for (const [key, v] of r.obj) {
      const col = t.columns.find((c) => c.gqlName === key);
      if (col) {
        const pgType = col.pg.formatted;
        row.columns.push([
          col.name,
          v === null ? { k: 'lit', value: null, pgType } : vm.val(v as Leaf, pgType),
        ]);
        continue;
      }
      const rel = [...t.objectRels, ...t.arrayRels].find((x) => x.name === key);
      if (!rel || v === null || !isObj(v)) continue;
      const target = sourceOf(ctx, t).tables.get(rel.target)!;
      const data = v.obj.get('data');
      const relPath = [...rowPath, rel.name, 'data'];
      const relArgPath = [...rowArgPath, rel.name];
      const oc = v.obj.get('on_conflict') ?? null;
      if (rel.kind === 'object') {
        if (!data || !isObj(data)) continue;
        const order = insertOrder(t, rel);
        const childParentCols = order === 'after' ? rel.mapping.map(([, r]) => r) : [];
        const ins = withPath([], () =>
          buildSingleRel(ctx, target, data, oc, relPath, relArgPath, childParentCols),
        );
        if (order === 'before') {
          row.objRels.push({ rel, ins });
          objRelsBefore.push(rel);
        } else row.arrRels.push({ rel, ins });
      } else {
        const list = data && isList(data) ? data.list.filter(isObj) : [];
        if (!list.length) continue;
        const ins = buildInsert(
          ctx,
          target,
          list,
          oc,
          relPath,
          [...relArgPath, 'data'],
          rel.mapping.map(([, r]) => r),
        );
        row.arrRels.push({ rel, ins });
      }
    }
    // Hasura's validateInsert
    const insCols = row.columns.map(([c]) => c);
    const conflicts = insCols.filter((c) => parentCols.includes(c));
    if (conflicts.length) {
      fail(
        `cannot insert ${showCols(conflicts)} columns as their values are already being determined by parent insert`,
        rowArgPath,
      );
    }
    for (const rel of objRelsBefore) {
      const lCols = rel.mapping.map(([l]) => l);
      const clash = lCols.filter((c) => parentCols.includes(c) || insCols.includes(c));
      if (clash.length) {
        fail(
          `cannot insert object relationship "${rel.name}" as ${showCols(clash)} column values are already determined`,
          [...rowArgPath, rel.name],
        );
      }
    }
    return row;
  });
  const conflict =
    onConflict && isObj(onConflict) ? conflictClause(ctx, t, onConflict, argPath) : null;
  // rows an upsert updates are checked with the update permission's check when it has one
  const upd = conflict?.updateColumns.length && !ctx.isAdmin ? updatePerm(t, ctx.role) : undefined;
  return {
    table: t,
    rows: parsedRows,
    conflict,
    checkInsert: ctx.isAdmin ? { k: 'true' } : permFilterToIR(perm.check, t, sourceOf(ctx, t)),
    checkUpdate: upd?.check ? permFilterToIR(upd.check, t, sourceOf(ctx, t)) : null,
    presets: presetVals(t, perm.presets),
    path,
  };
}

function buildSingleRel(
  ctx: SelectContext,
  t: TableInfo,
  data: ObjVal,
  onConflict: Coerced,
  path: PathElem[],
  argPath: PathElem[],
  parentCols: string[],
): AnnInsert {
  const ins = buildInsert(ctx, t, [data], onConflict, path, [...argPath, 'data'], parentCols);
  // a single nested object: no index in its paths
  ins.rows[0]!.path = path;
  return ins;
}

function conflictClause(
  ctx: SelectContext,
  t: TableInfo,
  oc: ObjVal,
  argPath: PathElem[],
): OnConflict {
  const errPath = [...argPath.slice(0, -1), 'on_conflict'];
  const constraint = oc.obj.get('constraint');
  const cols = oc.obj.get('update_columns');
  const updateColumns: string[] = [];
  for (const c of cols && isList(cols) ? cols.list : []) {
    if (!c || !isEnum(c)) continue;
    if (c.value === null || c.value === undefined) fail('erroneous column name', errPath);
    updateColumns.push(String(c.value));
  }
  const perm = updatePerm(t, ctx.role);
  const where = oc.obj.get('where');
  const filter = and([
    ctx.isAdmin || !perm ? { k: 'true' } : permFilterToIR(perm.filter, t, sourceOf(ctx, t)),
    where && isObj(where)
      ? whereToIR(where, t, sourceOf(ctx, t), makeValueMaker(ctx))
      : { k: 'true' },
  ]);
  return {
    constraint: String(constraint && isEnum(constraint) ? constraint.value : ''),
    updateColumns,
    updatePresets: perm && updateColumns.length ? presetVals(t, perm.presets) : [],
    filter,
  };
}

// ------------------------------------------------------------------ update

function updateBatch(
  ctx: SelectContext,
  t: TableInfo,
  args: Map<string, Coerced>,
  presets: Map<string, Preset>,
  where: BoolExp,
): UpdateBatch {
  const vm = makeValueMaker(ctx);
  const ops: UpdateBatch['ops'] = presetVals(t, presets).map(([c, v]) => [c, 'set', v]);
  const seen = new Map<string, number>(ops.map(([c]) => [c, 1]));
  for (const o of UPDATE_OPERATORS) {
    const v = args.get(o.op);
    if (!v || !isObj(v)) continue;
    for (const [key, x] of v.obj) {
      const col = t.columns.find((c) => c.gqlName === key);
      if (!col) continue;
      seen.set(col.name, (seen.get(col.name) ?? 0) + 1);
      const op = o.type as UpdateOp;
      let val: Val;
      if (op === 'delete_at_path') {
        const items =
          x && isList(x) ? x.list.map((y) => (y && isLeaf(y) ? vm.lit(y) : null)) : null;
        val = { k: 'lit', value: items, pgType: 'text[]' };
      } else {
        const pgType =
          op === 'delete_key' ? 'text' : op === 'delete_elem' ? 'integer' : col.pg.formatted;
        val = x === null ? { k: 'lit', value: null, pgType } : vm.val(x as Leaf, pgType);
      }
      ops.push([col.name, op, val]);
    }
  }
  const dups = [...seen].filter(([, n]) => n > 1).map(([c]) => c);
  if (dups.length) {
    fail(`Column found in multiple operators: [${dups.map((d) => q(d)).join(', ')}].`);
  }
  return { ops, where };
}
