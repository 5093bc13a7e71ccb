/**
 * Query collections, the allow list and REST endpoints on the metadata API (Hasura's
 * RQL/DDL/QueryCollection.hs and Endpoint.hs, in our words): `create_query_collection`,
 * `rename_query_collection`, `drop_query_collection`, `add_query_to_collection`,
 * `drop_query_from_collection`, `add_collection_to_allowlist`, `drop_collection_from_allowlist`,
 * `update_scope_of_collection_in_allowlist`, `create_rest_endpoint`, `drop_rest_endpoint`.
 * Every change goes through checkChange, so a collection query the schema no longer serves is an
 * inconsistency (schema/source.ts reads it) as in Hasura.
 */
import { parse, type OperationDefinitionNode } from 'graphql';
import { jsonKind, QErr } from '../errors.ts';
import {
  allowlistOf,
  collectionQuery,
  collectionsOf,
  endpointsOf,
  setList,
  type AllowlistEntry,
  type AllowlistScope,
  type QueryCollection,
  type RestEndpoint,
} from '../metadata/collections.ts';
import { parseTemplate, templatesOverlap, type Segment } from '../rest/url-template.ts';
import { bad, checkChange, success, type Args, type OpContext } from './context.ts';

function text(args: Args, key: string, path: Array<string | number> = []): string {
  const v = args[key];
  if (v === undefined) throw bad('parse-failed', `key "${key}" not found`, path);
  if (typeof v !== 'string')
    throw bad('parse-failed', `expected String, but encountered ${jsonKind(v)}`, [...path, key]);
  return v;
}

const notExists = (name: string) =>
  bad('not-exists', `query collection with name "${name}" does not exist`);

function collection(ctx: OpContext, name: string): QueryCollection {
  const c = collectionsOf(ctx.draft).find((x) => x.name === name);
  if (!c) throw notExists(name);
  return c;
}

/** A query of a collection must at least be GraphQL (Hasura parses it on the way in). */
function checkQuery(query: unknown, path: Array<string | number>): string {
  if (typeof query !== 'string')
    throw bad('parse-failed', `expected String, but encountered ${jsonKind(query)}`, path);
  try {
    parse(query);
  } catch (e) {
    throw bad('parse-failed', `not a valid graphql query: ${(e as Error).message}`, path);
  }
  return query;
}

function queriesOf(def: unknown): QueryCollection['definition']['queries'] {
  const d = def as { queries?: unknown } | undefined;
  if (!d || typeof d !== 'object') throw bad('parse-failed', 'key "definition" not found');
  if (!Array.isArray(d.queries))
    throw bad('parse-failed', `expected Array, but encountered ${jsonKind(d.queries)}`, [
      'definition',
      'queries',
    ]);
  const seen = new Set<string>();
  return d.queries.map((q: Args, i: number) => {
    const at = ['definition', 'queries', i];
    const name = text(q, 'name', at);
    if (seen.has(name))
      throw bad('parse-failed', `multiple queries with name "${name}" in the collection`, at);
    seen.add(name);
    return { name, query: checkQuery(q.query, [...at, 'query']) };
  });
}

export async function createQueryCollection(ctx: OpContext, args: Args) {
  const name = text(args, 'name');
  if (collectionsOf(ctx.draft).some((c) => c.name === name))
    throw bad('already-exists', `query collection with name "${name}" already exists`);
  const c: QueryCollection = { name, definition: { queries: queriesOf(args.definition) } };
  if (typeof args.comment === 'string') c.comment = args.comment;
  setList(ctx.draft, 'query_collections', [...collectionsOf(ctx.draft), c]);
  await checkChange(ctx);
  return success;
}

export async function renameQueryCollection(ctx: OpContext, args: Args) {
  const name = text(args, 'name');
  const to = text(args, 'new_name');
  const c = collection(ctx, name);
  if (collectionsOf(ctx.draft).some((x) => x.name === to))
    throw bad('already-exists', `query collection with name "${to}" already exists`);
  c.name = to;
  for (const a of allowlistOf(ctx.draft)) if (a.collection === name) a.collection = to;
  for (const e of endpointsOf(ctx.draft))
    if (e.definition.query.collection_name === name) e.definition.query.collection_name = to;
  await checkChange(ctx);
  return success;
}

