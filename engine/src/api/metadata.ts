/**
 * The metadata API (`/v1/metadata`), the legacy query API (`/v1/query`) and the schema API
 * (`/v2/query`), as Hasura's Server/API/{Metadata,Query,V2Query}.hs route them:
 *
 * - `/v1/metadata` takes the generic operations (bulk, export/replace/reload/clear metadata,
 *   the inconsistent objects, catalog state) and the source operations with their backend prefix
 *   (`pg_track_table`, `pg_create_select_permission`, …);
 * - `/v1/query` takes the legacy un-prefixed names (`track_table`, `create_select_permission`,
 *   `run_sql`, `insert`, …, and `version: 2` forms);
 * - `/v2/query` takes `run_sql`, the DML operations and `bulk`.
 *
 * Error paths follow Hasura: `$.args…` (and `$.args[i].args…` in a bulk) on the v1 endpoints,
 * `$…` (`$[i]…`) on `/v2/query`. Requests are serialised per engine; every change works on a
 * draft of the metadata that is checked as it goes and stored (new resource_version, other
 * instances notified, WebSockets closed) only when the whole request succeeded. SQL run by
 * `run_sql` / `insert` commits per operation, as in Hasura.
 */
import { jsonKind, QErr } from '../errors.ts';
import { removeApiLimits, setApiLimits } from './api-limits.ts';
import {
  bad,
  catalogsOf,
  type ApiRuntime,
  type ApiSession,
  type Args,
  type Endpoint,
  type OpContext,
} from './context.ts';
import {
  addCollectionToAllowlist,
  addQueryToCollection,
  createQueryCollection,
  createRestEndpoint,
  dropCollectionFromAllowlist,
  dropQueryCollection,
  dropQueryFromCollection,
  dropRestEndpoint,
  renameQueryCollection,
  updateScopeOfCollectionInAllowlist,
} from './collections.ts';
import { v1Count, v1Select } from './dml.ts';
import { v1Delete, v1Insert, v1Update } from './dml-mutations.ts';
import { testWebhookTransform } from './test-webhook-transform.ts';
import {
  addComputedField,
  createFunctionPermission,
  dropComputedField,
  dropFunctionPermission,
  trackFunction,
  untrackFunction,
} from './functions.ts';
import {
  clearMetadata,
  dropInconsistentMetadata,
  exportMetadata,
  getCatalog,
  getInconsistentMetadata,
  reloadMetadata,
  replaceMetadata,
  setCatalog,
} from './manage.ts';
import { addInheritedRole, dropInheritedRole } from './inherited-roles.ts';
import { createPermission, dropPermission, setPermissionComment } from './permissions.ts';
import {
  createRelationship,
  dropRelationship,
  renameRelationship,
  setRelationshipComment,
} from './relationships.ts';
import { runSqlOp, type RunSqlArgs } from './run-sql.ts';
import { addSource, dropSource, renameSource, updateSource } from './sources.ts';
import {
  cleanupEventTriggerLogs,
  createEventTrigger,
  deleteEventTrigger,
  getEventById,
  getEventInvocationLogs,
  getEventLogs,
  invokeEventTrigger,
  redeliverEvent,
  toggleCleanups,
} from './event-triggers.ts';
import {
  createCronTrigger,
  createScheduledEvent,
  deleteCronTrigger,
  deleteScheduledEvent,
  getCronTriggers,
  getScheduledEventInvocations,
  getScheduledEvents,
} from './scheduled-events.ts';
import {
  createAction,
  createActionPermission,
  dropAction,
  dropActionPermission,
  setCustomTypes,
  updateAction,
} from '../actions/api.ts';
import {
  setTableCustomFields,
  setTableCustomization,
  setTableIsEnum,
  trackTable,
  untrackTable,
} from './tables.ts';

export type { Endpoint };

type Op = (ctx: OpContext, args: Args, version: number) => Promise<unknown> | unknown;

