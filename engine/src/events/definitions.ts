/**
 * Event trigger, cron trigger and one-off scheduled event definitions: parsed from API arguments
 * with Hasura's checks and messages (Hasura/RQL/DDL/EventTrigger.hs, RQL/Types/ScheduledTrigger.hs)
 * and kept in the metadata in Hasura's exported form, so `export_metadata`, the metadata
 * directory and the real Hasura all read the same thing.
 */
import { CronExpressionParser } from 'cron-parser';
import { parseHeaderConfs, type HeaderConf } from '../webhook/env-template.ts';
import {
  normalizeRequestTransform,
  normalizeResponseTransform,
  TransformError,
} from '../webhook/transform.ts';
import type { Metadata, QualifiedName } from '../metadata/types.ts';
import { normalizeName } from '../metadata/types.ts';

export class DefinitionError extends Error {
  constructor(
    message: string,
    readonly path: Array<string | number> = [],
  ) {
    super(message);
    this.name = 'DefinitionError';
  }
}

export type Columns = '*' | string[];

export interface OpSpec {
  columns: Columns;
  payload?: Columns;
}

export interface EventTriggerConf {
  name: string;
  definition: { enable_manual: boolean; insert?: OpSpec; update?: OpSpec; delete?: OpSpec };
  retry_conf: { num_retries: number; interval_sec: number; timeout_sec?: number };
  webhook?: string;
  webhook_from_env?: string;
  headers?: HeaderConf[];
  request_transform?: Record<string, unknown>;
  response_transform?: Record<string, unknown>;
  cleanup_config?: CleanupConfig;
}

export interface CleanupConfig {
  schedule: string;
  batch_size: number;
  clear_older_than: number;
  timeout: number;
  clean_invocation_logs: boolean;
  paused: boolean;
}

export const OPS = ['INSERT', 'UPDATE', 'DELETE'] as const;
export type Op = (typeof OPS)[number];

export const DEFAULT_RETRY = { num_retries: 0, interval_sec: 10, timeout_sec: 60 };
/** 63-byte identifiers less `notify_hasura_` and `_INSERT`. */
export const MAX_TRIGGER_NAME = 42;

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function columnsOf(v: unknown, what: string): Columns {
  if (v === '*') return '*';
  if (typeof v === 'string') throw new DefinitionError('only * or [] allowed');
  if (!Array.isArray(v) || !v.every((c) => typeof c === 'string'))
    throw new DefinitionError(`unexpected ${what}`);
  return v as string[];
}

function opSpec(v: unknown, key: string): OpSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new DefinitionError(`expected an object for "${key}"`, [key]);
  if (v.columns === undefined) throw new DefinitionError('key "columns" not found', [key]);
  const spec: OpSpec = { columns: columnsOf(v.columns, 'columns') };
  if (v.payload !== undefined && v.payload !== null) spec.payload = columnsOf(v.payload, 'payload');
  if (Array.isArray(spec.columns) && spec.columns.length === 0)
    throw new DefinitionError('found empty column specification');
  if (Array.isArray(spec.payload) && spec.payload.length === 0)
    throw new DefinitionError('found empty payload specification');
  return spec;
}

function nonNegativeInt(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new DefinitionError(`expected a non-negative integer for "${key}"`, [key]);
  return v;
}

function retryConf(v: unknown): EventTriggerConf['retry_conf'] {
  if (v === undefined || v === null) return { ...DEFAULT_RETRY };
  if (!isObj(v)) throw new DefinitionError('expected an object for "retry_conf"', ['retry_conf']);
  if (v.num_retries === undefined)
    throw new DefinitionError('key "num_retries" not found', ['retry_conf']);
  if (v.interval_sec === undefined)
    throw new DefinitionError('key "interval_sec" not found', ['retry_conf']);
  const out: EventTriggerConf['retry_conf'] = {
    num_retries: nonNegativeInt(v.num_retries, 'num_retries'),
    interval_sec: nonNegativeInt(v.interval_sec, 'interval_sec'),
  };
  if (v.timeout_sec !== undefined && v.timeout_sec !== null)
    out.timeout_sec = nonNegativeInt(v.timeout_sec, 'timeout_sec');
  return out;
}

function headers(v: unknown): HeaderConf[] | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    return parseHeaderConfs(v);
  } catch (e) {
    throw new DefinitionError((e as Error).message, ['headers']);
  }
}

