/**
 * One error type for the whole engine, shaped like Hasura's QErr: a code from Hasura's Code list,
 * a message, a JSON path, an HTTP status and optional internal detail. Two encoders give the two
 * wire shapes Hasura uses: GraphQL `{message, extensions: {path, code}}` and REST
 * `{error, path, code}`.
 */

/** Hasura's error codes (`instance ToJSON Code` in Hasura/Base/Error.hs). */
export type ErrorCode =
  | 'access-denied'
  | 'already-exists'
  | 'already-tracked'
  | 'already-untracked'
  | 'bad-request'
  | 'busy'
  | 'concurrent-update'
  | 'coercion-error'
  | 'conflict'
  | 'constraint-error'
  | 'constraint-violation'
  | 'cyclic-dependency'
  | 'data-exception'
  | 'dependency-error'
  | 'invalid-configuration'
  | 'invalid-headers'
  | 'invalid-json'
  | 'invalid-params'
  | 'invalid-jwt'
  | 'jwt-invalid-claims'
  | 'jwt-missing-role-claims'
  | 'method-not-allowed'
  | 'not-exists'
  | 'not-found'
  | 'not-supported'
  | 'parse-failed'
  | 'permission-denied'
  | 'permission-error'
  | 'postgres-error'
  | 'postgres-max-connections-error'
  | 'remote-schema-conflicts'
  | 'remote-schema-error'
  | 'start-failed'
  | 'unexpected'
  | 'unexpected-payload'
  | 'validation-failed'
  | 'template-resolution-failed'
  | 'timeout';

export type PathElem = string | number;

/** aeson's name of a JSON value's kind, for "expected X, but encountered Y" (absent is Null). */
export function jsonKind(v: unknown): string {
  if (v === null || v === undefined) return 'Null';
  if (Array.isArray(v)) return 'Array';
  switch (typeof v) {
    case 'string':
      return 'String';
    case 'number':
      return 'Number';
    case 'boolean':
      return 'Boolean';
    default:
      return 'Object';
  }
}

export class QErr extends Error {
  /** JSON path segments below `$`, outermost first. */
  path: PathElem[];
  /**
   * An action webhook's own error (Hasura's ActionWebhookErrorResponse): its code, which need not
   * be one of Hasura's, and its `extensions`, which replace the GraphQL error's wholesale.
   */
  webhook?: { code: string; extensions?: Record<string, unknown> };
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
    path: PathElem[] = [],
    public internal?: unknown,
  ) {
    super(message);
    this.name = 'QErr';
    this.path = path;
  }

  /** Prefix the path as the error bubbles up (Hasura's withPathK / withPathI). */
  prefixed(...segments: PathElem[]): this {
    this.path = [...segments, ...this.path];
    return this;
  }
}

export const err500 = (message: string, internal?: unknown) =>
  new QErr('unexpected', message, 500, [], internal);

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `$.selectionSet.author.args.where[0]` — Hasura's rendering of a JSON path. */
export function renderPath(path: readonly PathElem[]): string {
  let out = '$';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (SIMPLE_KEY.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p).replace(/^"|"$/g, "'")}]`;
  }
  return out;
}

/** Run `fn` with `segments` prefixed to the path of any QErr it throws. */
export function withPath<T>(segments: PathElem[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof QErr) e.prefixed(...segments);
    throw e;
  }
}

export interface GqlErrorJson {
  message: string;
  extensions: { path: string; code: string; internal?: unknown };
}

export function encodeGqlError(e: QErr, includeInternal: boolean): GqlErrorJson {
  if (e.webhook?.extensions)
    return { message: e.message, extensions: e.webhook.extensions as GqlErrorJson['extensions'] };
  const code = e.webhook?.code ?? e.code;
  const extensions: GqlErrorJson['extensions'] = { path: renderPath(e.path), code };
  if (includeInternal && e.internal !== undefined) extensions.internal = e.internal;
  return { message: e.message, extensions };
}

export interface RestErrorJson {
  error: string;
  path: string;
  code: string;
  internal?: unknown;
}

export function encodeRestError(e: QErr, includeInternal: boolean): RestErrorJson {
  const out: RestErrorJson = { error: e.message, path: renderPath(e.path), code: e.code };
  if (includeInternal && e.internal !== undefined) out.internal = e.internal;
  return out;
}

/** Turn anything thrown into a QErr; unknown errors become 500 `unexpected` with the detail internal. */
export function toQErr(e: unknown): QErr {
  if (e instanceof QErr) return e;
  const err = e as Error;
  return err500('internal error', { message: err?.message ?? String(e) });
}

/** Postgres error as Hasura reports it in `internal.error`. */
export interface PgErrorLike {
  code?: string;
  message?: string;
  hint?: string;
  detail?: string;
  constraint?: string;
}

export function pgInternal(
  e: PgErrorLike,
  statement?: string,
  args: unknown[] = [],
  prepared = false,
): unknown {
  return {
    arguments: args,
    error: {
      description: e.detail ?? null,
      exec_status: 'FatalError',
      hint: e.hint ?? null,
      message: e.message ?? '',
      status_code: e.code ?? '',
    },
    prepared,
    statement: statement ?? '',
  };
}

/**
 * Map a Postgres error raised while executing a GraphQL operation to Hasura's QErr
 * (Hasura/Backends/Postgres/Connection: dmlTxErrorHandler / mkTxErrorHandler). The errors a
 * user can cause — integrity constraint violations (class 23), data exceptions (class 22), an
 * undefined object or a missing unique constraint (42704, 42P10) — are 400s with Postgres'
 * message and no internal detail; anything else is the 500 "database query error" with the
 * statement and the Postgres error in `internal`.
 */
export function pgQueryError(e: PgErrorLike, statement?: string, args?: unknown[]): QErr {
  // raised while running a statement: a WebSocket sends it as an execution error (issue 6);
  // already ours (a statement the time limit cancelled): as it is
  const q = e instanceof QErr ? e : pgQueryErrorOf(e, statement, args);
  return Object.assign(q, { postExec: true });
}

function pgQueryErrorOf(e: PgErrorLike, statement?: string, args?: unknown[]): QErr {
  const state = e.code ?? '';
  const msg = e.message ?? 'postgres query error';
  if (state.startsWith('23')) {
    const prefix: Record<string, string> = {
      '23001': 'Can not delete or update due to data being referred. ',
      '23502': 'Not-NULL violation. ',
      '23503': 'Foreign key violation. ',
      '23505': 'Uniqueness violation. ',
      '23514': 'Check constraint violation. ',
      '23P01': 'Exclusion violation. ',
    };
    const code = state === '23514' ? 'permission-error' : 'constraint-violation';
    return new QErr(code, (prefix[state] ?? '') + msg, 400);
  }
  if (state.startsWith('22'))
    return new QErr(state === '22025' ? 'bad-request' : 'data-exception', msg, 400);
  if (state === '42704') return new QErr('constraint-error', msg, 400);
  if (state === '42P10') {
    return new QErr(
      'constraint-error',
      'there is no unique or exclusion constraint on target column(s)',
      400,
    );
  }
  const internal = pgInternal(e, statement, args ?? [], true);
  if (state === '53300')
    return new QErr(
      'postgres-max-connections-error',
      'database connection error',
      500,
      [],
      internal,
    );
  if (state.startsWith('08') || /ECONN|terminated|timeout/i.test(msg)) {
    return new QErr('postgres-error', 'connection error', 500, [], internal);
  }
  return new QErr('unexpected', 'database query error', 500, [], internal);
}
