import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT } from '@streamsync/database';
import type { SourceInfo } from '../schema/source.ts';
import { parseTypeString, resolveActions, TypeStringError } from './definitions.ts';
import { mergeActionsDir } from '../metadata/actions-dir.ts';
import { checkValue } from './webhook.ts';
import type { Metadata } from '../metadata/types.ts';

const noTables = (): SourceInfo =>
  ({ tables: new Map(), inconsistencies: [] }) as unknown as SourceInfo;

function typesOf(customTypes: unknown, actions: unknown[] = []) {
  const info = noTables();
  const md = { version: 3, sources: [], custom_types: customTypes, actions } as Metadata;
  return { resolved: resolveActions(md, info), inconsistencies: info.inconsistencies };
}

describe('Actions > type strings', () => {
  it('should read nested lists and non-null markers, and refuse anything else', () => {
    expect(parseTypeString('[[Foo!]]!')).toEqual({
      kind: 'NON_NULL',
      of: {
        kind: 'LIST',
        of: { kind: 'LIST', of: { kind: 'NON_NULL', of: { kind: 'NAMED', name: 'Foo' } } },
      },
    });
    for (const bad of ['[Foo', 'Foo!!', '', '1abc', 'Foo Bar'])
      expect(() => parseTypeString(bad), bad).toThrow(TypeStringError);
  });
});

describe("Actions > checking a handler's answer against the output type", () => {
  const { resolved } = typesOf({
    scalars: [{ name: 'Blob' }],
    objects: [
      {
        name: 'Out',
        fields: [
          { name: 'id', type: 'Int!' },
          { name: 'tags', type: '[String!]' },
          { name: 'child', type: 'Out' },
        ],
      },
    ],
  });
  const t = parseTypeString;

  it("should give Hasura's messages", () => {
    expect(checkValue(resolved, null, t('Out!'))).toBe('got null for the action webhook response');
    expect(checkValue(resolved, { id: 1 }, t('[Out]'))).toBe(
      'expecting array for the action webhook response',
    );
    expect(checkValue(resolved, [{ id: 1 }], t('Out'))).toBe(
      'got array for the action webhook response, expecting Out',
    );
    expect(checkValue(resolved, 'x', t('Out'))).toBe(
      'got scalar String for the action webhook response, expecting Out',
    );
    expect(checkValue(resolved, { a: 1 }, t('String'))).toBe(
      'got object for the action webhook response, expecting String',
    );
    expect(checkValue(resolved, {}, t('Out'))).toBe(
      'field "id" expected in webhook response, but not found',
    );
    expect(checkValue(resolved, { id: null }, t('Out'))).toBe(
      'expecting not null value for field "id"',
    );
    expect(checkValue(resolved, { id: 1, child: { id: 'x' } }, t('Out'))).toBe(
      'got scalar String for the action webhook response, expecting Int',
    );
    expect(checkValue(resolved, { id: 1, tags: ['a', null] }, t('Out'))).toBe(
      'got null for the action webhook response',
    );
  });

  it('should take extra fields, custom scalars and json of any shape, and Postgres scalars', () => {
    expect(checkValue(resolved, { id: 1, extra: true }, t('Out'))).toBeNull();
    expect(checkValue(resolved, [{ any: ['thing'] }], t('[Blob!]!'))).toBeNull();
    expect(checkValue(resolved, { a: 1 }, t('json!'))).toBeNull();
    expect(checkValue(resolved, '2026-12-07T00:00:00Z', t('timestamptz'))).toBeNull();
    expect(checkValue(resolved, 7, t('ID'))).toBeNull();
  });
});

describe('Actions > resolving metadata', () => {
  it('should report an action naming an unknown type as inconsistent, and keep the others', () => {
    const { resolved, inconsistencies } = typesOf({ objects: [{ name: 'Out', fields: [] }] }, [
      { name: 'good', definition: { output_type: 'Out', handler: 'http://h' } },
      { name: 'bad', definition: { output_type: 'Nope', handler: 'http://h' } },
    ]);
    expect([...resolved.actions.keys()]).toEqual(['good']);
    expect(inconsistencies).toEqual([
      expect.objectContaining({
        type: 'action',
        name: 'action bad',
        reason:
          'Inconsistent object: in action "bad"; the type "Nope" is not an object or scalar type',
      }),
    ]);
  });
});

describe('Actions > the metadata directory', () => {
  it("should merge the project's actions.yaml with actions.graphql as the hasura CLI does", () => {
    const dir = path.join(REPO_ROOT, 'hasura', 'metadata');
    const merged = mergeActionsDir(
      YAML.parse(fs.readFileSync(path.join(dir, 'actions.yaml'), 'utf8')) as Record<
        string,
        unknown
      >,
      fs.readFileSync(path.join(dir, 'actions.graphql'), 'utf8'),
    );
    const replay = merged.actions.find((a) => a.name === 'replay_dead_letters')!;
    expect(replay.definition).toMatchObject({
      type: 'mutation',
      kind: 'synchronous',
      handler: '{{STREAMSYNC_WEBHOOK_BASE}}/hooks/replay-dead-letters',
      output_type: 'ReplayResult',
      arguments: [
        { name: 'pipeline', type: 'String!' },
        { name: 'since', type: 'timestamptz' },
        { name: 'ids', type: '[bigint!]' },
      ],
      headers: [
        { name: 'X-StreamSync-Webhook-Secret', value_from_env: 'STREAMSYNC_WEBHOOK_SECRET' },
      ],
    });
    // admin only: no permission for any other role
    expect(replay.permissions).toBeUndefined();
    expect(merged.custom_types.objects).toEqual([
      expect.objectContaining({
        name: 'ReplayResult',
        fields: [
          expect.objectContaining({ name: 'sent', type: 'Int!' }),
          expect.objectContaining({ name: 'ids', type: '[bigint!]!' }),
        ],
      }),
    ]);
  });

  it('should keep relationships from actions.yaml and refuse an action the SDL does not declare', () => {
    const merged = mergeActionsDir(
      {
        actions: [{ name: 'a', definition: { handler: 'http://h', kind: 'synchronous' } }],
        custom_types: {
          objects: [
            {
              name: 'Out',
              relationships: [
                { name: 'u', type: 'object', remote_table: 'u', field_mapping: { id: 'id' } },
              ],
            },
          ],
        },
      },
      'type Query { a(x: Int): Out }\ntype Out { id: Int! }\ninput In { v: String }\nenum E { X Y }\nscalar S',
    );
    expect(merged.actions[0]!.definition).toMatchObject({ type: 'query', output_type: 'Out' });
    expect(merged.actions[0]!.definition.kind).toBeUndefined();
    expect(merged.custom_types.objects![0]).toMatchObject({
      name: 'Out',
      fields: [{ name: 'id', type: 'Int!' }],
      relationships: [{ name: 'u' }],
    });
    expect(merged.custom_types.input_objects![0]!.name).toBe('In');
    expect(merged.custom_types.enums![0]!.values.map((v) => v.value)).toEqual(['X', 'Y']);
    expect(merged.custom_types.scalars![0]!.name).toBe('S');
    expect(() =>
      mergeActionsDir(
        { actions: [{ name: 'b', definition: { handler: 'h' } }] },
        'type Query { a: Int }',
      ),
    ).toThrow('action "b" is not declared in actions.graphql');
  });
});
