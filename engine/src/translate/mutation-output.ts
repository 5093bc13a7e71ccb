/**
 * A mutation's answer (Hasura/Backends/Postgres/Translate/Returning.hs, "Note [Mutation output
 * expression]"): the DML runs in a CTE `RETURNING *, <check> AS check__constraint`, and one
 * SELECT builds the response JSON from it plus `bool_and(check__constraint)`.
 *
 * When the selection reads other rows (relationships, computed fields), the CTE's rows are not
 * visible to those reads within the same statement, so the mutation first returns its rows (as
 * the table's row type, in text form) and a second statement answers from them — Hasura's
 * mutateAndFetchCols + mkSelectExpFromColumnValues.
 */
import { sql, type SQL } from '@streamsync/database';
import type { MutationOutput } from '../ir/mutation.ts';
import type { AnnField, AnnSelect } from '../ir/types.ts';
import type { TableInfo } from '../schema/source.ts';
import type { SelectTranslator } from './select.ts';

export const CTE = '_m';
export const TARGET = '_mt';
export const CHECK = 'check__constraint';

const tableIdent = (t: TableInfo) => sql.ident(t.qn.schema, t.qn.name);

/** The CTE's rows with exactly the table's columns. */
export function cteRows(t: TableInfo): SQL {
  return sql`(SELECT ${sql.join(
    t.pg.columns.map((c) => sql.ident(c.name)),
    ', ',
  )} FROM ${sql.ident(CTE)})`;
}

/** Rows given back as text of the table's row type (a `text[]` parameter), in order. */
export function valueRows(t: TableInfo, rows: string[]): SQL {
  return sql`(SELECT (${sql.ident('_r', 'r')}::${tableIdent(t)}).* FROM unnest(${sql.value(rows, 'text[]')}) WITH ORDINALITY AS ${sql.ident('_r')}(${sql.ident('r')}, ${sql.ident('n')}) ORDER BY ${sql.ident('_r', 'n')})`;
}

function select(t: TableInfo, source: SQL, fields: Array<[string, AnnField]>): AnnSelect {
  return {
    table: t,
    from: { k: 'rows', source },
    args: { where: null, orderBy: [], distinctOn: null, limit: null, offset: null },
    // the rows a mutation touched are not filtered by the select permission (Hasura's
    // TablePerm annBoolExpTrue); the column list was applied by the schema
    permFilter: { k: 'true' },
    permLimit: null,
    fields,
  };
}

/** The JSON of the answer, reading rows from `source` and the row count from `affected`. */
export function outputJson(
  tr: SelectTranslator,
  t: TableInfo,
  out: MutationOutput,
  source: SQL,
  affected: SQL,
): SQL {
  if (out.k === 'single') return sql`(${tr.objectSelect(select(t, source, out.fields), null)})`;
  if (out.fields.length === 0) return sql`json_build_object()`;
  const pairs = out.fields.map(([alias, f]) => {
    const key = sql.literal(alias);
    switch (f.k) {
      case 'affected_rows':
        return sql`${key}, ${affected}`;
      case 'typename':
        return sql`${key}, ${sql.literal(f.name)}`;
      case 'returning':
        return sql`${key}, (${tr.arraySelect(select(t, source, f.fields), null)})`;
    }
  });
  return sql`json_build_object(${sql.join(pairs, ', ')})`;
}

/** The answer of a mutation that did nothing (no rows, no operators). */
export function emptyOutput(out: MutationOutput): string {
  if (out.k === 'single') return 'null';
  const parts = out.fields.map(([alias, f]) => {
    const v = f.k === 'affected_rows' ? '0' : f.k === 'returning' ? '[]' : JSON.stringify(f.name);
    return `${JSON.stringify(alias)}:${v}`;
  });
  return `{${parts.join(',')}}`;
}

const checkSql = sql`(SELECT coalesce(bool_and(${sql.ident(CHECK)}), true) FROM ${sql.ident(CTE)})`;

/** One statement: the DML in a CTE, the answer and the permission check. Columns: out, ok. */
export function answerStatement(
  tr: SelectTranslator,
  t: TableInfo,
  dml: SQL,
  out: MutationOutput,
): SQL {
  const json = outputJson(
    tr,
    t,
    out,
    cteRows(t),
    sql`(SELECT count(*) FROM ${sql.ident(CTE)})::integer`,
  );
  return sql`WITH ${sql.ident(CTE)} AS (${dml}) SELECT (${json})::text AS ${sql.ident('out')}, ${checkSql} AS ${sql.ident('ok')}`;
}

/**
 * The DML returning what the next steps need. Columns: n (rows), rows (text of each row as the
 * table's type), vals (each row's columns as text, in table order), ok.
 */
export function fetchStatement(t: TableInfo, dml: SQL): SQL {
  const m = sql.ident(CTE);
  const cols = t.pg.columns.map((c) => sql.ident(CTE, c.name));
  const rowText = sql`ROW(${sql.join(cols, ', ')})::${tableIdent(t)}::text`;
  const valsText = sql`ARRAY[${sql.join(
    cols.map((c) => sql`(${c})::text`),
    ', ',
  )}]::text[]`;
  return sql`WITH ${m} AS (${dml}) SELECT (SELECT count(*) FROM ${m})::integer AS ${sql.ident('n')}, (SELECT coalesce(array_agg(${rowText}), '{}') FROM ${m}) AS ${sql.ident('rows')}, (SELECT coalesce(json_agg(${valsText}), '[]') FROM ${m}) AS ${sql.ident('vals')}, ${checkSql} AS ${sql.ident('ok')}`;
}

/** The answer from rows a previous statement returned. Column: out. */
export function answerFromRows(
  tr: SelectTranslator,
  t: TableInfo,
  out: MutationOutput,
  rows: string[],
  affected: number,
): SQL {
  const json = outputJson(tr, t, out, valueRows(t, rows), sql.value(affected, 'integer'));
  return sql`SELECT (${json})::text AS ${sql.ident('out')}`;
}

export { tableIdent };
