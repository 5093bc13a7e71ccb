/**
 * `mutation_root` as Hasura generates it for a role (Hasura/GraphQL/Schema/{Mutation,Update,
 * Update/Batch}.hs and the Postgres instance: OnConflict.hs, the jsonb update operators):
 *
 * - `insert_<t>(objects, on_conflict)` and `insert_<t>_one(object, on_conflict)`, with
 *   `<t>_insert_input` (insertable columns, and relationships to tables the role may insert
 *   into), `<t>_obj_rel_insert_input` / `<t>_arr_rel_insert_input`, `<t>_on_conflict`,
 *   `<t>_constraint`, `<t>_update_column` (`_PLACEHOLDER` when nothing is updatable);
 * - `update_<t>`, `update_<t>_by_pk`, `update_<t>_many` with `_set`, `_inc` (numeric columns) and
 *   the jsonb operators `_append`, `_prepend`, `_delete_key`, `_delete_elem`, `_delete_at_path`;
 * - `delete_<t>` and `delete_<t>_by_pk`;
 * - `<t>_mutation_response { affected_rows returning }` (`returning` only with select permission);
 * - tracked VOLATILE functions (or `exposed_as: mutation`) as mutation fields.
 *
 * Permissions decide what appears: insert/update/delete permissions of the role (backend-only ones
 * only in the backend scenario), `_one` / `_by_pk` fields only with select permission (on the
 * primary key columns for `_by_pk`), views only where Postgres can write through them.
 */
import type { SchemaBuilder, SchemaExtension } from './build.ts';
import { tableDisplayName } from './build.ts';
import { functionAllowed } from './builder-core.ts';
import { deletePerm, insertPerm, updatePerm } from './mutation-perms.ts';
import { isNumericType } from './scalars.ts';
import type { ColumnInfo, TableInfo } from './source.ts';
import {
  list,
  named,
  nn,
  nonNull,
  type EnumTypeDef,
  type FieldDef,
  type InputValueDef,
} from './types.ts';

export type MutationRootKey =
  'insert' | 'insert_one' | 'update' | 'update_by_pk' | 'update_many' | 'delete' | 'delete_by_pk';

/** What a mutation root field does, kept on its FieldDef (`info.k === 'other'` plus this). */
export type MutationFieldKind =
  | { k: 'insert'; table: TableInfo; one: boolean }
  | { k: 'update'; table: TableInfo; variant: 'where' | 'by_pk' | 'many' }
  | { k: 'delete'; table: TableInfo; byPk: boolean };

/** Mutation root fields by name → what they do (per built schema). */
export const MUTATION_FIELDS = new WeakMap<FieldDef, MutationFieldKind>();

/** The jsonb and numeric update operators, in Hasura's order, with their descriptions. */
export const UPDATE_OPERATORS = [
  {
    op: '_set',
    type: 'set',
    applies: (_c: ColumnInfo) => true,
    arg: 'sets the columns of the filtered rows to the given values',
    obj: (t: TableInfo) => `input type for updating data in table "${tableDisplayName(t)}"`,
  },
  {
    op: '_inc',
    type: 'inc',
    applies: (c: ColumnInfo) => isNumericType(c.pg.type),
    arg: 'increments the numeric columns with given value of the filtered values',
    obj: (t: TableInfo) =>
      `input type for incrementing numeric columns in table "${tableDisplayName(t)}"`,
  },
  {
    op: '_prepend',
    type: 'prepend',
    applies: (c: ColumnInfo) => c.pg.type === 'jsonb',
    arg: 'prepend existing jsonb value of filtered columns with new jsonb value',
  },
  {
    op: '_append',
    type: 'append',
    applies: (c: ColumnInfo) => c.pg.type === 'jsonb',
    arg: 'append existing jsonb value of filtered columns with new jsonb value',
  },
  {
    op: '_delete_key',
    type: 'delete_key',
    applies: (c: ColumnInfo) => c.pg.type === 'jsonb',
    arg: 'delete key/value pair or string element. key/value pairs are matched based on their key value',
  },
  {
    op: '_delete_elem',
    type: 'delete_elem',
    applies: (c: ColumnInfo) => c.pg.type === 'jsonb',
    arg: 'delete the array element with specified index (negative integers count from the end). throws an error if top level container is not an array',
  },
  {
    op: '_delete_at_path',
    type: 'delete_at_path',
    applies: (c: ColumnInfo) => c.pg.type === 'jsonb',
    arg: 'delete the field or element with specified path (for JSON arrays, negative integers count from the end)',
  },
] as const;