/** Operations on a source's objects: `pg_<name>` on /v1/metadata, `<name>` on /v1/query. */
const SOURCE_OPS: Record<string, Op> = {
  track_table: trackTable,
  untrack_table: untrackTable,
  set_table_customization: setTableCustomization,
  set_table_is_enum: setTableIsEnum,
  create_object_relationship: (c, a) => createRelationship(c, 'object', a),
  create_array_relationship: (c, a) => createRelationship(c, 'array', a),
  drop_relationship: dropRelationship,
  rename_relationship: renameRelationship,
  set_relationship_comment: setRelationshipComment,
  create_select_permission: (c, a) => createPermission(c, 'select', a),
  create_insert_permission: (c, a) => createPermission(c, 'insert', a),
  create_update_permission: (c, a) => createPermission(c, 'update', a),
  create_delete_permission: (c, a) => createPermission(c, 'delete', a),
  drop_select_permission: (c, a) => dropPermission(c, 'select', a),
  drop_insert_permission: (c, a) => dropPermission(c, 'insert', a),
  drop_update_permission: (c, a) => dropPermission(c, 'update', a),
  drop_delete_permission: (c, a) => dropPermission(c, 'delete', a),
  set_permission_comment: setPermissionComment,
  track_function: trackFunction,
  untrack_function: untrackFunction,
  add_computed_field: addComputedField,
  drop_computed_field: dropComputedField,
  create_event_trigger: createEventTrigger,
  delete_event_trigger: deleteEventTrigger,
  redeliver_event: redeliverEvent,
  invoke_event_trigger: invokeEventTrigger,
};

/** Scheduled triggers: on /v1/metadata, and the cron / one-off creation on /v1/query too. */
const SCHEDULED_OPS: Record<string, Op> = {
  create_cron_trigger: createCronTrigger,
  delete_cron_trigger: deleteCronTrigger,
  create_scheduled_event: createScheduledEvent,
};

/** Actions and custom types: on /v1/metadata and /v1/query alike. */
const ACTION_OPS: Record<string, Op> = {
  set_custom_types: setCustomTypes,
  create_action: createAction,
  update_action: updateAction,
  drop_action: dropAction,
  create_action_permission: createActionPermission,
  drop_action_permission: dropActionPermission,
};

/** /v1/metadata: backend-specific operations after the `pg_` prefix. */
const METADATA_SOURCE_OPS: Record<string, Op> = {
  ...SOURCE_OPS,
  create_function_permission: createFunctionPermission,
  drop_function_permission: dropFunctionPermission,
  get_event_logs: getEventLogs,
  get_event_invocation_logs: getEventInvocationLogs,
  get_event_by_id: getEventById,
  add_source: addSource,
  drop_source: dropSource,
  update_source: updateSource,
};

/** Query collections, the allow list and REST endpoints: on /v1/metadata and /v1/query. */
const COLLECTION_OPS: Record<string, Op> = {
  create_query_collection: createQueryCollection,
  rename_query_collection: renameQueryCollection,
  drop_query_collection: dropQueryCollection,
  add_query_to_collection: addQueryToCollection,
  drop_query_from_collection: dropQueryFromCollection,
  add_collection_to_allowlist: addCollectionToAllowlist,
  drop_collection_from_allowlist: dropCollectionFromAllowlist,
  update_scope_of_collection_in_allowlist: updateScopeOfCollectionInAllowlist,
  create_rest_endpoint: createRestEndpoint,
  drop_rest_endpoint: dropRestEndpoint,
};

const MANAGE_OPS: Record<string, Op> = {
  export_metadata: (c, _a, v) => exportMetadata(c, v),
  replace_metadata: (c, a, v) => replaceMetadata(c, v, a),
  reload_metadata: reloadMetadata,
  clear_metadata: clearMetadata,
  get_inconsistent_metadata: getInconsistentMetadata,
  drop_inconsistent_metadata: dropInconsistentMetadata,
};

const METADATA_OPS: Record<string, Op> = {
  ...MANAGE_OPS,
  test_webhook_transform: testWebhookTransform,
  ...COLLECTION_OPS,
  ...SCHEDULED_OPS,
  ...ACTION_OPS,
  get_cron_triggers: getCronTriggers,
  delete_scheduled_event: deleteScheduledEvent,
  get_scheduled_events: getScheduledEvents,
  get_scheduled_event_invocations: getScheduledEventInvocations,
  cleanup_event_trigger_logs: cleanupEventTriggerLogs,
  pause_event_trigger_cleanups: toggleCleanups(true),
  resume_event_trigger_cleanups: toggleCleanups(false),
  set_api_limits: setApiLimits,
  remove_api_limits: removeApiLimits,
  add_inherited_role: addInheritedRole,
  drop_inherited_role: dropInheritedRole,
  rename_source: renameSource,
  get_catalog_state: getCatalog,
  set_catalog_state: setCatalog,
};

