/**
 * The IR of a query operation: what to select, from where, with which filters (user `where`
 * ANDed with the role's permission filter), order, limits and nested relationships. Built by
 * parse/select.ts from a validated operation; turned into one SQL statement by translate/.
 *
 * Values are `Val`s: a literal from the query text, a variable (bound per request through a
 * placeholder, so one compiled plan serves every set of variables), or a session variable.
 */
import type { SQL } from '@streamsync/database';
import type { PgFunction } from '../introspection/catalog.ts';
import type { ComputedFieldInfo, RelInfo, TableInfo } from '../schema/source.ts';
import type { CmpOpName } from '../schema/operators.ts';
import type { AggOp } from '../schema/aggregates.ts';

/** A value on its way to SQL, always cast to `pgType`. */
export type Val =
  | { k: 'lit'; value: unknown; pgType: string }
  | { k: 'param'; key: string; pgType: string }
  | { k: 'session'; name: string; pgType: string }
  /** the whole session as json (computed-field / function session arguments) */
  | { k: 'session_json' };

export interface CmpOp {
  /** an operator of schema/operators.ts (or `_is_not_null`) */
  op: CmpOpName;
  value?: Val;
  /** _st_d_within and friends */
  extra?: Record<string, Val>;
  /** _ceq and friends: compare with another column of the same row */
  col?: string;
  /** the other column is the root table's (`["$", col]`), not the current table's */
  colRoot?: boolean;
  /** _cast: the target type and its operators */
  cast?: { to: string; ops: CmpOp[] };
}

export type BoolExp =
  | { k: 'true' }
  | { k: 'false' }
  | { k: 'and'; items: BoolExp[] }
  | { k: 'or'; items: BoolExp[] }
  | { k: 'not'; e: BoolExp }
  | { k: 'col'; column: string; pgType: string; ops: CmpOp[] }
  /** exists a related row (filtered by the target's permission) satisfying e */
  | { k: 'rel'; rel: RelInfo; target: TableInfo; e: BoolExp }
  | {
      k: 'agg_count';
      rel: RelInfo;
      target: TableInfo;
      columns: string[];
      distinct: boolean;
      filter: BoolExp;
      predicate: CmpOp[];
    }
  | { k: 'cf_scalar'; cf: ComputedFieldInfo; pgType: string; ops: CmpOp[] }
  | { k: 'cf_table'; cf: ComputedFieldInfo; target: TableInfo; e: BoolExp }
  /** permission `_exists`: some row of an unrelated table satisfies e */
  | { k: 'exists'; target: TableInfo; e: BoolExp };

/**
 * `cell`, on a reference to a column or scalar computed field: the condition under which an
 * inherited role may read it on a row (schema/inherited-roles.ts); elsewhere it reads as null.
 */
export type OrderExpr =
  | { k: 'col'; column: string; cell?: BoolExp }
  | { k: 'objrel'; rel: RelInfo; target: TableInfo; perm: BoolExp; expr: OrderExpr }
  | {
      k: 'arr_agg';
      rel: RelInfo;
      target: TableInfo;
      perm: BoolExp;
      fn: AggOp | 'count';
      column?: string;
      cell?: BoolExp;
    }
  | { k: 'cf_scalar'; cf: ComputedFieldInfo; cell?: BoolExp }
  | {
      k: 'cf_agg';
      cf: ComputedFieldInfo;
      target: TableInfo;
      perm: BoolExp;
      fn: AggOp | 'count';
      column?: string;
      cell?: BoolExp;
    };

export interface OrderByItem {
  expr: OrderExpr;
  dir: 'ASC' | 'DESC';
  nulls: 'NULLS FIRST' | 'NULLS LAST';
}

/** Where rows come from: the table, or a set-returning function of it. */
export type FromItem =
  | { k: 'table' }
  | { k: 'fn'; fn: PgFunction; args: Array<Val | null> }
  /** computed field returning SETOF table: fn(row, …) of the parent row */
  | { k: 'cf'; cf: ComputedFieldInfo; args: Array<Val | null> }
  /** rows of the table's type from elsewhere: a mutation's CTE, or rows it returned */
  | { k: 'rows'; source: SQL };

