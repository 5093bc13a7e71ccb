/**
 * The IR of a mutation operation (Hasura/RQL/IR/{Insert,Update,Delete,Returning}.hs): per root
 * field what to write, under which permission check / filter / presets, and what to answer. The
 * answer reuses the query IR: `returning` and the `_one` / `_by_pk` objects are AnnSelects over
 * the mutated rows (their `from` is filled in at execution time).
 */
import type { RelInfo, TableInfo } from '../schema/source.ts';
import type { PathElem } from '../errors.ts';
import type { AnnField, BoolExp, QueryIR, Val } from './types.ts';

export type MutationOutput =
  /** `<t>_mutation_response`: affected_rows, returning, __typename in selection order */
  | { k: 'multi'; fields: Array<[alias: string, MutFld]> }
  /** `insert_<t>_one`, `*_by_pk`: the row object, or null */
  | { k: 'single'; fields: Array<[alias: string, AnnField]> };

export type MutFld =
  | { k: 'affected_rows' }
  | { k: 'returning'; fields: Array<[alias: string, AnnField]> }
  | { k: 'typename'; name: string };

/** One row to insert, with the rows to insert through its relationships. */
export interface InsertRow {
  /** column → value, as given (without presets) */
  columns: Array<[column: string, value: Val]>;
  /** inserted first; their key columns feed this row */
  objRels: Array<{ rel: RelInfo; ins: AnnInsert }>;
  /** inserted after this row, with its key columns */
  arrRels: Array<{ rel: RelInfo; ins: AnnInsert }>;
  /** error path of this row's own statement when rows are inserted one by one */
  path: PathElem[];
}

export interface OnConflict {
  constraint: string;
  /** the conflict target as columns instead of a constraint (v1 insert's `constraint_on`) */
  columns?: string[];
  /** empty: DO NOTHING */
  updateColumns: string[];
  /** update permission presets (applied on DO UPDATE) */
  updatePresets: Array<[column: string, value: Val]>;
  /** update permission filter AND the user's `where`, over the existing row */
  filter: BoolExp;
}

export interface AnnInsert {
  table: TableInfo;
  rows: InsertRow[];
  conflict: OnConflict | null;
  /** insert permission check, over the inserted row */
  checkInsert: BoolExp;
  /** update permission check for rows an upsert updated (null: use the insert check) */
  checkUpdate: BoolExp | null;
  /** insert permission presets */
  presets: Array<[column: string, value: Val]>;
  /** error path of the statement when all rows go in one INSERT */
  path: PathElem[];
}

export type UpdateOp =
  'set' | 'inc' | 'append' | 'prepend' | 'delete_key' | 'delete_elem' | 'delete_at_path';

export interface UpdateBatch {
  ops: Array<[column: string, op: UpdateOp, value: Val]>;
  where: BoolExp;
}

export type MutationField =
  | {
      k: 'insert';
      /** the root field's name (not alias), for error paths */
      fieldName: string;
      one: boolean;
      ins: AnnInsert;
      output: MutationOutput;
    }
  | {
      k: 'update';
      table: TableInfo;
      permFilter: BoolExp;
      check: BoolExp | null;
      batches: UpdateBatch[];
      many: boolean;
      output: MutationOutput;
    }
  | {
      k: 'delete';
      table: TableInfo;
      permFilter: BoolExp;
      where: BoolExp;
      output: MutationOutput;
    }
  /** a function exposed as a mutation: an ordinary select over it */
  | { k: 'query'; ir: QueryIR }
  | { k: 'typename'; name: string }
  /** a customized source's namespace field: an object of that source's mutation fields */
  | { k: 'namespace'; fields: Array<[alias: string, field: MutationField]> };

export interface MutationIR {
  root: Array<[alias: string, field: MutationField]>;
}

export type { PathElem };