export async function dropQueryCollection(ctx: OpContext, args: Args) {
  const name = text(args, 'collection');
  collection(ctx, name);
  const cascade = args.cascade === true;
  const listed = allowlistOf(ctx.draft).some((a) => a.collection === name);
  const used = endpointsOf(ctx.draft).filter((e) => e.definition.query.collection_name === name);
  if (!cascade && listed)
    throw bad(
      'dependency-error',
      `query collection with name "${name}" is present in the allowlist; cannot proceed to drop. please use cascade to confirm you wish to drop it from the allowlist as well`,
    );
  if (!cascade && used.length)
    throw bad(
      'dependency-error',
      `query collection with name "${name}" is used by the REST endpoint(s) ${used.map((e) => `"${e.name}"`).join(', ')}; cannot proceed to drop. please use cascade to drop them as well`,
    );
  setList(
    ctx.draft,
    'query_collections',
    collectionsOf(ctx.draft).filter((c) => c.name !== name),
  );
  setList(
    ctx.draft,
    'allowlist',
    allowlistOf(ctx.draft).filter((a) => a.collection !== name),
  );
  setList(
    ctx.draft,
    'rest_endpoints',
    endpointsOf(ctx.draft).filter((e) => e.definition.query.collection_name !== name),
  );
  await checkChange(ctx);
  return success;
}

export async function addQueryToCollection(ctx: OpContext, args: Args) {
  const name = text(args, 'collection_name');
  const queryName = text(args, 'query_name');
  const query = checkQuery(args.query, ['query']);
  const c = collection(ctx, name);
  if (c.definition.queries.some((q) => q.name === queryName))
    throw bad(
      'already-exists',
      `query with name "${queryName}" already exists in collection "${name}"`,
    );
  c.definition.queries.push({ name: queryName, query });
  await checkChange(ctx);
  return success;
}

export async function dropQueryFromCollection(ctx: OpContext, args: Args) {
  const name = text(args, 'collection_name');
  const queryName = text(args, 'query_name');
  const c = collection(ctx, name);
  if (!c.definition.queries.some((q) => q.name === queryName))
    throw bad('not-found', `query with name "${queryName}" not found in collection "${name}"`);
  const used = endpointsOf(ctx.draft).filter(
    (e) =>
      e.definition.query.collection_name === name && e.definition.query.query_name === queryName,
  );
  if (used.length)
    throw bad(
      'not-supported',
      `${used.map((e) => `"${e.name}"`).join(', ')} REST endpoint(s) use the query "${queryName}" of collection "${name}"`,
    );
  c.definition.queries = c.definition.queries.filter((q) => q.name !== queryName);
  await checkChange(ctx);
  return success;
}

// ------------------------------------------------------------------ allow list

function scopeOf(v: unknown): AllowlistScope {
  if (v === undefined || v === null) return { global: true };
  if (typeof v !== 'object' || Array.isArray(v))
    throw bad('parse-failed', `expected Object, but encountered ${jsonKind(v)}`, ['scope']);
  const s = v as Args;
  if (s.global === undefined) throw bad('parse-failed', 'key "global" not found', ['scope']);
  if (s.global === true) return { global: true };
  if (s.global !== false)
    throw bad('parse-failed', `expected Boolean, but encountered ${jsonKind(s.global)}`, [
      'scope',
      'global',
    ]);
  if (s.roles === undefined) throw bad('parse-failed', 'key "roles" not found', ['scope']);
  if (!Array.isArray(s.roles) || s.roles.some((r) => typeof r !== 'string'))
    throw bad('parse-failed', `expected Array, but encountered ${jsonKind(s.roles)}`, [
      'scope',
      'roles',
    ]);
  if (s.roles.length === 0)
    throw bad('parse-failed', 'parsing NonEmpty failed, unexpected empty list', ['scope', 'roles']);
  return { global: false, roles: [...new Set(s.roles as string[])] };
}

const notListed = (name: string) =>
  bad('not-found', `collection "${name}" doesn't exist in the allowlist`);

export async function addCollectionToAllowlist(ctx: OpContext, args: Args) {
  const name = text(args, 'collection');
  const scope = scopeOf(args.scope);
  collection(ctx, name);
  const list = allowlistOf(ctx.draft);
  if (list.some((a) => a.collection === name))
    return {
      message: `collection "${name}" already exists in the allowlist, scope ignored; to change scope, use update_scope_of_collection_in_allowlist`,
    };
  setList(ctx.draft, 'allowlist', [...list, { collection: name, scope }]);
  await checkChange(ctx);
  return success;
}

export async function dropCollectionFromAllowlist(ctx: OpContext, args: Args) {
  const name = text(args, 'collection');
  const list = allowlistOf(ctx.draft);
  if (!list.some((a) => a.collection === name)) throw notListed(name);
  setList(
    ctx.draft,
    'allowlist',
    list.filter((a) => a.collection !== name),
  );
  await checkChange(ctx);
  return success;
}

export async function updateScopeOfCollectionInAllowlist(ctx: OpContext, args: Args) {
  const name = text(args, 'collection');
  if (args.scope === undefined) throw bad('parse-failed', 'key "scope" not found');
  const scope = scopeOf(args.scope);
  const entry = allowlistOf(ctx.draft).find((a) => a.collection === name);
  if (!entry) throw notListed(name);
  entry.scope = scope;
  await checkChange(ctx);
  return success;
}

