/**
 * UPDATE and DELETE as Hasura writes them (Hasura/Backends/Postgres/Translate/{Update,Delete}.hs):
 * the permission filter ANDed with the user's `where`, the update operators as SET expressions
 * (`_set` value, `_inc` col + value, `_append` col || value, `_prepend` value || col,
 * `_delete_key` col - text, `_delete_elem` col - int, `_delete_at_path` col #- text[]), and
 * `RETURNING *` plus the update permission's check.
 */
import { sql, type SQL } from '@streamsync/database';
import type { UpdateBatch } from '../ir/mutation.ts';
import type { BoolExp } from '../ir/types.ts';
import type { TableInfo } from '../schema/source.ts';
import { CHECK, TARGET, tableIdent } from './mutation-output.ts';
import type { SelectTranslator } from './select.ts';

function whereClause(tr: SelectTranslator, t: TableInfo, perm: BoolExp, where: BoolExp): SQL {
  const parts = [tr.boolExp(perm, TARGET, t), tr.boolExp(where, TARGET, t)].filter(
    (x): x is SQL => x !== null,
  );
  return parts.length ? sql` WHERE ${sql.join(parts, ' AND ')}` : sql.empty;
}

export function updateDml(
  tr: SelectTranslator,
  t: TableInfo,
  batch: UpdateBatch,
  permFilter: BoolExp,
  check: BoolExp | null,
): SQL {
  const sets = batch.ops.map(([c, op, v]) => {
    const col = sql.ident(TARGET, c);
    const val = tr.val(v);
    let e: SQL;
    switch (op) {
      case 'set':
        e = val;
        break;
      case 'inc':
        e = sql`${col} + ${val}`;
        break;
      case 'append':
        e = sql`${col} || ${val}`;
        break;
      case 'prepend':
        e = sql`${val} || ${col}`;
        break;
      case 'delete_key':
      case 'delete_elem':
        e = sql`${col} - ${val}`;
        break;
      case 'delete_at_path':
        e = sql`${col} #- ${val}`;
        break;
    }
    return sql`${sql.ident(c)} = ${e}`;
  });
  const ok = check ? (tr.boolExp(check, TARGET, t) ?? sql`true`) : sql`true`;
  return sql`UPDATE ${tableIdent(t)} AS ${sql.ident(TARGET)} SET ${sql.join(sets, ', ')}${whereClause(
    tr,
    t,
    permFilter,
    batch.where,
  )} RETURNING *, (${ok}) AS ${sql.ident(CHECK)}`;
}

export function deleteDml(
  tr: SelectTranslator,
  t: TableInfo,
  permFilter: BoolExp,
  where: BoolExp,
): SQL {
  return sql`DELETE FROM ${tableIdent(t)} AS ${sql.ident(TARGET)}${whereClause(
    tr,
    t,
    permFilter,
    where,
  )} RETURNING *, true AS ${sql.ident(CHECK)}`;
}
