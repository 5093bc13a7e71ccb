/**
 * Subscription plans: how a GraphQL subscription becomes one SQL statement shared by many
 * subscribers (Hasura's GraphQL/Execute/Subscription/Plan.hs, in our words).
 *
 * ## Live queries
 *
 * A live query is a query re-run until the client stops it; the client gets the result on
 * subscribe, and again only when its bytes change. Change detection is polling, as in Hasura —
 * plus wake-ups from the ETL worker's commit notifications (wakeups.ts), which only decide *when*
 * to poll, never *what* a client sees.
 *
 * Running one statement per subscriber does not scale, so subscribers are grouped:
 *
 *     SubscriptionsState ─┬─ Poller  (role, parameterized statement)      one per distinct query shape
 *                         │   ├─ Cohort  (the values the statement reads)  one per distinct variables
 *                         │   │   └─ Subscriber                             one per client operation
 *
 * - **Poller**: one per (role, parameterized statement). "Parameterized" means every value is
 *   pulled out of the SQL text: query variables, session variables and also the *literals* of the
 *   query text ("synthetic variables"), so `sensor(id: 1)` and `sensor(id: 2)` share a poller. The
 *   poller's key is the role plus the statement text plus the few values that shape it (permission
 *   limits, JSON paths), so two documents that differ only in spacing, names of variables or
 *   literal values share one poller. Beyond Hasura, the values are numbered by where they are
 *   read, not by where they come from, so `(id: $id)` and `(id: 6)` share a poller too.
 * - **Cohort**: the subscribers of a poller whose values are identical — query variables, the
 *   session variables the statement reads, and the synthetic variables — all serialised into one
 *   JSON object, the cohort's variables. Subscribers of one cohort get the same bytes.
 * - **One statement per batch of cohorts**: the poller runs
 *
 *       SELECT _subs.result_id, _fld_resp.root
 *         FROM unnest($ids::int[], $vars::json[]) AS _subs(result_id, result_vars)
 *         LEFT OUTER JOIN LATERAL (SELECT json_build_object('alias', (<select>))::text AS root) AS _fld_resp ON true
 *
 *   where `<select>` is the ordinary translation of the query (translate/select.ts), except that
 *   every value is read from the cohort's row: `(_subs.result_vars->>'v0')::integer`. Hence the
 *   `ValueEmitter` of the translator: the multiplexer passes one that emits these reads and records
 *   each read as a *slot* of the cohort variables. Cohorts are cut into batches of
 *   HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE and the batches run concurrently.
 * - **Result hashing**: each cohort keeps the hash of its last result; a result whose hash is
 *   unchanged goes only to subscribers added since the previous poll, so every subscriber gets a
 *   first message and then only changes. An error goes to everyone.
 * - **Validation before joining**: one bad value would fail the statement of a whole batch, so a
 *   new cohort's values are cast first (`SELECT (v->>'p0')::integer, …`, Hasura's
 *   validateVariablesTx) and a failure is the subscriber's own `data-exception`.
 *
 * ## Streaming subscriptions (`<t>_stream`)
 *
 * A stream hands out the rows after a cursor, in cursor order, `batch_size` at a time (growing a
 * batch to keep rows tied on the last cursor value together: `FETCH FIRST n ROWS WITH TIES`), never
 * an empty batch; the cohort's cursor moves to the last value sent and stays put when nothing came.
 * Cohorts carry that state in their variables (slot `c`), so after each poll they are re-keyed and
 * cohorts that reached the same state merge.
 *
 * **Hasura's hole, and why a cursor alone cannot close it.** With several writers, a row can
 * *commit* after a row with a higher cursor value was already sent: writer A inserts ts=10, writer
 * B inserts ts=20 and commits, the poll sends 20 and moves the cursor to 20, then A commits 10 —
 * which is now behind the cursor and never sent. Holding the cursor back while writers are in
 * flight does not fix it in general: a writer that has not started yet (its batch still in Kafka)
 * may later insert any value, and the values of an in-flight transaction are invisible to the
 * poll. The only complete order is the order in which rows become *visible*.
 *
 * **Commit windows.** Tables that carry a commit-order column (`ingest_xid xid8 NOT NULL DEFAULT
 * pg_current_xact_id()`, see hasura/migrations; STREAMSYNC_ENGINE_STREAM_COMMIT_COLUMN) are
 * streamed by *snapshot differences*, the technique of PgQ: a cohort remembers two Postgres
 * snapshots `lo` and `hi`, and its current window is the rows visible in `hi` but not in `lo`
 * (`pg_visible_in_snapshot(ingest_xid, …)`). Within a window rows go out in cursor order after
 * `c`, batch by batch. When the window is exhausted, the next one is "visible now but not in `hi`"
 * — evaluated in the same statement, whose snapshot (`pg_current_snapshot()`) becomes the new
 * `hi`. A transaction is either visible in a snapshot or not, whatever its xid or its cursor
 * values, so every committed row falls in exactly one window: none is skipped, none is sent twice,
 * however many writers commit in whatever order. A row that commits late is sent in a later window
 * even if its cursor value is lower than one already sent (Hasura would drop it); with one writer
 * the windows follow the cursor and the output is Hasura's. The `initial_value` still bounds every
 * window. Index use: windows after the first are found through an index on the commit column (the
 * statement also gets the batch's lowest `xmin` as a plain parameter, so the planner sees how
 * recent it is); the first window walks the cursor index as Hasura does. A transaction that stays
 * open for long only widens the xid range scanned, it never delays other rows.
 * Tables without the column are streamed exactly as Hasura does.
 *
 * **Streams on a read replica.** Polls read from a replica when one is up (replicas/), and a
 * replica is behind the primary by however much WAL it has not replayed yet. Two things would make
 * commit windows skip rows there, and both are closed:
 *
 * 1. *A standby's own snapshot lies about running transactions.* On a hot standby,
 *    `pg_current_snapshot()` lists no running xids at all (Postgres keeps the standby's known
 *    running xids in the snapshot's `subxip`, which that function does not report): a transaction
 *    still open on the primary looks committed in it, so taking it as `hi` would put that
 *    transaction's rows before the window boundary, and they would never be sent. Only its `xmin`
 *    is true: every xid below it has finished on the primary and its commit or abort has been
 *    replayed. So on a standby the next snapshot is `hi` plus "every xid below the standby's
 *    xmin" (`xmin:xmin:` joined with `hi`, which keeps windows growing when `hi` came from the
 *    primary), and the second window is bounded by it explicitly
 *    (`pg_visible_in_snapshot(ingest_xid, next)`), not by the statement's own visibility. The
 *    cost: on a replica a writing transaction left open on the primary holds the next window back
 *    for as long as it stays open (on the primary it does not).
 * 2. *A window taken on one server, read on a server further behind.* A cohort's `hi` may come
 *    from the primary (reads fell back to it while the replica was down) or from a replica
 *    further ahead; a replica that has not replayed every commit `hi` counts would not see some of
 *    the window's rows, and the window would move past them. So every commit-window statement
 *    also returns where its server stood in the WAL once its snapshot was taken (the primary's
 *    insert position, a standby's replay position: both cover every commit the snapshot counts,
 *    as a commit is in the WAL before it becomes visible, and is visible on a standby once
 *    replayed), kept with the cohort (`horizonLsn`, not part of its variables); before polling on a
 *    replica, the poller reads `pg_last_wal_replay_lsn()` in a statement of its own (so the poll's
 *    snapshot, taken after it, sees at least that much) and holds back, unchanged, the cohorts
 *    whose position the replica has not reached (`engine_subscription_stream_replica_waits_total`).
 *
 * Replication lag therefore only delays a stream on a replica; it never skips a row or sends one
 * twice, and a stream moves between the primary and replicas (fallback, return) the same way.
 */