function transform(
  v: unknown,
  key: 'request_transform' | 'response_transform',
): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    return key === 'request_transform'
      ? normalizeRequestTransform(v)
      : normalizeResponseTransform(v);
  } catch (e) {
    if (e instanceof TransformError) throw new DefinitionError(e.message, [key]);
    throw e;
  }
}

export function checkCron(schedule: unknown, path: Array<string | number> = ['schedule']): string {
  if (typeof schedule !== 'string')
    throw new DefinitionError('expected a cron schedule string', path);
  const fields = schedule.trim().split(/\s+/);
  try {
    if (fields.length !== 5) throw new Error(`expected 5 fields, got ${fields.length}`);
    CronExpressionParser.parse(schedule, { tz: 'UTC' });
  } catch (e) {
    throw new DefinitionError(
      `invalid cron schedule ${JSON.stringify(schedule)}: ${(e as Error).message}`,
      path,
    );
  }
  return schedule;
}

function cleanupConfig(v: unknown): CleanupConfig | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v))
    throw new DefinitionError('expected an object for "cleanup_config"', ['cleanup_config']);
  if (v.clear_older_than === undefined)
    throw new DefinitionError('key "clear_older_than" not found', ['cleanup_config']);
  return {
    schedule: checkCron(v.schedule, ['cleanup_config', 'schedule']),
    batch_size: v.batch_size === undefined ? 10000 : nonNegativeInt(v.batch_size, 'batch_size'),
    clear_older_than: nonNegativeInt(v.clear_older_than, 'clear_older_than'),
    timeout: v.timeout === undefined ? 60 : nonNegativeInt(v.timeout, 'timeout'),
    clean_invocation_logs: v.clean_invocation_logs === true,
    paused: v.paused === true,
  };
}

export interface CreateEventTrigger {
  source: string;
  table: QualifiedName;
  replace: boolean;
  conf: EventTriggerConf;
}

/** `pg_create_event_trigger` / `create_event_trigger` arguments. */
export function parseCreateEventTrigger(args: Record<string, unknown>): CreateEventTrigger {
  const name = args.name;
  if (typeof name !== 'string') throw new DefinitionError('key "name" not found');
  if (args.table === undefined) throw new DefinitionError('key "table" not found');
  let table: QualifiedName;
  try {
    table = normalizeName(args.table);
  } catch {
    throw new DefinitionError('expecting a string or an object with "name" for a table', ['table']);
  }
  const insert = opSpec(args.insert, 'insert');
  const update = opSpec(args.update, 'update');
  const del = opSpec(args.delete, 'delete');
  const enableManual = args.enable_manual === true;
  if (!/^[A-Za-z]+[A-Za-z0-9_-]*$/.test(name))
    throw new DefinitionError('only alphanumeric and underscore and hyphens allowed for name');
  if (name.length > MAX_TRIGGER_NAME)
    throw new DefinitionError(`event trigger name can be at most ${MAX_TRIGGER_NAME} characters`);
  if (!insert && !update && !del && !enableManual)
    throw new DefinitionError(
      'atleast one amongst insert/update/delete/enable_manual spec must be provided',
    );
  const hasWebhook = args.webhook !== undefined && args.webhook !== null;
  const hasEnv = args.webhook_from_env !== undefined && args.webhook_from_env !== null;
  if (hasWebhook && hasEnv)
    throw new DefinitionError('only one of webhook or webhook_from_env should be given');
  if (!hasWebhook && !hasEnv) throw new DefinitionError('must provide webhook or webhook_from_env');
  if (hasWebhook && typeof args.webhook !== 'string')
    throw new DefinitionError('expected a string for "webhook"', ['webhook']);
  if (hasEnv && typeof args.webhook_from_env !== 'string')
    throw new DefinitionError('expected a string for "webhook_from_env"', ['webhook_from_env']);
  const definition: EventTriggerConf['definition'] = { enable_manual: enableManual };
  if (insert) definition.insert = insert;
  if (update) definition.update = update;
  if (del) definition.delete = del;
  const conf: EventTriggerConf = { name, definition, retry_conf: retryConf(args.retry_conf) };
  if (hasWebhook) conf.webhook = args.webhook as string;
  if (hasEnv) conf.webhook_from_env = args.webhook_from_env as string;
  const h = headers(args.headers);
  if (h) conf.headers = h;
  const req = transform(args.request_transform, 'request_transform');
  if (req) conf.request_transform = req;
  const res = transform(args.response_transform, 'response_transform');
  if (res) conf.response_transform = res;
  const cleanup = cleanupConfig(args.cleanup_config);
  if (cleanup) conf.cleanup_config = cleanup;
  return {
    source: typeof args.source === 'string' ? args.source : 'default',
    table,
    replace: args.replace === true,
    conf,
  };
}

