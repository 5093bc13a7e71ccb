/**
 * `<t>_stream` in the schema and its `cursor` argument in the IR, as Hasura's
 * Schema/SubscriptionStream.hs has them:
 *
 *     <t>_stream(batch_size: Int!, cursor: [<t>_stream_cursor_input]!, where: <t>_bool_exp): [<t>!]!
 *     input <t>_stream_cursor_input { initial_value: <t>_stream_cursor_value_input!, ordering: cursor_ordering }
 *     input <t>_stream_cursor_value_input { <every selectable column>: <its scalar> }
 *     enum cursor_ordering { ASC DESC }
 *
 * Exactly one column must be given across the cursor list ("one streaming column field is
 * expected" / "multiple column cursors are not supported yet").
 */
import { QErr } from '../errors.ts';
import type { StreamCursor } from '../ir/types.ts';
import type { ValueMaker } from '../parse/bool-exp.ts';
import { isEnum, isList, isObj, type Coerced, type Leaf } from '../parse/input.ts';
import type { SchemaBuilder, SchemaExtension } from './build.ts';
import { tableDisplayName } from './build.ts';
import type { TableInfo } from './source.ts';
import { list, named, nn, type InputValueDef } from './types.ts';

const fail = (message: string): never => {
  throw new QErr('validation-failed', message, 200);
};

/** The IR of the `cursor` argument (already coerced against the schema). */
export function streamCursorArg(
  arg: Coerced | undefined,
  t: TableInfo,
  vm: ValueMaker,
): StreamCursor {
  const items: StreamCursor[] = [];
  const inputs = arg && isList(arg) ? arg.list : arg ? [arg] : [];
  for (const input of inputs) {
    if (!input || !isObj(input)) continue;
    const ordering = input.obj.get('ordering');
    const dir = ordering && isEnum(ordering) ? (ordering.value as 'ASC' | 'DESC') : 'ASC';
    const initial = input.obj.get('initial_value');
    if (!initial || !isObj(initial)) continue;
    for (const [gqlName, v] of initial.obj) {
      const col = t.columns.find((c) => c.gqlName === gqlName);
      if (!col || v === null || v === undefined) continue;
      const cell = vm.cellFilter(t, col.name);
      items.push({
        column: col.name,
        gqlName,
        pgType: col.pg.formatted,
        dir,
        initial: vm.val(v as Leaf, col.pg.formatted),
        ...(cell ? { cell } : {}),
      });
    }
  }
  if (items.length === 0) return fail('one streaming column field is expected');
  if (items.length > 1) return fail('multiple column cursors are not supported yet');
  return items[0]!;
}

function cursorOrderingEnum(b: SchemaBuilder): string {
  const name = b.source.naming.typeName('cursor_ordering');
  b.addType({
    kind: 'ENUM',
    name,
    description: 'ordering argument of a cursor',
    values: [
      { name: 'ASC', description: 'ascending ordering of the cursor', value: 'ASC' },
      { name: 'DESC', description: 'descending ordering of the cursor', value: 'DESC' },
    ],
  });
  return name;
}

function cursorInput(b: SchemaBuilder, t: TableInfo): string | null {
  const cols = b.columns(t);
  if (cols.length === 0) return null;
  const valueName = t.naming.tableType(t.ident, 'stream_cursor_value_input');
  const fields = new Map<string, InputValueDef>();
  for (const c of cols) {
    fields.set(c.gqlName, {
      name: c.gqlName,
      description: c.description,
      type: named(b.scalar(c.scalar)),
      parse: 'column',
      pgType: c.pg.formatted,
      nullable: true,
    });
  }
  b.addType({
    kind: 'INPUT_OBJECT',
    name: valueName,
    description: 'Initial value of the column from where the streaming should start',
    fields,
    info: { k: 'other' },
  });
  const name = t.naming.tableType(t.ident, 'stream_cursor_input');
  const initialValue = t.naming.fieldName('initial_value');
  b.addType({
    kind: 'INPUT_OBJECT',
    name,
    description: `Streaming cursor of the table "${t.gqlName}"`,
    fields: new Map<string, InputValueDef>([
      [
        initialValue,
        {
          name: initialValue,
          key: 'initial_value',
          description: 'Stream column input with initial value',
          type: nn(valueName),
        },
      ],
      [
        'ordering',
        {
          name: 'ordering',
          description: 'cursor ordering',
          type: named(cursorOrderingEnum(b)),
          nullable: true,
        },
      ],
    ]),
    info: { k: 'other' },
  });
  return name;
}

/** Adds `<t>_stream` to subscription_root for every table the role may select (and stream). */
export const streamFieldsExtension: SchemaExtension = (b) => {
  for (const t of b.source.tables.values()) {
    const p = b.perm(t);
    if (!p) continue;
    if (p.subscriptionRootFields && !p.subscriptionRootFields.has('select_stream')) continue;
    const cursor = cursorInput(b, t);
    if (!cursor) continue;
    const rf = t.rootFields;
    const where = b.selectArgs(t).find((a) => a.name === 'where')!;
    b.subscriptionFields.set(rf.selectStream, {
      name: rf.selectStream,
      description:
        rf.comments.selectStream !== undefined
          ? rf.comments.selectStream
          : `fetch data from the table in a streaming manner: "${tableDisplayName(t)}"`,
      args: [
        {
          name: t.naming.fieldName('batch_size'),
          key: 'batch_size',
          description: 'maximum number of rows returned in a single batch',
          type: nn(b.scalar('Int')),
          parse: 'nonneg',
        },
        {
          name: 'cursor',
          description: 'cursor to stream the results returned by the query',
          type: { kind: 'NON_NULL', of: list(named(cursor)) },
        },
        where,
      ],
      type: { kind: 'NON_NULL', of: list(nn(b.tableObject(t))) },
      info: { k: 'select_stream', table: t },
    });
  }
};