export type UpdateOperator = (typeof UPDATE_OPERATORS)[number]['op'];

/** The name and description of a mutation root field, honouring custom_root_fields. */
export function mutationRootField(
  t: TableInfo,
  key: MutationRootKey,
): { name: string; description: string | null } {
  const g = (before: string, after = '') => t.naming.tableField(t.ident, before, after);
  const display = tableDisplayName(t);
  const defaults: Record<MutationRootKey, [string, string]> = {
    insert: [g('insert'), `insert data into the table: "${display}"`],
    insert_one: [g('insert', 'one'), `insert a single row into the table: "${display}"`],
    update: [g('update'), `update data of the table: "${display}"`],
    update_by_pk: [g('update', 'by_pk'), `update single row of the table: "${display}"`],
    update_many: [g('update', 'many'), `update multiples rows of table: "${display}"`],
    delete: [g('delete'), `delete data from the table: "${display}"`],
    delete_by_pk: [g('delete', 'by_pk'), `delete single row from the table: "${display}"`],
  };
  const [name, description] = defaults[key];
  const custom = (t.meta.configuration?.custom_root_fields ?? {})[key];
  if (typeof custom === 'string' && custom) return { name: custom, description };
  if (custom && typeof custom === 'object') {
    const c = custom as { name?: string | null; comment?: string | null };
    const comment =
      c.comment === undefined || c.comment === null
        ? description
        : c.comment === ''
          ? null
          : c.comment;
    return { name: c.name || name, description: comment };
  }
  return { name, description };
}

class MutationSchema {
  constructor(private readonly b: SchemaBuilder) {}

  private get role(): string {
    return this.b.role;
  }

  private get backendScenario(): boolean {
    return this.b.isAdmin || this.b.opts.backendOnly === true;
  }

  build(): void {
    for (const t of this.b.source.tables.values()) {
      this.insertFields(t);
      this.updateFields(t);
      this.deleteFields(t);
    }
    this.functionFields();
  }

  private add(def: FieldDef, kind: MutationFieldKind): void {
    MUTATION_FIELDS.set(def, kind);
    this.b.mutationFields.set(def.name, def);
  }

  private hasSelect(t: TableInfo): boolean {
    return this.b.perm(t) !== undefined;
  }

  /** Arguments naming a row by primary key, when the role may select every key column. */
  private pkArgs(t: TableInfo): InputValueDef[] | null {
    const pk = t.pg.primaryKey;
    const p = this.b.perm(t);
    if (!pk || !p || !pk.columns.every((c) => p.columns.has(c))) return null;
    return pk.columns.map((cn) => {
      const c = t.columnsByName.get(cn)!;
      return {
        name: c.gqlName,
        description: c.description,
        type: nn(this.b.scalar(c.scalar)),
        parse: 'column',
        pgType: c.pg.formatted,
      };
    });
  }

  // ------------------------------------------------------------------ output

  mutationResponse(t: TableInfo): string {
    const name = t.naming.tableType(t.ident, 'mutation_response');
    if (this.b.types.has(name)) return name;
    const fields = new Map<string, FieldDef>();
    this.b.types.set(name, {
      kind: 'OBJECT',
      name,
      description: `response of any mutation on the table "${tableDisplayName(t)}"`,
      fields,
    });
    const affectedRows = t.naming.field('affected_rows');
    fields.set(affectedRows, {
      name: affectedRows,
      description: 'number of rows affected by the mutation',
      args: [],
      type: nn(this.b.scalar('Int')),
      info: { k: 'other' },
    });
    if (this.hasSelect(t)) {
      fields.set('returning', {
        name: 'returning',
        description: 'data from the rows affected by the mutation',
        args: [],
        type: nonNull(list(nonNull(named(this.b.tableObject(t))))),
        info: { k: 'other' },
      });
    }
    return name;
  }

  // ------------------------------------------------------------------ insert

  private columnInput(c: ColumnInfo): InputValueDef {
    return {
      name: c.gqlName,
      description: c.description,
      type: named(this.b.scalar(c.scalar)),
      parse: 'column',
      pgType: c.pg.formatted,
      nullable: c.nullable,
    };
  }