/** An event trigger as metadata holds it (export form), checked loosely: what delivery needs. */
export function readEventTriggerConf(raw: unknown): EventTriggerConf {
  if (!isObj(raw) || typeof raw.name !== 'string' || !isObj(raw.definition))
    throw new DefinitionError('expected an event trigger with "name" and "definition"');
  const d = raw.definition;
  const definition: EventTriggerConf['definition'] = { enable_manual: d.enable_manual === true };
  for (const key of ['insert', 'update', 'delete'] as const) {
    const spec = opSpec(d[key], key);
    if (spec) definition[key] = spec;
  }
  const conf: EventTriggerConf = {
    ...(raw as unknown as EventTriggerConf),
    definition,
    retry_conf: isObj(raw.retry_conf) ? retryConf(raw.retry_conf) : { ...DEFAULT_RETRY },
  };
  const h = headers(raw.headers);
  if (h) conf.headers = h;
  return conf;
}

export interface TriggerRef {
  source: string;
  table: QualifiedName;
  conf: EventTriggerConf;
}

const refsCache = new WeakMap<Metadata, TriggerRef[]>();

/** Every event trigger of every source, in metadata order (unreadable ones left out). */
export function eventTriggersOf(metadata: Metadata): TriggerRef[] {
  const cached = refsCache.get(metadata);
  if (cached) return cached;
  const out: TriggerRef[] = [];
  for (const src of metadata.sources) {
    for (const t of src.tables) {
      for (const raw of (t.event_triggers as unknown[] | undefined) ?? []) {
        try {
          out.push({
            source: src.name,
            table: normalizeName(t.table),
            conf: readEventTriggerConf(raw),
          });
        } catch {
          // reported as an inconsistency by the validator
        }
      }
    }
  }
  refsCache.set(metadata, out);
  return out;
}

export function effectiveTimeoutSec(conf: EventTriggerConf): number {
  return conf.retry_conf.timeout_sec ?? DEFAULT_RETRY.timeout_sec;
}

// ---------------------------------------------------------------- scheduled triggers

export interface STRetryConf {
  num_retries: number;
  retry_interval_seconds: number;
  timeout_seconds: number;
  tolerance_seconds: number;
}

export const DEFAULT_ST_RETRY: STRetryConf = {
  num_retries: 0,
  retry_interval_seconds: 10,
  timeout_seconds: 60,
  tolerance_seconds: 21600,
};

function stRetryConf(v: unknown): STRetryConf {
  if (v === undefined || v === null) return { ...DEFAULT_ST_RETRY };
  if (!isObj(v)) throw new DefinitionError('expected an object for "retry_conf"', ['retry_conf']);
  const num = v.num_retries ?? 0;
  if (typeof num !== 'number' || !Number.isInteger(num))
    throw new DefinitionError('expected an integer for "num_retries"', ['retry_conf']);
  if (num < 0) throw new DefinitionError('num_retries cannot be a negative value', ['retry_conf']);
  const secs = (key: keyof STRetryConf) => {
    const x = v[key] ?? DEFAULT_ST_RETRY[key];
    if (typeof x !== 'number' || x < 0)
      throw new DefinitionError(`expected a non-negative number for "${key}"`, ['retry_conf']);
    return x;
  };
  return {
    num_retries: num,
    retry_interval_seconds: secs('retry_interval_seconds'),
    timeout_seconds: secs('timeout_seconds'),
    tolerance_seconds: secs('tolerance_seconds'),
  };
}

/** A cron trigger as metadata holds it (cron_triggers.yaml). */
export interface CronTriggerMeta {
  name: string;
  webhook: string;
  schedule: string;
  payload?: unknown;
  retry_conf?: STRetryConf;
  headers?: HeaderConf[];
  include_in_metadata: boolean;
  comment?: string;
  request_transform?: Record<string, unknown>;
  response_transform?: Record<string, unknown>;
}

