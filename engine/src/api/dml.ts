/**
 * The v1 DML operations of `/v1/query` and `/v2/query` that setups and scripts use: `insert`
 * (rows as JSON, each value read as its column's type, GeoJSON for geometry) and `count`. Each
 * runs in its own transaction, as Hasura runs them.
 */
import { query, sql, transaction, type SQL } from '@streamsync/database';
import { pgQueryError } from '../errors.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { SelectTranslator } from '../translate/select.ts';
import { bad, catalogOf, displayName, tableArg, type Args, type OpContext } from './context.ts';

function castable(t: string): string {
  return t.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}

export async function v1Insert(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  const table = (await catalogOf(ctx)).tables.get(qualifiedKey(qn));
  if (!table) throw bad('not-exists', `table "${displayName(qn)}" does not exist`);
  if (!Array.isArray(args.objects)) throw bad('parse-failed', 'key "objects" not found');
  const objects = args.objects as Array<Record<string, unknown>>;
  const stmts: SQL[] = [];
  for (const obj of objects) {
    const cols = Object.keys(obj);
    for (const c of cols)
      if (!table.columns.some((x) => x.name === c))
        throw bad('not-exists', `column "${c}" does not exist`);
    const tr = new SelectTranslator();
    const vals: SQL[] = cols.map((c) => {
      const col = table.columns.find((x) => x.name === c)!;
      const v = obj[c];
      // GeoJSON for geometry/geography, JSON for json/jsonb, text for the rest
      const geo = /^(geometry|geography)\b/.test(col.formatted);
      const value =
        v === null || geo
          ? v
          : typeof v === 'object' && !/^jsonb?$/.test(col.type)
            ? JSON.stringify(v)
            : v;
      return tr.val({ k: 'lit', value: value ?? null, pgType: castable(col.formatted) });
    });
    stmts.push(
      cols.length
        ? sql`INSERT INTO ${sql.ident(qn.schema, qn.name)} (${sql.join(
            cols.map((c) => sql.ident(c)),
            ', ',
          )}) VALUES (${sql.join(vals, ', ')})`
        : sql`INSERT INTO ${sql.ident(qn.schema, qn.name)} DEFAULT VALUES`,
    );
  }
  let affected = 0;
  try {
    await transaction(ctx.engine.pool, async (client) => {
      for (const s of stmts) affected += (await query(client, s)).rowCount ?? 0;
    });
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) throw e;
    throw pgQueryError(err);
  }
  return { affected_rows: affected };
}

export async function v1Count(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  if (!(await catalogOf(ctx)).tables.has(qualifiedKey(qn)))
    throw bad('not-exists', `table "${displayName(qn)}" does not exist`);
  const { rows } = await query<{ count: number }>(
    ctx.engine.pool,
    sql`SELECT count(*)::int AS count FROM ${sql.ident(qn.schema, qn.name)}`,
  );
  return { count: rows[0]!.count };
}