const QUERY_V1_OPS: Record<string, Op> = {
  ...SOURCE_OPS,
  add_existing_table_or_view: trackTable,
  set_table_custom_fields: setTableCustomFields,
  ...MANAGE_OPS,
  ...COLLECTION_OPS,
  ...SCHEDULED_OPS,
  ...ACTION_OPS,
  run_sql: (c, a) => runSqlOp(c, a as unknown as RunSqlArgs),
  insert: v1Insert,
  select: v1Select,
  update: v1Update,
  delete: v1Delete,
  count: v1Count,
};

/**
 * What `/v1/query` lets a role other than admin run, with its permissions (`/v2/query` is
 * admin-only): the v1 DML operations, as Hasura allows them.
 */
const ROLE_OPS = new Set(['select', 'count', 'insert', 'update', 'delete']);

const QUERY_V2_OPS: Record<string, Op> = {
  run_sql: (c, a) => runSqlOp(c, a as unknown as RunSqlArgs),
  citus_run_sql: (c, a) => runSqlOp(c, a as unknown as RunSqlArgs),
  cockroach_run_sql: (c, a) => runSqlOp(c, a as unknown as RunSqlArgs),
  insert: v1Insert,
  select: v1Select,
  update: v1Update,
  delete: v1Delete,
  count: v1Count,
};

const BACKENDS: Record<string, string> = {
  pg: 'postgres',
  citus: 'citus',
  cockroach: 'cockroach',
  mssql: 'mssql',
  bigquery: 'bigquery',
  mysql: 'mysql',
};

const UNSUPPORTED_BACKENDS = new Set(['mssql', 'bigquery', 'mysql']);

function resolveOp(endpoint: Endpoint, type: string): Op {
  if (endpoint === 'v1/metadata') {
    const generic = METADATA_OPS[type];
    if (generic) return generic;
    const cut = type.indexOf('_');
    const prefix = cut < 0 ? type : type.slice(0, cut);
    const cmd = cut < 0 ? '' : type.slice(cut + 1);
    const backend = BACKENDS[prefix];
    if (!backend) {
      throw bad(
        'parse-failed',
        `unknown metadata command "${type}"; "${prefix}" was not recognized as a valid backend name`,
      );
    }
    const op = METADATA_SOURCE_OPS[cmd];
    if (!op) {
      throw bad('parse-failed', `unknown metadata command "${cmd}" for backend "${backend}"`);
    }
    if (UNSUPPORTED_BACKENDS.has(prefix))
      throw bad('not-supported', `${backend} sources are not supported by this engine`);
    return op;
  }
  const table = endpoint === 'v1/query' ? QUERY_V1_OPS : QUERY_V2_OPS;
  const op = Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined;
  if (!op) throw bad('parse-failed', `unknown query type: ${type}`);
  return op;
}

/** Hasura's `withObject "Object"` refusal of a request body or operation that is not an object. */
const notAnObject = (v: unknown) =>
  `parsing Object failed, expected Object, but encountered ${jsonKind(v)}`;

/**
 * The `version` of a `/v1/query` operation (Hasura's RQLQuery: 1 when absent, else 1 or 2); the
 * other endpoints read it, where they do, per operation.
 */
function queryVersion(endpoint: Endpoint, v: unknown, path: Array<string | number>): 1 | 2 {
  if (v === undefined || v === null) return 1;
  if (endpoint !== 'v1/query') return v === 2 ? 2 : 1;
  const at = [...path, 'version'];
  if (typeof v !== 'number')
    throw new QErr(
      'parse-failed',
      `parsing Int failed, expected Number, but encountered ${jsonKind(v)}`,
      400,
      at,
    );
  if (v !== 1 && v !== 2)
    throw new QErr('parse-failed', `expected 1 or 2, encountered ${v}`, 400, at);
  return v;
}

/**
 * The arguments Hasura parses as NonEmptyText, per operation (the backend prefix aside): an empty
 * one is refused by its JSON parser, at the field, before anything else is looked at.
 */
