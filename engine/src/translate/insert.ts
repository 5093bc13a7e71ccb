/**
 * INSERT as Hasura writes it (Hasura/Backends/Postgres/Translate/Insert.hs and Execute/Insert.hs
 * mkInsertQ): every row lists the same columns (missing ones are DEFAULT, presets fill theirs),
 * `ON CONFLICT ON CONSTRAINT … DO NOTHING | DO UPDATE SET col = EXCLUDED.col, <update presets>
 * WHERE <update permission filter AND where>`, and `RETURNING *` plus the permission check — the
 * update check for rows an upsert updated (`xmax <> 0`) when the update permission has one.
 */
import { sql, type SQL } from '@streamsync/database';
import type { AnnInsert } from '../ir/mutation.ts';
import type { Val } from '../ir/types.ts';
import { CHECK, TARGET, tableIdent } from './mutation-output.ts';
import type { SelectTranslator } from './select.ts';

/** One row's values: given columns, then columns a parent insert determined. */
export interface RowValues {
  columns: Array<[column: string, value: Val]>;
}

export function insertDml(tr: SelectTranslator, ins: AnnInsert, rows: RowValues[]): SQL {
  const t = ins.table;
  const presets = new Map(ins.presets);
  const used = new Set<string>(presets.keys());
  for (const r of rows) for (const [c] of r.columns) used.add(c);
  // table order; with nothing given, every row is DEFAULT in the first column
  let cols = t.pg.columns.map((c) => c.name).filter((c) => used.has(c));
  if (cols.length === 0) cols = [t.pg.columns[0]!.name];
  const tuples = rows.map((r) => {
    const given = new Map(r.columns);
    return sql`(${sql.join(
      cols.map((c) => {
        const v = given.get(c) ?? presets.get(c);
        return v ? tr.val(v) : sql`DEFAULT`;
      }),
      ', ',
    )})`;
  });
  let conflict = sql.empty;
  if (ins.conflict) {
    const oc = ins.conflict;
    const target = oc.columns
      ? sql`(${sql.join(
          oc.columns.map((c) => sql.ident(c)),
          ', ',
        )})`
      : oc.constraint
        ? sql`ON CONSTRAINT ${sql.ident(oc.constraint)}`
        : sql.empty;
    if (oc.updateColumns.length === 0) {
      conflict = sql` ON CONFLICT ${target} DO NOTHING`;
    } else {
      const sets: SQL[] = oc.updateColumns.map(
        (c) => sql`${sql.ident(c)} = EXCLUDED.${sql.ident(c)}`,
      );
      for (const [c, v] of oc.updatePresets) sets.push(sql`${sql.ident(c)} = ${tr.val(v)}`);
      const where = tr.boolExp(oc.filter, TARGET, t);
      conflict = sql` ON CONFLICT ${target} DO UPDATE SET ${sql.join(sets, ', ')}${where ? sql` WHERE ${where}` : sql.empty}`;
    }
  }
  const insCheck = tr.boolExp(ins.checkInsert, TARGET, t) ?? sql`true`;
  let check = insCheck;
  if (ins.conflict && ins.checkUpdate) {
    const updCheck = tr.boolExp(ins.checkUpdate, TARGET, t) ?? sql`true`;
    check = sql`CASE WHEN ${sql.ident(TARGET, 'xmax')} = 0 THEN ${insCheck} ELSE ${updCheck} END`;
  }
  return sql`INSERT INTO ${tableIdent(t)} AS ${sql.ident(TARGET)} (${sql.join(
    cols.map((c) => sql.ident(c)),
    ', ',
  )}) VALUES ${sql.join(tuples, ', ')}${conflict} RETURNING *, (${check}) AS ${sql.ident(CHECK)}`;
}
