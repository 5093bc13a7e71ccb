/**
 * Relay global ids, as Hasura's Relay API (`/v1beta1/relay`) writes and reads them
 * (Hasura.GraphQL.Schema.Node / Relay): base64 of the JSON array
 * `[1, "<schema>", "<table>", <pk value>…]` — version 1, the table, then the primary-key values in
 * the key's column order. Hasura builds the array in SQL with `json_build_array`, so its text has
 * Postgres's json spacing (`[1, "public", "article", 1]`); `encodeGlobalId` writes the same text
 * so ids the engine hands out are byte-for-byte Hasura's.
 *
 * Decoding is split in two like Hasura's: `parseGlobalId` checks the shape (errors at
 * `…node.args.id`, code validation-failed, messages of aeson's `Error in $: …` form), then
 * `matchPrimaryKey` pairs the values with the table's key columns once the table is known.
 */
import { QErr, jsonKind } from '../errors.ts';

export const GLOBAL_ID_VERSION = 1;

export interface GlobalId {
  schema: string;
  table: string;
  /** the primary-key values, still JSON: their column types check them (matchPrimaryKey) */
  values: unknown[];
}

const invalid = (message: string) =>
  new QErr('validation-failed', `invalid node id: ${message}`, 200, ['args', 'id']);

/** Postgres's json text of a scalar or array (json_build_array spacing: `, ` between items). */
function pgJsonText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pgJsonText).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const items = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} : ${pgJsonText(x)}`);
    return `{${items.join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** The global id of a row of schema.table whose primary key has `values` (in key order). */
export function encodeGlobalId(schema: string, table: string, values: unknown[]): string {
  const text = pgJsonText([GLOBAL_ID_VERSION, schema, table, ...values]);
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * A connection cursor: base64 of the json object of the row's order-by values then its primary
 * key (`{"id" : 4}`, `{"articles_aggregate" : {"count" : 3}, "id" : 1}`), as Hasura's
 * json_build_object text spaces it.
 */
export function encodeCursor(values: Record<string, unknown>): string {
  return Buffer.from(pgJsonText(values), 'utf8').toString('base64');
}

/** aeson renders a Scientific version as Haskell shows a Double: `2.0`, `1.5`. */
function scientific(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** Read a node id's text: base64 (leniently, as Hasura does), JSON, a version-1 array. */
export function parseGlobalId(id: string): GlobalId {
  const bytes = Buffer.from(id, 'base64');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    // aeson quotes the unreadable input byte by byte (latin1)
    throw invalid(
      `Error in $: Failed reading: not a valid json value at '${bytes.toString('latin1')}'`,
    );
  }
  if (!Array.isArray(doc))
    throw invalid(
      `Error in $: parsing node id failed, expected Array, but encountered ${jsonKind(doc)}`,
    );
  const [version, schema, table, ...values] = doc as unknown[];
  if (typeof version !== 'number')
    throw invalid('Error in $: unexpected GUID format, needs to start with a version number');
  if (version !== GLOBAL_ID_VERSION)
    throw invalid(`Error in $: unsupported GUID version: ${scientific(version)}`);
  if (typeof schema !== 'string' || typeof table !== 'string' || values.length === 0)
    throw invalid(
      'Error in $: GUID version 1: expecting schema name, table name and at least one column value',
    );
  return { schema, table, values };
}

/**
 * Pair an id's values with the primary-key columns, in order: too few values name the missing
 * columns, too many list the extra values (both Hasura's messages).
 */
export function matchPrimaryKey(id: GlobalId, pkColumns: readonly string[]): Map<string, unknown> {
  if (id.values.length < pkColumns.length) {
    const missing = pkColumns.slice(id.values.length).map((c) => `'${c}'`);
    throw invalid(`primary key columns [${missing.join(', ')}] are missing`);
  }
  if (id.values.length > pkColumns.length)
    throw invalid(`unexpected column values ${JSON.stringify(id.values.slice(pkColumns.length))}`);
  return new Map(pkColumns.map((c, i) => [c, id.values[i]]));
}