const NON_EMPTY_TEXT: Record<string, string[]> = {
  create_event_trigger: ['name'],
  create_object_relationship: ['name'],
  create_array_relationship: ['name'],
  add_remote_schema: ['name'],
  create_query_collection: ['name'],
  ...Object.fromEntries(
    ['insert', 'select', 'update', 'delete'].flatMap((k) => [
      [`create_${k}_permission`, ['role']],
      [`drop_${k}_permission`, ['role']],
    ]),
  ),
};

function nonEmptyNames(type: string, args: Args): void {
  for (const key of NON_EMPTY_TEXT[type.replace(/^(pg|citus|cockroach)_/, '')] ?? [])
    if (args[key] === '')
      throw Object.assign(new QErr('parse-failed', 'empty string not allowed', 400, [key]), {
        atRoot: true,
      });
}

async function runOp(
  ctx: OpContext,
  body: unknown,
  path: Array<string | number>,
): Promise<unknown> {
  const v2 = ctx.endpoint === 'v2/query';
  const at = (e: unknown): never => {
    // an argument Hasura's parser reports from the top (create_rest_endpoint's `$.url`)
    const atRoot = (e as { atRoot?: boolean }).atRoot === true;
    if (e instanceof QErr && !atRoot) e.path = [...path, ...(v2 ? [] : ['args']), ...e.path];
    throw e;
  };
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new QErr('parse-failed', notAnObject(body), 400, path);
  const b = body as Args;
  if (typeof b.type !== 'string') throw new QErr('parse-failed', 'key "type" not found', 400, path);
  const type = b.type;
  const version = queryVersion(ctx.endpoint, b.version, path);
  // Hasura parses the whole operation before it looks at the caller or the operation's kind
  if (b.args && typeof b.args === 'object') nonEmptyNames(type, b.args as Args);
  if (type === 'bulk' || type === 'concurrent_bulk') {
    if (!Array.isArray(b.args))
      throw new QErr('parse-failed', `expected Array, but encountered ${jsonKind(b.args)}`, 400, [
        ...path,
        'args',
      ]);
    const out: unknown[] = [];
    for (let i = 0; i < b.args.length; i++) {
      out.push(await runOp(ctx, b.args[i], v2 ? [...path, i] : [...path, 'args', i]));
    }
    return out;
  }
  // a role other than admin may only run the DML operations, with its permissions
  if (ctx.session?.isAdmin === false && !(ctx.endpoint === 'v1/query' && ROLE_OPS.has(type)))
    throw new QErr('access-denied', 'restricted access : admin only', 400, [...path, 'args']);
  let op: Op;
  try {
    op = resolveOp(ctx.endpoint, type);
  } catch (e) {
    if (e instanceof QErr) e.path = [...path];
    throw e;
  }
  // `track_table: {args: "author"}` names the table directly
  const args = (typeof b.args === 'string' ? { table: b.args } : (b.args ?? {})) as Args;
  try {
    return await op(ctx, args, version);
  } catch (e) {
    return at(e);
  }
}

/** One request at a time per engine: metadata changes never interleave. */
const queues = new WeakMap<ApiRuntime, Promise<unknown>>();

async function serialised<T>(engine: ApiRuntime, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(engine) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  queues.set(
    engine,
    run.catch(() => {}),
  );
  return run;
}

export async function runApiRequest(
  engine: ApiRuntime,
  endpoint: Endpoint,
  body: unknown,
  session?: ApiSession,
): Promise<unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw bad('parse-failed', notAnObject(body));
  return serialised(engine, async () => {
    const ctx: OpContext = {
      engine,
      endpoint,
      draft: structuredClone(engine.state.metadata),
      changed: false,
      // read on first use: SQL run by earlier requests may have changed the database
      catalogs: engine.state.catalogs,
      catalogStale: true,
      ...(session ? { session } : {}),
    };
    const rv = (body as Args).resource_version;
    if (endpoint === 'v1/metadata' && rv !== undefined && rv !== engine.state.resourceVersion) {
      throw new QErr(
        'conflict',
        `metadata resource version referenced (${String(rv)}) did not match current version`,
        409,
      );
    }
    const result = await runOp(ctx, body, []);
    if (ctx.changed) {
      // the SQL triggers first: metadata is never stored with triggers it cannot deliver
      await engine.events?.syncSql(engine.state.metadata, ctx.draft, {
        mode: ctx.recreateEventTriggers ? 'all' : 'changed',
      });
      await engine.applyMetadata(ctx.draft, await catalogsOf(ctx), true);
    }
    return result;
  });
}