import { createHash } from 'node:crypto';
import { compile, sql, type Compiled, type SQL } from '@streamsync/database';
import { QErr } from '../errors.ts';
import {
  checkSessionVars,
  collectSessionVars,
  operationRoot,
  paramValue,
  planOf,
  prepare,
  withRecheck,
  type Built,
  type ExecOptions,
  type Prepared,
} from '../execute/planner.ts';
import type { EngineState } from '../execute/state.ts';
import type { AnnSelect, BoolExp, QueryIR, RootField, StreamCursor, Val } from '../ir/types.ts';
import { buildQueryIR, type ParamUse } from '../parse/select.ts';
import type { TableInfo } from '../schema/source.ts';
import type { Session } from '../session.ts';
import { castName, SelectTranslator, toPgParam, type ValueEmitter } from '../translate/select.ts';

/** One value a cohort's statement reads from the cohort variables. */
export type Slot =
  | { key: string; k: 'param'; use: ParamUse; pgType: string }
  | { key: string; k: 'synthetic'; text: string | null; pgType: string }
  | { key: string; k: 'session'; name: string; pgType: string }
  | { key: string; k: 'session_json' };

export interface StreamInfo {
  alias: string;
  /** slot holding the initial cursor value (text) */
  initialSlot: string;
  cursor: StreamCursor;
  /** streamed by commit windows (the table has the commit-order column) */
  commitOrdered: boolean;
}