export interface SelectArgs {
  where: BoolExp | null;
  orderBy: OrderByItem[];
  distinctOn: string[] | null;
  /** the cell conditions of the distinct_on columns that have one */
  distinctCells?: Map<string, BoolExp>;
  limit: Val | null;
  offset: Val | null;
}

export interface AnnSelect {
  table: TableInfo;
  from: FromItem;
  args: SelectArgs;
  permFilter: BoolExp;
  permLimit: number | null;
  fields: Array<[alias: string, field: AnnField]>;
}

export type AnnField =
  | {
      k: 'col';
      column: string;
      pgType: string;
      stringify: boolean;
      geo: boolean;
      path: Val | null;
      cell?: BoolExp;
    }
  | { k: 'typename'; name: string }
  | { k: 'objrel'; rel: RelInfo; select: AnnSelect }
  | { k: 'arrrel'; rel: RelInfo; select: AnnSelect }
  | { k: 'arrrel_agg'; rel: RelInfo; agg: AggSelect }
  | {
      k: 'cf_scalar';
      cf: ComputedFieldInfo;
      args: Array<Val | null>;
      stringify: boolean;
      cell?: BoolExp;
    }
  | { k: 'cf_table'; select: AnnSelect }
  | { k: 'cf_table_agg'; agg: AggSelect }
  /** Relay: the row's global id (relay/global-id.ts) */
  | { k: 'node_id' }
  | { k: 'arrrel_conn'; rel: RelInfo; conn: ConnSelect };

/**
 * A Relay connection: the rows of `select` (its `fields` unused; each `node` has its own), in
 * its order then the primary key, after / before a cursor, the first or last n of them.
 */
export interface ConnSelect {
  select: AnnSelect;
  first: Val | null;
  last: Val | null;
  /** cursors as sent: base64 text of the json object of a row's ordering values */
  after: Val | null;
  before: Val | null;
  fields: Array<[string, ConnField]>;
}

export type ConnField =
  | { k: 'typename'; name: string }
  | { k: 'edges'; fields: Array<[string, EdgeField]> }
  | { k: 'page_info'; fields: Array<[string, PageInfoField]> };

export type EdgeField =
  | { k: 'typename'; name: string }
  | { k: 'cursor' }
  | { k: 'node'; fields: Array<[string, AnnField]> };

export type PageInfoField =
  | { k: 'typename'; name: string }
  | { k: 'startCursor' | 'endCursor' | 'hasNextPage' | 'hasPreviousPage' };

export type AggField =
  | { k: 'typename'; name: string }
  | { k: 'aggregate'; fields: Array<[string, AggFnField]> }
  | { k: 'nodes'; fields: Array<[string, AnnField]> };

export type AggFnField =
  | { k: 'typename'; name: string }
  | { k: 'count'; columns: string[]; distinct: boolean; cells?: Map<string, BoolExp> }
  | {
      k: 'op';
      op: AggOp;
      fields: Array<
        [
          string,
          (
            | { k: 'col'; column: string; stringify: boolean; pgType: string; cell?: BoolExp }
            | { k: 'typename'; name: string }
          ),
        ]
      >;
    };

export interface AggSelect {
  select: AnnSelect; // fields unused
  fields: Array<[string, AggField]>;
}

export type RootField =
  | { k: 'select'; select: AnnSelect }
  | { k: 'select_one'; select: AnnSelect }
  | { k: 'agg'; agg: AggSelect }
  | { k: 'connection'; conn: ConnSelect }
  | { k: 'typename'; name: string }
  /** `<t>_stream`: the rows after the cursor, in cursor order, a batch at a time (issue 6) */
  | { k: 'stream'; select: AnnSelect; cursor: StreamCursor; batchSize: Val }
  /** answered without the database (introspection, placeholder) */
  | { k: 'static'; value: unknown }
  /** a customized source's namespace field: an object of that source's root fields */
  | { k: 'namespace'; fields: Array<[alias: string, field: RootField]> };

/** The one cursor column of a streaming subscription and where it starts. */
export interface StreamCursor {
  column: string;
  /** the response key of the column in `cursor` values (its GraphQL name) */
  gqlName: string;
  pgType: string;
  dir: 'ASC' | 'DESC';
  initial: Val;
  /** an inherited role reads the column on these rows only: the others never pass the cursor */
  cell?: BoolExp;
}

export interface QueryIR {
  root: Array<[alias: string, field: RootField]>;
}