export function parseCronTrigger(args: Record<string, unknown>): {
  meta: CronTriggerMeta;
  replace: boolean;
} {
  if (typeof args.name !== 'string') throw new DefinitionError('key "name" not found');
  if (typeof args.webhook !== 'string') throw new DefinitionError('key "webhook" not found');
  if (args.schedule === undefined) throw new DefinitionError('key "schedule" not found');
  if (typeof args.include_in_metadata !== 'boolean')
    throw new DefinitionError('key "include_in_metadata" not found');
  const meta: CronTriggerMeta = {
    name: args.name,
    webhook: args.webhook,
    schedule: checkCron(args.schedule),
    include_in_metadata: args.include_in_metadata,
  };
  if (args.payload !== undefined && args.payload !== null) meta.payload = args.payload;
  const retry = stRetryConf(args.retry_conf);
  if (JSON.stringify(retry) !== JSON.stringify(DEFAULT_ST_RETRY)) meta.retry_conf = retry;
  const h = headers(args.headers);
  if (h && h.length) meta.headers = h;
  if (typeof args.comment === 'string') meta.comment = args.comment;
  const req = transform(args.request_transform, 'request_transform');
  if (req) meta.request_transform = req;
  const res = transform(args.response_transform, 'response_transform');
  if (res) meta.response_transform = res;
  return { meta, replace: args.replace === true };
}

/** A stored cron trigger, read back with every default filled in. */
export function readCronTrigger(
  raw: unknown,
): CronTriggerMeta & { retry_conf: STRetryConf; headers: HeaderConf[] } {
  if (!isObj(raw)) throw new DefinitionError('expected an object for a cron trigger');
  const { meta } = parseCronTrigger({ include_in_metadata: false, ...raw });
  return {
    ...meta,
    retry_conf: meta.retry_conf ?? { ...DEFAULT_ST_RETRY },
    headers: meta.headers ?? [],
  };
}

/** `get_cron_triggers`: Hasura's ToJSON of a cron trigger (retry_conf and headers always). */
export function cronTriggerForApi(raw: unknown): Record<string, unknown> {
  const t = readCronTrigger(raw);
  const out: Record<string, unknown> = {
    name: t.name,
    webhook: t.webhook,
    schedule: t.schedule,
  };
  if (t.payload !== undefined) out.payload = t.payload;
  out.retry_conf = t.retry_conf;
  out.headers = t.headers;
  out.include_in_metadata = t.include_in_metadata;
  if (t.comment !== undefined) out.comment = t.comment;
  if (t.request_transform) out.request_transform = t.request_transform;
  if (t.response_transform) out.response_transform = t.response_transform;
  return out;
}

export interface CreateScheduledEvent {
  webhook: string;
  scheduleAt: Date;
  payload: unknown;
  headers: HeaderConf[];
  retryConf: STRetryConf;
  comment: string | null;
  requestTransform?: Record<string, unknown>;
  responseTransform?: Record<string, unknown>;
}

export function parseScheduledEvent(args: Record<string, unknown>): CreateScheduledEvent {
  if (typeof args.webhook !== 'string') throw new DefinitionError('key "webhook" not found');
  if (typeof args.schedule_at !== 'string')
    throw new DefinitionError('key "schedule_at" not found');
  const at = new Date(args.schedule_at);
  if (Number.isNaN(at.getTime()) || !/\d{4}-\d{2}-\d{2}T/.test(args.schedule_at))
    throw new DefinitionError('could not parse timestamp: ' + args.schedule_at, ['schedule_at']);
  const out: CreateScheduledEvent = {
    webhook: args.webhook,
    scheduleAt: at,
    payload: args.payload ?? null,
    headers: headers(args.headers) ?? [],
    retryConf: stRetryConf(args.retry_conf),
    comment: typeof args.comment === 'string' ? args.comment : null,
  };
  const req = transform(args.request_transform, 'request_transform');
  if (req) out.requestTransform = req;
  const res = transform(args.response_transform, 'response_transform');
  if (res) out.responseTransform = res;
  return out;
}

/** Cron triggers of the metadata, in order. */
export function cronTriggersOf(metadata: Metadata): unknown[] {
  return Array.isArray(metadata.cron_triggers) ? (metadata.cron_triggers as unknown[]) : [];
}

/** The next `count` times of a schedule strictly after `from` (UTC, minute resolution). */
export function nextCronTimes(schedule: string, from: Date, count: number): Date[] {
  const it = CronExpressionParser.parse(schedule, { currentDate: from, tz: 'UTC' });
  const out: Date[] = [];
  for (let i = 0; i < count; i++) out.push(it.next().toDate());
  return out;
}