export interface SubscriptionPlan {
  kind: 'live' | 'stream';
  role: string;
  /** the poller this plan belongs to: role, statement and fixed values */
  key: string;
  compiled: Compiled;
  /** `SELECT <casts>` of the slots: run before a new cohort joins */
  validation: Compiled | null;
  slots: Slot[];
  sessionVars: string[];
  /** tables the statement reads ("schema.name"); null when it may read anything (functions) */
  tables: Set<string> | null;
  /** the root table's series column is pinned by equality to this slot */
  series: { table: string; slot: string } | null;
  stream: StreamInfo | null;
  operationName: string | null;
  /** the role's time_limit (seconds) for each poll; null: none */
  timeLimit: number | null;
}

export type PlanOutcome =
  { k: 'subscription'; plan: SubscriptionPlan; values: CohortValues } | { k: 'other' };

/** The cohort variables: slot key → text (or the session object for `sj`). */
export type CohortValues = Record<string, string | null | Record<string, string>>;

/**
 * The most rows one stream poll reads for a cohort (rounded down to whole frames of its
 * batch_size, at least one): enough for one poll per wake-up to drain what a busy table commits
 * between two wake-ups, small enough to bound the memory of a stream that starts far back (it
 * polls again at once while rows keep coming).
 */
export const STREAM_ROWS_PER_POLL = 10_000;

/** The series column of the ETL worker's change notifications. */
export const SERIES_COLUMN = 'entity_id';
const MULTIPLE_ROOT_FIELDS = '_multiple_top_level_fields';
const VARS = sql.ident('_subs', 'result_vars');

/** What planning a subscription uses: the planner's options and the commit-order column. */
export interface PlanContext extends Pick<
  ExecOptions,
  'maxDepth' | 'maxFields' | 'stringifyNumeric' | 'limits'
> {
  commitColumn: string;
}

/**
 * The subscription plan of a request and the values of its cohort, or `other` for a query or a
 * mutation. Throws QErr with Hasura's message for anything the request gets wrong.
 */
export function planSubscription(
  state: EngineState,
  session: Session,
  req: unknown,
  ctx: PlanContext,
): PlanOutcome {
  const p = prepare(state, session, req, ctx.limits);
  if (p.op.type !== 'subscription') return { k: 'other' };
  const plan = planOf(p, () => buildPlan(p, ctx));
  checkSessionVars(plan.sessionVars, session);
  // a value the cached plan cannot take: plan afresh for Hasura's exact error
  return withRecheck(
    plan,
    () => buildPlan(p, ctx).plan,
    (pl) => ({ k: 'subscription', plan: pl, values: cohortValues(pl, p.values, session) }),
  );
}

function cohortValues(
  plan: SubscriptionPlan,
  values: Record<string, unknown>,
  session: Session,
): CohortValues {
  const out: CohortValues = {};
  for (const s of plan.slots) {
    switch (s.k) {
      case 'synthetic':
        out[s.key] = s.text;
        break;
      case 'session':
        out[s.key] = session.variables[s.name] ?? null;
        break;
      case 'session_json':
        out[s.key] = session.variables;
        break;
      case 'param':
        out[s.key] = pgText(paramValue(s.use, values));
        break;
    }
  }
  return out;
}

