/**
 * Actions in a role's schema (Hasura/GraphQL/Schema/Action.hs): a synchronous action is a field of
 * `query_root` or `mutation_root` typed by its output type; an asynchronous one is a mutation
 * answering the action id (`uuid!`) and a `query_root` / `subscription_root` field `<action>(id)`
 * of the object `<action> {id, created_at, errors, output}`. A role sees the actions it has a
 * permission for (admin: all), and the custom types those reach; a relationship of an output type
 * is there when the role may select from its table.
 */
import type { SchemaBuilder, SchemaExtension } from '../schema/build.ts';
import {
  list,
  named,
  nn,
  nonNull,
  type FieldDef,
  type InputValueDef,
  type ScalarParse,
  type TypeRef,
} from '../schema/types.ts';
import type { Metadata } from '../metadata/types.ts';
import type { SourceInfo } from '../schema/source.ts';
import {
  baseName,
  GRAPHQL_SCALARS,
  stateActions,
  type ActionsInfo,
  type ResolvedAction,
} from './definitions.ts';

/** StateOptions.extensionsFor: a state's custom types and action fields (resolved there). */
export function actionsExtensions(metadata: Metadata, source: SourceInfo): SchemaExtension[] {
  return [actionsSchema(stateActions({ metadata, source }))];
}

/** Hasura's scalar parser for an action argument of this base type. */
function parseOf(actions: ActionsInfo, name: string): { parse?: ScalarParse; pgType?: string } {
  if (GRAPHQL_SCALARS.has(name)) return name === 'ID' ? { parse: 'json' } : {};
  if (actions.scalars.has(name)) return { parse: 'json' };
  if (name === 'bigint') return { parse: 'bigint' };
  if (name === 'json' || name === 'jsonb') return { parse: 'json' };
  return { parse: 'column', pgType: name };
}

function inputValue(
  actions: ActionsInfo,
  v: { name: string; type: TypeRef; description: string | null },
): InputValueDef {
  return {
    name: v.name,
    description: v.description,
    type: v.type,
    nullable: v.type.kind !== 'NON_NULL',
    ...parseOf(actions, baseName(v.type)),
  };
}

function visibleActions(actions: ActionsInfo, b: SchemaBuilder): ResolvedAction[] {
  return [...actions.actions.values()].filter((a) => b.isAdmin || a.roles.has(b.role));
}

/** The schema extension for one state's actions. */
export function actionsSchema(actions: ActionsInfo): SchemaExtension {
  return (b) => {
    const visible = visibleActions(actions, b);
    if (!visible.length) return;
    const added = new Set<string>();
    const addType = (name: string): void => {
      if (added.has(name)) return;
      added.add(name);
      if (GRAPHQL_SCALARS.has(name)) {
        b.scalar(name);
        return;
      }
      const sc = actions.scalars.get(name);
      if (sc !== undefined) {
        b.addType({ kind: 'SCALAR', name, description: sc });
        return;
      }
      const en = actions.enums.get(name);
      if (en) {
        b.addType({
          kind: 'ENUM',
          name,
          description: en.description ?? null,
          values: en.values.map((v) => ({
            name: v.value,
            description: v.description ?? null,
            isDeprecated: v.is_deprecated ?? false,
            deprecationReason: null,
            value: v.value,
          })),
        });
        return;
      }
      const inp = actions.inputs.get(name);
      if (inp) {
        const fields = new Map<string, InputValueDef>();
        b.addType({
          kind: 'INPUT_OBJECT',
          name,
          description: inp.description,
          fields,
          info: { k: 'other' },
        });
        for (const f of inp.fields) {
          fields.set(f.name, inputValue(actions, f));
          addType(baseName(f.type));
        }
        return;
      }
      const obj = actions.objects.get(name);
      if (obj) {
        const fields = new Map<string, FieldDef>();
        b.addType({ kind: 'OBJECT', name, description: obj.description, fields });
        for (const f of obj.fields) {
          fields.set(f.name, {
            name: f.name,
            description: f.description,
            args: [],
            type: f.type,
            info: { k: 'other' },
          });
          addType(baseName(f.type));
        }
        for (const r of obj.relationships) {
          if (!b.perm(r.table)) continue;
          const target = b.tableObject(r.table);
          fields.set(r.name, {
            name: r.name,
            description: null,
            args: r.kind === 'array' ? b.selectArgs(r.table) : [],
            type: r.kind === 'array' ? nonNull(list(nonNull(named(target)))) : named(target),
            info: { k: 'action_rel', objectType: name, rel: r.name, table: r.table },
          });
          if (r.kind === 'array' && b.perm(r.table)?.allowAggregations)
            fields.set(`${r.name}_aggregate`, {
              name: `${r.name}_aggregate`,
              description: null,
              args: b.selectArgs(r.table),
              type: nn(b.aggregateObject(r.table)),
              info: {
                k: 'action_rel',
                objectType: name,
                rel: r.name,
                table: r.table,
                aggregate: true,
              },
            });
        }
        return;
      }
      // a Postgres scalar
      b.scalar(name);
    };
    for (const a of visible) {
      for (const arg of a.args) addType(baseName(arg.type));
      addType(baseName(a.output));
      const args = a.args.map((x) => inputValue(actions, x));
      const target = a.root === 'query' ? b.queryFields : b.mutationFields;
      target.set(a.name, {
        name: a.name,
        description: a.comment,
        args,
        type: a.async ? nn(b.scalar('uuid')) : a.output,
        info: { k: 'action', action: a.name, part: 'call' },
      });
      if (!a.async) continue;
      const resultType = a.name;
      const output = a.output.kind === 'NON_NULL' ? a.output.of : a.output;
      const fields = new Map<string, FieldDef>([
        ['created_at', field('created_at', nn(b.scalar('timestamptz')))],
        ['errors', field('errors', named(b.scalar('json')))],
        ['id', field('id', nn(b.scalar('uuid')))],
        ['output', field('output', output)],
      ]);
      b.addType({ kind: 'OBJECT', name: resultType, description: a.comment, fields });
      const def: FieldDef = {
        name: a.name,
        description: a.comment,
        args: [
          {
            name: 'id',
            description: 'the unique id of an action',
            type: nn('uuid'),
            parse: 'column',
            pgType: 'uuid',
          },
        ],
        type: named(resultType),
        info: { k: 'action', action: a.name, part: 'async_result' },
      };
      b.queryFields.set(a.name, def);
      b.subscriptionFields.set(a.name, def);
    }
  };
}

const field = (name: string, type: TypeRef): FieldDef => ({
  name,
  description: null,
  args: [],
  type,
  info: { k: 'other' },
});
