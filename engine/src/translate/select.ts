/**
 * IR → one SQL statement (Hasura/Backends/Postgres/Translate/Select). Each root field becomes one
 * column of a single SELECT whose value is the field's JSON as text, so the response is spliced
 * together without parsing it. Shapes follow Hasura's: `coalesce(json_agg(row ORDER BY …), '[]')`
 * for lists, the row object or null for single objects, `json_build_object` per row (split above
 * 50 pairs), relationships as correlated subqueries on the parent row, permission filters ANDed
 * into every WHERE and permission limits into every LIMIT.
 *
 * Values only ever reach SQL through `emitVal`: literals as parameters, variables and session
 * variables as placeholders bound at execution. A live-query multiplexer (issue 6) can pass its
 * own `ValueEmitter` that reads them from the cohort's variables instead.
 */
import { sql, type SQL } from '@streamsync/database';
import type {
  AggFnField,
  AggSelect,
  AnnField,
  AnnSelect,
  BoolExp,
  CmpOp,
  ConnSelect,
  FromItem,
  OrderByItem,
  OrderExpr,
  QueryIR,
  Val,
} from '../ir/types.ts';
import type { ComputedFieldInfo, RelInfo, TableInfo } from '../schema/source.ts';
import { AGGREGATES } from '../schema/aggregates.ts';
import { OPERATORS } from '../schema/operators.ts';
import { jsonText, numericText } from '../parse/numbers.ts';
import { GLOBAL_ID_VERSION } from '../relay/global-id.ts';

/** How values become SQL. The default uses parameters and placeholders. */
export interface ValueEmitter {
  /** A literal of the query text (default: a parameter); live queries make it a synthetic variable. */
  literal?(value: unknown, pgType: string): SQL;
  param(key: string, pgType: string): SQL;
  session(name: string, pgType: string): SQL;
  sessionJson(): SQL;
}

export const placeholderEmitter: ValueEmitter = {
  param: (key, pgType) => sql.placeholder(`v:${key}`, castName(pgType)),
  session: (name, pgType) => sql.placeholder(`s:${name}`, castName(pgType)),
  sessionJson: () => sql.placeholder('session', 'json'),
};

/** Reduce a format_type() string to something the builder accepts as a cast. */
export function castName(pgType: string): string {
  if (
    /^(?:"[^"\0]+"|[A-Za-z_][A-Za-z0-9_ ]*)(?:\.(?:"[^"\0]+"|[A-Za-z_][A-Za-z0-9_]*))?(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*$/.test(
      pgType,
    )
  ) {
    return pgType;
  }
  // e.g. "timestamp(3) with time zone": drop the modifiers
  return pgType.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}

