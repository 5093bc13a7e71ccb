/**
 * The set-based statements of a batch per target table. The rows themselves go in with COPY
 * (copy-rows.ts) when no key is already stored, the rollups then added from buckets the worker
 * aggregated (`addRollups`). Otherwise, and for `on_duplicate = 'update'`, the conflict-aware path:
 * one INSERT … SELECT FROM unnest(…) of every row (values travel as one array parameter per
 * column), with the per-minute and per-hour rollups of the rows actually inserted maintained in the
 * same statement, so a redelivered point that the key already holds is neither stored nor counted
 * twice.
 */
import { sql, type SQL } from '@streamsync/database';
import type { CompiledPipeline } from '../pipeline/types.ts';

/** The column arrays of one pipeline's rows in a batch. */
export interface RowArrays {
  /** entities.id per row (null when the pipeline has no entity) */
  entityIds: number[] | null;
  /** µs since the epoch per row */
  tsUs: number[];
  /** one array per CompiledPipeline.columns entry */
  columns: Array<Array<number | string | boolean | null>>;
}

const ORIGIN = sql`timestamptz '2000-01-01 00:00:00+00'`;

/**
 * Fix (found by bench/fuzz/kafka.ts: a valid float8 point dead-lettered as "22003: value out of
 * range: overflow"): two points near the largest double in one bucket overflow its sum, and
 * Postgres raises on float8 overflow where IEEE arithmetic gives ±Infinity. Sums of rollups now
 * saturate to ±Infinity (what the point values add up to, as a double), so every valid point is
 * stored and counted; the bucket's average then says Infinity, which is the truth in float8.
 */
const FLOAT8_MAX = sql`float8 '1.7976931348623157e308'`;
const SATURATING_SUM_MERGE = sql`CASE
        WHEN (r.sum > 0) = (EXCLUDED.sum > 0) AND abs(r.sum) > ${FLOAT8_MAX} - abs(EXCLUDED.sum)
        THEN CASE WHEN r.sum > 0 THEN float8 'Infinity' ELSE float8 '-Infinity' END
        ELSE r.sum + EXCLUDED.sum END`;

/** sum(value) of float8 values, exact in numeric and saturating to ±Infinity past float8's range. */
function saturatingSum(value: SQL): SQL {
  // the same aggregate three times is computed once
  const s = sql`sum(${value}::numeric)`;
  return sql`CASE WHEN abs(${s}) > ${FLOAT8_MAX}::numeric
              THEN sign(${s})::float8 * float8 'Infinity' ELSE ${s}::float8 END`;
}

/** Adding a batch's bucket to the stored one (`r`): counts and sums add, extremes widen, newest wins. */
const MERGE_INTO_BUCKET = sql`ON CONFLICT (stream, entity_id, metric, bucket) DO UPDATE SET
      count = r.count + EXCLUDED.count,
      min = least(r.min, EXCLUDED.min),
      max = greatest(r.max, EXCLUDED.max),
      sum = ${SATURATING_SUM_MERGE},
      last = CASE WHEN EXCLUDED.last_ts >= r.last_ts THEN EXCLUDED.last ELSE r.last END,
      last_ts = greatest(r.last_ts, EXCLUDED.last_ts)`;

/**
 * An array parameter. Arrays of numbers (and nulls) are written as Postgres array text here, which
 * costs a join instead of node-postgres' per-element escaping (a tenth of the worker's CPU in
 * bench/ingest); anything else is left to node-postgres. Still one parameter, never inlined.
 */
export function arrayParam(values: ReadonlyArray<unknown>, elementType: string): SQL {
  let numeric = true;
  for (const v of values) {
    if (v !== null && typeof v !== 'number') {
      numeric = false;
      break;
    }
  }
  if (!numeric) return sql.value(values, `${elementType}[]`);
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | null;
    if (i > 0) text += ',';
    // a number's shortest round-trip form is exact for float8, and digits for int8
    // infinities are float8 values (a saturated rollup sum); NaN is no value
    text +=
      v === null || Number.isNaN(v)
        ? 'NULL'
        : Number.isFinite(v)
          ? String(v)
          : v > 0
            ? 'Infinity'
            : '-Infinity';
  }
  return sql.value(`${text}}`, `${elementType}[]`);
}

/** Columns in the order of the unnest() arguments. */
function sourceColumns(p: CompiledPipeline, rows: RowArrays): Array<{ name: string; arg: SQL }> {
  const out: Array<{ name: string; arg: SQL }> = [];
  if (p.entityKind) out.push({ name: 'entity_id', arg: arrayParam(rows.entityIds!, 'int8') });
  out.push({ name: p.timeColumn, arg: arrayParam(rows.tsUs, 'int8') });
  p.columns.forEach((c, i) =>
    out.push({ name: c.name, arg: arrayParam(rows.columns[i]!, c.sqlType) }),
  );
  return out;
}

