/**
 * The fields of `query_root` (and the query-like fields of `subscription_root`): per table `<t>`,
 * `<t>_by_pk`, `<t>_aggregate`, and per tracked function its fields.
 */
import type { BuilderCore } from './builder-core.ts';
import { fnArgsInput, functionArgsTypeName } from './arguments.ts';
import { fnDisplayName, functionAllowed, tableDisplayName } from './builder-core.ts';
import { aggregateObject, tableObject } from './output-types.ts';
import { selectArgs } from './select-args.ts';
import { connectionArgs, connectionFieldName, connectionObject, nodeField } from './relay-types.ts';
import type { FunctionInfo, SelectPermInfo } from './source.ts';
import { type InputValueDef, list, named, nn, nonNull } from './types.ts';

export function rootAllowed(
  b: BuilderCore,
  p: SelectPermInfo,
  field: 'select' | 'select_by_pk' | 'select_aggregate',
  root: 'query' | 'subscription',
): boolean {
  const set = root === 'query' ? p.queryRootFields : p.subscriptionRootFields;
  return !set || set.has(field);
}

export function buildQueryRoot(b: BuilderCore): void {
  if (b.opts.relay) return buildRelayQueryRoot(b);
  for (const t of [...b.source.tables.values()]) {
    const p = b.perm(t);
    if (!p) continue;
    for (const root of ['query', 'subscription'] as const) {
      const target = root === 'query' ? b.queryFields : b.subscriptionFields;
      const rf = t.rootFields;
      const display = tableDisplayName(t);
      if (rootAllowed(b, p, 'select', root)) {
        target.set(rf.select, {
          name: rf.select,
          description:
            rf.comments.select !== undefined
              ? rf.comments.select
              : `fetch data from the table: "${display}"`,
          args: selectArgs(b, t),
          type: nonNull(list(nonNull(named(tableObject(b, t))))),
          info: { k: 'select', table: t },
        });
      }
      if (p.allowAggregations && rootAllowed(b, p, 'select_aggregate', root)) {
        target.set(rf.selectAggregate, {
          name: rf.selectAggregate,
          description:
            rf.comments.selectAggregate !== undefined
              ? rf.comments.selectAggregate
              : `fetch aggregated fields from the table: "${display}"`,
          args: selectArgs(b, t),
          type: nn(aggregateObject(b, t)),
          info: { k: 'select_agg', table: t },
        });
      }
      const pk = t.pg.primaryKey;
      if (
        pk &&
        pk.columns.every((c) => p.columns.has(c)) &&
        rootAllowed(b, p, 'select_by_pk', root)
      ) {
        target.set(rf.selectByPk, {
          name: rf.selectByPk,
          description:
            rf.comments.selectByPk !== undefined
              ? rf.comments.selectByPk
              : `fetch data from the table: "${display}" using primary key columns`,
          args: pk.columns.map((cn) => {
            const c = t.columnsByName.get(cn)!;
            return {
              name: c.gqlName,
              description: null,
              type: nn(b.scalar(c.scalar)),
              parse: 'column',
              pgType: c.pg.formatted,
            };
          }),
          type: named(tableObject(b, t)),
          info: { k: 'select_pk', table: t },
        });
      }
    }
  }
  for (const f of b.source.functions.values()) {
    if (f.exposedAs !== 'query') continue;
    const t = b.table(f.returnTable);
    const p = b.perm(t);
    if (!p) continue;
    if (!functionAllowed(f, b.role, b.isAdmin, b.opts)) continue;
    const argsArg = functionArgs(b, f);
    for (const target of [b.queryFields, b.subscriptionFields]) {
      target.set(f.rootFields.fn, {
        name: f.rootFields.fn,
        description:
          f.description ??
          `execute function "${fnDisplayName(f.qn)}" which returns "${tableDisplayName(t)}"`,
        args: [...argsArg, ...selectArgs(b, t)],
        // a single-row function (RETURNS <table>, not SETOF) answers one nullable object
        type: f.fn.returnsSet
          ? nonNull(list(nonNull(named(tableObject(b, t)))))
          : named(tableObject(b, t)),
        info: { k: 'fn', fn: f },
      });
      if (p.allowAggregations) {
        target.set(f.rootFields.agg, {
          name: f.rootFields.agg,
          description: `execute function "${fnDisplayName(f.qn)}" and query aggregates on result of table type "${tableDisplayName(t)}"`,
          args: [...argsArg, ...selectArgs(b, t)],
          type: nn(aggregateObject(b, t)),
          info: { k: 'fn_agg', fn: f },
        });
      }
    }
  }
}

/** A tracked function's `args` argument (none when it takes no input beyond the session). */
function functionArgs(b: BuilderCore, f: FunctionInfo): InputValueDef[] {
  const skip = new Set(f.sessionArgIndex === null ? [] : [f.sessionArgIndex]);
  const input = fnArgsInput(b, f.fn, skip, functionArgsTypeName(b, f));
  return input
    ? [
        {
          name: 'args',
          description: `input parameters for function "${fnDisplayName(f.qn)}"`,
          type: input.required ? nn(input.name) : named(input.name),
          nullable: !input.required,
        },
      ]
    : [];
}

/**
 * The Relay query root: a `<t>_connection` per table (with a primary key, perm() sees to that)
 * and per set-returning function, on the query and subscription roots alike.
 */
function buildRelayQueryRoot(b: BuilderCore): void {
  const node = nodeField(b);
  b.queryFields.set(node.name, node);
  for (const t of b.source.tables.values()) {
    const p = b.perm(t);
    if (!p) continue;
    for (const root of ['query', 'subscription'] as const) {
      if (!rootAllowed(b, p, 'select', root)) continue;
      // graphql-default names it from the table's words (Hasura's mkRelayConnectionField)
      const name = t.naming.graphql
        ? t.naming.tableField(t.ident, '', 'connection')
        : connectionFieldName(t.rootFields.select);
      (root === 'query' ? b.queryFields : b.subscriptionFields).set(name, {
        name,
        description: `fetch data from the table: "${tableDisplayName(t)}"`,
        args: connectionArgs(b, t),
        type: nn(connectionObject(b, t, tableObject(b, t))),
        info: { k: 'connection', table: t },
      });
    }
  }
  for (const f of b.source.functions.values()) {
    if (f.exposedAs !== 'query' || !f.fn.returnsSet) continue;
    const t = b.table(f.returnTable);
    if (!b.perm(t) || !functionAllowed(f, b.role, b.isAdmin, b.opts)) continue;
    const argsArg = functionArgs(b, f);
    const name = connectionFieldName(f.rootFields.fn);
    for (const target of [b.queryFields, b.subscriptionFields]) {
      target.set(name, {
        name,
        description: `execute function "${fnDisplayName(f.qn)}" which returns "${tableDisplayName(t)}"`,
        args: [...argsArg, ...connectionArgs(b, t)],
        type: nn(connectionObject(b, t, tableObject(b, t))),
        info: { k: 'fn_connection', fn: f },
      });
    }
  }
}
