/**
 * Actions in a CLI metadata directory (read by load-dir.ts; resolved by actions/), as the hasura CLI reads them: `actions.yaml` holds each
 * action's handler, kind, headers, transforms and permissions, and which custom types exist (with
 * their relationships); `actions.graphql` holds the SDL — `type Mutation` / `type Query` fields
 * give each action's arguments and output type (their descriptions its comment), and the object,
 * input, enum and scalar definitions give the custom types' fields. The two are merged into the
 * export_metadata form (`actions`, `custom_types`).
 */
import {
  Kind,
  parse,
  print,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type TypeNode,
} from 'graphql';

/** An action as actions.yaml and the metadata state it (actions/definitions.ts reads it). */
export interface ActionEntry {
  name: string;
  definition: Record<string, unknown> & { output_type?: string; kind?: string };
  comment?: string | null;
  permissions?: unknown[];
}

interface FieldEntry {
  name: string;
  type: string;
  description?: string | null;
}

/** custom_types as the metadata states them. */
export interface CustomTypesEntry {
  input_objects?: Array<{ name: string; description?: string | null; fields?: FieldEntry[] }>;
  objects?: Array<{
    name: string;
    description?: string | null;
    fields?: FieldEntry[];
    relationships?: unknown;
  }>;
  enums?: Array<{
    name: string;
    description?: string | null;
    values: Array<{ value: string; description?: string | null }>;
  }>;
  scalars?: Array<{ name: string; description?: string | null }>;
}

export class ActionsSdlError extends Error {}

const typeText = (t: TypeNode): string => print(t);
const desc = (n: { description?: { value: string } | undefined }): string | null =>
  n.description?.value.trim() ?? null;

interface Sdl {
  rootFields: Map<string, { root: 'query' | 'mutation'; field: FieldDefinitionNode }>;
  types: Required<CustomTypesEntry>;
}

function readSdl(text: string): Sdl {
  let doc;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ActionsSdlError(`actions.graphql: ${(e as Error).message}`);
  }
  const out: Sdl = {
    rootFields: new Map(),
    types: { objects: [], input_objects: [], enums: [], scalars: [] },
  };
  const field = (f: FieldDefinitionNode | InputValueDefinitionNode) => ({
    name: f.name.value,
    type: typeText(f.type),
    ...(desc(f) !== null ? { description: desc(f) } : {}),
  });
  for (const d of doc.definitions) {
    switch (d.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION: {
        const name = d.name.value;
        if (name === 'Mutation' || name === 'Query') {
          for (const f of d.fields ?? [])
            out.rootFields.set(f.name.value, {
              root: name === 'Mutation' ? 'mutation' : 'query',
              field: f,
            });
          continue;
        }
        out.types.objects.push({
          name,
          ...('description' in d && desc(d) !== null ? { description: desc(d) } : {}),
          fields: (d.fields ?? []).map(field),
        });
        break;
      }
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        out.types.input_objects.push({
          name: d.name.value,
          ...(desc(d) !== null ? { description: desc(d) } : {}),
          fields: (d.fields ?? []).map(field),
        });
        break;
      case Kind.ENUM_TYPE_DEFINITION:
        out.types.enums.push({
          name: d.name.value,
          ...(desc(d) !== null ? { description: desc(d) } : {}),
          values: (d.values ?? []).map((v) => ({
            value: v.name.value,
            ...(desc(v) !== null ? { description: desc(v) } : {}),
          })),
        });
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
        out.types.scalars.push({
          name: d.name.value,
          ...(desc(d) !== null ? { description: desc(d) } : {}),
        });
        break;
      default:
        throw new ActionsSdlError(`actions.graphql: unexpected ${d.kind}`);
    }
  }
  return out;
}

/** Merge actions.yaml's content with actions.graphql's SDL. */
export function mergeActionsDir(
  yaml: { actions?: unknown; custom_types?: unknown },
  sdlText: string,
): { actions: ActionEntry[]; custom_types: CustomTypesEntry } {
  const sdl = sdlText.trim() ? readSdl(sdlText) : null;
  const actions = ((Array.isArray(yaml.actions) ? yaml.actions : []) as ActionEntry[]).map((a) => {
    const f = sdl?.rootFields.get(a.name);
    if (!f) return a;
    const definition = {
      ...a.definition,
      type: f.root,
      arguments: (f.field.arguments ?? []).map((x) => ({
        name: x.name.value,
        type: typeText(x.type),
        ...(desc(x) !== null ? { description: desc(x) } : {}),
      })),
      output_type: typeText(f.field.type),
    };
    if (f.root === 'query') delete (definition as { kind?: unknown }).kind;
    const comment = a.comment ?? desc(f.field);
    return { ...a, definition, ...(comment !== null ? { comment } : {}) };
  });
  for (const a of actions)
    if (!a.definition?.output_type)
      throw new ActionsSdlError(`action "${a.name}" is not declared in actions.graphql`);
  const ct = (yaml.custom_types ?? {}) as CustomTypesEntry;
  const merged: CustomTypesEntry = {};
  for (const key of ['input_objects', 'objects', 'enums', 'scalars'] as const) {
    const fromYaml = (ct[key] ?? []) as Array<{ name: string }>;
    const fromSdl = (sdl?.types[key] ?? []) as Array<{ name: string }>;
    const names = [...new Set([...fromYaml.map((x) => x.name), ...fromSdl.map((x) => x.name)])];
    // the SDL gives fields and descriptions; actions.yaml adds relationships (or is all there is)
    const list = names.map((name) => {
      const y = fromYaml.find((x) => x.name === name) as Record<string, unknown> | undefined;
      const g = fromSdl.find((x) => x.name === name);
      return {
        ...y,
        ...g,
        ...(y?.relationships !== undefined ? { relationships: y.relationships } : {}),
      };
    });
    if (list.length) (merged as Record<string, unknown>)[key] = list;
  }
  return { actions, custom_types: merged };
}
