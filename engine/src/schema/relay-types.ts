/**
 * The Relay variant of a role's schema (`/v1beta1/relay`, SchemaOptions.relay), as Hasura's
 * Relay schema names it (Hasura.GraphQL.Schema.Relay / Select): per table with a primary key a
 * `<t>_connection` root field of type `<t>Connection!` (`edges: [<t>Edge!]!`,
 * `pageInfo: PageInfo!`; an edge is `cursor: String!`, `node: <t>!`), its arguments `after`,
 * `before`, `first`, `last` beside `distinct_on`, `order_by`, `where`; array relationships as
 * `<rel>_connection`; the table's `id` the row's global id (relay/global-id.ts).
 *
 * Every Relay name is decided here; parse/ and translate/ read the field infos, never the names.
 */
import type { BuilderCore } from './builder-core.ts';
import type { TableInfo } from './source.ts';
import { selectArgs } from './select-args.ts';
import {
  type FieldDef,
  type InputValueDef,
  type InterfaceTypeDef,
  type ObjectTypeDef,
  list,
  named,
  nn,
  nonNull,
} from './types.ts';

export const PAGE_INFO = 'PageInfo';
export const NODE_INTERFACE = 'Node';
export const NODE_FIELD = 'node';
export const NODE_ID_FIELD = 'id';

/** The connection field of a root table field, function or array relationship. */
export const connectionFieldName = (base: string) => `${base}_connection`;

/** `first`/`last`/`after`/`before`, then the selection arguments without `limit`/`offset`. */
export function connectionArgs(b: BuilderCore, t: TableInfo): InputValueDef[] {
  const paging: InputValueDef[] = [
    {
      name: 'after',
      description: null,
      type: named(b.scalar('String')),
      parse: 'string',
      nullable: true,
    },
    {
      name: 'before',
      description: null,
      type: named(b.scalar('String')),
      parse: 'string',
      nullable: true,
    },
    {
      name: 'first',
      description: null,
      type: named(b.scalar('Int')),
      parse: 'nonneg',
      nullable: true,
    },
    {
      name: 'last',
      description: null,
      type: named(b.scalar('Int')),
      parse: 'nonneg',
      nullable: true,
    },
  ];
  const rest = selectArgs(b, t).filter((a) => a.name !== 'limit' && a.name !== 'offset');
  return [...paging, ...rest].sort((x, y) => x.name.localeCompare(y.name));
}

function pageInfo(b: BuilderCore): string {
  if (b.types.has(PAGE_INFO)) return PAGE_INFO;
  const fields = new Map(
    (
      [
        ['endCursor', 'String'],
        ['hasNextPage', 'Boolean'],
        ['hasPreviousPage', 'Boolean'],
        ['startCursor', 'String'],
      ] as const
    ).map(([name, scalar]) => [
      name,
      {
        name,
        description: null,
        args: [],
        type: nn(b.scalar(scalar)),
        info: { k: 'other' as const },
      },
    ]),
  );
  b.types.set(PAGE_INFO, { kind: 'OBJECT', name: PAGE_INFO, description: null, fields });
  return PAGE_INFO;
}

export const connectionTypeName = (t: TableInfo) => `${t.gqlName}Connection`;
export const edgeTypeName = (t: TableInfo) => `${t.gqlName}Edge`;

/** `<t>Connection` and its `<t>Edge`; `node` is the table's object type. */
export function connectionObject(b: BuilderCore, t: TableInfo, nodeType: string): string {
  const name = connectionTypeName(t);
  if (b.types.has(name)) return name;
  const edge: ObjectTypeDef = {
    kind: 'OBJECT',
    name: edgeTypeName(t),
    description: `An edge in a connection of "${t.gqlName}"`,
    fields: new Map([
      [
        'cursor',
        {
          name: 'cursor',
          description: null,
          args: [],
          type: nn(b.scalar('String')),
          info: { k: 'other' },
        },
      ],
      [
        'node',
        { name: 'node', description: null, args: [], type: nn(nodeType), info: { k: 'other' } },
      ],
    ]),
  };
  b.types.set(edge.name, edge);
  b.types.set(name, {
    kind: 'OBJECT',
    name,
    description: `A Relay connection object on "${t.gqlName}"`,
    fields: new Map([
      [
        'edges',
        {
          name: 'edges',
          description: null,
          args: [],
          type: nonNull(list(nn(edge.name))),
          info: { k: 'other' },
        },
      ],
      [
        'pageInfo',
        {
          name: 'pageInfo',
          description: null,
          args: [],
          type: nn(pageInfo(b)),
          info: { k: 'other' },
        },
      ],
    ]),
  });
  return name;
}

/** `interface Node { id: ID! }`, created with its first implementation. */
function nodeInterface(b: BuilderCore): InterfaceTypeDef {
  const found = b.types.get(NODE_INTERFACE);
  if (found?.kind === 'INTERFACE') return found;
  const node: InterfaceTypeDef = {
    kind: 'INTERFACE',
    name: NODE_INTERFACE,
    description: 'An object with globally unique ID',
    fields: new Map([
      [
        NODE_ID_FIELD,
        {
          name: NODE_ID_FIELD,
          description: 'A globally unique identifier',
          args: [],
          type: nn(b.scalar('ID')),
          info: { k: 'other' },
        },
      ],
    ]),
    possibleTypes: [],
  };
  b.types.set(NODE_INTERFACE, node);
  return node;
}

/** Make a table's object type a `Node`: its `id` is the row's global id. */
export function implementNode(b: BuilderCore, t: TableInfo, obj: ObjectTypeDef): void {
  obj.interfaces = [NODE_INTERFACE];
  nodeInterface(b).possibleTypes.push(obj.name);
  obj.fields.set(NODE_ID_FIELD, {
    name: NODE_ID_FIELD,
    description: null,
    args: [],
    type: nn(b.scalar('ID')),
    info: { k: 'node_id', table: t },
  });
}

/** `node(id: ID!): Node`, the row a global id names (parse/select.ts reads the id). */
export function nodeField(b: BuilderCore): FieldDef {
  nodeInterface(b);
  return {
    name: NODE_FIELD,
    description: 'fetch object by globally unique ID',
    args: [
      {
        name: 'id',
        description: 'A globally unique id',
        type: nn(b.scalar('ID')),
        parse: 'string',
      },
    ],
    type: named(NODE_INTERFACE),
    info: { k: 'node' },
  };
}