/** A parameter value as Postgres would read it in text form (node-postgres' rules). */
export function pgText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return arrayLiteral(v);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function arrayLiteral(xs: unknown[]): string {
  const parts = xs.map((x) => {
    if (x === null || x === undefined) return 'NULL';
    if (Array.isArray(x)) return arrayLiteral(x);
    // numbers and booleans need no quotes: `{1,2,3}`, as Hasura renders array variables
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    const t = pgText(x)!;
    return `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}

// ------------------------------------------------------------------ building

function buildPlan(p: Prepared, ctx: PlanContext): Built<SubscriptionPlan> {
  const { op, session } = p;
  const multiple = op.directives.some((d) => d.name.value === MULTIPLE_ROOT_FIELDS);
  // subscriptions have no Backend scenario: the role's ordinary schema
  const root = operationRoot(p, ctx, {
    backendOnly: false,
    directives: op.directives.filter((d) => d.name.value !== MULTIPLE_ROOT_FIELDS),
  });
  const fields = root.fields;
  if (fields.length === 0) throw new QErr('unexpected', 'empty selset for subscription', 500);
  if (fields.length > 1 && !multiple)
    throw new QErr('validation-failed', 'subscriptions must select one top level field', 200);
  const selectCtx = root.context();
  const ir = buildQueryIR(selectCtx, root.rootType, fields);
  const streams = ir.root.filter(([, f]) => f.k === 'stream');
  if (streams.length > 0 && ir.root.length > 1)
    throw new QErr('validation-failed', 'subscriptions must select one top level field', 200);
  if (ir.root.length > 50)
    throw new QErr('validation-failed', 'a subscription selects at most 50 root fields', 200);

  const emitter = new CohortEmitter(new Map(selectCtx.params.map((p) => [p.key, p])));
  const tr = new CohortTranslator(emitter);
  let statement: SQL;
  let stream: StreamInfo | null = null;
  if (streams.length === 1) {
    const [alias, f] = streams[0]! as [string, Extract<RootField, { k: 'stream' }>];
    const commitOrdered = f.select.table.pg.columns.some(
      (c) => c.name === ctx.commitColumn && c.type === 'xid8',
    );
    const built = tr.streamStatement(alias, f, commitOrdered ? ctx.commitColumn : null);
    statement = built.statement;
    stream = { alias, initialSlot: built.initialSlot, cursor: f.cursor, commitOrdered };
  } else {
    statement = tr.liveStatement(ir);
  }
  const compiled = compile(statement);
  const sessionVars = new Set<string>();
  collectSessionVars(ir, sessionVars);
  const fixed = JSON.stringify(compiled.values);
  const key = createHash('sha256')
    .update(
      `${stream ? 'stream' : 'live'}\u0000${session.role}\u0000${compiled.text}\u0000${fixed}`,
    )
    .digest('hex');
  const analysis = analyse(ir);
  let series: SubscriptionPlan['series'] = null;
  if (analysis.pin) {
    const slot = tr.slotOf.get(analysis.pin.val);
    if (slot) series = { table: analysis.pin.table, slot };
  }
  return {
    plan: {
      kind: stream ? 'stream' : 'live',
      role: session.role,
      key,
      compiled,
      validation: emitter.validation(),
      slots: emitter.slots,
      sessionVars: [...sessionVars],
      tables: analysis.tables,
      series,
      stream,
      operationName: op.name ?? null,
      timeLimit: p.limits.role.time,
    },
    structural: [...root.input.structural],
  };
}

/**
 * Emits reads of the cohort variables and records them as slots. Slots are numbered in the order
 * the translator reads them, whatever the value's origin, so `(id: $id)` with `$id = 6` and
 * `(id: 6)` compile to the same statement (one poller) and the same variables (one cohort).
 */
class CohortEmitter implements ValueEmitter {
  readonly slots: Slot[] = [];
  private readonly paramSlots = new Map<string, string>();
  private readonly sessionSlots = new Map<string, string>();
  lastSlot = '';

  constructor(private readonly params: Map<string, ParamUse>) {}

  static read(key: string, pgType: string): SQL {
    return sql`(${VARS}->>${sql.literal(key)})::${sql.type(castName(pgType))}`;
  }

  private next(): string {
    return `v${this.slots.length}`;
  }

  literal(value: unknown, pgType: string): SQL {
    const key = this.next();
    this.slots.push({ key, k: 'synthetic', text: pgText(toPgParam(value, pgType)), pgType });
    this.lastSlot = key;
    return CohortEmitter.read(key, pgType);
  }

  param(paramKey: string, pgType: string): SQL {
    let key = this.paramSlots.get(paramKey);
    if (!key) {
      const use = this.params.get(paramKey);
      if (!use) throw new Error(`no parameter ${paramKey}`);
      key = this.next();
      this.paramSlots.set(paramKey, key);
      this.slots.push({ key, k: 'param', use, pgType });
    }
    this.lastSlot = key;
    return CohortEmitter.read(key, pgType);
  }

  session(name: string, pgType: string): SQL {
    let key = this.sessionSlots.get(name);
    if (!key) {
      key = this.next();
      this.sessionSlots.set(name, key);
      this.slots.push({ key, k: 'session', name, pgType });
    }
    this.lastSlot = key;
    return CohortEmitter.read(key, pgType);
  }

  sessionJson(): SQL {
    if (!this.slots.some((s) => s.key === 'sj')) this.slots.push({ key: 'sj', k: 'session_json' });
    return sql`(${VARS}->'sj')`;
  }

  /** The cast check of every slot, or null when there is nothing to check. */
  validation(): Compiled | null {
    const casts = this.slots
      .filter((s): s is Exclude<Slot, { k: 'session_json' }> => s.k !== 'session_json')
      .map((s) => CohortEmitter.read(s.key, s.pgType));
    if (casts.length === 0) return null;
    return compile(
      sql`SELECT ${sql.join(casts, ', ')} FROM (SELECT ${sql.placeholder('vars', 'json')} AS "result_vars") AS "_subs"`,
    );
  }
}

/** The translator with the cohort emitter, plus the two statement shapes. */
class CohortTranslator extends SelectTranslator {
  readonly slotOf = new Map<Val, string>();

  constructor(private readonly emitter: CohortEmitter) {
    super(emitter);
  }

  override val(v: Val): SQL {
    const out = super.val(v);
    if (v.k !== 'session_json') this.slotOf.set(v, this.emitter.lastSlot);
    return out;
  }

  liveStatement(ir: QueryIR): SQL {
    const pairs: SQL[] = [];
    for (const [alias, f] of ir.root) {
      let e: SQL;
      switch (f.k) {
        case 'select':
          e = sql`(${this.arraySelect(f.select, null)})`;
          break;
        case 'select_one':
          e = sql`(${this.objectSelect(f.select, null)})`;
          break;
        case 'agg':
          e = sql`(${this.aggSelect(f.agg, null)})`;
          break;
        case 'connection':
          e = sql`(${this.connection(f.conn, null)})`;
          break;
        case 'typename':
          e = sql.literal(f.name);
          break;
        case 'static':
          e = sql.value(JSON.stringify(f.value), 'json');
          break;
        case 'stream':
          throw new Error('a stream in a live statement');
      }
      pairs.push(sql`${sql.literal(alias)}, ${e}`);
    }
    return sql`SELECT "_subs"."result_id", "_fld_resp"."root" FROM unnest(${sql.placeholder('ids', 'integer[]')}, ${sql.placeholder('vars', 'json[]')}) AS "_subs"("result_id", "result_vars") LEFT OUTER JOIN LATERAL (SELECT (json_build_object(${sql.join(pairs, ', ')}))::text AS "root") AS "_fld_resp" ON true`;
  }

  streamStatement(
    alias: string,
    f: Extract<RootField, { k: 'stream' }>,
    commitColumn: string | null,
  ): { statement: SQL; initialSlot: string } {
    const s: AnnSelect = f.select;
    const t = s.table;
    const cur = f.cursor;
    const a = this.alias('t');
    const conds: SQL[] = [];
    const perm = this.boolExp(s.permFilter, a, t);
    if (perm) conds.push(perm);
    if (s.args.where) {
      const w = this.boolExp(s.args.where, a, t);
      if (w) conds.push(w);
    }
    const initial = this.val(cur.initial);
    const initialSlot = this.emitter.lastSlot;
    const batch = this.val(f.batchSize);
    const limit =
      s.permLimit !== null ? sql`least(${batch}, ${sql.value(s.permLimit, 'integer')})` : batch;
    // a cursor value the role cannot read is null, which no bound passes
    const col = this.readable(sql.ident(a, cur.column), cur.cell, a, t);
    const dir = sql.keyword(cur.dir);
    const cmp = sql.keyword(cur.dir === 'ASC' ? '>' : '<');
    const from = sql`${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(a)}`;
    const after = (bound: SQL) => sql`${col} ${cmp} ${bound}`;
    const stateC = CohortEmitter.read('c', cur.pgType);

    const u = this.alias('s');
    const ucol = this.readable(sql.ident(u, cur.column), cur.cell, u, t);
    const row = this.rowJson(t, s.fields, u, true);
    // A poll takes every row it can up to STREAM_ROWS_PER_POLL (whole frames of `limit`) and the
    // poller cuts them into frames of `limit` rows (plus ties), so one poll per wake-up keeps up
    // with any rate instead of one frame per statement. Rows come back one JSON text each, in
    // cursor order, with their cursor values for the cut.
    // (a batch_size of 0 reads nothing, as before, rather than dividing by zero)
    const perPoll = sql`((${limit}) * greatest(1, ${sql.value(STREAM_ROWS_PER_POLL, 'integer')} / nullif(${limit}, 0)))`;
    const window = (extra: SQL[]): SQL =>
      sql`SELECT ${sql.ident(a)}.* FROM ${from} WHERE ${sql.join([...conds, ...extra], ' AND ')} ORDER BY ${col} ${dir} FETCH FIRST ${perPoll} ROWS WITH TIES`;
    const rowsOf = (cte: string) =>
      sql`(SELECT array_agg((${row})::text ORDER BY ${ucol} ${dir}) FROM ${sql.ident(cte)} AS ${sql.ident(u)})`;
    const cursorsOf = (cte: string) =>
      sql`(SELECT array_agg((${ucol})::text ORDER BY ${ucol} ${dir}) FROM ${sql.ident(cte)} AS ${sql.ident(u)})`;
    const frame = sql`(${limit}) AS "frame"`;
    let lateral: SQL;
    if (!commitColumn) {
      lateral = sql`WITH "_w1" AS (${window([after(stateC)])}) SELECT ${rowsOf('_w1')} AS "rows1", ${cursorsOf('_w1')} AS "cursors1", NULL::text[] AS "rows2", NULL::text[] AS "cursors2", ${frame}, false AS "advanced"`;
    } else {
      const x = sql.ident(a, commitColumn);
      const lo = sql`(${VARS}->>'lo')::pg_snapshot`;
      const hi = sql`(${VARS}->>'hi')::pg_snapshot`;
      const w1 = window([
        // an empty window (a stream's first poll) is skipped without scanning anything
        sql`(${VARS}->>'lo') IS DISTINCT FROM (${VARS}->>'hi')`,
        after(stateC),
        sql`${x} >= pg_snapshot_xmin(${lo})`,
        sql`${x} >= ${sql.placeholder('lomin', 'xid8')}`,
        sql`NOT pg_visible_in_snapshot(${x}, ${lo})`,
        sql`pg_visible_in_snapshot(${x}, ${hi})`,
      ]);
      // the current window is exhausted when it gave less than a poll's worth: the next window
      // is read in the same statement, from the initial value again
      const exhausted = sql`(SELECT count(*) FROM "_w1") < ${perPoll}`;
      const w2 = window([
        exhausted,
        after(initial),
        sql`${x} >= pg_snapshot_xmin(${hi})`,
        sql`${x} >= ${sql.placeholder('himin', 'xid8')}`,
        sql`NOT pg_visible_in_snapshot(${x}, ${hi})`,
        sql`pg_visible_in_snapshot(${x}, "_h"."next")`,
      ]);
      lateral = sql`WITH "_w1" AS (${w1}), "_w2" AS (${w2}) SELECT ${rowsOf('_w1')} AS "rows1", ${cursorsOf('_w1')} AS "cursors1", ${rowsOf('_w2')} AS "rows2", ${cursorsOf('_w2')} AS "cursors2", ${frame}, ${exhausted} AS "advanced"`;
    }
    const subs = sql`unnest(${sql.placeholder('ids', 'integer[]')}, ${sql.placeholder('vars', 'json[]')}) AS "_subs"("result_id", "result_vars")`;
    if (!commitColumn) {
      const statement = sql`SELECT "_subs"."result_id", "_fld_resp".*, pg_current_snapshot()::text AS "snap" FROM ${subs} LEFT OUTER JOIN LATERAL (${lateral}) AS "_fld_resp" ON true`;
      return { statement, initialSlot };
    }
    // the next window's upper snapshot, and where this server stands in the WAL (plan.ts header,
    // "Streams on a read replica")
    const hi = sql`(${VARS}->>'hi')::pg_snapshot`;
    const xmin = sql`pg_snapshot_xmin(pg_current_snapshot())`;
    const standbyNext = sql`(greatest(pg_snapshot_xmin(${hi}), ${xmin})::text || ':' || greatest(pg_snapshot_xmax(${hi}), ${xmin})::text || ':' || coalesce((SELECT string_agg("x"::text, ',' ORDER BY "x") FROM pg_snapshot_xip(${hi}) AS "x" WHERE "x" >= ${xmin}), ''))::pg_snapshot`;
    const next = sql`CASE WHEN pg_is_in_recovery() THEN ${standbyNext} ELSE pg_current_snapshot() END`;
    const lsn = sql`(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text`;
    const statement = sql`SELECT "_subs"."result_id", "_fld_resp".*, "_h"."next"::text AS "snap", ${lsn} AS "lsn" FROM ${subs} CROSS JOIN LATERAL (SELECT ${next} AS "next") AS "_h" LEFT OUTER JOIN LATERAL (${lateral}) AS "_fld_resp" ON true`;
    return { statement, initialSlot };
  }
}

// ------------------------------------------------------------------ analysis

interface Analysis {
  tables: Set<string> | null;
  pin: { table: string; val: Val } | null;
}

function tableName(t: TableInfo): string {
  return `${t.qn.schema}.${t.qn.name}`;
}

/** Tables the IR reads (null: unknown, because a function may read anything) and a series pin. */
function analyse(ir: QueryIR): Analysis {
  const tables = new Set<string>();
  let unknown = false;
  const seen = new Set<object>();
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) return x.forEach(walk);
    if (x instanceof Map) return [...x.values()].forEach(walk);
    const o = x as Record<string, unknown>;
    if ('columnsByName' in o && 'qn' in o) {
      tables.add(tableName(o as unknown as TableInfo));
      return;
    }
    if ('tableArgIndex' in o || (o.k === 'fn' && 'fn' in o)) unknown = true;
    Object.values(o).forEach(walk);
  };
  walk(ir.root);
  let pin: Analysis['pin'] = null;
  if (ir.root.length === 1) {
    const f = ir.root[0]![1];
    const sel =
      f.k === 'select' || f.k === 'select_one' || f.k === 'stream'
        ? f.select
        : f.k === 'agg'
          ? f.agg.select
          : null;
    if (sel && sel.from.k === 'table' && sel.args.where) {
      const val = pinnedBy(sel.args.where);
      if (val) pin = { table: tableName(sel.table), val };
    }
  }
  return { tables: unknown ? null : tables, pin };
}

/** The value `entity_id` is pinned to by `_eq` at the top level of a where, if any. */
function pinnedBy(e: BoolExp): Val | null {
  if (e.k === 'and') {
    for (const item of e.items) {
      const v = pinnedBy(item);
      if (v) return v;
    }
    return null;
  }
  if (e.k === 'col' && e.column === SERIES_COLUMN) {
    const eq = e.ops.find((o) => o.op === '_eq' && o.value && o.value.k !== 'session_json');
    return eq?.value ?? null;
  }
  return null;
}