function conflictClause(p: CompiledPipeline): SQL {
  const keys = sql.join(
    p.keyColumns.map((k) => sql.ident(k)),
    ', ',
  );
  const keySet = new Set(p.keyColumns);
  const updatable = p.columns.filter((c) => !keySet.has(c.name));
  if (p.onDuplicate === 'ignore' || updatable.length === 0) {
    return sql`ON CONFLICT (${keys}) DO NOTHING`;
  }
  return sql`ON CONFLICT (${keys}) DO UPDATE SET ${sql.join(
    updatable.map((c) => sql`${sql.ident(c.name)} = EXCLUDED.${sql.ident(c.name)}`),
    ', ',
  )}`;
}

/** SELECT list turning the unnest() columns into the table's: the time column from µs. */
function insertSelect(p: CompiledPipeline, cols: Array<{ name: string }>): SQL {
  return sql.join(
    cols.map((c, i) =>
      c.name === p.timeColumn
        ? sql`timestamptz 'epoch' + ${sql.ident(`c${i}`)} * interval '1 microsecond'`
        : sql.ident(`c${i}`),
    ),
    ', ',
  );
}

// Fix (seen in dead-letters.test.ts: "deadlock detected" on rollups_1m): the transactions of two
// partitions that touch the same buckets upserted them in different orders and deadlocked (both
// stall for deadlock_timeout, then one is retried). Both rollup statements now upsert in key order
// (ORDER BY 2, 3, 4), so concurrent batches take the bucket row locks in the same order.
function rollupInsert(
  table: 'rollups_1m' | 'rollups_1h',
  width: string,
  stream: string,
  points: SQL,
): SQL {
  return sql`INSERT INTO ${sql.ident('public', table)} AS r
      (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
    SELECT ${sql.value(stream)}, entity_id, metric,
           date_bin(${sql.value(width)}::interval, ts, ${ORIGIN}) AS bucket,
           count(*), min(value), max(value), ${saturatingSum(sql`value`)},
           (array_agg(value ORDER BY ts DESC))[1], max(ts)
      FROM ${points} GROUP BY 2, 3, 4
      ORDER BY 2, 3, 4
    ${MERGE_INTO_BUCKET}`;
}

/** The INSERT … SELECT FROM unnest(…) of the rows, with the pipeline's conflict clause. */
function plainInsert(p: CompiledPipeline, rows: RowArrays): SQL {
  const cols = sourceColumns(p, rows);
  const names = sql.join(
    cols.map((c) => sql.ident(c.name)),
    ', ',
  );
  const aliases = sql.join(
    cols.map((_, i) => sql.ident(`c${i}`)),
    ', ',
  );
  const src = sql`unnest(${sql.join(
    cols.map((c) => c.arg),
    ', ',
  )}) AS s(${aliases})`;
  return sql`INSERT INTO ${sql.ident(p.schema, p.table)} (${names})
    SELECT ${insertSelect(p, cols)} FROM ${src}
    ${conflictClause(p)}`;
}

/** Rollup buckets aggregated by the worker, one array per field (see rollups.ts). */
export interface BucketArrays {
  entityIds: number[];
  metrics: string[];
  /** bucket start, ms since the epoch */
  bucketMs: number[];
  counts: number[];
  mins: number[];
  maxs: number[];
  sums: number[];
  lasts: number[];
  /** time of the newest point, µs since the epoch */
  lastTsUs: number[];
}

function mergeBuckets(table: 'rollups_1m' | 'rollups_1h', stream: string, b: BucketArrays): SQL {
  return sql`INSERT INTO ${sql.ident('public', table)} AS r
      (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
    SELECT ${sql.value(stream)}, e, m, timestamptz 'epoch' + bk * interval '1 millisecond',
           c, mn, mx, s, l, timestamptz 'epoch' + lt * interval '1 microsecond'
      FROM unnest(${arrayParam(b.entityIds, 'int8')}, ${sql.value(b.metrics, 'text[]')},
                  ${arrayParam(b.bucketMs, 'int8')}, ${arrayParam(b.counts, 'int8')},
                  ${arrayParam(b.mins, 'float8')}, ${arrayParam(b.maxs, 'float8')},
                  ${arrayParam(b.sums, 'float8')}, ${arrayParam(b.lasts, 'float8')},
                  ${arrayParam(b.lastTsUs, 'int8')}) AS u(e, m, bk, c, mn, mx, s, l, lt)
     -- in key order, so two transactions touching the same buckets lock them in the same order
     ORDER BY 2, 3, 4
    ${MERGE_INTO_BUCKET}`;
}