/** `replace_metadata`'s check of an allowlist (Hasura refuses a collection listed twice). */
export function checkAllowlistEntries(list: AllowlistEntry[]): void {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const a of list) (seen.has(a.collection) ? dup : seen).add(a.collection);
  if (dup.size)
    throw bad(
      'parse-failed',
      `multiple declarations exist for the following allowlist entries: ${[...dup].join(', ')}`,
      ['metadata'],
    );
}

// ------------------------------------------------------------------ REST endpoints

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Hasura's refusal of an endpoint: invalid-configuration, the endpoint as an inconsistent object. */
function refuse(endpoint: RestEndpoint, reason: string): QErr {
  return new QErr(
    'invalid-configuration',
    reason,
    400,
    [],
    [
      {
        definition: endpoint,
        reason,
        name: `rest_endpoint ${endpoint.name}`,
        type: 'rest_endpoint',
      },
    ],
  );
}

export async function createRestEndpoint(ctx: OpContext, args: Args) {
  const url = text(args, 'url');
  if (url === '')
    throw Object.assign(bad('parse-failed', 'empty string not allowed', ['url']), {
      atRoot: true,
    });
  const name = text(args, 'name');
  if (!Array.isArray(args.methods) || args.methods.length === 0)
    throw bad('parse-failed', 'parsing NonEmpty failed, unexpected empty list', ['methods']);
  const methods = args.methods.map((m, i) => {
    if (typeof m !== 'string' || !METHODS.has(m))
      throw bad('parse-failed', 'Method must be one of GET, POST, PUT, PATCH, DELETE', [
        'methods',
        i,
      ]);
    return m;
  });
  const q = (args.definition as { query?: Args } | undefined)?.query;
  if (!q || typeof q !== 'object')
    throw bad('parse-failed', 'key "query" not found', ['definition']);
  const ref = {
    collection_name: text(q, 'collection_name', ['definition', 'query']),
    query_name: text(q, 'query_name', ['definition', 'query']),
  };
  const endpoint: RestEndpoint = {
    definition: { query: ref },
    url,
    methods: [...new Set(methods)],
    name,
    comment: typeof args.comment === 'string' ? args.comment : null,
  };
  const segments = parseTemplate(url);
  if ('problem' in segments) throw refuse(endpoint, segments.problem);
  const query = collectionQuery(ctx.draft, ref.collection_name, ref.query_name);
  if (query === undefined)
    throw refuse(
      endpoint,
      `Inconsistent object: in endpoint ${name}: query with name ${ref.query_name} not found in collection ${ref.collection_name}`,
    );
  const ops = parse(query).definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
  );
  if (ops.some((o) => o.operation === 'subscription'))
    throw refuse(
      endpoint,
      `Inconsistent object: in endpoint ${name}: query with name ${ref.query_name} is a subscription`,
    );
  const existing = endpointsOf(ctx.draft);
  if (existing.some((e) => e.name === name))
    throw bad('already-exists', `Endpoint with name: ${name} already exists`);
  checkAmbiguity(ctx, endpoint, segments, existing);
  setList(ctx.draft, 'rest_endpoints', [...existing, endpoint]);
  await checkChange(ctx);
  return success;
}

function checkAmbiguity(
  ctx: OpContext,
  endpoint: RestEndpoint,
  segments: Segment[],
  existing: RestEndpoint[],
): void {
  const clashes = existing.filter((e) => {
    const s = parseTemplate(e.url);
    return (
      !('problem' in s) &&
      templatesOverlap(segments, s) &&
      e.methods.some((m) => endpoint.methods.includes(m))
    );
  });
  if (!clashes.length) return;
  const all = [endpoint, ...clashes].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const reason = `Ambiguous URL paths: ${all.map((e) => e.url).join(', ')}`;
  const conflicts = all.map((e) => ({
    definition: {
      query:
        collectionQuery(
          ctx.draft,
          e.definition.query.collection_name,
          e.definition.query.query_name,
        ) ?? null,
    },
    url: e.url,
    methods: e.methods,
    name: e.name,
    comment: e.comment ?? null,
  }));
  throw new QErr('invalid-configuration', reason, 400, [], [{ reason, conflicts }]);
}

export async function dropRestEndpoint(ctx: OpContext, args: Args) {
  const name = text(args, 'name');
  const existing = endpointsOf(ctx.draft);
  if (!existing.some((e) => e.name === name))
    throw bad('not-exists', `endpoint with name: ${name} does not exist`);
  setList(
    ctx.draft,
    'rest_endpoints',
    existing.filter((e) => e.name !== name),
  );
  await checkChange(ctx);
  return success;
}
