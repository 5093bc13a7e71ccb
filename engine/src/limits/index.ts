/**
 * Request limits, as one stage in front of planning: a request is measured and refused before
 * any of its work is done. The stage is narrow — document text, variables and the limits of the
 * request's role in, a parsed document or a Hasura-shaped QErr out — so every entry point
 * (queries, mutations and subscriptions, over HTTP and WebSocket) calls the same few functions.
 *
 * Two kinds of limit:
 * - **caps** protect the engine itself and hold for every role, admin included: bracket nesting
 *   and tokens of the text, field depth and count, batch size, and the nesting, list length and
 *   number of input values (settings);
 * - **policy**: Hasura's `api_limits` metadata (api-limits.ts) — depth, nodes, batch, time, rate
 *   — with the engine's defaults for non-admin roles where the metadata is silent.
 *
 * Every refusal is a LimitRefusal, whose `kind` is counted in `engine_limit_refusals_total`.
 */
import type { DocumentNode } from 'graphql';
import { QErr, type ErrorCode } from '../errors.ts';
import type { Metadata } from '../metadata/types.ts';
import {
  limitsForRole,
  parseApiLimits,
  type ApiLimitsMeta,
  type LimitDefaults,
  type RoleLimits,
} from '../metadata/api-limits.ts';
import { measureDocument, parseWithinCaps } from './document-cost.ts';
import { measureInput } from './input-size.ts';
import { RateLimiter } from './rate-limiter.ts';

export { parseApiLimits, type ApiLimitsMeta, type RoleLimits } from '../metadata/api-limits.ts';

export type RefusalKind =
  | 'depth'
  | 'nodes'
  | 'batch'
  | 'rate'
  | 'time'
  | 'nesting'
  | 'tokens'
  | 'input_depth'
  | 'list_length'
  | 'input_values';

export class LimitRefusal extends QErr {
  constructor(
    readonly kind: RefusalKind,
    code: ErrorCode,
    message: string,
    status = 400,
    path: Array<string | number> = [],
  ) {
    super(code, message, status, path);
  }
}

export interface LimitCaps {
  maxNesting: number;
  maxTokens: number;
  maxDepth: number;
  maxNodes: number;
  maxBatch: number;
  maxInputDepth: number;
  maxListLength: number;
  maxInputValues: number;
}

export interface LimitSettings {
  caps: LimitCaps;
  defaults: LimitDefaults;
}

/** The limits a request is held to: the caps, and its role's policy. */
export interface RequestLimits {
  caps: LimitCaps;
  role: RoleLimits;
}

const refuse = (kind: RefusalKind, message: string, path: Array<string | number> = []) =>
  new LimitRefusal(kind, 'validation-failed', message, 200, path);

/** Parse `text` and check its cost, before anything else is done with it. */
export function admitDocument(
  text: unknown,
  operationName: string | null | undefined,
  limits: RequestLimits,
): DocumentNode {
  const { caps, role } = limits;
  let doc: DocumentNode;
  try {
    doc = parseWithinCaps(text, { maxNesting: caps.maxNesting, maxTokens: caps.maxTokens });
  } catch (e) {
    if (e instanceof QErr && /nests more than/.test(e.message))
      throw refuse('nesting', e.message, ['query']);
    if (e instanceof QErr && /tokens$/.test(e.message))
      throw refuse('tokens', e.message, ['query']);
    throw e;
  }
  const cost = measureDocument(doc, operationName);
  if (cost.nesting > caps.maxNesting)
    throw refuse('nesting', `the query nests more than ${caps.maxNesting} levels`, ['query']);
  const depth = Math.min(caps.maxDepth, role.depth ?? Infinity);
  if (cost.depth > depth)
    throw refuse(
      'depth',
      `the query has a depth of ${cost.depth}, more than the limit of ${depth}`,
    );
  const nodes = Math.min(caps.maxNodes, role.nodes ?? Infinity);
  if (cost.nodes > nodes)
    throw refuse(
      'nodes',
      `the query has ${cost.nodes} nodes (fields, counted through fragments), more than the limit of ${nodes}`,
    );
  checkInputSize(cost.inputDepth, cost.longestList, 0, caps, ['query']);
  return doc;
}