/** JS value → what node-postgres should send for a parameter of `pgType`. */
export function toPgParam(value: unknown, pgType: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  const isArray = pgType.endsWith('[]');
  const base = isArray ? pgType.slice(0, -2) : pgType;
  if (isArray) {
    if (typeof value === 'string') return value; // an array literal
    if (!Array.isArray(value)) return [toPgParam(value, base)];
    // a multi-dimensional array keeps its nesting
    return value.map((v) => (Array.isArray(v) ? toPgParam(v, pgType) : toPgParam(v, base)));
  }
  if (base === 'json' || base === 'jsonb') return jsonText(value);
  if (typeof value === 'number' && /^(numeric|decimal)$/.test(base)) return numericText(value);
  if (typeof value === 'object') {
    if (Array.isArray(value) && (base.startsWith('_') || base.endsWith(']'))) return value;
    return jsonText(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

const MAX_PAIRS = 50;

const GEO_TYPE = /^(geometry|geography)\b/;

export class SelectTranslator {
  private n = 0;
  constructor(private readonly emit: ValueEmitter = placeholderEmitter) {}

  protected alias(prefix: string): string {
    return `_${prefix}${this.n++}`;
  }

  val(v: Val): SQL {
    // geometry and geography values are GeoJSON (Hasura's withConstructorFn)
    const geo = v.k !== 'session_json' ? GEO_TYPE.exec(v.pgType)?.[1] : undefined;
    switch (v.k) {
      case 'lit':
        if (geo) {
          if (v.value === null) return sql.value(null, geo);
          return sql`ST_GeomFromGeoJSON(${sql.value(toPgParam(v.value, 'json'), 'text')})::${sql.type(geo)}`;
        }
        if (this.emit.literal) return this.emit.literal(v.value, v.pgType);
        return sql.value(toPgParam(v.value, v.pgType), castName(v.pgType));
      case 'param':
        if (geo)
          return sql`ST_GeomFromGeoJSON(${this.emit.param(v.key, 'text')})::${sql.type(geo)}`;
        return this.emit.param(v.key, v.pgType);
      case 'session':
        return this.emit.session(v.name, v.pgType);
      case 'session_json':
        return this.emit.sessionJson();
    }
  }

  /** The whole operation: one row, one text column per root field (c0, c1, …). */
  query(ir: QueryIR): { statement: SQL; columns: string[] } {
    const cols: SQL[] = [];
    const columns: string[] = [];
    ir.root.forEach(([, f], i) => {
      let e: SQL | undefined;
      switch (f.k) {
        case 'select':
          e = this.arraySelect(f.select, null);
          break;
        case 'select_one':
          e = this.objectSelect(f.select, null);
          break;
        case 'agg':
          e = this.aggSelect(f.agg, null);
          break;
        case 'connection':
          e = this.connection(f.conn, null);
          break;
        default:
          return;
      }
      const name = `c${i}`;
      columns.push(name);
      cols.push(sql`(${e})::text AS ${sql.ident(name)}`);
    });
    return { statement: sql`SELECT ${sql.join(cols, ', ')}`, columns };
  }

  // ------------------------------------------------------------------ selects

  /** Join condition of a relationship: child alias columns = parent alias columns. */
  private relCond(rel: RelInfo, parent: string, child: string): SQL {
    return sql.join(
      rel.mapping.map(([l, r]) => sql`${sql.ident(child, r)} = ${sql.ident(parent, l)}`),
      ' AND ',
    );
  }

  private fromItem(t: TableInfo, from: FromItem, a: string, parentRow: SQL | null): SQL {
    switch (from.k) {
      case 'table':
        return sql`${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(a)}`;
      case 'fn':
        return sql`${sql.ident(from.fn.schema, from.fn.name)}(${this.fnArgs(from.fn.args, from.args, null)}) AS ${sql.ident(a)}`;
      case 'cf':
        return sql`${sql.ident(from.cf.fn.schema, from.cf.fn.name)}(${this.fnArgs(from.cf.fn.args, from.args, parentRow, from.cf.tableArgIndex)}) AS ${sql.ident(a)}`;
      case 'rows':
        return sql`${from.source} AS ${sql.ident(a)}`;
    }
  }

  /** Positional args; a skipped default switches to named notation for the rest. */
  private fnArgs(
    defs: Array<{ name: string | null }>,
    args: Array<Val | null>,
    row: SQL | null,
    rowIndex = -1,
  ): SQL {
    const parts: SQL[] = [];
    let named = false;
    args.forEach((v, i) => {
      const def = defs[i]!;
      let e: SQL | null = null;
      if (i === rowIndex && row) e = row;
      else if (v !== null) e = this.val(v);
      if (e === null) {
        named = true;
        return;
      }
      if (named) {
        if (def.name) parts.push(sql`${sql.ident(def.name)} => ${e}`);
      } else parts.push(e);
    });
    return sql.join(parts, ', ');
  }

  /**
   * The base rows of a select: FROM, permission filter, where, join to the parent, order, distinct,
   * limit, offset. Returns the subquery and the ORDER BY for json_agg over its alias.
   */
  private base(
    s: AnnSelect,
    join: { rel: RelInfo; parent: string } | null,
    parentRow: SQL | null,
    opts: { single?: boolean; noLimit?: boolean } = {},
  ): { from: SQL; alias: string; aggOrder: SQL; extra: boolean } {
    const a = this.alias('t');
    const conds: SQL[] = [];
    if (join) conds.push(this.relCond(join.rel, join.parent, a));
    const perm = this.boolExp(s.permFilter, a, s.table);
    if (perm) conds.push(perm);
    if (s.args.where) {
      const w = this.boolExp(s.args.where, a, s.table);
      if (w) conds.push(w);
    }
    const order = s.args.orderBy;
    const extraCols: SQL[] = [];
    const outer = this.alias('s');
    const innerOrder: SQL[] = [];
    const outerOrder: SQL[] = [];
    // an ordering column an inherited role reads on some rows only: by its output name, so
    // that DISTINCT ON can name the very same expression
    const cellOrder = new Map<string, string>();
    order.forEach((o, i) => {
      const dir = sql.keyword(o.dir);
      const nulls = sql.keyword(o.nulls);
      if (o.expr.k === 'col' && !o.expr.cell) {
        innerOrder.push(sql`${sql.ident(a, o.expr.column)} ${dir} ${nulls}`);
        outerOrder.push(sql`${sql.ident(outer, o.expr.column)} ${dir} ${nulls}`);
      } else {
        const e = this.orderExpr(o.expr, a, s.table);
        const name = `__o${i}`;
        extraCols.push(sql`${e} AS ${sql.ident(name)}`);
        if (o.expr.k === 'col') {
          cellOrder.set(o.expr.column, name);
          innerOrder.push(sql`${sql.ident(name)} ${dir} ${nulls}`);
        } else innerOrder.push(sql`${e} ${dir} ${nulls}`);
        outerOrder.push(sql`${sql.ident(outer, name)} ${dir} ${nulls}`);
      }
    });
    let distinct = sql.empty;
    if (s.args.distinctOn) {
      distinct = sql`DISTINCT ON (${sql.join(
        s.args.distinctOn.map((c) => {
          const cell = s.args.distinctCells?.get(c);
          if (!cell) return sql.ident(a, c);
          const named = cellOrder.get(c);
          return named ? sql.ident(named) : this.readable(sql.ident(a, c), cell, a, s.table);
        }),
        ', ',
      )}) `;
    }
    const where = conds.length ? sql` WHERE ${sql.join(conds, ' AND ')}` : sql.empty;
    const orderBy = innerOrder.length ? sql` ORDER BY ${sql.join(innerOrder, ', ')}` : sql.empty;
    let limit = sql.empty;
    if (opts.single) limit = sql` LIMIT 1`;
    else if (!opts.noLimit) {
      const user = s.args.limit ? this.val(s.args.limit) : null;
      const perm = s.permLimit !== null ? sql.value(s.permLimit, 'integer') : null;
      if (user && perm) limit = sql` LIMIT least(${user}, ${perm})`;
      else if (user) limit = sql` LIMIT ${user}`;
      else if (perm) limit = sql` LIMIT ${perm}`;
    }
    const offset = s.args.offset ? sql` OFFSET ${this.val(s.args.offset)}` : sql.empty;
    const selectList = extraCols.length
      ? sql`${sql.ident(a)}.*, ${sql.join(extraCols, ', ')}`
      : sql`${sql.ident(a)}.*`;
    const from = sql`(SELECT ${distinct}${selectList} FROM ${this.fromItem(s.table, s.from, a, parentRow)}${where}${orderBy}${limit}${offset}) AS ${sql.ident(outer)}`;
    const aggOrder = outerOrder.length ? sql` ORDER BY ${sql.join(outerOrder, ', ')}` : sql.empty;
    return { from, alias: outer, aggOrder, extra: extraCols.length > 0 };
  }

  /** The row value to pass to computed fields: the alias itself, or a ROW cast when it has extra columns. */
  private rowOf(t: TableInfo, alias: string, extra: boolean): SQL {
    if (!extra) return sql.ident(alias);
    return sql`ROW(${sql.join(
      t.pg.columns.map((c) => sql.ident(alias, c.name)),
      ', ',
    )})::${sql.ident(t.qn.schema, t.qn.name)}`;
  }

  arraySelect(
    s: AnnSelect,
    join: { rel: RelInfo; parent: string } | null,
    parentRow: SQL | null = null,
  ): SQL {
    const b = this.base(s, join, parentRow);
    const row = this.rowJson(s.table, s.fields, b.alias, b.extra);
    return sql`SELECT coalesce(json_agg(${row}${b.aggOrder}), '[]') FROM ${b.from}`;
  }

  objectSelect(s: AnnSelect, join: { rel: RelInfo; parent: string } | null): SQL {
    const b = this.base(s, join, null, { single: true });
    const row = this.rowJson(s.table, s.fields, b.alias, b.extra);
    return sql`SELECT ${row} FROM ${b.from}`;
  }

  aggSelect(
    agg: AggSelect,
    join: { rel: RelInfo; parent: string } | null,
    parentRow: SQL | null = null,
  ): SQL {
    const s = agg.select;
    const b = this.base(s, join, parentRow);
    const pairs: Array<[string, SQL]> = [];
    // with nothing but __typename selected nothing aggregates: GROUP BY () still makes one row
    let aggregates = false;
    for (const [alias, f] of agg.fields) {
      switch (f.k) {
        case 'typename':
          pairs.push([alias, sql.literal(f.name)]);
          break;
        case 'nodes':
          aggregates = true;
          pairs.push([
            alias,
            sql`coalesce(json_agg(${this.rowJson(s.table, f.fields, b.alias, b.extra)}${b.aggOrder}), '[]')`,
          ]);
          break;
        case 'aggregate':
          if (
            f.fields.some(
              ([, x]) =>
                x.k === 'count' || (x.k === 'op' && x.fields.some(([, c]) => c.k === 'col')),
            )
          )
            aggregates = true;
          pairs.push([
            alias,
            this.buildObject(
              f.fields.map(([k, x]) => [k, this.aggFn(x, b.alias, s.table, b.extra)]),
            ),
          ]);
          break;
      }
    }
    if (!aggregates) return sql`SELECT ${this.buildObject(pairs)} FROM ${b.from} GROUP BY ()`;
    return sql`SELECT ${this.buildObject(pairs)} FROM ${b.from}`;
  }

  private aggFn(f: AggFnField, alias: string, t: TableInfo, extra: boolean): SQL {
    const row = this.rowOf(t, alias, extra);
    switch (f.k) {
      case 'typename':
        return sql.literal(f.name);
      case 'count': {
        const distinct = f.distinct ? sql`DISTINCT ` : sql.empty;
        if (f.columns.length === 0)
          return f.distinct ? sql`count(DISTINCT ${sql.ident(alias)}.*)` : sql`count(*)`;
        const col = (c: string) =>
          this.readable(sql.ident(alias, c), f.cells?.get(c), alias, t, row);
        if (f.columns.length === 1) return sql`count(${distinct}${col(f.columns[0]!)})`;
        return sql`count(${distinct}(${sql.join(f.columns.map(col), ', ')}))`;
      }
      case 'op': {
        const fn = AGGREGATES[f.op].sql;
        return this.buildObject(
          f.fields.map(([k, x]) => {
            if (x.k === 'typename') return [k, sql.literal(x.name)];
            const arg = this.readable(sql.ident(alias, x.column), x.cell, alias, t, row);
            const e = sql`${sql.keyword(fn)}(${arg})`;
            return [k, x.stringify ? sql`(${e})::text` : e];
          }),
        );
      }
    }
  }

  private buildObject(pairs: Array<[string, SQL]>): SQL {
    if (pairs.length === 0) return sql`json_build_object()`;
    const chunks: SQL[] = [];
    for (let i = 0; i < pairs.length; i += MAX_PAIRS) {
      const part = pairs.slice(i, i + MAX_PAIRS).map(([k, v]) => sql`${sql.literal(k)}, ${v}`);
      chunks.push(sql.join(part, ', '));
    }
    if (chunks.length === 1) return sql`json_build_object(${chunks[0]!})`;
    return sql`(${sql.join(
      chunks.map((c) => sql`jsonb_build_object(${c})`),
      ' || ',
    )})::json`;
  }

  protected rowJson(
    t: TableInfo,
    fields: Array<[string, AnnField]>,
    alias: string,
    extra: boolean,
  ): SQL {
    return this.buildObject(fields.map(([k, f]) => [k, this.field(t, f, alias, extra)]));
  }

  private field(t: TableInfo, f: AnnField, alias: string, extra: boolean): SQL {
    switch (f.k) {
      case 'typename':
        return sql.literal(f.name);
      case 'col': {
        let e = this.readable(
          sql.ident(alias, f.column),
          f.cell,
          alias,
          t,
          this.rowOf(t, alias, extra),
        );
        if (f.path) e = sql`(${e} #> ${this.jsonPath(f.path)})`;
        if (f.geo) return sql`ST_AsGeoJSON(${e}, 15, 4)::json`;
        if (f.stringify) return sql`(${e})::text`;
        // graphql-default answers an enum table's values as its enum spells them (upper case)
        if (t.naming.graphql && t.columnsByName.get(f.column)?.enumTable) return sql`upper(${e})`;
        return e;
      }
      case 'objrel':
        return sql`(${this.objectSelect(f.select, { rel: f.rel, parent: alias })})`;
      case 'arrrel':
        return sql`(${this.arraySelect(f.select, { rel: f.rel, parent: alias })})`;
      case 'arrrel_agg':
        return sql`(${this.aggSelect(f.agg, { rel: f.rel, parent: alias })})`;
      case 'cf_scalar': {
        const row = this.rowOf(t, alias, extra);
        const e = this.readable(this.cfCall(f.cf, f.args, row), f.cell, alias, t, row);
        return f.stringify ? sql`(${e})::text` : e;
      }
      case 'cf_table':
        return sql`(${this.arraySelect(f.select, null, this.rowOf(t, alias, extra))})`;
      case 'cf_table_agg':
        return sql`(${this.aggSelect(f.agg, null, this.rowOf(t, alias, extra))})`;
      case 'node_id':
        return this.globalId(t, alias);
      case 'arrrel_conn':
        return sql`(${this.connection(f.conn, { rel: f.rel, parent: alias })})`;
    }
  }

  // ------------------------------------------------------------------ relay

  /** base64 text, without the line breaks Postgres's encoder puts every 76 characters */
  private base64(json: SQL): SQL {
    return sql`replace(encode(convert_to((${json})::text, 'UTF8'), 'base64'), chr(10), '')`;
  }

  /** The row's global id (relay/global-id.ts), built as Hasura builds it: json_build_array. */
  private globalId(t: TableInfo, alias: string): SQL {
    const pk = t.pg.primaryKey!.columns.map((c) => sql.ident(alias, c));
    const head = [
      sql.value(GLOBAL_ID_VERSION, 'integer'),
      sql.value(t.qn.schema, 'text'),
      sql.value(t.qn.name, 'text'),
    ];
    return this.base64(sql`json_build_array(${sql.join([...head, ...pk], ', ')})`);
  }

  /**
   * The ordering of a connection: its order_by, then the primary-key columns it does not name
   * (ascending), each with its place in a cursor (the json keys down to its value) and the type
   * the cursor's text is read back as.
   */
  private connectionOrder(s: AnnSelect): Array<OrderByItem & { path: string[]; pgType: string }> {
    const t = s.table;
    const out = s.args.orderBy.map((o) => ({ ...o, ...cursorPlace(t, o.expr) }));
    for (const c of t.pg.primaryKey!.columns) {
      if (s.args.orderBy.some((o) => o.expr.k === 'col' && o.expr.column === c)) continue;
      const o: OrderByItem = { expr: { k: 'col', column: c }, dir: 'ASC', nulls: 'NULLS LAST' };
      out.push({ ...o, ...cursorPlace(t, o.expr) });
    }
    return out;
  }

  /**
   * A Relay connection as one json value. `_b`: the permitted, filtered (distinct) rows with
   * their ordering values (`__o<i>`) and place in the full order (`__rn`); the page: those after
   * / before the cursor, the first (or, reversed, the last) n; pageInfo's has*Page ask whether
   * rows of `_b` lie beyond the page's ends.
   */
  connection(c: ConnSelect, join: { rel: RelInfo; parent: string } | null): SQL {
    const s = c.select;
    const t = s.table;
    const a = this.alias('t');
    const order = this.connectionOrder(s);
    const conds: SQL[] = [];
    if (join) conds.push(this.relCond(join.rel, join.parent, a));
    const perm = this.boolExp(s.permFilter, a, t);
    if (perm) conds.push(perm);
    const w = s.args.where ? this.boolExp(s.args.where, a, t) : null;
    if (w) conds.push(w);
    const exprs = order.map((o) => this.orderExpr(o.expr, a, t));
    const oname = (i: number) => `__o${i}`;
    const orderList = (alias: string | null, reverse: boolean) =>
      sql.join(
        order.map((o, i) => {
          const asc = (o.dir === 'ASC') !== reverse;
          const first = (o.nulls === 'NULLS FIRST') !== reverse;
          const col = alias ? sql.ident(alias, oname(i)) : exprs[i]!;
          return sql`${col} ${sql.keyword(asc ? 'ASC' : 'DESC')} ${sql.keyword(first ? 'NULLS FIRST' : 'NULLS LAST')}`;
        }),
        ', ',
      );
    const distinct = s.args.distinctOn
      ? sql`DISTINCT ON (${sql.join(
          s.args.distinctOn.map((col) => sql.ident(a, col)),
          ', ',
        )}) `
      : sql.empty;
    const where = conds.length ? sql` WHERE ${sql.join(conds, ' AND ')}` : sql.empty;
    const permLimit =
      s.permLimit !== null ? sql` LIMIT ${sql.value(s.permLimit, 'integer')}` : sql.empty;
    const picked = sql.join(
      exprs.map((e, i) => sql`${e} AS ${sql.ident(oname(i))}`),
      ', ',
    );
    const d = this.alias('d');
    // DISTINCT ON needs its columns first in ORDER BY: parse/ checked a given order_by starts
    // with them; without one they lead (the row kept per group is then the first by primary key)
    const distinctFirst =
      s.args.distinctOn && s.args.orderBy.length === 0
        ? sql`${sql.join(
            s.args.distinctOn.map((col) => sql.ident(a, col)),
            ', ',
          )}, `
        : sql.empty;
    const rows = sql`SELECT ${distinct}${sql.ident(a)}.*, ${picked} FROM ${this.fromItem(t, s.from, a, null)}${where} ORDER BY ${distinctFirst}${orderList(null, false)}${permLimit}`;
    const base = this.alias('b');
    const numbered = sql`SELECT ${sql.ident(d)}.*, row_number() OVER (ORDER BY ${orderList(d, false)}) AS "__rn" FROM (${rows}) AS ${sql.ident(d)}`;
    // the page: past the cursor, n from the front (first) or the back (last)
    const p = this.alias('p');
    const pageConds: SQL[] = [];
    if (c.after) pageConds.push(this.beyondCursor(order, base, c.after, false));
    if (c.before) pageConds.push(this.beyondCursor(order, base, c.before, true));
    const n = c.first ?? c.last;
    const page = sql`SELECT * FROM ${sql.ident(base)}${pageConds.length ? sql` WHERE ${sql.join(pageConds, ' AND ')}` : sql.empty} ORDER BY ${orderList(base, c.last !== null && c.first === null)}${n ? sql` LIMIT ${this.val(n)}` : sql.empty}`;
    const cursor = this.base64(this.cursorObject(order, p));
    const pairs: Array<[string, SQL]> = [];
    for (const [key, f] of c.fields) {
      switch (f.k) {
        case 'typename':
          pairs.push([key, sql.literal(f.name)]);
          break;
        case 'edges': {
          const edge = this.buildObject(
            f.fields.map(([k, ef]): [string, SQL] => {
              if (ef.k === 'typename') return [k, sql.literal(ef.name)];
              if (ef.k === 'cursor') return [k, cursor];
              return [k, this.rowJson(t, ef.fields, p, true)];
            }),
          );
          pairs.push([
            key,
            sql`coalesce(json_agg(${edge} ORDER BY ${sql.ident(p, '__rn')}), '[]')`,
          ]);
          break;
        }
        case 'page_info': {
          const x = this.alias('x');
          const info = f.fields.map(([k, pf]): [string, SQL] => {
            switch (pf.k) {
              case 'typename':
                return [k, sql.literal(pf.name)];
              case 'startCursor':
                return [k, sql`(array_agg(${cursor} ORDER BY ${sql.ident(p, '__rn')}))[1]`];
              case 'endCursor':
                return [k, sql`(array_agg(${cursor} ORDER BY ${sql.ident(p, '__rn')} DESC))[1]`];
              case 'hasNextPage':
                return [
                  k,
                  sql`EXISTS (SELECT 1 FROM ${sql.ident(base)} AS ${sql.ident(x)} WHERE ${sql.ident(x, '__rn')} > max(${sql.ident(p, '__rn')}))`,
                ];
              case 'hasPreviousPage':
                return [
                  k,
                  sql`EXISTS (SELECT 1 FROM ${sql.ident(base)} AS ${sql.ident(x)} WHERE ${sql.ident(x, '__rn')} < min(${sql.ident(p, '__rn')}))`,
                ];
            }
          });
          pairs.push([key, this.buildObject(info)]);
          break;
        }
      }
    }
    return sql`WITH ${sql.ident(base)} AS (${numbered}) SELECT ${this.buildObject(pairs)} FROM (${page}) AS ${sql.ident(p)}`;
  }

  /** The cursor of a row of alias `p`: its ordering values as nested json objects. */
  private cursorObject(order: Array<{ path: string[] }>, p: string): SQL {
    type Tree = Map<string, Tree | SQL>;
    const root: Tree = new Map();
    order.forEach((o, i) => {
      let node = root;
      for (const k of o.path.slice(0, -1)) {
        let next = node.get(k);
        if (!(next instanceof Map)) node.set(k, (next = new Map()));
        node = next;
      }
      node.set(o.path[o.path.length - 1]!, sql.ident(p, `__o${i}`));
    });
    const build = (tree: Tree): SQL =>
      this.buildObject(
        [...tree].map(([k, v]): [string, SQL] => [k, v instanceof Map ? build(v) : v]),
      );
    return build(root);
  }

  /**
   * Rows of alias `b` strictly after (before: `reverse`) the cursor in the connection's order:
   * lexicographic over the ordering values, each read back from the cursor as its type.
   */
  private beyondCursor(
    order: Array<OrderByItem & { path: string[]; pgType: string }>,
    b: string,
    cursorText: Val,
    reverse: boolean,
  ): SQL {
    const cur = sql`convert_from(decode(${this.val(cursorText)}, 'base64'), 'UTF8')::json`;
    const value = (i: number) => {
      const o = order[i]!;
      return sql`(${cur} #>> ${sql.value(o.path, 'text[]')})::${sql.type(castName(o.pgType))}`;
    };
    const alternatives = order.map((o, i) => {
      const greater = (o.dir === 'ASC') !== reverse;
      const eq = order
        .slice(0, i)
        .map((_, j) => sql`${sql.ident(b, `__o${j}`)} IS NOT DISTINCT FROM ${value(j)}`);
      const row = sql.ident(b, `__o${i}`);
      const past = sql`${row} ${sql.keyword(greater ? '>' : '<')} ${value(i)}`;
      // nulls sit at one end of the order: past a value when they come later, never past a null
      const nullsLater = (o.nulls === 'NULLS LAST') !== reverse;
      const cmp = nullsLater
        ? sql`${value(i)} IS NOT NULL AND (${row} IS NULL OR ${past})`
        : sql`${row} IS NOT NULL AND (${value(i)} IS NULL OR ${past})`;
      return sql`(${sql.join([...eq, cmp], ' AND ')})`;
    });
    return sql`(${sql.join(alternatives, ' OR ')})`;
  }

  /**
   * A field an inherited role reads on some rows only (`cell`): its value there, null elsewhere.
   * The condition is evaluated on the row like a permission filter, its values parameters; `row`
   * is the row for computed fields when `alias` has more columns than the table (rowOf).
   */
  protected readable(
    e: SQL,
    cell: BoolExp | undefined,
    alias: string,
    t: TableInfo,
    row?: SQL,
  ): SQL {
    const cond = cell ? this.boolExp(cell, alias, t, alias, row) : null;
    return cond ? sql`CASE WHEN ${cond} THEN ${e} ELSE NULL END` : e;
  }

  private jsonPath(v: Val): SQL {
    if (v.k !== 'lit' || typeof v.value !== 'string') return sql`${this.val(v)}::text[]`;
    return sql.value(parseJsonPath(v.value), 'text[]');
  }

  private cfCall(cf: ComputedFieldInfo, args: Array<Val | null>, row: SQL): SQL {
    return sql`${sql.ident(cf.fn.schema, cf.fn.name)}(${this.fnArgs(cf.fn.args, args, row, cf.tableArgIndex)})`;
  }

  // ------------------------------------------------------------------ order by

  private orderExpr(e: OrderExpr, a: string, t: TableInfo): SQL {
    switch (e.k) {
      case 'col':
        return this.readable(sql.ident(a, e.column), e.cell, a, t);
      case 'cf_scalar':
        return this.readable(
          this.cfCall(
            e.cf,
            e.cf.fn.args.map((_, i) => (i === e.cf.sessionArgIndex ? { k: 'session_json' } : null)),
            sql.ident(a),
          ),
          e.cell,
          a,
          t,
        );
      case 'objrel': {
        const x = this.alias('o');
        const perm = this.boolExp(e.perm, x, e.target);
        const conds = [this.relCond(e.rel, a, x), ...(perm ? [perm] : [])];
        return sql`(SELECT ${this.orderExpr(e.expr, x, e.target)} FROM ${sql.ident(e.target.qn.schema, e.target.qn.name)} AS ${sql.ident(x)} WHERE ${sql.join(conds, ' AND ')} LIMIT 1)`;
      }
      case 'arr_agg':
      case 'cf_agg': {
        const x = this.alias('o');
        const perm = this.boolExp(e.perm, x, e.target);
        const conds: SQL[] = [];
        let from: SQL;
        if (e.k === 'arr_agg') {
          conds.push(this.relCond(e.rel, a, x));
          from = sql`${sql.ident(e.target.qn.schema, e.target.qn.name)} AS ${sql.ident(x)}`;
        } else {
          from = sql`${sql.ident(e.cf.fn.schema, e.cf.fn.name)}(${this.fnArgs(
            e.cf.fn.args,
            e.cf.fn.args.map((_, i) => (i === e.cf.sessionArgIndex ? { k: 'session_json' } : null)),
            sql.ident(a),
            e.cf.tableArgIndex,
          )}) AS ${sql.ident(x)}`;
        }
        if (perm) conds.push(perm);
        const agg =
          e.fn === 'count'
            ? sql`count(*)`
            : sql`${sql.keyword(AGGREGATES[e.fn].sql)}(${this.readable(sql.ident(x, e.column!), e.cell, x, e.target)})`;
        const where = conds.length ? sql` WHERE ${sql.join(conds, ' AND ')}` : sql.empty;
        return sql`(SELECT ${agg} FROM ${from}${where})`;
      }
    }
  }

  // ------------------------------------------------------------------ bool exp

  /**
   * SQL for a boolean expression over alias `a` of table `t`; null when it is trivially true.
   * `row`: the row value computed fields of `t` get, when it is not `a` itself.
   */
  boolExp(e: BoolExp, a: string, t: TableInfo, root: string = a, row?: SQL): SQL | null {
    switch (e.k) {
      case 'true':
        return null;
      case 'false':
        return sql`false`;
      case 'and': {
        const parts = e.items
          .map((x) => this.boolExp(x, a, t, root, row))
          .filter((x): x is SQL => x !== null);
        if (parts.length === 0) return null;
        return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, ' AND ')})`;
      }
      case 'or': {
        if (e.items.length === 0) return sql`false`;
        const parts = e.items.map((x) => this.boolExp(x, a, t, root, row) ?? sql`true`);
        return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, ' OR ')})`;
      }
      case 'not': {
        const inner = this.boolExp(e.e, a, t, root, row);
        return inner ? sql`(NOT ${inner})` : sql`false`;
      }
      case 'col':
        return this.cmpOps(sql.ident(a, e.column), e.ops, a, root);
      case 'cf_scalar':
        return this.cmpOps(
          this.cfCall(
            e.cf,
            e.cf.fn.args.map((_, i) => (i === e.cf.sessionArgIndex ? { k: 'session_json' } : null)),
            row ?? sql.ident(a),
          ),
          e.ops,
        );
      case 'rel': {
        const x = this.alias('e');
        const inner = this.boolExp(e.e, x, e.target, root);
        const conds = [this.relCond(e.rel, a, x), ...(inner ? [inner] : [])];
        return sql`EXISTS (SELECT 1 FROM ${sql.ident(e.target.qn.schema, e.target.qn.name)} AS ${sql.ident(x)} WHERE ${sql.join(conds, ' AND ')})`;
      }
      case 'exists': {
        const x = this.alias('e');
        const inner = this.boolExp(e.e, x, e.target, root);
        const where = inner ? sql` WHERE ${inner}` : sql.empty;
        return sql`EXISTS (SELECT 1 FROM ${sql.ident(e.target.qn.schema, e.target.qn.name)} AS ${sql.ident(x)}${where})`;
      }
      case 'cf_table': {
        const x = this.alias('e');
        const inner = this.boolExp(e.e, x, e.target, root);
        const args = e.cf.fn.args.map((_, i) =>
          i === e.cf.sessionArgIndex ? ({ k: 'session_json' } as Val) : null,
        );
        const where = inner ? sql` WHERE ${inner}` : sql.empty;
        return sql`EXISTS (SELECT 1 FROM ${sql.ident(e.cf.fn.schema, e.cf.fn.name)}(${this.fnArgs(e.cf.fn.args, args, row ?? sql.ident(a), e.cf.tableArgIndex)}) AS ${sql.ident(x)}${where})`;
      }
      case 'agg_count': {
        const x = this.alias('e');
        const inner = this.boolExp(e.filter, x, e.target, root);
        const conds = [this.relCond(e.rel, a, x), ...(inner ? [inner] : [])];
        const distinct = e.distinct ? sql`DISTINCT ` : sql.empty;
        const count =
          e.columns.length === 0
            ? sql`count(*)`
            : sql`count(${distinct}${sql.join(
                e.columns.map((c) => sql.ident(x, c)),
                ', ',
              )})`;
        const sub = sql`(SELECT ${count} FROM ${sql.ident(e.target.qn.schema, e.target.qn.name)} AS ${sql.ident(x)} WHERE ${sql.join(conds, ' AND ')})`;
        return this.cmpOps(sub, e.predicate) ?? sql`true`;
      }
    }
  }

  private cmpOps(lhs: SQL, ops: CmpOp[], a?: string, root?: string): SQL | null {
    const parts = ops.map((o) => this.cmpOp(lhs, o, a, root));
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, ' AND ')})`;
  }

  private cmpOp(lhs: SQL, o: CmpOp, a?: string, root?: string): SQL {
    const rhs = () =>
      o.col !== undefined && a
        ? sql.ident(o.colRoot && root ? root : a, o.col)
        : this.val(o.value!);
    if (o.op === '_is_not_null') return sql`(${lhs} IS NOT NULL)`;
    const how = OPERATORS[o.op].sql;
    switch (how.k) {
      case 'binary':
        return sql`(${lhs} ${sql.keyword(how.op)} ${rhs()})`;
      case 'any':
        return how.negated
          ? sql`(NOT (${lhs} = ANY(${this.val(o.value!)})))`
          : sql`(${lhs} = ANY(${this.val(o.value!)}))`;
      case 'is_null':
        return sql`(${lhs} IS NULL)`;
      case 'function':
        return sql`${sql.keyword(how.fn)}(${lhs}, ${this.val(o.value!)})`;
      case 'cast': {
        const c = o.cast!;
        return this.cmpOps(sql`(${lhs})::${sql.type(castName(c.to))}`, c.ops) ?? sql`true`;
      }
      case 'distance': {
        const ex = o.extra!;
        const args = [lhs, this.val(ex.from!), this.val(ex.distance!)];
        if (ex.use_spheroid) args.push(this.val(ex.use_spheroid));
        return sql`${sql.keyword(how.fn)}(${sql.join(args, ', ')})`;
      }
    }
  }
}

/** Where an ordering value sits in a Relay cursor (its json keys) and the type it is read as. */
function cursorPlace(t: TableInfo, e: OrderExpr): { path: string[]; pgType: string } {
  switch (e.k) {
    case 'col': {
      const c = t.columnsByName.get(e.column)!;
      return { path: [c.gqlName], pgType: c.pg.formatted };
    }
    case 'objrel': {
      const inner = cursorPlace(e.target, e.expr);
      return { path: [e.rel.name, ...inner.path], pgType: inner.pgType };
    }
    case 'cf_scalar':
      return {
        path: [e.cf.name],
        pgType: e.cf.returns.kind === 'scalar' ? e.cf.returns.pgType : 'text',
      };
    case 'arr_agg':
    case 'cf_agg': {
      const name = `${e.k === 'arr_agg' ? e.rel.name : e.cf.name}_aggregate`;
      if (e.fn === 'count') return { path: [name, 'count'], pgType: 'bigint' };
      const c = e.target.columnsByName.get(e.column!)!;
      const keepsType = e.fn === 'max' || e.fn === 'min';
      return {
        path: [name, e.fn, c.gqlName],
        pgType: keepsType ? c.pg.formatted : 'numeric',
      };
    }
  }
}

/** `$.a.b[0]` / `a.b` / `["a"][0]` → ['a', 'b', '0'] for the `#>` operator. */
export function parseJsonPath(path: string): string[] {
  let s = path.trim();
  if (s.startsWith('$')) s = s.slice(1);
  const out: string[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]|^([^.[\]]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]!);
  return out;
}

export type { OrderByItem };