  insertInput(t: TableInfo): string {
    const name = t.naming.tableType(t.ident, 'insert_input');
    if (this.b.types.has(name)) return name;
    const perm = insertPerm(t, this.role)!;
    const fields = new Map<string, InputValueDef>();
    this.b.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `input type for inserting data into table "${tableDisplayName(t)}"`,
      fields,
      info: { k: 'other' },
    });
    for (const c of t.columns) {
      // generated columns take no value (Hasura's column mutability)
      if (!perm.columns.has(c.name) || c.pg.isGenerated) continue;
      fields.set(c.gqlName, this.columnInput(c));
    }
    for (const rel of [...t.objectRels, ...t.arrayRels]) {
      const target = this.b.table(rel.target);
      if (!insertPerm(target, this.role)) continue;
      const ty = rel.kind === 'object' ? this.objRelInput(target) : this.arrRelInput(target);
      fields.set(rel.name, { name: rel.name, description: null, type: named(ty), nullable: true });
    }
    return name;
  }

  private onConflictArg(t: TableInfo): InputValueDef[] {
    const oc = this.onConflict(t);
    if (!oc) return [];
    return [
      {
        name: t.naming.fieldName('on_conflict'),
        key: 'on_conflict',
        description: 'upsert condition',
        type: named(oc),
        nullable: true,
      },
    ];
  }

  private relInput(t: TableInfo, kind: 'obj' | 'arr'): string {
    const name = t.naming.tableType(t.ident, `${kind}_rel_insert_input`);
    if (this.b.types.has(name)) return name;
    const fields = new Map<string, InputValueDef>();
    this.b.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `input type for inserting ${kind === 'obj' ? 'object' : 'array'} relation for remote table "${tableDisplayName(t)}"`,
      fields,
      info: { k: 'other' },
    });
    const input = this.insertInput(t);
    fields.set('data', {
      name: 'data',
      description: null,
      type: kind === 'obj' ? nn(input) : nonNull(list(nn(input))),
    });
    for (const a of this.onConflictArg(t)) fields.set(a.name, a);
    return name;
  }

  objRelInput(t: TableInfo): string {
    return this.relInput(t, 'obj');
  }

  arrRelInput(t: TableInfo): string {
    return this.relInput(t, 'arr');
  }

  /** Unique and primary key constraints, sorted by name. */
  static constraints(t: TableInfo): Array<{ name: string; columns: string[] }> {
    const all = [...(t.pg.primaryKey ? [t.pg.primaryKey] : []), ...t.pg.uniques];
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  onConflict(t: TableInfo): string | null {
    const constraints = MutationSchema.constraints(t).filter((c) =>
      /^[_A-Za-z][_0-9A-Za-z]*$/.test(c.name),
    );
    if (!constraints.length) return null;
    const name = t.naming.tableType(t.ident, 'on_conflict');
    if (this.b.types.has(name)) return name;
    const fields = new Map<string, InputValueDef>();
    this.b.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `on_conflict condition type for table "${tableDisplayName(t)}"`,
      fields,
      info: { k: 'other' },
    });
    const cName = t.naming.tableType(t.ident, 'constraint');
    if (!this.b.types.has(cName)) {
      const e: EnumTypeDef = {
        kind: 'ENUM',
        name: cName,
        description: `unique or primary key constraints on table "${tableDisplayName(t)}"`,
        values: constraints.map((c) => ({
          name: c.name,
          description: `unique or primary key constraint on columns ${c.columns.map((x) => `"${x}"`).join(', ')}`,
          value: c.name,
        })),
      };
      this.b.types.set(cName, e);
    }
    fields.set('constraint', { name: 'constraint', description: null, type: nn(cName) });
    const updateColumns = t.naming.field('update_columns');
    fields.set(updateColumns, {
      name: updateColumns,
      key: 'update_columns',
      description: null,
      type: nonNull(list(nn(this.updateColumnEnum(t)))),
      defaultValue: '[]',
    });
    fields.set('where', {
      name: 'where',
      description: null,
      type: named(this.b.boolExp(t)),
      nullable: true,
    });
    return name;
  }

  updateColumnEnum(t: TableInfo): string {
    const name = t.naming.tableType(t.ident, 'update_column');
    if (this.b.types.has(name)) return name;
    const perm = updatePerm(t, this.role);
    const cols = perm ? t.columns.filter((c) => perm.columns.has(c.name) && !c.pg.isGenerated) : [];
    this.b.types.set(name, {
      kind: 'ENUM',
      name,
      description: `update columns of table "${tableDisplayName(t)}"`,
      values: cols.length
        ? cols.map((c) => ({ name: c.gqlName, description: 'column name', value: c.name }))
        : [{ name: '_PLACEHOLDER', description: 'placeholder (do not use)', value: null }],
    });
    return name;
  }

  private insertFields(t: TableInfo): void {
    if (!t.pg.insertable) return;
    const perm = insertPerm(t, this.role);
    if (!perm || (perm.backendOnly && !this.backendScenario)) return;
    const input = this.insertInput(t);
    const many = mutationRootField(t, 'insert');
    this.add(
      {
        name: many.name,
        description: many.description,
        args: [
          {
            name: 'objects',
            description: 'the rows to be inserted',
            type: nonNull(list(nn(input))),
          },
          ...this.onConflictArg(t),
        ],
        type: named(this.mutationResponse(t)),
        info: { k: 'other' },
      },
      { k: 'insert', table: t, one: false },
    );
    if (!this.hasSelect(t)) return;
    const one = mutationRootField(t, 'insert_one');
    this.add(
      {
        name: one.name,
        description: one.description,
        args: [
          { name: 'object', description: 'the row to be inserted', type: nn(input) },
          ...this.onConflictArg(t),
        ],
        type: named(this.b.tableObject(t)),
        info: { k: 'other' },
      },
      { k: 'insert', table: t, one: true },
    );
  }

  // ------------------------------------------------------------------ update

  /** The operator arguments (`_set`, `_inc`, jsonb operators) for the role's updatable columns. */
  updateOperatorArgs(t: TableInfo): InputValueDef[] {
    const perm = updatePerm(t, this.role)!;
    const cols = t.columns.filter((c) => perm.columns.has(c.name) && !c.pg.isGenerated);
    const args: InputValueDef[] = [];
    for (const o of UPDATE_OPERATORS) {
      const applicable = cols.filter((c) => o.applies(c));
      if (!applicable.length) continue;
      const name = t.naming.tableType(t.ident, `${o.type}_input`);
      if (!this.b.types.has(name)) {
        const fields = new Map<string, InputValueDef>();
        for (const c of applicable) fields.set(c.gqlName, this.operatorField(o.op, c));
        this.b.types.set(name, {
          kind: 'INPUT_OBJECT',
          name,
          description: 'obj' in o ? o.obj(t) : o.arg,
          fields,
          info: { k: 'other' },
        });
      }
      args.push({
        name: t.naming.field(o.op),
        key: o.op,
        description: o.arg,
        type: named(name),
        nullable: true,
      });
    }
    return args;
  }

  private operatorField(op: UpdateOperator, c: ColumnInfo): InputValueDef {
    const base = { name: c.gqlName, description: c.description };
    switch (op) {
      case '_delete_key':
        return {
          ...base,
          type: named(this.b.scalar('String')),
          parse: 'column',
          pgType: 'text',
          nullable: true,
        };
      case '_delete_elem':
        return { ...base, type: named(this.b.scalar('Int')), parse: 'column', pgType: 'integer' };
      case '_delete_at_path':
        return {
          ...base,
          type: list(nn(this.b.scalar('String'))),
          parse: 'column',
          pgType: 'text',
          nullable: true,
        };
      default:
        return this.columnInput(c);
    }
  }

  private updateFields(t: TableInfo): void {
    if (!t.pg.updatable) return;
    const perm = updatePerm(t, this.role);
    if (!perm || (perm.backendOnly && !this.backendScenario)) return;
    const ops = this.updateOperatorArgs(t);
    const where: InputValueDef = {
      name: 'where',
      description: 'filter the rows which have to be updated',
      type: nn(this.b.boolExp(t)),
    };
    const plain = mutationRootField(t, 'update');
    this.add(
      {
        name: plain.name,
        description: plain.description,
        args: [...ops, where],
        type: named(this.mutationResponse(t)),
        info: { k: 'other' },
      },
      { k: 'update', table: t, variant: 'where' },
    );
    const pkArgs = this.pkArgs(t);
    if (pkArgs && this.hasSelect(t)) {
      const pkName = t.naming.tableType(t.ident, 'pk_columns_input');
      if (!this.b.types.has(pkName)) {
        this.b.types.set(pkName, {
          kind: 'INPUT_OBJECT',
          name: pkName,
          description: `primary key columns input for table: ${tableDisplayName(t)}`,
          fields: new Map(pkArgs.map((a) => [a.name, a])),
          info: { k: 'other' },
        });
      }
      const byPk = mutationRootField(t, 'update_by_pk');
      this.add(
        {
          name: byPk.name,
          description: byPk.description,
          args: [
            ...ops,
            {
              name: t.naming.field('pk_columns'),
              key: 'pk_columns',
              description: null,
              type: nn(pkName),
            },
          ],
          type: named(this.b.tableObject(t)),
          info: { k: 'other' },
        },
        { k: 'update', table: t, variant: 'by_pk' },
      );
    }
    const updatesName = t.naming.tableType(t.ident, 'updates');
    if (!this.b.types.has(updatesName)) {
      this.b.types.set(updatesName, {
        kind: 'INPUT_OBJECT',
        name: updatesName,
        description: null,
        fields: new Map([...ops, where].map((a) => [a.name, a])),
        info: { k: 'other' },
      });
    }
    const many = mutationRootField(t, 'update_many');
    this.add(
      {
        name: many.name,
        description: many.description,
        args: [
          {
            name: 'updates',
            description: 'updates to execute, in order',
            type: nonNull(list(nn(updatesName))),
          },
        ],
        type: list(named(this.mutationResponse(t))),
        info: { k: 'other' },
      },
      { k: 'update', table: t, variant: 'many' },
    );
  }

  // ------------------------------------------------------------------ delete

  private deleteFields(t: TableInfo): void {
    if (!t.pg.deletable) return;
    const perm = deletePerm(t, this.role);
    if (!perm || (perm.backendOnly && !this.backendScenario)) return;
    const plain = mutationRootField(t, 'delete');
    this.add(
      {
        name: plain.name,
        description: plain.description,
        args: [
          {
            name: 'where',
            description: 'filter the rows which have to be deleted',
            type: nn(this.b.boolExp(t)),
          },
        ],
        type: named(this.mutationResponse(t)),
        info: { k: 'other' },
      },
      { k: 'delete', table: t, byPk: false },
    );
    const pkArgs = this.pkArgs(t);
    if (!pkArgs || !this.hasSelect(t)) return;
    const byPk = mutationRootField(t, 'delete_by_pk');
    this.add(
      {
        name: byPk.name,
        description: byPk.description,
        args: pkArgs,
        type: named(this.b.tableObject(t)),
        info: { k: 'other' },
      },
      { k: 'delete', table: t, byPk: true },
    );
  }

  // ------------------------------------------------------------------ functions

  /** Tracked functions exposed as mutations (VOLATILE by default): `[<t>!]!` (or `<t>`) on mutation_root. */
  private functionFields(): void {
    for (const f of this.b.source.functions.values()) {
      if (f.exposedAs !== 'mutation') continue;
      const t = this.b.table(f.returnTable);
      if (!this.b.perm(t)) continue;
      if (!functionAllowed(f, this.role, this.b.isAdmin, this.b.opts)) continue;
      const skip = new Set(f.sessionArgIndex === null ? [] : [f.sessionArgIndex]);
      const input = this.b.fnArgsInput(f.fn, skip, this.b.functionArgsTypeName(f));
      const fnName = f.qn.schema === 'public' ? f.qn.name : `${f.qn.schema}.${f.qn.name}`;
      const argsArg: InputValueDef[] = input
        ? [
            {
              name: 'args',
              description: `input parameters for function "${fnName}"`,
              type: input.required ? nn(input.name) : named(input.name),
              nullable: !input.required,
            },
          ]
        : [];
      this.b.mutationFields.set(f.rootFields.fn, {
        name: f.rootFields.fn,
        description:
          f.description ??
          `execute VOLATILE function "${fnName}" which returns "${tableDisplayName(t)}"`,
        args: [...argsArg, ...this.b.selectArgs(t)],
        // a single-row function (RETURNS <table>, not SETOF) answers one nullable object
        type: f.fn.returnsSet
          ? nonNull(list(nonNull(named(this.b.tableObject(t)))))
          : named(this.b.tableObject(t)),
        info: { k: 'fn', fn: f },
      });
    }
  }
}

/** The schema extension that adds `mutation_root` to every role's schema. */
export const mutationSchema: SchemaExtension = (b) => new MutationSchema(b).build();