function checkInputSize(
  depth: number,
  longestList: number,
  values: number,
  caps: LimitCaps,
  path: Array<string | number>,
): void {
  if (depth > caps.maxInputDepth)
    throw refuse(
      'input_depth',
      `an input value nests more than ${caps.maxInputDepth} levels`,
      path,
    );
  if (longestList > caps.maxListLength)
    throw refuse(
      'list_length',
      `an input list has ${longestList} elements, more than the limit of ${caps.maxListLength}`,
      path,
    );
  if (values > caps.maxInputValues)
    throw refuse(
      'input_values',
      `the variables hold more than ${caps.maxInputValues} values`,
      path,
    );
}

/** Check the size of a request's variables (a non-object is left to the request-shape check). */
export function admitVariables(variables: unknown, limits: RequestLimits): void {
  if (!variables || typeof variables !== 'object' || Array.isArray(variables)) return;
  const { caps } = limits;
  let values = 0;
  for (const [name, v] of Object.entries(variables as Record<string, unknown>)) {
    const size = measureInput(v, {
      maxDepth: caps.maxInputDepth,
      maxListLength: caps.maxListLength,
      maxValues: caps.maxInputValues - values,
    });
    values += size.values;
    checkInputSize(size.depth, size.longestList, values, caps, ['variables', name]);
  }
}

/** Check the number of operations in a batched request. */
export function admitBatch(size: number, limits: RequestLimits): void {
  const max = Math.min(limits.caps.maxBatch, limits.role.batch ?? Infinity);
  if (size > max)
    throw new LimitRefusal(
      'batch',
      'bad-request',
      `too many requests in one batch (limit ${max})`,
      400,
    );
}

/** The error of a statement cancelled by the role's time limit. */
export function timeLimitError(seconds: number): LimitRefusal {
  return new LimitRefusal(
    'time',
    'timeout',
    `the operation exceeded the time limit of ${seconds} seconds`,
    400,
  );
}

export interface Client {
  role: string;
  isAdmin: boolean;
  variables: Record<string, string>;
}

/**
 * The engine's limits: settings from the environment, the rate limiter's counts, and the
 * api_limits of each metadata version read once.
 */
export class EngineLimits {
  readonly rate = new RateLimiter();
  private readonly parsed = new WeakMap<Metadata, ApiLimitsMeta | undefined>();

  constructor(
    readonly settings: LimitSettings,
    private readonly onRefusal: (kind: RefusalKind) => void = () => {},
  ) {}

  /** The limits of `client`'s requests under `metadata`. */
  forClient(metadata: Metadata, client: Client): RequestLimits {
    let meta = this.parsed.get(metadata);
    if (!this.parsed.has(metadata)) {
      try {
        meta = metadata.api_limits ? parseApiLimits(metadata.api_limits) : undefined;
      } catch {
        // stored before it was checked: hold roles to the defaults rather than to nothing
        meta = undefined;
      }
      this.parsed.set(metadata, meta);
    }
    return {
      caps: this.settings.caps,
      role: limitsForRole(meta, client.role, client.isAdmin, this.settings.defaults),
    };
  }

  /** Count `n` operations of `client` against its rate limit; throws (uncounted) when over it. */
  admitRate(limits: RequestLimits, client: Client, ip: string | undefined, n = 1): void {
    const rl = limits.role.rate;
    if (!rl) return;
    if (
      this.rate.take(RateLimiter.key(rl, client.role, ip, client.variables), rl.max_reqs_per_min, n)
    )
      return;
    throw new LimitRefusal(
      'rate',
      'bad-request',
      `rate limit exceeded: at most ${rl.max_reqs_per_min} operations per minute`,
      429,
    );
  }

  /** Count a refusal (returns it, to be thrown). */
  refused<E>(e: E): E {
    if (e instanceof LimitRefusal) this.onRefusal(e.kind);
    return e;
  }
}