/** Add buckets the worker aggregated to both rollup tables, in one statement. */
export function addRollups(stream: string, minute: BucketArrays, hour: BucketArrays): SQL {
  return sql`WITH m AS (${mergeBuckets('rollups_1m', stream, minute)} RETURNING 1)
    ${mergeBuckets('rollups_1h', stream, hour)}`;
}

/**
 * Insert the rows; with rollup columns and on_duplicate = ignore, also add the inserted rows to the
 * rollups. Returns one row: `inserted` (rows written) and, when `returnKeys`, the (entity_id, ts)
 * pairs touched (for recomputing rollups after updates).
 */
export function insertRows(p: CompiledPipeline, rows: RowArrays): SQL {
  const insert = plainInsert(p, rows);

  const incremental =
    p.entityKind !== null && p.rollupColumns.length > 0 && p.onDuplicate === 'ignore';
  if (!incremental) {
    const returning =
      p.entityKind !== null && p.rollupColumns.length > 0
        ? sql`RETURNING entity_id, ${sql.ident(p.timeColumn)} AS ts`
        : sql`RETURNING 1`;
    return sql`WITH ins AS (${insert} ${returning})
      SELECT count(*)::int AS inserted,
             ${p.entityKind !== null && p.rollupColumns.length > 0 ? sql`array_agg(entity_id::text) AS entity_ids, array_agg(ts::text) AS ts` : sql`NULL AS entity_ids, NULL AS ts`}
        FROM ins`;
  }
  const metrics = sql.join(
    p.rollupColumns.map((c, i) => sql`${sql.ident(c)}::float8 AS ${sql.ident(`m${i}`)}`),
    ', ',
  );
  const unpivot = sql.join(
    p.rollupColumns.map((c, i) => sql`(${sql.value(c)}, i.${sql.ident(`m${i}`)})`),
    ', ',
  );
  return sql`WITH ins AS (
      ${insert}
      RETURNING entity_id, ${sql.ident(p.timeColumn)} AS ts, ${metrics}
    ), pts AS (
      SELECT i.entity_id, i.ts, m.metric, m.value
        FROM ins i CROSS JOIN LATERAL (VALUES ${unpivot}) AS m(metric, value)
       WHERE m.value IS NOT NULL
    ), r1m AS (
      ${rollupInsert('rollups_1m', '1 minute', p.table, sql`pts`)}
      RETURNING 1
    ), r1h AS (
      ${rollupInsert('rollups_1h', '1 hour', p.table, sql`pts`)}
      RETURNING 1
    )
    SELECT (SELECT count(*)::int FROM ins) AS inserted, NULL AS entity_ids, NULL AS ts,
           (SELECT count(*) FROM r1m) + (SELECT count(*) FROM r1h) AS buckets`;
}

/**
 * After an upsert (on_duplicate = update) the rollups of the touched buckets are recomputed from
 * the stored points: an updated value cannot be subtracted from a min or a max.
 */
export function recomputeRollups(p: CompiledPipeline, entityIds: string[], ts: string[]): SQL[] {
  const target = sql.ident(p.schema, p.table);
  const unpivot = sql.join(
    p.rollupColumns.map((c) => sql`(${sql.value(c)}, t.${sql.ident(c)}::float8)`),
    ', ',
  );
  return (
    [
      ['rollups_1m', '1 minute'],
      ['rollups_1h', '1 hour'],
    ] as const
  ).map(
    ([table, width]) => sql`WITH touched AS (
        SELECT DISTINCT e AS entity_id, date_bin(${sql.value(width)}::interval, t, ${ORIGIN}) AS bucket
          FROM unnest(${sql.value(entityIds, 'int8[]')}, ${sql.value(ts, 'timestamptz[]')}) AS u(e, t)
      ), pts AS (
        SELECT t.entity_id, t.${sql.ident(p.timeColumn)} AS ts, m.metric, m.value
          FROM touched b
          JOIN ${target} t ON t.entity_id = b.entity_id
                          AND t.${sql.ident(p.timeColumn)} >= b.bucket
                          AND t.${sql.ident(p.timeColumn)} < b.bucket + ${sql.value(width)}::interval
          CROSS JOIN LATERAL (VALUES ${unpivot}) AS m(metric, value)
         WHERE m.value IS NOT NULL
      )
      INSERT INTO ${sql.ident('public', table)} AS r
        (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
      SELECT ${sql.value(p.table)}, entity_id, metric,
             date_bin(${sql.value(width)}::interval, ts, ${ORIGIN}),
             count(*), min(value), max(value), ${saturatingSum(sql`value`)},
             (array_agg(value ORDER BY ts DESC))[1], max(ts)
        FROM pts GROUP BY 2, 3, 4
        ORDER BY 2, 3, 4
      ON CONFLICT (stream, entity_id, metric, bucket) DO UPDATE SET
        count = EXCLUDED.count, min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum,
        last = EXCLUDED.last, last_ts = EXCLUDED.last_ts`,
  );
}
